"""The epoch iterator that data streams hand out."""

import logging

logger = logging.getLogger(__name__)


class DataIterator:
    """Iterate over one epoch of a data stream.

    Each step takes the next request from the iteration scheme (if the stream
    has one) and asks the stream for the data. The iterator holds only the
    stream and the request iterator, both picklable, so an epoch can be
    pickled at any point and continued elsewhere.

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to draw data from.
    request_iterator : iterator, optional
        The requests to pass to the stream's ``get_data``. Without it,
        ``get_data`` is called with no request.
    as_dict : bool, optional
        If True, each item is a dict from source name to data; otherwise a
        tuple ordered like ``data_stream.sources``. False by default.

    """

    def __init__(self, data_stream, request_iterator=None, as_dict=False):
        self.data_stream = data_stream
        self.request_iterator = request_iterator
        self.as_dict = as_dict

    def __iter__(self):
        return self

    def __next__(self):
        if self.request_iterator is not None:
            data = self.data_stream.get_data(next(self.request_iterator))
        else:
            data = self.data_stream.get_data()
        if self.as_dict:
            sources = self.data_stream.sources
            if len(data) != len(sources):
                raise ValueError(
                    f"{type(self.data_stream).__name__} returned {len(data)} "
                    f"values for its {len(sources)} sources {sources}"
                )
            return dict(zip(sources, data, strict=True))
        return data

"""Data streams: iterate over a dataset epoch by epoch.

A stream couples a dataset with an iteration scheme and hands out epoch
iterators. Transformers (:mod:`fuel.transformers`) are streams too; they wrap
another stream and change what it yields.

Examples
--------
>>> from fuel.datasets import IndexableDataset
>>> from fuel.schemes import SequentialScheme
>>> from fuel.streams import DataStream
>>> dataset = IndexableDataset({"x": [10, 20, 30]})
>>> stream = DataStream(dataset, iteration_scheme=SequentialScheme(3, 2))
>>> [batch for batch in stream.get_epoch_iterator()]
[([10, 20],), ([30],)]

"""

import logging
from abc import ABC, abstractmethod

from fuel.iterator import DataIterator

logger = logging.getLogger(__name__)


class AbstractDataStream(ABC):
    """The interface of every data stream.

    Parameters
    ----------
    iteration_scheme : IterationScheme, optional
        Produces the requests passed to :meth:`get_data`. Without one,
        ``get_data`` is called with no request.
    axis_labels : dict, optional
        Maps each source to a tuple of axis names such as
        ``('batch', 'feature')``.
    produces_examples : bool, optional
        Whether each item is one example (True) or a batch (False). It is
        inferred from the iteration scheme when there is one, and must not be
        given then. A stream without a scheme must be told (a
        :class:`DataStream` without one yields examples).

    Attributes
    ----------
    sources : tuple of str
        The names of the data in each item, in order.

    """

    def __init__(self, iteration_scheme=None, axis_labels=None, produces_examples=None):
        self.iteration_scheme = iteration_scheme
        self.axis_labels = axis_labels
        if produces_examples is not None:
            self.produces_examples = produces_examples

    @property
    def produces_examples(self):
        """Whether each item is a single example rather than a batch.

        Raises
        ------
        ValueError
            If the stream has no iteration scheme and was not told.

        """
        if self.iteration_scheme is not None:
            return self.iteration_scheme.requests_examples
        if "_produces_examples" not in self.__dict__:
            raise ValueError(
                f"{type(self).__name__} has no iteration scheme to tell whether "
                f"it yields examples or batches, and produces_examples was not "
                f"set; pass produces_examples=True or False"
            )
        return self._produces_examples

    @produces_examples.setter
    def produces_examples(self, value):
        if self.iteration_scheme is not None:
            raise ValueError(
                f"{type(self).__name__} takes produces_examples from its "
                f"iteration scheme {type(self.iteration_scheme).__name__}; "
                f"it cannot be set"
            )
        self._produces_examples = bool(value)

    @property
    def sources(self):
        return self._sources

    @sources.setter
    def sources(self, value):
        self._sources = tuple(value)

    @abstractmethod
    def get_data(self, request=None):
        """Return the data for one request (or the next item, with none)."""

    @abstractmethod
    def reset(self):
        """Start over from the beginning of the current epoch."""

    @abstractmethod
    def close(self):
        """Release the resources (open files, ...) the stream holds."""

    @abstractmethod
    def next_epoch(self):
        """Move the stream to the start of the next epoch."""

    def get_epoch_iterator(self, as_dict=False):
        """Return an iterator over one epoch.

        Parameters
        ----------
        as_dict : bool, optional
            Yield dicts from source name to data instead of tuples.

        Returns
        -------
        DataIterator
            A picklable iterator.

        """
        requests = None
        if self.iteration_scheme is not None:
            requests = self.iteration_scheme.get_request_iterator()
        return DataIterator(self, requests, as_dict=as_dict)

    def iterate_epochs(self, as_dict=False):
        """Yield an epoch iterator for each epoch, without end."""
        while True:
            yield self.get_epoch_iterator(as_dict=as_dict)


def _without_batch(labels):
    if labels is None:
        return None
    return tuple(label for label in labels if label != "batch")


class DataStream(AbstractDataStream):
    """A stream that reads a dataset.

    Parameters
    ----------
    dataset : Dataset
        The dataset to read. Its state is opened at once.
    iteration_scheme : IterationScheme, optional
        The requests to make. Datasets read by index (like
        :class:`.IndexableDataset`) need one; datasets read in order (like
        :class:`.IterableDataset`) answer no requests and take none.
    axis_labels : dict, optional
        Defaults to the dataset's axis labels.
    produces_examples : bool, optional
        See :class:`AbstractDataStream`.

    Raises
    ------
    ValueError
        If the iteration scheme asks for examples the dataset lacks.

    """

    def __init__(self, dataset, **kwargs):
        if dataset.axis_labels:
            kwargs.setdefault("axis_labels", dict(dataset.axis_labels))
        if kwargs.get("iteration_scheme") is None:
            kwargs.setdefault("produces_examples", True)
        super().__init__(**kwargs)
        if self.axis_labels and self.produces_examples:
            # An example has no batch axis. Work on a copy: the labels may be
            # the caller's own dict.
            self.axis_labels = {
                source: _without_batch(labels)
                for source, labels in self.axis_labels.items()
            }
        check = getattr(dataset, "check_iteration_scheme", None)
        if check is not None and self.iteration_scheme is not None:
            check(self.iteration_scheme)
        self.dataset = dataset
        self.data_state = self.dataset.open()
        self._fresh_state = True

    @classmethod
    def default_stream(cls, dataset, **kwargs):
        """Make a stream and wrap it in the dataset's default transformers.

        For MNIST, say, these scale the uint8 pixels to floats in [0, 1].

        Parameters
        ----------
        dataset : Dataset
            The dataset.
        **kwargs
            Passed on to the stream (``iteration_scheme``, ...).

        """
        return dataset.apply_default_transformers(cls(dataset, **kwargs))

    @property
    def sources(self):
        if "_sources" in self.__dict__:
            return self._sources
        return self.dataset.sources

    @sources.setter
    def sources(self, value):
        self._sources = tuple(value)

    def close(self):
        self.data_state = self.dataset.close(self.data_state)

    def reset(self):
        self.data_state = self.dataset.reset(self.data_state)
        self._fresh_state = True

    def next_epoch(self):
        self.data_state = self.dataset.next_epoch(self.data_state)

    def get_data(self, request=None):
        return self.dataset.get_data(self.data_state, request)

    def get_epoch_iterator(self, **kwargs):
        # The state opened by the constructor or by reset() serves the first
        # epoch; every later epoch starts with next_epoch().
        if self._fresh_state:
            self._fresh_state = False
        else:
            self.next_epoch()
        return super().get_epoch_iterator(**kwargs)


class ServerDataStream(AbstractDataStream):
    """A stream that reads the items a :func:`fuel.server.start_server` sends.

    Parameters
    ----------
    sources : tuple of str
        The names of the arrays of each item (they do not travel with it).
    produces_examples : bool
        Whether the served stream yields examples or batches.
    host : str, optional
        Where the server runs; ``'localhost'`` by default.
    port : int, optional
        The server's port; 5557 by default.
    hwm : int, optional
        The receive high-water mark; use the server's.
    axis_labels : dict, optional

    Notes
    -----
    An epoch ends when the server finishes one. Several clients connected to
    one server share its items. The stream pickles without its socket and
    reconnects on first use. Needs pyzmq (``pip install
    symbolic-blocks[server]``).

    """

    def __init__(
        self,
        sources,
        produces_examples,
        host="localhost",
        port=5557,
        hwm=10,
        axis_labels=None,
    ):
        super().__init__(axis_labels=axis_labels)
        self.sources = sources
        self.produces_examples = produces_examples
        self.host = host
        self.port = port
        self.hwm = hwm
        self.connected = False

    def connect(self):
        """Open a PULL socket connected to the server."""
        from fuel.server import import_zmq

        zmq = import_zmq()
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.PULL)
        self.socket.set_hwm(self.hwm)
        self.socket.connect(f"tcp://{self.host}:{self.port}")
        self.connected = True

    def get_data(self, request=None):
        from fuel.server import recv_arrays

        if request is not None:
            raise ValueError(f"ServerDataStream takes no requests, got {request!r}")
        if not self.connected:
            self.connect()
        return tuple(recv_arrays(self.socket))

    def close(self):
        pass

    def reset(self):
        pass

    def next_epoch(self):
        pass

    def disconnect(self):
        """Close the socket (the next read reconnects)."""
        if self.connected:
            self.socket.close(linger=0)
            self.context.term()
            self.connected = False

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("context", None)
        state.pop("socket", None)
        state["connected"] = False
        return state

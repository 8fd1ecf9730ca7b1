"""Transformers that cut sequences into windows, for language models."""

import logging

from fuel.transformers.base import Transformer

logger = logging.getLogger(__name__)


class Window(Transformer):
    """Slide a pair of windows (source, target) along each sequence.

    The stream it wraps must yield examples with a single source, each a
    sequence. For every position ``i`` of a sequence the transformer yields
    ``(sequence[i : i + source_window], sequence[t : t + target_window])``
    where the target starts at ``t = i + offset``, or at
    ``t = i + source_window + offset`` when the windows do not overlap.
    Positions where either window would fall outside the sequence are
    skipped, as are sequences too short for any.

    Parameters
    ----------
    offset : int
        Where the target window starts, relative to the source window (see
        above). May be negative.
    source_window : int
        The length of the source window.
    target_window : int
        The length of the target window.
    overlapping : bool
        If False, `offset` counts from the end of the source window.
    data_stream : AbstractDataStream
        A stream of single-source examples.
    target_source : str, optional
        The name of the new target source; ``'targets'`` by default.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> stream = Window(1, 3, 3, True, DataStream(IterableDataset([[1, 2, 3, 4, 5]])))
    >>> list(stream.get_epoch_iterator())
    [([1, 2, 3], [2, 3, 4]), ([2, 3, 4], [3, 4, 5])]

    """

    def __init__(
        self,
        offset,
        source_window,
        target_window,
        overlapping,
        data_stream,
        target_source="targets",
        **kwargs,
    ):
        name = type(self).__name__
        if not data_stream.produces_examples:
            raise ValueError(f"{name} needs a stream of examples, not of batches")
        if len(data_stream.sources) != 1:
            raise ValueError(
                f"{name} needs a stream with one source, got {data_stream.sources}"
            )
        if source_window < 1 or target_window < 1:
            raise ValueError(
                f"{name} needs windows of length 1 or more, got "
                f"source_window={source_window}, target_window={target_window}"
            )
        super().__init__(data_stream, True, **kwargs)
        self.sources = (*data_stream.sources, target_source)
        self.offset = offset
        self.source_window = source_window
        self.target_window = target_window
        self.overlapping = overlapping
        self.sequence = []
        self._start()

    def _target_index(self):
        """Where the target window starts, for the current source index."""
        skip = 0 if self.overlapping else self.source_window
        return self.index + skip + self.offset

    def _end_index(self):
        """One past the last element either window covers."""
        return max(
            self.index + self.source_window, self._target_index() + self.target_window
        )

    def _start(self):
        """Move to the first position of the current sequence."""
        self.index = 0
        # A negative offset can put the target before the start; shift both.
        self.index = -min(0, self._target_index())

    def get_epoch_iterator(self, **kwargs):
        self.sequence = []
        self._start()
        return super().get_epoch_iterator(**kwargs)

    def get_data(self, request=None):
        if request is not None:
            raise ValueError(
                f"{type(self).__name__} takes no requests, got {request!r}"
            )
        while self._end_index() > len(self.sequence):
            (self.sequence,) = next(self.child_epoch_iterator)
            self._start()
        target = self._target_index()
        source_part = self.sequence[self.index : self.index + self.source_window]
        target_part = self.sequence[target : target + self.target_window]
        self.index += 1
        return (source_part, target_part)


class NGrams(Window):
    """Yield every n-gram of each sequence with the element that follows it.

    Parameters
    ----------
    ngram_order : int
        The length n of the n-grams.
    data_stream : AbstractDataStream
        A stream of single-source examples, each a sequence.
    target_source : str, optional
        The name of the source holding the next element; ``'targets'``.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.streams import DataStream
    >>> stream = NGrams(2, DataStream(IterableDataset([[1, 2, 3, 4]])))
    >>> list(stream.get_epoch_iterator())
    [([1, 2], 3), ([2, 3], 4)]

    """

    def __init__(self, ngram_order, data_stream, target_source="targets", **kwargs):
        super().__init__(0, ngram_order, 1, False, data_stream, target_source, **kwargs)

    def get_data(self, request=None):
        source, target = super().get_data(request)
        return (source, target[0])

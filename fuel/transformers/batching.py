"""Transformers that regroup items: batch, unpack, pad, re-batch, merge."""

import logging

import numpy

from fuel.config_parser import config
from fuel.streams import AbstractDataStream
from fuel.transformers.base import Transformer, check_which_sources, copy_labels
from fuel.utils import izip

logger = logging.getLogger(__name__)


class Batch(Transformer):
    """Group the examples of a stream into batches.

    Parameters
    ----------
    data_stream : AbstractDataStream
        A stream of examples.
    iteration_scheme : BatchSizeScheme
        Gives the size of each batch, such as ``ConstantScheme(32)``.
    strictness : {0, 1, 2}, optional
        What to do when the examples run out in the middle of a batch: 0
        returns the short batch, 1 drops it, 2 raises a ValueError.

    Notes
    -----
    Each source's examples are stacked with ``numpy.asarray``, so examples of
    unequal length give an object array; :class:`Padding` turns those into a
    padded array and a mask.

    """

    def __init__(self, data_stream, iteration_scheme, strictness=0, **kwargs):
        if not data_stream.produces_examples:
            raise ValueError(
                "Batch needs a stream of examples, but the one it wraps "
                "already yields batches"
            )
        if iteration_scheme.requests_examples:
            raise ValueError(
                f"Batch needs a scheme that requests batches, such as "
                f"ConstantScheme, not {type(iteration_scheme).__name__}"
            )
        if strictness not in (0, 1, 2):
            raise ValueError(f"strictness must be 0, 1 or 2, got {strictness!r}")
        if data_stream.axis_labels:
            kwargs.setdefault(
                "axis_labels",
                {
                    source: ("batch", *labels) if labels is not None else None
                    for source, labels in data_stream.axis_labels.items()
                },
            )
        super().__init__(data_stream, iteration_scheme=iteration_scheme, **kwargs)
        self.strictness = strictness

    def get_data(self, request=None):
        if request is None:
            raise ValueError("Batch needs a batch size as its request")
        data = [[] for _ in self.sources]
        for _ in range(request):
            try:
                example = next(self.child_epoch_iterator)
            except StopIteration:
                if not data[0] or self.strictness == 1:
                    raise
                if self.strictness == 2:
                    raise ValueError(
                        f"the stream ran out after {len(data[0])} examples of a "
                        f"batch of {request} (strictness=2 forbids short batches)"
                    ) from None
                break
            for source_data, value in zip(data, example, strict=True):
                source_data.append(value)
        return tuple(_stack(source_data) for source_data in data)


def _stack(examples):
    """Stack examples into an array; unequal shapes give an object array."""
    try:
        return numpy.asarray(examples)
    except ValueError:
        stacked = numpy.empty(len(examples), dtype=object)
        stacked[:] = [numpy.asarray(example) for example in examples]
        return stacked


class Unpack(Transformer):
    """Split the batches of a stream into single examples.

    Parameters
    ----------
    data_stream : AbstractDataStream
        A stream of batches.

    """

    def __init__(self, data_stream, **kwargs):
        if data_stream.produces_examples:
            raise ValueError(
                "Unpack needs a stream of batches, but the one it wraps yields examples"
            )
        if data_stream.axis_labels:
            kwargs.setdefault(
                "axis_labels",
                {
                    source: labels[1:] if labels else labels
                    for source, labels in data_stream.axis_labels.items()
                },
            )
        super().__init__(data_stream, True, **kwargs)
        self.data = None

    def get_epoch_iterator(self, **kwargs):
        self.data = None
        return super().get_epoch_iterator(**kwargs)

    def get_data(self, request=None):
        if request is not None:
            raise ValueError(f"Unpack takes no requests, got {request!r}")
        while True:
            if self.data is None:
                self.data = izip(*next(self.child_epoch_iterator))
            try:
                return next(self.data)
            except StopIteration:
                self.data = None


class Padding(Transformer):
    """Pad the sequences in a batch to one length and add masks.

    For every source in `mask_sources`, a batch of sequences (each of shape
    ``(length, ...)``) becomes an array of shape ``(batch, max_length, ...)``
    padded with zeros, followed by a new source ``<source>_mask`` of shape
    ``(batch, max_length)``: 1 where there is data, 0 where there is padding.

    Parameters
    ----------
    data_stream : AbstractDataStream
        A stream of batches.
    mask_sources : tuple of str, optional
        The sources to pad; all by default.
    mask_dtype : str, optional
        The dtype of the masks; ``fuel.config.floatX`` by default.

    Examples
    --------
    >>> from fuel.datasets import IterableDataset
    >>> from fuel.schemes import ConstantScheme
    >>> from fuel.streams import DataStream
    >>> stream = Padding(Batch(DataStream(IterableDataset([[1, 2], [3]])),
    ...                        ConstantScheme(2)), mask_dtype="int8")
    >>> next(stream.get_epoch_iterator())
    (array([[1, 2],
           [3, 0]]), array([[1, 1],
           [1, 0]], dtype=int8))

    """

    def __init__(self, data_stream, mask_sources=None, mask_dtype=None, **kwargs):
        if data_stream.produces_examples:
            raise ValueError(
                "Padding needs a stream of batches; wrap the examples in Batch first"
            )
        self.mask_sources = check_which_sources(mask_sources, data_stream, "Padding")
        self.mask_dtype = mask_dtype if mask_dtype is not None else config.floatX
        if data_stream.axis_labels:
            labels = dict(data_stream.axis_labels)
            for source in self.mask_sources:
                labels[source + "_mask"] = ("batch", "time")
            kwargs.setdefault("axis_labels", labels)
        super().__init__(data_stream, False, **kwargs)

    @property
    def sources(self):
        sources = []
        for source in self.data_stream.sources:
            sources.append(source)
            if source in self.mask_sources:
                sources.append(source + "_mask")
        return tuple(sources)

    def transform_batch(self, batch):
        output = []
        for source, source_batch in zip(self.data_stream.sources, batch, strict=True):
            if source not in self.mask_sources:
                output.append(source_batch)
                continue
            sequences = [numpy.asarray(sequence) for sequence in source_batch]
            shapes = [sequence.shape for sequence in sequences]
            if any(len(shape) == 0 for shape in shapes):
                raise ValueError(
                    f"Padding expects sequences in source {source!r}, but its "
                    f"examples are scalars"
                )
            rest = shapes[0][1:]
            if any(shape[1:] != rest for shape in shapes):
                raise ValueError(
                    f"Padding can only pad the first axis, but the sequences of "
                    f"source {source!r} differ in other axes: {shapes}"
                )
            lengths = [shape[0] for shape in shapes]
            dtype = numpy.result_type(*sequences) if sequences else numpy.float64
            padded = numpy.zeros(
                (len(sequences), max(lengths, default=0), *rest), dtype
            )
            mask = numpy.zeros(padded.shape[:2], dtype=self.mask_dtype)
            for i, (sequence, length) in enumerate(
                zip(sequences, lengths, strict=True)
            ):
                padded[i, :length] = sequence
                mask[i, :length] = 1
            output.extend([padded, mask])
        return tuple(output)


class Cache(Transformer):
    """Re-batch a stream of batches into batches of another size.

    Incoming batches are stored in a cache, from which each request takes as
    many examples as it asks for.

    Parameters
    ----------
    data_stream : AbstractDataStream
        A stream of batches.
    iteration_scheme : BatchSizeScheme
        The sizes of the batches to return.

    """

    def __init__(self, data_stream, iteration_scheme, **kwargs):
        if data_stream.produces_examples:
            raise ValueError("Cache needs a stream of batches, not of examples")
        if iteration_scheme.requests_examples:
            raise ValueError(
                f"Cache needs a scheme that requests batches, not "
                f"{type(iteration_scheme).__name__}"
            )
        copy_labels(data_stream, kwargs)
        super().__init__(data_stream, iteration_scheme=iteration_scheme, **kwargs)
        self.cache = [[] for _ in self.sources]

    def get_epoch_iterator(self, **kwargs):
        if self.cache[0]:
            logger.debug(
                "Cache: dropping %d cached examples at a new epoch", len(self.cache[0])
            )
        self.cache = [[] for _ in self.sources]
        return super().get_epoch_iterator(**kwargs)

    def get_data(self, request=None):
        if request is None:
            raise ValueError("Cache needs a batch size as its request")
        while len(self.cache[0]) < request:
            try:
                batch = next(self.child_epoch_iterator)
            except StopIteration:
                if not self.cache[0]:
                    raise
                break
            for cache, source_batch in zip(self.cache, batch, strict=True):
                cache.extend(source_batch)
        data = []
        for i, cache in enumerate(self.cache):
            data.append(numpy.asarray(cache[:request]))
            self.cache[i] = cache[request:]
        return tuple(data)


class Merge(AbstractDataStream):
    """Zip several streams into one, joining their sources.

    Parameters
    ----------
    data_streams : sequence of AbstractDataStream
        The streams. All must yield examples, or all batches.
    sources : tuple of str
        The names of the merged sources: one for each source of each stream,
        in order.
    axis_labels : dict, optional

    """

    def __init__(self, data_streams, sources, axis_labels=None):
        data_streams = list(data_streams)
        kinds = {stream.produces_examples for stream in data_streams}
        if len(kinds) != 1:
            raise ValueError(
                "Merge cannot mix streams of examples with streams of batches"
            )
        super().__init__(axis_labels=axis_labels, produces_examples=kinds.pop())
        count = sum(len(stream.sources) for stream in data_streams)
        if len(sources) != count:
            raise ValueError(
                f"Merge got {len(sources)} source names {tuple(sources)} for "
                f"{count} sources"
            )
        self.data_streams = data_streams
        self.sources = sources

    def close(self):
        for stream in self.data_streams:
            stream.close()

    def reset(self):
        for stream in self.data_streams:
            stream.reset()

    def next_epoch(self):
        for stream in self.data_streams:
            stream.next_epoch()

    def get_epoch_iterator(self, **kwargs):
        self.child_epoch_iterators = [
            stream.get_epoch_iterator() for stream in self.data_streams
        ]
        return super().get_epoch_iterator(**kwargs)

    def get_data(self, request=None):
        if request is not None:
            raise ValueError(f"Merge takes no requests, got {request!r}")
        result = []
        for iterator in self.child_epoch_iterators:
            result.extend(next(iterator))
        return tuple(result)

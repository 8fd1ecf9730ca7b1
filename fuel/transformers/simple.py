"""Transformers that change each item: map, filter, rename, reshape, cast."""

import logging
from collections import OrderedDict

import numpy

from fuel.config_parser import config
from fuel.transformers.base import (
    AgnosticSourcewiseTransformer,
    AgnosticTransformer,
    SourcewiseTransformer,
    Transformer,
    check_which_sources,
    copy_labels,
)

logger = logging.getLogger(__name__)


class Mapping(Transformer):
    """Apply a function to every item.

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to wrap.
    mapping : callable
        Takes an item and returns a tuple: the new item, or the new sources'
        data if `add_sources` is given. Use a module-level function so that
        it pickles.
    add_sources : tuple of str, optional
        If given, `mapping` returns data for these new sources, which are
        appended to the old ones.
    mapping_accepts : {list, dict}, optional
        With ``list`` (the default) `mapping` gets the item as a tuple ordered
        like the wrapped stream's sources. With ``dict`` it gets an ordered
        dict from source name to data, and returns a mapping holding every
        output source (the `add_sources`, or all sources when there are none).

    """

    def __init__(
        self, data_stream, mapping, add_sources=None, mapping_accepts=list, **kwargs
    ):
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)
        if not callable(mapping):
            raise TypeError(f"Mapping expects a callable, got {mapping!r}")
        if mapping_accepts not in (list, dict):
            raise ValueError(
                f"Mapping's mapping_accepts must be list or dict, "
                f"got {mapping_accepts!r}"
            )
        self.mapping = mapping
        self.add_sources = tuple(add_sources) if add_sources else None
        self.mapping_accepts = mapping_accepts

    @property
    def sources(self):
        return self.data_stream.sources + (self.add_sources or ())

    def get_data(self, request=None):
        if request is not None:
            raise ValueError(f"Mapping takes no requests, got {request!r}")
        data = next(self.child_epoch_iterator)
        if self.mapping_accepts is dict:
            image = self._map_dict(data)
        else:
            image = self.mapping(data)
        if not self.add_sources:
            return image
        return tuple(data) + tuple(image)

    def _map_dict(self, data):
        sources = self.data_stream.sources
        if len(data) != len(sources):
            raise IterableLengthMismatch(
                f"Mapping got {len(data)} values for the {len(sources)} "
                f"sources {sources}"
            )
        image = self.mapping(OrderedDict(zip(sources, data, strict=True)))
        wanted = self.add_sources or self.sources
        missing = [source for source in wanted if source not in image]
        if missing:
            raise KeyError(
                f"the mapping of Mapping returned no value for "
                f"{', '.join(map(repr, missing))}; it must return every one of {wanted}"
            )
        return tuple(image[source] for source in wanted)


class IterableLengthMismatch(ValueError):
    """Two sequences that should be zipped differ in length."""


class SortMapping:
    """A picklable mapping that sorts the examples within a batch.

    Parameters
    ----------
    key : callable
        Takes one example (a tuple with one entry per source) and returns the
        value to sort by. Use a picklable one, such as a module-level function.
    reverse : bool, optional
        Sort in decreasing order.

    Examples
    --------
    >>> sort = SortMapping(lambda example: len(example[0]))
    >>> sort(([[1, 2], [3]], [0, 1]))
    ([[3], [1, 2]], [1, 0])

    """

    def __init__(self, key, reverse=False):
        self.key = key
        self.reverse = reverse

    def __call__(self, batch):
        examples = sorted(zip(*batch, strict=True), key=self.key, reverse=self.reverse)
        columns = list(zip(*examples, strict=True)) if examples else [[] for _ in batch]
        return tuple(
            numpy.asarray(column)
            if isinstance(original, numpy.ndarray)
            else list(column)
            for column, original in zip(columns, batch, strict=True)
        )


class Filter(Transformer):
    """Drop the items for which a predicate is false.

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to wrap.
    predicate : callable
        Takes an item and returns whether to keep it. Use a module-level
        function so that it pickles.

    """

    def __init__(self, data_stream, predicate, **kwargs):
        if not callable(predicate):
            raise TypeError(f"Filter expects a callable predicate, got {predicate!r}")
        copy_labels(data_stream, kwargs)
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)
        self.predicate = predicate

    def get_data(self, request=None):
        if request is not None:
            raise ValueError(f"Filter takes no requests, got {request!r}")
        data = next(self.child_epoch_iterator)
        while not self.predicate(data):
            data = next(self.child_epoch_iterator)
        return data


class FilterSources(AgnosticTransformer):
    """Keep only some sources.

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to wrap.
    sources : tuple of str
        The sources to keep. They keep the wrapped stream's order.

    """

    def __init__(self, data_stream, sources, **kwargs):
        keep = check_which_sources(sources, data_stream, "FilterSources")
        if data_stream.axis_labels:
            kwargs.setdefault(
                "axis_labels",
                {s: v for s, v in data_stream.axis_labels.items() if s in keep},
            )
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)
        self.sources = tuple(s for s in data_stream.sources if s in keep)

    def transform_any(self, data):
        return tuple(
            d
            for d, s in zip(data, self.data_stream.sources, strict=True)
            if s in self.sources
        )


class Rename(AgnosticTransformer):
    """Rename sources.

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to wrap.
    names : dict
        Maps old source names to new ones.
    on_non_existent : {'raise', 'warn', 'ignore'}, optional
        What to do about an old name the stream lacks.

    """

    def __init__(self, data_stream, names, on_non_existent="raise", **kwargs):
        if on_non_existent not in ("raise", "warn", "ignore"):
            raise ValueError(
                f"on_non_existent must be 'raise', 'warn' or 'ignore', "
                f"got {on_non_existent!r}"
            )
        for old in names:
            if old not in data_stream.sources:
                message = (
                    f"Rename was asked to rename source {old!r}, but the "
                    f"stream has only {tuple(data_stream.sources)}"
                )
                if on_non_existent == "raise":
                    raise KeyError(message)
                if on_non_existent == "warn":
                    logger.warning(message)
                else:
                    logger.debug(message)
        # All at once, so that swaps work.
        sources = [names.get(source, source) for source in data_stream.sources]
        if len(set(sources)) != len(sources):
            # KeyError, as in Fuel.
            raise KeyError(
                f"Rename would give duplicate sources {tuple(sources)}; "
                f"{names} maps onto a name already in use"
            )
        if data_stream.axis_labels:
            kwargs.setdefault(
                "axis_labels",
                {names.get(s, s): v for s, v in data_stream.axis_labels.items()},
            )
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)
        self.sources = tuple(sources)

    def transform_any(self, data):
        return data


class Flatten(SourcewiseTransformer):
    """Flatten each example of some sources into a vector.

    A batch of shape ``(n, a, b, ...)`` becomes ``(n, a * b * ...)``; an
    example becomes one dimensional. Axis labels become
    ``('batch', 'feature')`` (or ``('feature',)``).

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to wrap.
    which_sources : tuple of str, optional
        The sources to flatten; all by default.

    """

    def __init__(self, data_stream, **kwargs):
        which = check_which_sources(kwargs.get("which_sources"), data_stream, "Flatten")
        if data_stream.axis_labels:
            labels = dict(data_stream.axis_labels)
            flat = (
                ("feature",) if data_stream.produces_examples else ("batch", "feature")
            )
            for source in which:
                if source in labels:
                    labels[source] = flat
            kwargs.setdefault("axis_labels", labels)
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)

    def transform_source_example(self, source_example, _):
        return numpy.asarray(source_example).ravel()

    def transform_source_batch(self, source_batch, _):
        source_batch = numpy.asarray(source_batch)
        return source_batch.reshape((source_batch.shape[0], -1))


class ScaleAndShift(AgnosticSourcewiseTransformer):
    """Compute ``data * scale + shift`` for some sources.

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to wrap.
    scale : float
    shift : float
    which_sources : tuple of str, optional
        All sources by default.

    """

    def __init__(self, data_stream, scale, shift, **kwargs):
        self.scale = scale
        self.shift = shift
        copy_labels(data_stream, kwargs)
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)

    def transform_any_source(self, source_data, _):
        return numpy.asarray(source_data) * self.scale + self.shift


class Cast(AgnosticSourcewiseTransformer):
    """Convert some sources to a dtype.

    Parameters
    ----------
    data_stream : AbstractDataStream
        The stream to wrap.
    dtype : str or numpy.dtype
        The dtype; ``'floatX'`` means ``fuel.config.floatX``.
    which_sources : tuple of str, optional
        All sources by default.

    """

    def __init__(self, data_stream, dtype, **kwargs):
        if dtype == "floatX":
            dtype = config.floatX
        self.dtype = numpy.dtype(dtype)
        copy_labels(data_stream, kwargs)
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)

    def transform_any_source(self, source_data, _):
        return numpy.asarray(source_data, dtype=self.dtype)


class ForceFloatX(AgnosticSourcewiseTransformer):
    """Convert the floating-point sources to ``fuel.config.floatX``.

    Data of other kinds (integers, lists) passes through unchanged.

    """

    def __init__(self, data_stream, **kwargs):
        copy_labels(data_stream, kwargs)
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)

    def transform_any_source(self, source_data, _):
        if isinstance(source_data, (numpy.ndarray, numpy.floating, float)):
            array = numpy.asarray(source_data)
            if array.dtype.kind == "f":
                return array.astype(config.floatX)
        return source_data

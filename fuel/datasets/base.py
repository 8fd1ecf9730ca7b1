"""The dataset interface and the two generic datasets built on it.

A dataset gives access to data; it keeps no position of its own. Iterating
over it goes through a *state* that :meth:`Dataset.open` returns and that is
passed back to every :meth:`Dataset.get_data` call, so that many streams can
read one dataset at once. For an indexed dataset the state is None and each
request says which examples to return.

"""

import logging
import math
from collections.abc import Iterable, Sized
from numbers import Integral

from fuel.schemes import SequentialExampleScheme, check_scheme_fits
from fuel.streams import DataStream
from fuel.utils import Subset, check_indices, consecutive_run, index_within, iter_, izip

logger = logging.getLogger(__name__)


def check_sources(requested, provided, owner):
    """Check that every requested source is provided and return them as a tuple.

    Parameters
    ----------
    requested : sequence of str
        The sources asked for.
    provided : sequence of str
        The sources that exist.
    owner : str
        The name of what provides them, for the message.

    Raises
    ------
    TypeError
        If `requested` is a single string rather than a sequence of names.
    ValueError
        If a requested source is not provided, or none is requested.

    """
    if isinstance(requested, str):
        raise TypeError(
            f"sources must be a tuple of source names, such as "
            f"({requested!r},), not the string {requested!r}"
        )
    requested = tuple(requested)
    if not requested:
        raise ValueError(f"no sources requested from {owner}")
    missing = [source for source in requested if source not in provided]
    if missing:
        raise ValueError(
            f"{owner} has no source {', '.join(map(repr, missing))}; "
            f"it provides {tuple(provided)}"
        )
    return requested


class Dataset:
    """The base of all datasets.

    Parameters
    ----------
    sources : tuple of str, optional
        The sources to return, a subset of ``provides_sources``, in the order
        wanted. Defaults to all of them.
    axis_labels : dict, optional
        Maps each source to a tuple of axis names.

    Attributes
    ----------
    provides_sources : tuple of str
        Every source the dataset can return.
    sources : tuple of str
        The sources it does return.
    default_transformers : tuple
        ``(transformer_class, args, kwargs)`` triples that
        :meth:`.DataStream.default_stream` wraps around a stream, innermost
        first.
    example_iteration_scheme : IterationScheme
        A scheme visiting every example once, for datasets that have one.

    """

    provides_sources = None
    default_transformers = ()

    def __init__(self, sources=None, axis_labels=None):
        if not self.provides_sources:
            raise ValueError(f"{type(self).__name__} does not declare provides_sources")
        if sources is not None:
            self.sources = sources
        self.axis_labels = axis_labels

    @property
    def sources(self):
        return self.__dict__.get("_sources", tuple(self.provides_sources))

    @sources.setter
    def sources(self, value):
        self._sources = check_sources(value, self.provides_sources, type(self).__name__)

    @property
    def example_iteration_scheme(self):
        if "_example_iteration_scheme" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__} provides no example iteration scheme"
            )
        return self._example_iteration_scheme

    @example_iteration_scheme.setter
    def example_iteration_scheme(self, value):
        self._example_iteration_scheme = value

    def apply_default_transformers(self, stream):
        """Wrap `stream` in this dataset's default transformers."""
        for transformer, args, kwargs in self.default_transformers:
            stream = transformer(stream, *args, **kwargs)
        return stream

    def check_iteration_scheme(self, scheme):
        """Raise a ValueError if `scheme` asks for examples the dataset lacks.

        :class:`.DataStream` calls it when it is built. A dataset with an
        integer ``num_examples`` checks the scheme's indices against it; others
        accept any scheme.

        """
        num_examples = getattr(self, "num_examples", None)
        if isinstance(num_examples, Integral):
            check_scheme_fits(scheme, num_examples, type(self).__name__)

    def get_example_stream(self):
        """Return a stream over the examples, one at a time."""
        return DataStream(self, iteration_scheme=self.example_iteration_scheme)

    def open(self):
        """Return a fresh state for reading the dataset (None by default)."""
        return None

    def close(self, state):
        """Release what `state` holds."""

    def reset(self, state):
        """Return a state that starts over from the beginning."""
        self.close(state)
        return self.open()

    def next_epoch(self, state):
        """Return the state for the next epoch."""
        return self.reset(state)

    def get_data(self, state=None, request=None):
        """Return the data for `request`, as a tuple ordered like ``sources``.

        Parameters
        ----------
        state : object, optional
            What :meth:`open` returned.
        request : object, optional
            Which data to return; its form depends on the dataset.

        """
        raise NotImplementedError(f"{type(self).__name__} does not implement get_data")

    def filter_sources(self, data):
        """Keep, from a tuple ordered like ``provides_sources``, the ``sources``."""
        by_source = dict(zip(self.provides_sources, data, strict=True))
        return tuple(by_source[source] for source in self.sources)


class IterableDataset(Dataset):
    """A dataset read by iterating over Python iterables.

    Parameters
    ----------
    iterables : iterable or dict of iterables
        The data. A dict maps source names to iterables of the same length;
        a single iterable becomes the source ``'data'``.
    sources : tuple of str, optional
        See :class:`Dataset`.
    axis_labels : dict, optional
        See :class:`Dataset`.

    Notes
    -----
    It answers no requests, so its streams take no iteration scheme and yield
    one example at a time. Sequences (lists, arrays, ranges) give a fresh pass
    every epoch and pickle mid-epoch; a one-shot iterator runs dry after its
    first epoch.

    Examples
    --------
    >>> from fuel.streams import DataStream
    >>> stream = DataStream(IterableDataset({"x": [1, 2], "y": "ab"}))
    >>> list(stream.get_epoch_iterator())
    [(1, 'a'), (2, 'b')]

    """

    example_iteration_scheme = None

    def __init__(self, iterables, **kwargs):
        if isinstance(iterables, dict):
            self.provides_sources = tuple(iterables)
        else:
            self.provides_sources = ("data",)
        super().__init__(**kwargs)
        if not isinstance(iterables, dict):
            iterables = {"data": iterables}
        for source, iterable in iterables.items():
            if not isinstance(iterable, Iterable):
                # ValueError, as in Fuel (IterableDataset(None) included).
                raise ValueError(
                    f"IterableDataset expects an iterable for source {source!r}, "
                    f"got {type(iterable).__name__}"
                )
        self.iterables = [iterables[source] for source in self.sources]
        lengths = {
            len(iterable) for iterable in self.iterables if isinstance(iterable, Sized)
        }
        if len(lengths) > 1:
            sizes = {s: len(iterables[s]) for s in self.sources}
            raise ValueError(f"IterableDataset sources differ in length: {sizes}")

    @property
    def num_examples(self):
        """The number of examples, or NaN if the iterables have no length."""
        if all(isinstance(iterable, Sized) for iterable in self.iterables):
            return len(self.iterables[0])
        return math.nan

    def check_iteration_scheme(self, scheme):
        # The requests of a scheme are no indices here (get_data refuses
        # them), but Blocks builds such streams just to read the scheme's
        # size, so they must be constructible.
        pass

    def open(self):
        return izip(*[iter_(iterable) for iterable in self.iterables])

    def get_data(self, state=None, request=None):
        if request is not None:
            raise ValueError(
                f"IterableDataset cannot answer the request {request!r}: it is "
                f"read in order. Use it without an iteration scheme, or use "
                f"IndexableDataset."
            )
        if state is None:
            raise ValueError("IterableDataset.get_data needs the state from open()")
        return next(state)


class IndexableDataset(Dataset):
    """A dataset of in-memory sequences or arrays, read by index.

    Parameters
    ----------
    indexables : sequence or dict of sequences
        The data; arrays, lists or anything with ``len`` and indexing. A dict
        maps source names to sequences of the same length; a single sequence
        becomes the source ``'data'``.
    start : int, optional
        Use only the examples from this index on.
    stop : int, optional
        Use only the examples before this index.
    sources : tuple of str, optional
        See :class:`Dataset`.
    axis_labels : dict, optional
        See :class:`Dataset`.

    Notes
    -----
    A request is an example index, a list of indices or a slice. Lists pick
    examples from arrays by fancy indexing, and from other sequences one by
    one, giving a list.

    Examples
    --------
    >>> import numpy
    >>> dataset = IndexableDataset({"x": numpy.arange(6).reshape(3, 2)})
    >>> dataset.get_data(request=[2, 0])
    (array([[4, 5],
           [0, 1]]),)

    """

    def __init__(self, indexables, start=None, stop=None, **kwargs):
        if isinstance(indexables, dict):
            self.provides_sources = tuple(indexables)
        else:
            self.provides_sources = ("data",)
        super().__init__(**kwargs)
        if not isinstance(indexables, dict):
            indexables = {"data": indexables}
        for source, indexable in indexables.items():
            if not isinstance(indexable, Sized) or not hasattr(
                indexable, "__getitem__"
            ):
                raise TypeError(
                    f"IndexableDataset expects a sequence or array for source "
                    f"{source!r}, got {type(indexable).__name__}"
                )
        self.indexables = [indexables[source][start:stop] for source in self.sources]
        lengths = {len(indexable) for indexable in self.indexables}
        if len(lengths) > 1:
            sizes = dict(zip(self.sources, map(len, self.indexables), strict=True))
            raise ValueError(f"IndexableDataset sources differ in length: {sizes}")
        self.start = start
        self.stop = stop
        # Fuel's attribute; the slice above already applied start and stop.
        self.subset = Subset(slice(None), self.num_examples)
        self.example_iteration_scheme = SequentialExampleScheme(self.num_examples)

    @property
    def num_examples(self):
        return len(self.indexables[0])

    def __getattr__(self, name):
        # The sources read as attributes (dataset.features), as in Fuel.
        # __dict__ is read directly: during unpickling it is still empty.
        if not name.startswith("__"):
            sources = self.__dict__.get("_sources") or self.__dict__.get(
                "provides_sources"
            )
            indexables = self.__dict__.get("indexables")
            if sources and indexables is not None and name in sources:
                return indexables[tuple(sources).index(name)]
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )

    def __setstate__(self, state):
        self.__dict__.update(state)

    def get_data(self, state=None, request=None):
        if state is not None:
            raise ValueError(
                f"IndexableDataset keeps no state, but get_data got the state "
                f"{state!r}; pass state=None"
            )
        if request is None:
            raise ValueError(
                "IndexableDataset needs a request: give its DataStream an "
                "iteration scheme, e.g. SequentialScheme(dataset.num_examples, "
                "batch_size)"
            )
        request = check_indices(request, self.num_examples, type(self).__name__)
        run = consecutive_run(request)
        return tuple(
            index_within(indexable, request, run) for indexable in self.indexables
        )

"""Iteration schemes: the order and grouping in which examples are requested.

A scheme hands out a fresh request iterator each epoch. A request is either
one example index (``requests_examples`` is True), a list of example indices
(a batch), or a batch size (for streams, such as :class:`.Batch`, that
consume another stream in order). Request iterators pickle mid-epoch.

Examples
--------
>>> from fuel.schemes import SequentialScheme
>>> list(SequentialScheme(5, batch_size=2).get_request_iterator())
[[0, 1], [2, 3], [4]]

"""

import logging
import math
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable

import numpy

from fuel.config_parser import config
from fuel.utils import RangeBatches, chain, imap, iter_, partition_all, repeat

logger = logging.getLogger(__name__)


def _check_count(value, name, scheme, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)):
        raise TypeError(f"{scheme} expects {name} to be an integer, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        least = "zero or more" if allow_zero else "positive"
        raise ValueError(f"{scheme} expects a {least} {name}, got {value}")
    return int(value)


def _as_indices(examples, scheme):
    """Turn a number of examples or an iterable of indices into indices."""
    if isinstance(examples, Iterable):
        return examples
    return range(_check_count(examples, "number of examples", scheme, True))


def _default_rng(rng):
    if rng is None:
        return numpy.random.RandomState(config.default_seed)
    return rng


class IterationScheme(ABC):
    """The base of all iteration schemes.

    Subclasses implement :meth:`get_request_iterator` and say, through
    ``requests_examples``, whether a request names one example or a batch.

    """

    requests_examples = None

    @abstractmethod
    def get_request_iterator(self):
        """Return an iterator over the requests of one epoch."""


class BatchSizeScheme(IterationScheme):
    """A scheme whose requests are batch sizes rather than indices."""

    requests_examples = False


class BatchScheme(IterationScheme):
    """A scheme whose requests are lists of example indices.

    Parameters
    ----------
    examples : int or iterable of int
        The number of examples (the indices are then ``0 .. examples - 1``),
        or the indices themselves.
    batch_size : int
        The largest number of indices in a request; the last one of an epoch
        may be smaller.

    Attributes
    ----------
    indices : range or sequence of int
        The indices an epoch visits.
    batch_size : int
    num_examples : int
        ``len(indices)``.
    num_batches : int
        The number of requests in an epoch.

    """

    requests_examples = False

    def __init__(self, examples, batch_size):
        name = type(self).__name__
        self.indices = _as_indices(examples, name)
        self.batch_size = _check_count(batch_size, "batch_size", name)

    @property
    def num_examples(self):
        return len(self.indices)

    @property
    def num_batches(self):
        return math.ceil(len(self.indices) / self.batch_size)


class IndexScheme(IterationScheme):
    """A scheme whose requests are single example indices.

    Parameters
    ----------
    examples : int or iterable of int
        The number of examples, or the indices themselves.

    Attributes
    ----------
    indices : range or sequence of int
    num_examples : int
        ``len(indices)``, which is also the number of requests.

    """

    requests_examples = True

    def __init__(self, examples):
        self.indices = _as_indices(examples, type(self).__name__)

    @property
    def num_examples(self):
        return len(self.indices)


class ConstantScheme(BatchSizeScheme):
    """Request the same batch size again and again.

    Parameters
    ----------
    batch_size : int
        The batch size to request.
    num_examples : int, optional
        Stop once this many examples were requested; the last request asks for
        the remainder.
    times : int, optional
        Stop after this many requests. Cannot be combined with `num_examples`.
        Without either, the requests never end.

    Examples
    --------
    >>> list(ConstantScheme(3, num_examples=7).get_request_iterator())
    [3, 3, 1]

    """

    def __init__(self, batch_size, num_examples=None, times=None):
        name = type(self).__name__
        if num_examples is not None and times is not None:
            raise ValueError(f"{name} takes num_examples or times, not both")
        self.batch_size = _check_count(batch_size, "batch_size", name)
        if num_examples is not None:
            num_examples = _check_count(num_examples, "num_examples", name, True)
        if times is not None:
            times = _check_count(times, "times", name, True)
        self.num_examples = num_examples
        self.times = times

    @property
    def num_batches(self):
        """The number of requests in an epoch, or None if they never end."""
        if self.times is not None:
            return self.times
        if self.num_examples is not None:
            return math.ceil(self.num_examples / self.batch_size)
        return None

    def get_request_iterator(self):
        if self.times is not None:
            return repeat(self.batch_size, self.times)
        if self.num_examples is not None:
            full, rest = divmod(self.num_examples, self.batch_size)
            return chain(repeat(self.batch_size, full), iter_([rest] if rest else []))
        return repeat(self.batch_size)


class SequentialScheme(BatchScheme):
    """Request batches of consecutive indices, in order.

    Examples
    --------
    >>> list(SequentialScheme([4, 2, 7], batch_size=2).get_request_iterator())
    [[4, 2], [7]]

    """

    def get_request_iterator(self):
        if isinstance(self.indices, range):
            return RangeBatches(self.batch_size, self.indices)
        return imap(list, partition_all(self.batch_size, self.indices))


class ShuffledScheme(BatchScheme):
    """Request batches of indices in a new random order every epoch.

    Parameters
    ----------
    examples : int or iterable of int
        See :class:`BatchScheme`.
    batch_size : int
        See :class:`BatchScheme`.
    rng : numpy.random.RandomState, optional
        The source of the permutations. Defaults to a ``RandomState`` seeded
        with ``config.default_seed``. It pickles with the scheme, so a resumed
        run draws the same later epochs.
    sorted_indices : bool, optional
        Sort the indices within each batch (handy for datasets that read
        faster in order). False by default.

    """

    def __init__(self, examples, batch_size, rng=None, sorted_indices=False):
        super().__init__(examples, batch_size)
        self.rng = _default_rng(rng)
        self.sorted_indices = sorted_indices

    def get_request_iterator(self):
        indices = list(self.indices)
        self.rng.shuffle(indices)
        batches = partition_all(self.batch_size, indices)
        return imap(sorted if self.sorted_indices else list, batches)


class SequentialExampleScheme(IndexScheme):
    """Request examples one at a time, in order.

    Examples
    --------
    >>> list(SequentialExampleScheme(3).get_request_iterator())
    [0, 1, 2]

    """

    def get_request_iterator(self):
        return iter_(self.indices)


class ShuffledExampleScheme(IndexScheme):
    """Request examples one at a time, in a new random order every epoch.

    Parameters
    ----------
    examples : int or iterable of int
        See :class:`IndexScheme`.
    rng : numpy.random.RandomState, optional
        The source of the permutations; see :class:`ShuffledScheme`.

    """

    def __init__(self, examples, rng=None):
        super().__init__(examples)
        self.rng = _default_rng(rng)

    def get_request_iterator(self):
        indices = list(self.indices)
        self.rng.shuffle(indices)
        return iter_(indices)


class ConcatenatedScheme(IterationScheme):
    """Run several schemes one after the other as a single epoch.

    Parameters
    ----------
    schemes : sequence of IterationScheme
        The schemes. All must request examples, or all must request batches.

    """

    def __init__(self, schemes):
        schemes = list(schemes)
        if not schemes:
            raise ValueError("ConcatenatedScheme needs at least one scheme")
        kinds = {scheme.requests_examples for scheme in schemes}
        if len(kinds) != 1:
            raise ValueError(
                "ConcatenatedScheme cannot mix schemes that request examples "
                "with schemes that request batches: "
                + ", ".join(type(scheme).__name__ for scheme in schemes)
            )
        self.schemes = schemes

    @property
    def requests_examples(self):
        return self.schemes[0].requests_examples

    def get_request_iterator(self):
        return chain(*[scheme.get_request_iterator() for scheme in self.schemes])


# The launchers of Open MPI, MPICH/Intel MPI (Hydra) and PMIx name the
# rank and the number of processes of a job in the environment.
_RANK_VARIABLES = (
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
    ("PMI_RANK", "PMI_SIZE"),
    ("PMIX_RANK", "PMIX_SIZE"),
)


def launcher_rank_and_size():
    """This process's rank and the number of processes, from an MPI launcher.

    Returns
    -------
    tuple
        ``(rank, size)``; ``(0, 1)`` when no MPI launcher started the
        process.

    """
    for rank_name, size_name in _RANK_VARIABLES:
        rank = os.environ.get(rank_name, "").strip()
        size = os.environ.get(size_name, "").strip()
        if rank.isdigit() and size.isdigit():
            return int(rank), int(size)
    return 0, 1


class _ShardOfRequest:
    """Cuts a batch request into shards and keeps one of them.

    The rank and size are read when a request is cut, so that a request
    iterator pickled by one worker resumes with the shard of the worker
    that loads it.

    """

    def __init__(self, rank, size):
        self.rank = rank
        self.size = size

    def __call__(self, request):
        rank, size = self.rank, self.size
        if rank is None or size is None:
            rank, size = launcher_rank_and_size()
        if isinstance(request, slice):
            request = range(*request.indices(request.stop))
        if isinstance(request, (int, numpy.integer)):
            raise TypeError(
                f"ShardedScheme cuts requests that list example indices, but "
                f"its scheme requested a batch size ({request}); shard a "
                f"scheme such as SequentialScheme or ShuffledScheme"
            )
        request = list(request)
        # Contiguous shards whose sizes differ by at most one, the larger
        # ones first, as numpy.array_split cuts.
        base, larger = divmod(len(request), size)
        start = rank * base + min(rank, larger)
        stop = start + base + (1 if rank < larger else 0)
        return request[start:stop]


class ShardedScheme(IterationScheme):
    """Each process of a data-parallel run reads its own shard of every batch.

    Every batch request of the wrapped scheme is cut into `size` contiguous
    shards, whose sizes differ by at most one; the process of rank `rank`
    gets shard `rank`. The streams and transformers built on the scheme
    keep working, and the processes see the batches in the same order,
    since the wrapped schemes of all processes make the same requests
    (give shuffled schemes the same seed on every process).

    Parameters
    ----------
    scheme : :class:`BatchScheme`
        A scheme whose requests are lists of example indices.
    rank : int, optional
        The shard to keep. By default, this process's rank in the MPI job
        (``mpirun``) that started it, read at every request, so that a
        pickled stream resumes with the shard of whoever loads it; 0
        without an MPI launcher.
    size : int, optional
        The number of shards; by default the number of processes of the
        MPI job, 1 without one.

    Notes
    -----
    Without an MPI launcher and with the defaults, the requests are those
    of the wrapped scheme. A batch with fewer examples than processes
    leaves some shards empty.

    """

    requests_examples = False

    def __init__(self, scheme, rank=None, size=None):
        if getattr(scheme, "requests_examples", None) is not False:
            raise ValueError(
                f"ShardedScheme cuts batch requests, but "
                f"{type(scheme).__name__} requests single examples; wrap a "
                f"batch scheme such as SequentialScheme or ShuffledScheme"
            )
        if (rank is None) != (size is None):
            raise ValueError(
                f"ShardedScheme needs both rank and size, or neither, got "
                f"rank={rank!r} and size={size!r}"
            )
        if size is not None:
            size = _check_count(size, "size", "ShardedScheme")
            rank = _check_count(rank, "rank", "ShardedScheme", allow_zero=True)
            if rank >= size:
                raise ValueError(
                    f"ShardedScheme: rank {rank} is not below the number of "
                    f"shards {size}"
                )
        self.scheme = scheme
        self.rank = rank
        self.size = size

    def __getattr__(self, name):
        # num_examples, num_batches, batch_size, indices: those of the
        # whole batches, for progress bars and checks.
        if name in ("num_examples", "num_batches", "batch_size", "indices"):
            return getattr(self.scheme, name)
        raise AttributeError(f"ShardedScheme has no attribute {name!r}")

    def get_request_iterator(self):
        return imap(
            _ShardOfRequest(self.rank, self.size), self.scheme.get_request_iterator()
        )


def cross_validation(scheme_class, num_examples, num_folds, strict=True, **kwargs):
    """Yield the training and validation schemes of each fold.

    Fold ``i`` of ``k`` validates on the examples ``n*i//k`` to
    ``n*(i+1)//k - 1`` and trains on all the others.

    Parameters
    ----------
    scheme_class : type
        The scheme to build, such as :class:`SequentialScheme`; it gets the
        fold's indices as its first argument.
    num_examples : int
        The number of examples n.
    num_folds : int
        The number of folds k.
    strict : bool, optional
        If True (the default), n must be a multiple of k.
    **kwargs
        Passed to `scheme_class` (``batch_size=...``).

    Yields
    ------
    tuple
        ``(train_scheme, valid_scheme)``; with ``strict=False``, also the
        size of the validation fold.

    Raises
    ------
    ValueError
        With `strict`, if `num_examples` is not a multiple of `num_folds`
        (when the generator is first advanced).

    Examples
    --------
    >>> folds = cross_validation(SequentialExampleScheme, 4, 2)
    >>> [(list(t.get_request_iterator()), list(v.get_request_iterator()))
    ...  for t, v in folds]
    [([2, 3], [0, 1]), ([0, 1], [2, 3])]

    """
    if strict and num_examples % num_folds != 0:
        raise ValueError(
            f"cross_validation with strict=True needs num_examples to be a "
            f"multiple of num_folds, got {num_examples} examples in {num_folds} "
            f"folds; pass strict=False to allow folds of unequal size"
        )
    for i in range(num_folds):
        begin = num_examples * i // num_folds
        end = num_examples * (i + 1) // num_folds
        train = scheme_class(
            list(range(0, begin)) + list(range(end, num_examples)), **kwargs
        )
        valid = scheme_class(range(begin, end), **kwargs)
        if strict:
            yield (train, valid)
        else:
            yield (train, valid, end - begin)


def check_scheme_fits(scheme, num_examples, owner):
    """Check that a scheme asks for no example beyond `num_examples`.

    Parameters
    ----------
    scheme : IterationScheme
        The scheme; the parts of a :class:`ConcatenatedScheme` are checked
        one by one.
    num_examples : int
        How many examples the data have.
    owner : str
        The name of the dataset, for the message.

    Raises
    ------
    ValueError
        If an index of the scheme is ``num_examples`` or more, or the scheme
        asks for more than ``num_examples`` examples in all.

    """
    for part in getattr(scheme, "schemes", [scheme]):
        name = type(part).__name__
        indices = getattr(part, "indices", None)
        if indices is not None:
            if isinstance(indices, range):
                largest = max(indices, default=-1)
            else:
                largest = max((int(index) for index in indices), default=-1)
            if largest >= num_examples:
                raise ValueError(
                    f"the iteration scheme {name} asks for example {largest}, "
                    f"but {owner} has only {num_examples} examples; build the "
                    f"scheme from dataset.num_examples"
                )
            continue
        requested = getattr(part, "num_examples", None)
        if requested is not None and requested > num_examples:
            raise ValueError(
                f"the iteration scheme {name} asks for {requested} examples, "
                f"but {owner} has only {num_examples}"
            )

"""Helpers shared by Fuel's modules: picklable iterators, data files, indexing.

The package also holds :class:`Subset` (which examples of a container a
dataset uses), :func:`do_not_pickle_attributes` (attributes reloaded after
unpickling), and the submodules ``lock``, ``disk``, ``cache``, ``formats`` and
``parallel``.

Every iterator a data stream keeps between two batches must pickle, so that a
checkpoint taken mid-epoch resumes with the next batch. The iterator building
blocks below (``imap``, ``izip``, ``chain``, ``repeat``, ``iter_`` and
``partition_all``) all do. They come from picklable_itertools, or from small
classes here where that package cannot be imported.

"""

import contextlib
import itertools
import logging
import os
import threading

import numpy

from fuel.config_parser import ConfigurationError, config
from fuel.utils.lazy import do_not_pickle_attributes, lazy_property_factory
from fuel.utils.subset import Subset, iterable_fancy_indexing

logger = logging.getLogger(__name__)


class _PartitionAll:
    """Picklable iterator over successive tuples of `n` items of an iterable."""

    def __init__(self, n, iterable):
        self.n = n
        self.iterator = iter(iterable)

    def __iter__(self):
        return self

    def __next__(self):
        part = tuple(itertools.islice(self.iterator, self.n))
        if not part:
            raise StopIteration
        return part


class IndexRun(list):
    """A list of consecutive example indices that knows it is one.

    A plain list in every use (a scheme's request, as in Fuel), with its
    indices also as the slice ``run``, so that a dataset reads the examples
    as one block without first checking the list index by index. Changing
    the list in place drops ``run`` (None): it is then read item by item.

    Parameters
    ----------
    run : range
        Two or more consecutive non-negative indices (step 1).

    """

    def __init__(self, run):
        super().__init__(run)
        self.run = slice(run.start, run.stop)


def _forgetting_run(name):
    """List method ``name`` for IndexRun: it drops the run, then changes the list."""
    method = getattr(list, name)

    def changed(self, *args):
        self.run = None
        return method(self, *args)

    changed.__name__ = name
    return changed


for _name in (
    "__setitem__ __delitem__ __iadd__ __imul__ append extend insert pop "
    "remove clear sort reverse"
).split():
    setattr(IndexRun, _name, _forgetting_run(_name))
del _name


class RangeBatches:
    """Picklable iterator over the lists of successive `n` items of a range.

    What ``imap(list, partition_all(n, indices))`` gives for a range, a few
    times faster: each list is made from a slice of the range in one go, not
    item by item (a sequential scheme makes one per batch).

    Parameters
    ----------
    n : int
        The length of the lists (the last may be shorter).
    indices : range
        The items.

    """

    def __init__(self, n, indices):
        self.n = n
        self.indices = indices
        self.position = 0

    def __iter__(self):
        return self

    def __next__(self):
        start = self.position
        if start >= len(self.indices):
            raise StopIteration
        self.position = start + self.n
        batch = self.indices[start : start + self.n]
        if batch.step == 1 and len(batch) > 1 and batch.start >= 0:
            return IndexRun(batch)
        return list(batch)


class _Chain:
    """Picklable iterator over several iterables, one after the other."""

    def __init__(self, *iterables):
        self.iterators = [iter(iterable) for iterable in iterables]

    def __iter__(self):
        return self

    def __next__(self):
        while self.iterators:
            try:
                return next(self.iterators[0])
            except StopIteration:
                self.iterators.pop(0)
        raise StopIteration


class _Repeat:
    """Picklable iterator yielding `value` `times` times, or forever."""

    def __init__(self, value, times=None):
        self.value = value
        self.times = times

    def __iter__(self):
        return self

    def __next__(self):
        if self.times is not None:
            if self.times <= 0:
                raise StopIteration
            self.times -= 1
        return self.value


try:
    from picklable_itertools import chain, imap, iter_, izip, repeat
    from picklable_itertools.extras import partition_all
except ImportError:
    # picklable_itertools imports pkg_resources when it loads, and setuptools
    # 81 removed pkg_resources. Builtin map, zip and sequence iterators pickle;
    # itertools objects stop pickling in Python 3.14, hence the classes above.
    logger.debug("picklable_itertools unavailable; using fuel's own iterators")
    imap, izip, iter_ = map, zip, iter
    chain, repeat, partition_all = _Chain, _Repeat, _PartitionAll


def data_path():
    """Return the directories of Fuel's data path, or an empty list if unset."""
    try:
        return config.data_path
    except ConfigurationError:
        return []


def find_files(filenames, subdirectories=("",), what="data file"):
    """Find the first of several file names in Fuel's data path.

    Each directory of ``config.data_path`` is searched in order; within it each
    subdirectory, and within that each name of `filenames`.

    Parameters
    ----------
    filenames : sequence of str
        The acceptable names of the file, best first (say the raw file and its
        gzipped copy).
    subdirectories : sequence of str, optional
        Subdirectories of each data directory to look in; ``""`` is the data
        directory itself.
    what : str, optional
        What the file is, for the error message.

    Returns
    -------
    str
        The path of the first file found.

    Raises
    ------
    FileNotFoundError
        If none exists. The message names the file and every path tried.

    """
    candidates = [
        os.path.join(directory, subdirectory, filename)
        for directory in data_path()
        for subdirectory in subdirectories
        for filename in filenames
    ]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(missing_file_message(filenames[0], candidates, what))


def missing_file_message(filename, candidates, what="data file"):
    """Explain that `filename` was not found at any of `candidates`."""
    if not candidates:
        return (
            f"cannot find the {what} {filename!r}: Fuel's data path is not set. "
            f"Set $FUEL_DATA_PATH or data_path in ~/.fuelrc to the directory "
            f"that holds it."
        )
    looked = "\n  ".join(candidates)
    return (
        f"cannot find the {what} {filename!r}; looked for it at:\n  {looked}\n"
        f"Fuel's data path is {os.pathsep.join(data_path())!r} "
        f"(set by $FUEL_DATA_PATH or data_path in ~/.fuelrc)."
    )


def find_in_data_path(filename):
    """Return the path of `filename` in the first data directory that has it.

    Parameters
    ----------
    filename : str
        The file name, relative to a data directory.

    Raises
    ------
    FileNotFoundError
        If no data directory holds the file. The message lists every path
        tried.

    """
    return find_files([filename])


def check_indices(request, num_examples, owner):
    """Check that an index request stays within `num_examples` examples.

    Parameters
    ----------
    request : int, slice, list of int or ndarray of int
        The request.
    num_examples : int
        How many examples there are.
    owner : str
        The name of the dataset, for the message.

    Returns
    -------
    The request to index with: a list of indices as an array (so that the
    caller converts it once), anything else as it came.

    Raises
    ------
    IndexError
        If an index falls outside ``-num_examples .. num_examples - 1``.

    """
    if isinstance(request, slice):
        return request
    if type(request) is IndexRun and request.run is not None:
        if request.run.stop > num_examples:
            raise IndexError(
                f"{owner} was asked for example {request.run.stop - 1}, but it "
                f"has only {num_examples} examples (indices 0 to "
                f"{num_examples - 1})"
            )
        return request
    indices = numpy.asarray(request)
    if indices.size == 0:
        return request
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{owner} expects integer example indices, got {request!r}")
    run = _consecutive(indices)
    if run is not None:
        low, high = run.start, run.stop - 1
    else:
        low, high = int(indices.min()), int(indices.max())
    if low < -num_examples or high >= num_examples:
        bad = high if high >= num_examples else low
        raise IndexError(
            f"{owner} was asked for example {bad}, but it has only "
            f"{num_examples} examples (indices 0 to {num_examples - 1})"
        )
    return request if indices.ndim == 0 else indices


def _consecutive(indices):
    """``slice(first, last + 1)`` when `indices` (a vector) counts up by one
    from a non-negative index, else None."""
    count = indices.shape[0] if indices.ndim == 1 else 0
    if count < 2:
        return None
    first, last = int(indices[0]), int(indices[-1])
    if first < 0 or last - first != count - 1:
        return None
    # Strictly increasing integers spanning count - 1: each step is one.
    if count > 2 and not (indices[1:] > indices[:-1]).all():
        return None
    return slice(first, last + 1)


def consecutive_run(request):
    """``slice(first, last + 1)`` when the list or array of indices `request`
    counts up by one from a non-negative index, else None."""
    if type(request) is IndexRun and request.run is not None:
        return request.run
    if isinstance(request, (int, numpy.integer, slice)):
        return None
    return _consecutive(numpy.asarray(request, dtype=numpy.int64))


_borrowing = threading.local()


@contextlib.contextmanager
def borrowed_batches():
    """Within, requests for consecutive examples of in-memory arrays give views.

    An :class:`~fuel.datasets.IndexableDataset` answers a request for a run
    of consecutive examples with a copy, as Fuel does, so its batches are the
    caller's to keep and modify. A consumer that does neither (it reads each
    batch once and drops it, as a monitoring evaluator does) saves the copy
    inside this context: the batches are then read-only views of the
    dataset's arrays, so a write into one raises instead of changing the
    dataset. Other requests still copy. The setting is per thread.
    """
    previous = getattr(_borrowing, "on", False)
    _borrowing.on = True
    try:
        yield
    finally:
        _borrowing.on = previous


def index_within(indexable, request, run=None):
    """Select the examples of `request` from `indexable`.

    Parameters
    ----------
    indexable : ndarray or sequence
        The data of one source.
    request : int, slice, list of int or ndarray of int
        One example index, a slice, or a list of indices.
    run : slice, optional
        ``consecutive_run(request)``, when the caller has it already (one
        request indexes every source of a dataset).

    Returns
    -------
    The selected example, or an array (or list, for a plain sequence) of
    examples in the order of `request`.

    """
    if isinstance(request, (int, numpy.integer, slice)):
        return indexable[request]
    if isinstance(indexable, numpy.ndarray):
        if run is None:
            run = consecutive_run(request)
        if run is not None:
            # A sequential scheme's batch: one block copy, not a gather.
            if not getattr(_borrowing, "on", False):
                return indexable[run].copy()
            view = indexable[run]
            view.flags.writeable = False
            return view
        return indexable[numpy.asarray(request, dtype=numpy.int64)]
    return [indexable[index] for index in request]


@contextlib.contextmanager
def remember_cwd():
    """Restore the working directory when the block ends."""
    cwd = os.getcwd()
    try:
        yield
    finally:
        os.chdir(cwd)


# Python 2's buffer, under the name upstream gave it.
buffer_ = memoryview

__all__ = [
    "IndexRun",
    "Subset",
    "borrowed_batches",
    "buffer_",
    "do_not_pickle_attributes",
    "find_in_data_path",
    "iterable_fancy_indexing",
    "lazy_property_factory",
    "remember_cwd",
]

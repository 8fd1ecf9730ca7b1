"""Index subsets and lazily loaded attributes, as H5PYDataset needs them.

:class:`Subset` describes which rows of a container (an HDF5 dataset, an
array) a dataset uses: a slice with step 1 or a sorted list without
duplicates. Requests made *within* the subset (row 0 is the subset's first
row) are translated into rows of the container.

:func:`do_not_pickle_attributes` makes attributes that :meth:`load` fills
(file handles, in-memory copies) lazy: they are left out of pickles and
rebuilt on first use after unpickling.

These are the semantics of Fuel 0.2's ``fuel.utils.Subset`` and
``fuel.utils.do_not_pickle_attributes``; they live here until ``fuel.utils``
exports them, so that only one copy remains.

"""

import logging
from collections.abc import Iterator

import numpy

logger = logging.getLogger(__name__)


def _is_list(list_or_slice):
    # Anything without a step (a list, an ndarray, an h5py dataset) is a list.
    return not hasattr(list_or_slice, "step")


def _is_int(value):
    return isinstance(value, (int, numpy.integer)) and not isinstance(value, bool)


class Subset:
    """A set of row indices within a container of known length.

    Parameters
    ----------
    list_or_slice : list of int or slice
        The rows. A list is sorted and freed of duplicates; a non-empty
        contiguous run of rows is stored as a slice.
    original_num_examples : int
        The length of the container.

    Raises
    ------
    ValueError
        If a row falls outside the container, or a slice has a negative
        part, a step other than 1, or a start beyond its stop.

    """

    def __init__(self, list_or_slice, original_num_examples):
        self.original_num_examples = original_num_examples
        self._check(list_or_slice)
        if _is_list(list_or_slice):
            list_or_slice = self._normalize(list_or_slice)
        self.list_or_slice = list_or_slice

    def _check(self, list_or_slice):
        n = self.original_num_examples
        if _is_list(list_or_slice):
            values = [int(i) for i in list_or_slice]
            if values and min(values) < 0:
                raise ValueError(f"Subset: negative row in {list(list_or_slice)!r}")
            if values and max(values) >= n:
                raise ValueError(
                    f"Subset: row {max(values)} is out of range for a "
                    f"container of {n} rows"
                )
            return
        start, stop, step = list_or_slice.start, list_or_slice.stop, list_or_slice.step
        if any(part is not None and part < 0 for part in (start, stop, step)):
            raise ValueError(
                f"Subset: slices may not have negative parts, got {list_or_slice!r}"
            )
        if step not in (None, 1):
            raise ValueError(f"Subset: slices must have step 1, got {list_or_slice!r}")
        if stop is not None and stop > n:
            raise ValueError(
                f"Subset: {list_or_slice!r} stops past the container's {n} rows"
            )
        if start is not None and start >= n and n > 0:
            raise ValueError(
                f"Subset: {list_or_slice!r} starts past the container's {n} rows"
            )
        if start is not None and stop is not None and start > stop:
            raise ValueError(f"Subset: {list_or_slice!r} starts after it stops")

    @staticmethod
    def _normalize(rows):
        rows = sorted({int(i) for i in rows})
        if rows and rows[-1] - rows[0] + 1 == len(rows):
            return slice(rows[0], rows[-1] + 1, None)
        return rows

    @property
    def is_list(self):
        """Whether the rows are held as a list rather than a slice."""
        return _is_list(self.list_or_slice)

    @property
    def num_examples(self):
        """The number of rows in the subset."""
        if self.is_list:
            return len(self.list_or_slice)
        start, stop, _ = self.slice_to_numerical_args(
            self.list_or_slice, self.original_num_examples
        )
        return stop - start

    @property
    def is_empty(self):
        """Whether the subset holds no row."""
        return self.num_examples == 0

    @classmethod
    def empty_subset(cls, num_examples):
        """Return an empty subset of a container of `num_examples` rows."""
        return cls([], num_examples)

    @classmethod
    def subset_of(cls, subset, list_or_slice):
        """Return the rows `list_or_slice` of `subset`, as a new subset."""
        return cls(subset[list_or_slice], subset.original_num_examples)

    @staticmethod
    def slice_to_numerical_args(slice_, num_examples):
        """Return ``(start, stop, step)`` of `slice_` with the Nones filled in."""
        start = 0 if slice_.start is None else slice_.start
        stop = num_examples if slice_.stop is None else slice_.stop
        step = 1 if slice_.step is None else slice_.step
        return start, stop, step

    def get_list_representation(self):
        """Return the rows as a list."""
        if self.is_list:
            return list(self.list_or_slice)
        return list(
            range(
                *self.slice_to_numerical_args(
                    self.list_or_slice, self.original_num_examples
                )
            )
        )

    def _check_request(self, key):
        n = self.num_examples
        if _is_list(key):
            key = [int(k) for k in key]
            if not key:
                raise ValueError("Subset: the request is an empty list")
            if min(key) < 0 or max(key) >= n:
                raise ValueError(
                    f"Subset: request {key!r} is out of range for a subset of "
                    f"{n} examples"
                )
            return key
        if any(p is not None and p < 0 for p in (key.start, key.stop, key.step)):
            raise ValueError(f"Subset: request {key!r} has a negative part")
        if key.stop is not None and key.stop > n:
            raise ValueError(
                f"Subset: request {key!r} stops past the subset's {n} examples"
            )
        if key.start is not None and key.start >= n:
            raise ValueError(
                f"Subset: request {key!r} starts past the subset's {n} examples"
            )
        start, stop, _ = self.slice_to_numerical_args(key, n)
        if start >= stop:
            raise ValueError(f"Subset: request {key!r} selects nothing")
        return key

    def __getitem__(self, key):
        """Translate rows within the subset into rows of the container."""
        if not _is_list(key) and key == slice(None):
            return self.list_or_slice
        key = self._check_request(key)
        if self.is_list:
            if _is_list(key):
                return [self.list_or_slice[k] for k in key]
            return self.list_or_slice[key]
        start, _, step = self.slice_to_numerical_args(
            self.list_or_slice, self.original_num_examples
        )
        if _is_list(key):
            return [start + k * step for k in key]
        k_start, k_stop, k_step = self.slice_to_numerical_args(key, self.num_examples)
        return slice(start + step * k_start, start + step * k_stop, step * k_step)

    def __add__(self, other):
        """Return the union of two subsets of the same container."""
        if self.original_num_examples != other.original_num_examples:
            raise ValueError(
                f"Subset: cannot join subsets of containers of "
                f"{self.original_num_examples} and {other.original_num_examples} "
                f"rows"
            )
        if self.is_empty:
            return other
        if other.is_empty:
            return self
        if self.is_list or other.is_list:
            rows = self.get_list_representation() + other.get_list_representation()
            return Subset(rows, self.original_num_examples)
        n = self.original_num_examples
        a_start, a_stop, _ = self.slice_to_numerical_args(self.list_or_slice, n)
        b_start, b_stop, _ = self.slice_to_numerical_args(other.list_or_slice, n)
        if a_start <= b_stop and b_start <= a_stop:
            return Subset(slice(min(a_start, b_start), max(a_stop, b_stop)), n)
        rows = self.get_list_representation() + other.get_list_representation()
        return Subset(rows, n)

    def index_within_subset(self, indexable, subset_request, sort_indices=False):
        """Read the rows `subset_request` (within the subset) from `indexable`.

        Parameters
        ----------
        indexable : ndarray, h5py.Dataset or sequence
            The container.
        subset_request : int, slice or list of int
            Rows within the subset; an int gives one example with no batch
            axis.
        sort_indices : bool, optional
            Read a list of rows in increasing order and put the result back
            in request order (h5py accepts only increasing lists).

        """
        if _is_int(subset_request):
            return indexable[self[[int(subset_request)]][0]]
        request = self[subset_request]
        if _is_int(request) or not _is_list(request):
            return indexable[request]
        if sort_indices:
            return self.sorted_fancy_indexing(indexable, request)
        if isinstance(indexable, numpy.ndarray) or _is_h5py_dataset(indexable):
            return indexable[request]
        return [indexable[r] for r in request]

    @staticmethod
    def sorted_fancy_indexing(indexable, request):
        """Read the rows `request` in sorted order; return them in request order."""
        if len(request) <= 1:
            return indexable[request]
        order = numpy.argsort(request)
        sorted_request = [request[i] for i in order]
        rows = indexable[sorted_request]
        result = numpy.empty((len(request), *rows.shape[1:]), dtype=rows.dtype)
        result[order] = rows
        return result

    def __repr__(self):
        return f"Subset({self.list_or_slice!r}, {self.original_num_examples})"

    def __eq__(self, other):
        if not isinstance(other, Subset):
            return NotImplemented
        return (
            self.list_or_slice == other.list_or_slice
            and self.original_num_examples == other.original_num_examples
        )

    __hash__ = None


def _is_h5py_dataset(value):
    try:
        import h5py
    except ImportError:
        return False
    return isinstance(value, h5py.Dataset)


def lazy_property_factory(name):
    """Return a getter and a setter for a lazy attribute `name`.

    The getter calls ``self.load()`` when ``self._<name>`` is missing.

    """
    private = "_" + name

    def getter(self):
        if private not in self.__dict__:
            self.load()
            if private not in self.__dict__:
                raise ValueError(f"{type(self).__name__}.{name} wasn't loaded")
        return self.__dict__[private]

    def setter(self, value):
        self.__dict__[private] = value

    return getter, setter


def do_not_pickle_attributes(*names):
    """Class decorator: leave the attributes `names` out of pickles.

    Each becomes a lazy property filled by the class's ``load()`` method on
    first access, so an unpickled object reloads them (a file handle, an
    in-memory copy of the data).

    Raises
    ------
    ValueError
        If the class has no ``load`` method.

    """

    def decorate(cls):
        if not hasattr(cls, "load"):
            raise ValueError(
                f"do_not_pickle_attributes: {cls.__name__} needs a load() method"
            )
        for name in names:
            setattr(cls, name, property(*lazy_property_factory(name)))
        # Python 3.11 gave every object a __getstate__, so test the class's
        # own dictionary rather than hasattr.
        if "__getstate__" not in cls.__dict__:

            def __getstate__(self):
                state = dict(self.__dict__)
                for name in names:
                    value = state.pop("_" + name, None)
                    if isinstance(value, Iterator):
                        raise ValueError(
                            f"{type(self).__name__}.{name} is an iterator; "
                            f"its position would be lost in a pickle"
                        )
                return state

            cls.__getstate__ = __getstate__
        return cls

    return decorate

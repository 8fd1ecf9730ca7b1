"""Subset: a set of example indices within a container, as a slice or a list."""

import logging
import sys

import numpy

logger = logging.getLogger(__name__)


def _is_list(list_or_slice):
    # Anything without a step (a list, an ndarray, an h5py dataset) counts
    # as an index list, as in Fuel.
    return not hasattr(list_or_slice, "step")


def iterable_fancy_indexing(iterable, request):
    """Pick the items of `request` (a list of indices) from `iterable`.

    An ndarray is fancy-indexed; any other sequence gives a Python list.

    """
    if isinstance(iterable, numpy.ndarray):
        return iterable[request]
    return [iterable[r] for r in request]


class Subset:
    """The examples of a container that a dataset uses, as a slice or a list.

    Parameters
    ----------
    list_or_slice : slice or list of int
        The indices, in the container. A slice must have a step of 1 (or
        None). A list is sorted and deduplicated; a contiguous run becomes a
        slice.
    original_num_examples : int
        The number of examples in the container.

    Raises
    ------
    ValueError
        If an index falls outside the container, or the slice has negative
        parts, a step other than 1, or a start past its stop.

    Examples
    --------
    >>> subset = Subset([4, 2, 3], 10)
    >>> subset.list_or_slice
    slice(2, 5, None)
    >>> subset[[0, 2]]
    [2, 4]

    """

    def __init__(self, list_or_slice, original_num_examples):
        self.original_num_examples = original_num_examples
        self._check_own(list_or_slice)
        if _is_list(list_or_slice):
            list_or_slice = self._normalize_list(list_or_slice)
        self.list_or_slice = list_or_slice

    def _check_own(self, list_or_slice):
        n = self.original_num_examples
        if _is_list(list_or_slice):
            values = [int(i) for i in list_or_slice]
            if values and min(values) < 0:
                raise ValueError(
                    f"Subset got the negative index {min(values)}; indices "
                    f"must lie in 0 .. {n - 1}"
                )
            if values and max(values) >= n:
                raise ValueError(
                    f"Subset got the index {max(values)}, but the container "
                    f"has only {n} examples"
                )
            return
        start, stop, step = (
            list_or_slice.start,
            list_or_slice.stop,
            list_or_slice.step,
        )
        for name, part in (("start", start), ("stop", stop), ("step", step)):
            if part is not None and part < 0:
                raise ValueError(
                    f"Subset got the slice {list_or_slice} with a negative {name}"
                )
        if step not in (None, 1):
            raise ValueError(
                f"Subset slices must have a step of 1, got {list_or_slice}; "
                f"use an index list for strided subsets"
            )
        if stop is not None and stop > n:
            raise ValueError(
                f"Subset got the slice {list_or_slice}, which stops past the "
                f"container's {n} examples"
            )
        if start is not None and start >= n:
            raise ValueError(
                f"Subset got the slice {list_or_slice}, which starts past the "
                f"container's {n} examples"
            )
        if start is not None and stop is not None and start > stop:
            raise ValueError(
                f"Subset got the slice {list_or_slice}, whose start is past its stop"
            )

    @staticmethod
    def _normalize_list(indices):
        indices = sorted({int(i) for i in indices})
        if indices and indices[-1] - indices[0] + 1 == len(indices):
            return slice(indices[0], indices[-1] + 1, None)
        return indices

    @property
    def is_list(self):
        """Whether the subset is held as an index list rather than a slice."""
        return _is_list(self.list_or_slice)

    @property
    def num_examples(self):
        """The number of examples in the subset."""
        if self.is_list:
            return len(self.list_or_slice)
        start, stop, step = self.slice_to_numerical_args(
            self.list_or_slice, self.original_num_examples
        )
        return len(range(start, stop, step))

    @property
    def is_empty(self):
        return self.num_examples == 0

    @classmethod
    def subset_of(cls, subset, list_or_slice):
        """A subset of `subset`, given by indices relative to `subset`."""
        return cls(subset[list_or_slice], subset.original_num_examples)

    @classmethod
    def empty_subset(cls, original_num_examples):
        """The subset holding no example."""
        return cls([], original_num_examples)

    @staticmethod
    def slice_to_numerical_args(slice_, num_examples):
        """Return ``(start, stop, step)`` of `slice_`, with None resolved."""
        start = slice_.start if slice_.start is not None else 0
        stop = slice_.stop if slice_.stop is not None else num_examples
        step = slice_.step if slice_.step is not None else 1
        return start, stop, step

    def get_list_representation(self):
        """The indices of the subset as a list."""
        if self.is_list:
            return list(self.list_or_slice)
        return list(
            range(
                *self.slice_to_numerical_args(
                    self.list_or_slice, self.original_num_examples
                )
            )
        )

    def __add__(self, other):
        if self.original_num_examples != other.original_num_examples:
            raise ValueError(
                f"cannot join subsets of containers of different sizes "
                f"({self.original_num_examples} and {other.original_num_examples})"
            )
        if self.is_empty:
            return other
        if not self.is_list and not other.is_list and not other.is_empty:
            n = self.original_num_examples
            a_start, a_stop, _ = self.slice_to_numerical_args(self.list_or_slice, n)
            b_start, b_stop, _ = self.slice_to_numerical_args(other.list_or_slice, n)
            if a_start <= b_stop and b_start <= a_stop:
                return Subset(
                    slice(min(a_start, b_start), max(a_stop, b_stop)),
                    self.original_num_examples,
                )
        return Subset(
            self.get_list_representation() + other.get_list_representation(),
            self.original_num_examples,
        )

    def _check_request(self, key):
        n = self.num_examples
        if _is_list(key):
            values = [int(k) for k in key]
            if not values:
                raise ValueError("a request for no example at all is not allowed")
            if min(values) < 0:
                raise ValueError(f"the request {key} holds a negative index")
            if max(values) >= n:
                raise ValueError(
                    f"the request {key} asks for example {max(values)}, but "
                    f"there are only {n} examples"
                )
            return
        for name in ("start", "stop", "step"):
            part = getattr(key, name)
            if part is not None and part < 0:
                raise ValueError(f"the request {key} has a negative {name}")
        if key.stop is not None and key.stop > n:
            raise ValueError(f"the request {key} stops past the {n} examples there are")
        if key.start is not None and key.start >= n:
            raise ValueError(
                f"the request {key} starts past the {n} examples there are"
            )
        if key.start is not None and key.stop is not None and key.start >= key.stop:
            raise ValueError(f"the request {key} asks for no example")

    def __getitem__(self, key):
        """Turn a request relative to the subset into container indices."""
        self._check_request(key)
        if not _is_list(key) and key == slice(None):
            return self.list_or_slice
        if self.is_list:
            if _is_list(key):
                return [self.list_or_slice[int(k)] for k in key]
            return self.list_or_slice[key]
        start, _, step = self.slice_to_numerical_args(
            self.list_or_slice, self.original_num_examples
        )
        if _is_list(key):
            return [start + int(k) * step for k in key]
        k_start, k_stop, k_step = self.slice_to_numerical_args(key, self.num_examples)
        return slice(start + step * k_start, start + step * k_stop, step * k_step)

    def index_within_subset(self, indexable, subset_request, sort_indices=False):
        """Read the examples of `subset_request` (relative to the subset).

        Parameters
        ----------
        indexable : ndarray, h5py.Dataset or sequence
            The container.
        subset_request : int, slice or list of int
            An int gives one example with no batch axis; a slice or list gives
            a batch.
        sort_indices : bool, optional
            Read a list in increasing order and put the results back in the
            order asked for (h5py only reads increasing index lists).

        """
        if isinstance(subset_request, (int, numpy.integer)):
            return indexable[self[[int(subset_request)]][0]]
        request = self[subset_request]
        if isinstance(request, (int, numpy.integer, slice)):
            return indexable[request]
        if sort_indices:
            return self.sorted_fancy_indexing(indexable, request)
        if isinstance(indexable, numpy.ndarray) or _is_h5py_dataset(indexable):
            return indexable[request]
        return iterable_fancy_indexing(indexable, request)

    @staticmethod
    def sorted_fancy_indexing(indexable, request):
        """Read `request` in increasing order, returned in request order."""
        if len(request) <= 1:
            return indexable[request]
        order = numpy.argsort(request)
        sorted_request = [request[i] for i in order]
        data = numpy.empty(
            (len(request),) + tuple(indexable.shape[1:]), dtype=indexable.dtype
        )
        data[order] = indexable[sorted_request]
        return data

    def __eq__(self, other):
        if not isinstance(other, Subset):
            return NotImplemented
        return (
            self.original_num_examples == other.original_num_examples
            and self.get_list_representation() == other.get_list_representation()
        )

    def __hash__(self):
        return hash((self.original_num_examples, tuple(self.get_list_representation())))

    def __repr__(self):
        return f"Subset({self.list_or_slice!r}, {self.original_num_examples})"


def _is_h5py_dataset(indexable):
    # h5py is optional: only a module already imported can have made one.
    h5py = sys.modules.get("h5py")
    return h5py is not None and isinstance(indexable, h5py.Dataset)

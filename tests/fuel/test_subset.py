import pickle

import numpy
import pytest

from fuel.utils import Subset, do_not_pickle_attributes


def test_lists_are_sorted_and_contiguous_runs_become_slices():
    assert Subset([4, 2, 2, 3], 10).list_or_slice == slice(2, 5, None)
    assert Subset([7, 1, 3], 10).list_or_slice == [1, 3, 7]
    assert Subset([], 10).is_empty


@pytest.mark.parametrize(
    "rows",
    [
        [-1, 2],
        [3, 10],
        slice(-1, 4),
        slice(0, 11),
        slice(10, None),
        slice(5, 2),
        slice(0, 4, 2),
    ],
)
def test_rows_outside_the_container_are_refused(rows):
    with pytest.raises(ValueError, match="Subset"):
        Subset(rows, 10)


def test_num_examples():
    assert Subset(slice(None, 4), 10).num_examples == 4
    assert Subset(slice(3, None), 10).num_examples == 7
    assert Subset([1, 5, 9], 10).num_examples == 3


def test_requests_translate_to_container_rows():
    rows = Subset([1, 5, 9, 12], 20)
    assert rows[[2, 0]] == [9, 1]
    assert rows[slice(1, 3)] == [5, 9]
    assert rows[slice(None)] == [1, 5, 9, 12]
    span = Subset(slice(4, 10), 20)
    assert span[[0, 5]] == [4, 9]
    assert span[slice(1, 6, 2)] == slice(5, 10, 2)


@pytest.mark.parametrize(
    "request_", [[], [-1], [6], slice(-1, 2), slice(0, 7), slice(6, None), slice(3, 3)]
)
def test_requests_outside_the_subset_are_refused(request_):
    with pytest.raises(ValueError, match="request"):
        Subset(slice(4, 10), 20)[request_]


def test_union_in_container_order():
    assert (Subset(slice(0, 3), 10) + Subset(slice(3, 6), 10)).list_or_slice == slice(
        0, 6
    )
    assert (Subset(slice(5, 7), 10) + Subset(slice(0, 2), 10)).list_or_slice == [
        0,
        1,
        5,
        6,
    ]
    assert (Subset([8, 2], 10) + Subset(slice(3, 5), 10)).list_or_slice == [2, 3, 4, 8]
    assert (Subset.empty_subset(10) + Subset([1, 3], 10)).list_or_slice == [1, 3]
    with pytest.raises(ValueError, match=r"different sizes \(10 and 11\)"):
        Subset([1], 10) + Subset([1], 11)


def test_subset_of_a_subset():
    inner = Subset.subset_of(Subset([2, 4, 6, 8], 10), [3, 0])
    assert inner.list_or_slice == [2, 8]


def test_index_within_subset():
    data = numpy.arange(10) * 10
    rows = Subset([1, 5, 9], 10)
    assert rows.index_within_subset(data, 1) == 50
    numpy.testing.assert_array_equal(rows.index_within_subset(data, [2, 0]), [90, 10])
    numpy.testing.assert_array_equal(
        rows.index_within_subset(data, [2, 0], sort_indices=True), [90, 10]
    )
    assert Subset(slice(2, 5), 10).index_within_subset(list(data), [1, 0]) == [30, 20]


@do_not_pickle_attributes("cache")
class Loader:
    loads = 0

    def __init__(self, size):
        self.size = size

    def load(self):
        type(self).loads += 1
        self.cache = numpy.zeros(self.size)


def test_lazy_attributes_are_not_pickled_and_reload():
    loader = Loader(1000)
    assert loader.cache.shape == (1000,)
    dumped = pickle.dumps(loader)
    assert len(dumped) < 500
    copy = pickle.loads(dumped)
    before = Loader.loads
    assert copy.cache.shape == (1000,)
    assert Loader.loads == before + 1


def test_lazy_iterators_are_refused_in_pickles():
    loader = Loader(3)
    loader.cache = iter([1, 2])
    with pytest.raises(ValueError, match="iterator"):
        pickle.dumps(loader)


def test_a_class_without_load_is_refused():
    with pytest.raises(ValueError, match="load"):
        do_not_pickle_attributes("x")(type("NoLoad", (), {}))

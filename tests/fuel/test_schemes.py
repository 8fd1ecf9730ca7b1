import pickle

import numpy
import pytest

from fuel.schemes import (
    BatchScheme,
    ConcatenatedScheme,
    ConstantScheme,
    IterationScheme,
    SequentialExampleScheme,
    SequentialScheme,
    ShuffledExampleScheme,
    ShuffledScheme,
    check_scheme_fits,
    cross_validation,
)
from fuel.utils import IndexRun, consecutive_run


def test_sequential_scheme_batches_in_order():
    scheme = SequentialScheme(7, batch_size=3)
    assert list(scheme.get_request_iterator()) == [[0, 1, 2], [3, 4, 5], [6]]
    assert not scheme.requests_examples
    assert (scheme.num_examples, scheme.batch_size, scheme.num_batches) == (7, 3, 3)
    assert len(scheme.indices) == 7


@pytest.mark.parametrize(
    "indices", [range(7), range(3, 40, 4), range(0), range(5, 0, -1), range(2)]
)
@pytest.mark.parametrize("batch_size", [1, 3, 10])
def test_sequential_scheme_over_a_range_batches_as_over_a_list(indices, batch_size):
    # A range's requests are built from slices of it: the same lists as
    # for the same indices in a list, and they pickle mid-epoch.
    want = list(SequentialScheme(list(indices), batch_size).get_request_iterator())
    iterator = SequentialScheme(indices, batch_size).get_request_iterator()
    assert all(type(request) is list for request in want)
    first = next(iterator, None)
    copy = pickle.loads(pickle.dumps(iterator))
    rest = list(iterator)
    assert ([first] if first is not None else []) + rest == want
    assert list(copy) == rest
    # Lists; two or more consecutive indices also say so (an IndexRun).
    for request in rest:
        assert isinstance(request, list)
        run = consecutive_run(list(request))
        if run is None:
            assert type(request) is list
        else:
            assert type(request) is IndexRun and request.run == run


def test_sequential_scheme_takes_explicit_indices():
    scheme = SequentialScheme([5, 1, 3], 2)
    assert list(scheme.get_request_iterator()) == [[5, 1], [3]]


def test_shuffled_scheme_is_a_permutation_that_changes_each_epoch():
    scheme = ShuffledScheme(10, 4, rng=numpy.random.RandomState(1))
    first = list(scheme.get_request_iterator())
    second = list(scheme.get_request_iterator())
    assert [len(batch) for batch in first] == [4, 4, 2]
    assert sorted(index for batch in first for index in batch) == list(range(10))
    assert first != second


def test_shuffled_scheme_is_reproducible_from_the_seed():
    def draw():
        scheme = ShuffledScheme(10, 4, rng=numpy.random.RandomState(3))
        return list(scheme.get_request_iterator())

    assert draw() == draw()
    assert list(ShuffledScheme(10, 4).get_request_iterator()) == list(
        ShuffledScheme(10, 4).get_request_iterator()
    )


def test_shuffled_scheme_can_sort_within_batches():
    scheme = ShuffledScheme(9, 3, rng=numpy.random.RandomState(0), sorted_indices=True)
    for batch in scheme.get_request_iterator():
        assert batch == sorted(batch)


def test_example_schemes():
    assert list(SequentialExampleScheme(3).get_request_iterator()) == [0, 1, 2]
    scheme = ShuffledExampleScheme(5, rng=numpy.random.RandomState(2))
    assert scheme.requests_examples
    assert scheme.num_examples == 5
    assert not hasattr(scheme, "batch_size")
    assert sorted(scheme.get_request_iterator()) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"num_examples": 7}, [3, 3, 1]),
        ({"num_examples": 6}, [3, 3]),
        ({"times": 2}, [3, 3]),
    ],
)
def test_constant_scheme(kwargs, expected):
    scheme = ConstantScheme(3, **kwargs)
    assert list(scheme.get_request_iterator()) == expected
    assert scheme.num_batches == len(expected)
    assert scheme.batch_size == 3


def test_constant_scheme_without_limit_never_ends():
    scheme = ConstantScheme(2)
    iterator = scheme.get_request_iterator()
    assert [next(iterator) for _ in range(100)] == [2] * 100
    assert scheme.num_examples is None
    assert scheme.num_batches is None


def test_constant_scheme_rejects_both_limits():
    with pytest.raises(ValueError, match="not both"):
        ConstantScheme(2, num_examples=4, times=2)


def test_concatenated_scheme_chains_epochs():
    scheme = ConcatenatedScheme([SequentialScheme(3, 2), SequentialScheme([7, 8], 5)])
    assert list(scheme.get_request_iterator()) == [[0, 1], [2], [7, 8]]
    assert scheme.requests_examples is False


def test_concatenated_scheme_rejects_mixed_request_kinds():
    with pytest.raises(ValueError, match="cannot mix"):
        ConcatenatedScheme([SequentialScheme(3, 2), SequentialExampleScheme(3)])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SequentialScheme(10, 0), "positive batch_size"),
        (lambda: SequentialScheme(10, 2.5), "integer"),
        (lambda: SequentialScheme(-1, 2), "number of examples"),
        (lambda: ConstantScheme(True), "integer"),
    ],
)
def test_bad_scheme_arguments_are_named(make, message):
    with pytest.raises((TypeError, ValueError), match=message):
        make()


def test_request_iterators_pickle_mid_epoch():
    scheme = ShuffledScheme(20, 3, rng=numpy.random.RandomState(5))
    iterator = scheme.get_request_iterator()
    next(iterator)
    copy = pickle.loads(pickle.dumps(iterator))
    assert list(copy) == list(iterator)


def test_iteration_scheme_is_abstract():
    with pytest.raises(TypeError):
        IterationScheme()
    assert isinstance(SequentialScheme(2, 1), BatchScheme)


def test_check_scheme_fits():
    check_scheme_fits(SequentialScheme(5, 2), 5, "D")
    check_scheme_fits(ShuffledExampleScheme([4, 0]), 5, "D")
    check_scheme_fits(ConstantScheme(2, num_examples=5), 5, "D")
    with pytest.raises(ValueError, match=r"example 5, but D has only 5"):
        check_scheme_fits(SequentialScheme(6, 2), 5, "D")
    with pytest.raises(ValueError, match="asks for 6 examples"):
        check_scheme_fits(
            ConcatenatedScheme([ConstantScheme(2, 4), ConstantScheme(2, 6)]), 5, "D"
        )


def test_cross_validation_folds_cover_the_examples():
    folds = list(cross_validation(SequentialScheme, 6, 3, batch_size=2))
    assert len(folds) == 3
    for i, (train, valid) in enumerate(folds):
        valid_indices = list(valid.indices)
        assert valid_indices == [2 * i, 2 * i + 1]
        assert sorted(list(train.indices) + valid_indices) == list(range(6))
        assert valid.batch_size == 2
    assert list(folds[1][0].get_request_iterator()) == [[0, 1], [4, 5]]


def test_cross_validation_strictness():
    with pytest.raises(ValueError, match="multiple of num_folds"):
        next(cross_validation(SequentialExampleScheme, 7, 3))
    folds = list(cross_validation(SequentialExampleScheme, 7, 3, strict=False))
    assert [size for _, _, size in folds] == [2, 2, 3]
    assert list(folds[2][1].get_request_iterator()) == [4, 5, 6]
    assert list(folds[2][0].get_request_iterator()) == [0, 1, 2, 3]


def test_shuffled_schemes_shuffle_a_list_with_the_default_seed_as_fuel_does():
    # Fuel shuffles a Python list with a RandomState(default_seed): the same
    # seed gives the same orders as upstream.
    order = list(range(8))
    numpy.random.RandomState(1).shuffle(order)
    assert list(ShuffledScheme(8, 4).get_request_iterator()) == [order[:4], order[4:]]
    assert list(ShuffledExampleScheme(8).get_request_iterator()) == order

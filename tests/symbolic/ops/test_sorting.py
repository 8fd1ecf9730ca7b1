"""sort and argsort against numpy; sort's gradient by the inverse permutation."""

import numpy
import pytest

import symbolic.ops as T
from symbolic.compile.function import function
from symbolic.gradient import grad
from symbolic.ops.sorting import ArgSortOp, PermuteAlongAxis, SortOp
from symbolic.types.tensor import dmatrix, dtensor3, lscalar, lvector, matrix
from tests.helpers.op_check import check_infer_shape_of, check_op, check_op_identity
from tests.symbolic.ops.shape_checks import check_rop

rng = numpy.random.RandomState(11)


def _value(shape, dtype="float64"):
    if numpy.dtype(dtype).kind in "iu":
        return rng.randint(-50, 50, size=shape).astype(dtype)
    return (
        rng.permutation(numpy.prod(shape, dtype=int)).reshape(shape).astype(dtype) / 7
    )


@pytest.mark.parametrize("axis", [-1, 0, 1, None])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_sort_and_argsort_match_numpy(axis, dtype):
    value = _value((3, 4), dtype)
    check_op(lambda x: T.sort(x, axis), [value], expected=lambda v: numpy.sort(v, axis))
    check_op(
        lambda x: T.argsort(x, axis),
        [value],
        expected=lambda v: numpy.argsort(v, axis),
        grad=False,
    )


@pytest.mark.parametrize("kind", ["quicksort", "mergesort", "heapsort", "stable"])
def test_sort_kinds_and_methods(kind):
    value = _value((5, 3))
    check_op(lambda x: x.sort(0, kind), [value], expected=lambda v: numpy.sort(v, 0))
    check_op(
        lambda x: x.argsort(1, kind),
        [value],
        expected=lambda v: numpy.argsort(v, 1, kind=kind),
        grad=False,
    )


def test_sort_symbolic_axis():
    x = dtensor3("x")
    axis = lscalar("axis")
    out = T.sort(x, axis)
    value = _value((2, 3, 4))
    f = function([x, axis], out)
    for ax in (0, 1, 2, -2):
        got = f(value, ax)
        numpy.testing.assert_array_equal(got, numpy.sort(value, ax))
        check_infer_shape_of([x, axis], [out], [value, numpy.int64(ax)], [got])
    w = dtensor3("w")
    gx = grad((out * w).sum(), x)
    wv = rng.uniform(size=(2, 3, 4))
    got = function([x, axis, w], gx)(value, 1, wv)
    idx = numpy.argsort(value, 1)
    expected = numpy.zeros_like(value)
    numpy.put_along_axis(expected, idx, wv, 1)
    numpy.testing.assert_allclose(got, expected)


def test_sort_gradient_and_rop():
    check_op(
        lambda x: T.sort(x, 0) ** 2,
        [_value((4, 3))],
        expected=lambda v: numpy.sort(v, 0) ** 2,
    )
    check_rop(lambda x: T.sort(x, 1), [_value((3, 4))])
    check_rop(lambda x: T.sort(x, None), [_value((3, 4))])
    x = dmatrix("x")
    assert T.sort(x, None).ndim == 1
    ga = grad(T.argsort(x).sum() * x.sum(), x)
    numpy.testing.assert_array_equal(
        function([x], ga)(numpy.ones((2, 2))), numpy.full((2, 2), 2.0)
    )


def test_permute_along_axis():
    x = dmatrix("x")
    perm = T.argsort(x, 0)
    out = PermuteAlongAxis()(x, perm, 0)
    value = _value((3, 2))
    numpy.testing.assert_array_equal(function([x], out)(value), numpy.sort(value, 0))
    check_rop(
        lambda t: PermuteAlongAxis()(t, numpy.array([[2, 0, 1]]), 1), [_value((1, 3))]
    )
    check_op(
        lambda t: PermuteAlongAxis()(t, numpy.array([[1, 0], [0, 1]]), 1),
        [_value((2, 2))],
        expected=lambda t: numpy.take_along_axis(t, numpy.array([[1, 0], [0, 1]]), 1),
    )
    with pytest.raises(
        TypeError, match=r"perm .* must be an integer tensor with 2 dims"
    ):
        PermuteAlongAxis()(x, lvector("p"), 0)
    f = function([x], PermuteAlongAxis()(x, numpy.zeros((2, 2), "int64"), 0))
    with pytest.raises(ValueError, match=r"x has shape \(3, 3\)"):
        f(_value((3, 3)))


def test_sort_errors_and_identity():
    x = matrix("x")
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        T.sort(x, 2)
    with pytest.raises(TypeError, match="axis must be an integer scalar"):
        T.argsort(x, 1.0)
    with pytest.raises(ValueError, match="kind must be one of"):
        T.sort(x, kind="bogo")
    with pytest.raises(ValueError, match="order= applies to structured arrays"):
        T.sort(x, order=["a"])
    assert SortOp("quicksort") == SortOp("quicksort") != SortOp("mergesort")
    assert SortOp() != ArgSortOp()
    assert T.argsort(x).dtype == "int64"
    assert T.Sort is SortOp and T.ArgSort is ArgSortOp
    for op in (SortOp("heapsort"), ArgSortOp("stable"), PermuteAlongAxis()):
        check_op_identity(op)

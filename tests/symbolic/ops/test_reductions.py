"""Reductions against numpy: axes, keepdims, dtypes, gradients."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from tests.helpers.op_check import check_op

rng = numpy.random.RandomState(3)
AXES = [None, 0, 1, (0, 2), -1]


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std"])
def test_float_reductions(name, axis, keepdims):
    x = rng.rand(2, 3, 4) + 0.5
    np_axis = axis if not isinstance(axis, list) else tuple(axis)

    def oracle(v):
        return getattr(numpy, name)(v, axis=np_axis, keepdims=keepdims)

    check_op(
        lambda t: getattr(T, name)(t, axis=axis, keepdims=keepdims),
        [x],
        expected=oracle,
    )


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_argmax_argmin(axis):
    x = rng.rand(3, 5)
    check_op(
        lambda t: T.argmax(t, axis=axis),
        [x],
        expected=lambda v: numpy.argmax(v, axis=axis),
        grad=False,
    )
    check_op(
        lambda t: T.argmin(t, axis=axis, keepdims=True),
        [x],
        expected=lambda v: (
            numpy.expand_dims(numpy.argmin(v, axis=axis), axis)
            if axis is not None
            else numpy.argmin(v).reshape(1, 1)
        ),
        grad=False,
    )
    assert T.argmax(T.dmatrix(), axis=axis).dtype == "int64"


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_boolean_reductions(name, axis):
    x = (rng.rand(3, 4) > 0.5).astype("int8")
    out = check_op(
        lambda t: getattr(T, name)(t, axis=axis),
        [x],
        expected=lambda v: getattr(numpy, name)(v, axis=axis),
        grad=False,
    )
    assert out[0].dtype == numpy.bool_


@pytest.mark.parametrize(
    "dtype,out",
    [
        ("bool", "int64"),
        ("int8", "int64"),
        ("int32", "int64"),
        ("uint8", "uint64"),
        ("float32", "float32"),
        ("int64", "int64"),
    ],
)
def test_sum_dtypes(dtype, out):
    x = T.tensor(dtype, (False,))
    assert T.sum(x).dtype == out
    assert T.sum(x, dtype="float64").dtype == "float64"


def test_float32_sum_accumulates_in_float64():
    x = T.fvector()
    values = numpy.full(10**6, 0.1, dtype="float32")
    total = float(T.sum(x).eval({x: values}))
    assert abs(total - 1e5) < 1e-2


def test_prod_gradient_with_zeros():
    x = T.dvector("x")
    g = symbolic.grad(T.prod(x), x)
    f = symbolic.function([x], g)
    numpy.testing.assert_allclose(f(numpy.array([2.0, 0.0, 3.0])), [0.0, 6.0, 0.0])
    numpy.testing.assert_allclose(f(numpy.array([0.0, 0.0, 3.0])), [0.0, 0.0, 0.0])
    numpy.testing.assert_allclose(f(numpy.array([2.0, 4.0, 3.0])), [12.0, 6.0, 8.0])


def test_max_gradient_goes_to_argmax():
    x = T.dmatrix("x")
    g = symbolic.grad(T.max(x, axis=1).sum(), x)
    v = numpy.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    numpy.testing.assert_array_equal(g.eval({x: v}), [[0, 1, 0], [1, 0, 0]])


def test_mean_of_ints_is_float64_and_axis_errors():
    x = T.ivector()
    assert T.mean(x).dtype == "float64"
    with pytest.raises(ValueError, match="out of range"):
        T.sum(T.dmatrix(), axis=2)


def test_reduction_rop():
    x = T.dvector("x")
    v = T.dvector("v")
    r = symbolic.Rop(T.sum(x * x), x, v)
    assert (
        float(
            symbolic.function([x, v], r)(
                numpy.array([1.0, 2.0]), numpy.array([1.0, 1.0])
            )
        )
        == 6.0
    )


def test_sum_over_no_axes_is_a_copy_not_the_input():
    # DebugMode found this: the result aliased the input without a view_map.
    from symbolic.ops.math import Sum

    x = T.dvector("x")
    node = Sum(axis=())(x).owner
    value = numpy.arange(3.0)
    cell = [None]
    node.op.perform(node, [value], [cell])
    assert not numpy.may_share_memory(cell[0], value)
    numpy.testing.assert_array_equal(cell[0], value)

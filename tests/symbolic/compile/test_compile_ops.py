"""compile.ops (view, deep copy, as_op, shape_i) and pfunc.rebuild_collect_shared."""

import pickle

import numpy
import pytest

import symbolic
from symbolic import tensor as T
from symbolic.compile import deep_copy_op, view_op
from symbolic.compile.ops import DeepCopyOp, ViewOp, as_op, shape_i
from symbolic.compile.pfunc import rebuild_collect_shared
from symbolic.gradient import verify_grad


@as_op(itypes=[T.dvector], otypes=[T.dvector])
def numpy_cumsum(a):
    return numpy.cumsum(a)


@as_op(itypes=[T.TensorType("float64", (False,))], otypes=[T.dscalar, T.dscalar])
def numpy_extremes(a):
    return a.min(), a.max()


def test_view_and_deep_copy():
    x = T.dvector("x")
    f = symbolic.function([x], [view_op(x) * 1, deep_copy_op(x)])
    value = numpy.array([1.0, 2.0])
    viewed, copied = f(value)
    assert numpy.array_equal(viewed, value) and numpy.array_equal(copied, value)
    assert not numpy.shares_memory(copied, value)
    assert isinstance(deep_copy_op, DeepCopyOp) and isinstance(view_op, ViewOp)
    verify_grad(lambda v: deep_copy_op(v) * view_op(v), [value])


def test_deep_copy_of_a_generic_value():
    s = symbolic.shared({"a": [1]}, name="s")
    out = symbolic.function([], deep_copy_op(s))()
    assert out == {"a": [1]} and out is not s.get_value(borrow=True)


def test_as_op_runs_and_pickles():
    x = T.dvector("x")
    lo, hi = numpy_extremes(x)
    f = symbolic.function([x], [numpy_cumsum(x), lo, hi])
    cums, low, high = f(numpy.array([3.0, 1.0, 2.0]))
    assert numpy.array_equal(cums, [3.0, 4.0, 6.0])
    assert (float(low), float(high)) == (1.0, 3.0)
    g = pickle.loads(pickle.dumps(f))
    assert numpy.array_equal(g(numpy.array([1.0, 1.0]))[0], [1.0, 2.0])
    with pytest.raises(TypeError, match="expects 1 inputs"):
        numpy_cumsum(x, x)
    with pytest.raises(TypeError):
        numpy_cumsum(T.dmatrix("m"))


def test_shape_i():
    x = T.dmatrix("x")
    f = symbolic.function([x], [shape_i(x, 0), shape_i(x, 1)])
    assert [int(v) for v in f(numpy.zeros((2, 5)))] == [2, 5]


def test_rebuild_collect_shared_replaces_and_collects():
    x, y = T.dvector("x"), T.dvector("y")
    w = symbolic.shared(numpy.ones(2), name="w")
    counter = symbolic.shared(0, name="counter")
    counter.default_update = counter + 1
    out = (x * w).sum() + counter
    inputs, outputs, (clone_d, update_d, update_expr, shared) = rebuild_collect_shared(
        [out], inputs=[y], replace={x: y * 2}, updates=[(w, w * 2)]
    )
    assert inputs == [y]
    assert clone_d[out] is outputs[0] and outputs[0] is not out
    assert set(shared) == {w, counter}
    assert [s for s, _ in update_expr] == [w, counter]
    assert update_d[counter] is not None
    f = symbolic.function([y], outputs[0])
    assert float(f(numpy.array([1.0, 2.0]))) == 6.0
    _, single, (_, no_defaults, _, _) = rebuild_collect_shared(
        out, replace={x: y}, no_default_updates=True
    )
    assert single is not out and counter not in no_defaults


def test_rebuild_collect_shared_strict_types():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="rebuild_strict"):
        rebuild_collect_shared([x * 2], replace={x: T.fvector("f")})
    _, (out,), _ = rebuild_collect_shared(
        [x * 2], replace={x: T.fvector("f")}, rebuild_strict=False
    )
    assert out.dtype == "float32"


def test_specify_shape():
    from symbolic.compile.ops import specify_shape

    x = T.dmatrix("x")
    y = specify_shape(x, (2, 3))
    f = symbolic.function([x], [y * 2, y.shape])
    doubled, shape = f(numpy.ones((2, 3)))
    assert numpy.array_equal(doubled, 2 * numpy.ones((2, 3)))
    assert list(shape) == [2, 3]
    with pytest.raises(AssertionError, match="expected"):
        f(numpy.ones((3, 3)))
    with pytest.raises(ValueError, match="entries"):
        specify_shape(x, (2,))
    verify_grad(lambda v: specify_shape(v, (2, 2)) ** 2, [numpy.ones((2, 2))])
    assert T.specify_shape is specify_shape


def test_assert_op():
    from symbolic.tensor.opt import Assert, assert_op

    x = T.dvector("x")
    checked = Assert("x must be positive")(x, T.all(T.gt(x, 0)))
    f = symbolic.function([x], checked * 2)
    numpy.testing.assert_allclose(f(numpy.ones(2)), [2.0, 2.0])
    with pytest.raises(AssertionError, match="positive"):
        f(-numpy.ones(2))
    verify_grad(lambda v: assert_op(v, T.constant(True)) ** 2, [numpy.ones(2)])
    with pytest.raises(TypeError, match="scalars"):
        assert_op(x, x)

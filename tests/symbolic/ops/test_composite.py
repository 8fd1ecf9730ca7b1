"""Composite: a scalar graph as one scalar op (impl, expression, identity)."""

import pickle

import numpy
import pytest

import symbolic
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.scalar import basic as sb
from symbolic.ops.scalar import expr as E
from symbolic.ops.scalar import math as sm
from symbolic.ops.scalar.composite import Composite, CompositeBuilder
from symbolic.types.tensor import TensorType


def _tanh_of_sum_times(dtype="float64"):
    """tanh(a + b) * a, plus a second output a + b."""
    return Composite(
        [dtype, dtype],
        [],
        [
            (sb.Add(), (0, 1), dtype),
            (sm.Tanh(), (2,), dtype),
            (sb.Mul(), (3, 0), dtype),
        ],
        [4, 2],
    )


def test_impl_and_expression_agree_with_numpy():
    op = _tanh_of_sum_times()
    a, b = numpy.random.RandomState(0).randn(2, 5)
    first, second = op.impl(a, b)
    numpy.testing.assert_allclose(first, numpy.tanh(a + b) * a)
    numpy.testing.assert_allclose(second, a + b)
    args = [E.arg(0, "float64"), E.arg(1, "float64")]
    exprs = op.expression(args, ["float64", "float64"], ["float64", "float64"])
    assert len(exprs) == 2
    numpy.testing.assert_allclose(E.evaluate(exprs[0], [a, b]), first)
    numpy.testing.assert_allclose(E.evaluate(exprs[1], [a, b]), second)
    assert op.nin == 2 and op.nout == 2
    assert op.output_types(["float64", "float64"]) == ("float64", "float64")


def test_constants_and_casts():
    """Intermediates keep their declared dtype, as the unfused graph would."""
    op = Composite(
        ["int8", "float32"],
        [(3, "int8")],
        [
            (sb.Mul(), (0, 2), "int8"),
            (sb.Add(), (3, 1), "float32"),
        ],
        [4],
    )
    x = numpy.array([100, 2], dtype="int8")
    y = numpy.array([0.5, 0.5], dtype="float32")
    with numpy.errstate(over="ignore"):
        got = op.impl(x, y)
    want = (x * numpy.int8(3)).astype("float32") + y
    assert got.dtype == numpy.float32
    numpy.testing.assert_array_equal(got, want)
    (expr,) = op.expression(
        [E.arg(0, "int8"), E.arg(1, "float32")], ["int8", "float32"], ["float32"]
    )
    numpy.testing.assert_array_equal(E.evaluate(expr, [x, y]), want)


def test_identity_name_and_pickle():
    op = _tanh_of_sum_times()
    assert str(op) == "Composite{add,tanh,mul}"
    assert op == _tanh_of_sum_times()
    assert hash(op) == hash(_tanh_of_sum_times())
    assert op != _tanh_of_sum_times("float32")
    clone = pickle.loads(pickle.dumps(op))
    assert clone == op and str(clone) == str(op)
    elemwise = Elemwise(op)
    assert pickle.loads(pickle.dumps(elemwise)) == elemwise


def test_elemwise_of_composite_broadcasts():
    x = TensorType("float64", (False, False))("x")
    b = TensorType("float64", (True, False))("b")
    out, total = Elemwise(_tanh_of_sum_times())(x, b)
    f = symbolic.function([x, b], [out, total], mode=symbolic.Mode(optimizer=None))
    xv = numpy.arange(6.0).reshape(2, 3) / 10
    bv = numpy.array([[0.1, 0.2, 0.3]])
    got, got_total = f(xv, bv)
    numpy.testing.assert_allclose(got, numpy.tanh(xv + bv) * xv)
    numpy.testing.assert_allclose(got_total, xv + bv)


def test_builder_inlines_nested_composites():
    inner = _tanh_of_sum_times()
    builder = CompositeBuilder()
    a = builder.add_input("float64")
    b = builder.add_input("float64")
    first, _ = builder.add_node(inner, [a, b], None)
    two = builder.add_constant(2.0, "float64")
    out = builder.add_node(sb.Mul(), [first, two], "float64")
    op = builder.build([out])
    assert str(op) == "Composite{add,tanh,mul,mul}"
    av, bv = numpy.array([0.3]), numpy.array([0.1])
    numpy.testing.assert_allclose(op.impl(av, bv), 2 * numpy.tanh(av + bv) * av)


def test_bad_graphs_are_refused():
    with pytest.raises(ValueError, match="refs"):
        Composite(["float64"], [], [(sm.Exp(), (1,), "float64")], [1])
    with pytest.raises(ValueError, match="output refs"):
        Composite(["float64"], [], [(sm.Exp(), (0,), "float64")], [5])
    with pytest.raises(TypeError, match="input dtypes"):
        _tanh_of_sum_times().output_types(["float32", "float32"])

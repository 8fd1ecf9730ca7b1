"""Specialize: dot sums into Dot22/Gemm/Gemv/Ger, powers, sums of squares."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.ops.blas import Dot22, Gemm, Gemv, Ger
from symbolic.ops.dot import Dot
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.math import Sum
from symbolic.ops.scalar import basic as sb

FAST = symbolic.Mode(linker="py", optimizer="fast_run")
RAW = symbolic.Mode(linker="py", optimizer=None)
RNG = numpy.random.RandomState(11)


def _types(f):
    return [type(n.op) for n in f.maker.fgraph.toposort()]


def _check(inputs, outputs, values, updates=None, rtol=1e-10):
    """Compile fast and raw, compare the outputs (and updated shared values)."""
    shared = [s for s, _ in updates or ()]
    start = [s.get_value() for s in shared]
    raw = symbolic.function(inputs, outputs, updates=updates, mode=RAW)
    want = raw(*values)
    want_shared = [s.get_value() for s in shared]
    for s, v in zip(shared, start):
        s.set_value(v)
    fast = symbolic.function(inputs, outputs, updates=updates, mode=FAST)
    got = fast(*values)
    for a, b in zip(got, want):
        numpy.testing.assert_allclose(a, b, rtol=rtol)
    for s, b in zip(shared, want_shared):
        numpy.testing.assert_allclose(s.get_value(), b, rtol=rtol)
    return fast


def test_matrix_dot_becomes_dot22():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = _check([x, y], [T.dot(x, y)], [RNG.randn(2, 3), RNG.randn(3, 4)])
    assert _types(f) == [Dot22]
    ints = T.lmatrix("i")
    g = symbolic.function([ints], T.dot(ints, ints), mode=FAST)
    assert _types(g) == [Dot]


def test_sgd_update_becomes_gemm_in_place():
    W = symbolic.shared(RNG.randn(4, 3), "W")
    x, g = T.dmatrix("x"), T.dmatrix("g")
    lr = T.dscalar("lr")
    f = _check(
        [x, g, lr],
        [],
        [RNG.randn(2, 4), RNG.randn(2, 3), 0.1],
        updates=[(W, W - lr * T.dot(x.T, g))],
    )
    gemms = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Gemm)]
    assert len(gemms) == 1 and gemms[0].op.inplace
    # Only the scale -lr is left elementwise, on a 0-d value.
    for node in f.maker.fgraph.toposort():
        if isinstance(node.op, Elemwise):
            assert node.outputs[0].ndim == 0


def test_weight_decay_is_folded_into_the_gemm_scale():
    """W - lr * (dot(x.T, g) + c * W) -> gemm(W, -lr, x.T, g, 1 - lr*c)."""
    W = symbolic.shared(RNG.randn(4, 3), "W")
    x, g = T.dmatrix("x"), T.dmatrix("g")
    step = T.dot(x.T, g) + 0.01 * W
    f = _check(
        [x, g],
        [],
        [RNG.randn(2, 4), RNG.randn(2, 3)],
        updates=[(W, W - 0.1 * step)],
    )
    (gemm,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Gemm)]
    z, a, _, _, b = gemm.inputs
    assert z is f.maker.fgraph.inputs[-1]
    assert numpy.isclose(a.data, -0.1) and numpy.isclose(b.data, 1 - 0.1 * 0.01)


def test_dot_plus_bias_keeps_dot22_and_an_elemwise():
    x, W, b = T.dmatrix("x"), T.dmatrix("W"), T.dvector("b")
    f = _check(
        [x, W, b],
        [T.tanh(T.dot(x, W) + b)],
        [RNG.randn(2, 3), RNG.randn(3, 4), RNG.randn(4)],
    )
    types = _types(f)
    assert Dot22 in types and Gemm not in types
    (elemwise,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Elemwise)]
    assert elemwise.op.inplace_pattern == ((0, 0),)


def test_sum_of_two_products_uses_one_as_accumulator():
    a, b, c, d = (T.dmatrix(n) for n in "abcd")
    values = [RNG.randn(3, 2), RNG.randn(2, 4), RNG.randn(3, 5), RNG.randn(5, 4)]
    f = _check([a, b, c, d], [T.dot(a, b) - 2 * T.dot(c, d)], values)
    types = _types(f)
    assert types.count(Gemm) == 1 and types.count(Dot22) == 1
    (gemm,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Gemm)]
    assert gemm.op.inplace


def test_shared_product_is_not_recomputed():
    x, y, z = T.dmatrix("x"), T.dmatrix("y"), T.dmatrix("z")
    p = T.dot(x, y)
    f = _check(
        [x, y, z], [z + p, p * 2], [RNG.randn(2, 3), RNG.randn(3, 2), RNG.randn(2, 2)]
    )
    assert Gemm not in _types(f)
    assert _types(f).count(Dot22) == 1


@pytest.mark.parametrize("transpose", [False, True])
def test_matrix_vector_update_becomes_gemv(transpose):
    y, v = T.dvector("y"), T.dvector("v")
    A = T.dmatrix("A")
    product = T.dot(v, A) if transpose else T.dot(A, v)
    shapes = ((4,), (3, 4), (3,)) if transpose else ((3,), (3, 4), (4,))
    values = [RNG.randn(*s) for s in shapes]
    f = _check([y, A, v], [0.5 * y + 3 * product], values)
    assert Gemv in _types(f)


def test_outer_product_update_becomes_ger():
    A = T.dmatrix("A")
    u, v = T.dvector("u"), T.dvector("v")
    values = [RNG.randn(3, 4), RNG.randn(3), RNG.randn(4)]
    f = _check([A, u, v], [A + 2 * T.outer(u, v)], values)
    assert Ger in _types(f)


def test_float32_gemm_keeps_its_dtype():
    W = symbolic.shared(RNG.randn(4, 3).astype("float32"), "W")
    x, g = T.fmatrix("x"), T.fmatrix("g")
    f = _check(
        [x, g],
        [],
        [RNG.randn(2, 4).astype("float32"), RNG.randn(2, 3).astype("float32")],
        updates=[(W, W - numpy.float32(0.1) * T.dot(x.T, g))],
        rtol=1e-5,
    )
    assert Gemm in _types(f)
    assert W.get_value().dtype == numpy.float32


def test_integer_powers_unroll():
    x = T.dvector("x")
    f = _check([x], [x**3, x**-4], [RNG.rand(5) + 0.5])
    scalar_ops = [
        n.op.scalar_op for n in f.maker.fgraph.toposort() if isinstance(n.op, Elemwise)
    ]
    assert not any(isinstance(op, sb.Pow) for op in scalar_ops)
    g = symbolic.function([x], x**3, mode=FAST.excluding("fusion"))
    names = [str(n.op) for n in g.maker.fgraph.toposort()]
    assert any("sqr" in name for name in names)


def test_sum_of_squares_becomes_a_dot():
    W = T.dmatrix("W")
    f = _check([W], [T.sum(T.sqr(W)), (W * 2).sum()], [RNG.randn(5, 3)])
    types = _types(f)
    assert Dot in types
    assert types.count(Sum) == 1
    x = T.fvector("x")
    g = symbolic.function([x], T.sum(T.sqr(x)), mode=FAST)
    assert Dot not in _types(g)

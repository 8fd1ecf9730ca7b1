"""In-place rewrites: dead values are reused, needed ones and inputs never."""

import numpy

import symbolic
import symbolic.tensor as T
from symbolic.compile.io import In
from symbolic.ops.blas import Gemm
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.subtensor import IncSubtensor

FAST = symbolic.Mode(linker="py", optimizer="fast_run")
RAW = symbolic.Mode(linker="py", optimizer=None)
RNG = numpy.random.RandomState(5)


def _destroyers(f):
    return [n for n in f.maker.fgraph.toposort() if n.op.destroy_map]


def test_an_elemwise_reuses_a_dead_intermediate():
    x = T.dmatrix("x")
    out = T.exp(T.dot(x, x.T)) + 1
    f = symbolic.function([x], out, mode=FAST)
    (node,) = _destroyers(f)
    assert isinstance(node.op, Elemwise) and node.op.inplace_pattern == ((0, 0),)
    xv = RNG.randn(3, 2)
    numpy.testing.assert_allclose(f(xv), numpy.exp(xv @ xv.T) + 1)


def test_user_inputs_are_never_overwritten():
    x = T.dvector("x")
    y = T.dvector("y")
    f = symbolic.function([x, y], T.exp(x) * y + x, mode=FAST)
    xv, yv = RNG.randn(4), RNG.randn(4)
    saved = xv.copy(), yv.copy()
    for node in _destroyers(f):
        destroyed = node.inputs[node.op.destroy_map[0][0]]
        assert destroyed not in f.maker.fgraph.inputs
    f(xv, yv)
    numpy.testing.assert_array_equal(xv, saved[0])
    numpy.testing.assert_array_equal(yv, saved[1])


def test_a_still_needed_value_survives():
    x = T.dvector("x")
    f = symbolic.function([x], [T.exp(x), T.exp(x) + 1], mode=FAST)
    xv = RNG.randn(5)
    first, second = f(xv)
    numpy.testing.assert_allclose(first, numpy.exp(xv))
    numpy.testing.assert_allclose(second, numpy.exp(xv) + 1)
    assert first is not second


def test_readers_of_the_old_value_run_first():
    x = T.dmatrix("x")
    e = T.dot(x, x)
    out = T.sin(e) + T.sum(e.T[0])
    f = symbolic.function([x], out, mode=FAST)
    g = symbolic.function([x], out, mode=RAW)
    xv = RNG.randn(3, 3)
    numpy.testing.assert_allclose(f(xv), g(xv))


def test_a_mutable_input_may_be_overwritten():
    x = T.dvector("x")
    f = symbolic.function([In(x, mutable=True)], T.exp(x) * 2, mode=FAST)
    (node,) = _destroyers(f)
    assert node.inputs[0] is f.maker.fgraph.inputs[0]
    xv = RNG.randn(3)
    want = numpy.exp(xv) * 2
    numpy.testing.assert_allclose(f(xv), want)
    numpy.testing.assert_allclose(xv, want)


def test_a_mutable_default_is_fresh_every_call():
    x = T.dvector("x")
    f = symbolic.function(
        [In(x, value=numpy.ones(2), mutable=True)], T.exp(x) * 2, mode=FAST
    )
    numpy.testing.assert_allclose(f(), [2 * numpy.e] * 2)
    numpy.testing.assert_allclose(f(), [2 * numpy.e] * 2)


def test_set_subtensor_in_place_on_an_intermediate():
    x = T.dvector("x")
    i = T.lscalar("i")
    y = T.exp(x)
    out = T.set_subtensor(y[i], 0.0) * 2
    f = symbolic.function([x, i], out, mode=FAST)
    kinds = [type(n.op) for n in _destroyers(f)]
    assert IncSubtensor in kinds
    (inc,) = [n for n in _destroyers(f) if isinstance(n.op, IncSubtensor)]
    assert inc.op.inplace
    xv = RNG.randn(4)
    want = numpy.exp(xv) * 2
    want[1] = 0
    numpy.testing.assert_allclose(f(xv, 1), want)
    numpy.testing.assert_allclose(f(xv, 1), want)


def test_inc_subtensor_on_an_input_is_not_in_place():
    x = T.dvector("x")
    f = symbolic.function([x], T.inc_subtensor(x[1:], 1.0), mode=FAST)
    assert not _destroyers(f)
    xv = numpy.zeros(3)
    numpy.testing.assert_allclose(f(xv), [0, 1, 1])
    numpy.testing.assert_array_equal(xv, numpy.zeros(3))


def test_gemm_writes_into_the_shared_weights():
    W = symbolic.shared(RNG.randn(4, 3), "W")
    x = T.dmatrix("x")
    g = T.dmatrix("g")
    buffer = W.get_value(borrow=True)
    f = symbolic.function([x, g], [], updates=[(W, W - 0.1 * T.dot(x.T, g))], mode=FAST)
    (node,) = _destroyers(f)
    assert isinstance(node.op, Gemm) and node.op.inplace
    xv, gv = RNG.randn(2, 4), RNG.randn(2, 3)
    want = buffer - 0.1 * xv.T @ gv
    f(xv, gv)
    assert W.get_value(borrow=True) is buffer
    numpy.testing.assert_allclose(W.get_value(), want, rtol=1e-12)


def test_shared_weights_returned_as_output_are_not_overwritten():
    W = symbolic.shared(RNG.randn(4, 3), "W")
    x = T.dmatrix("x")
    g = T.dmatrix("g")
    before = W.get_value()
    f = symbolic.function(
        [x, g], W * 1.0, updates=[(W, W - 0.1 * T.dot(x.T, g))], mode=FAST
    )
    out = f(RNG.randn(2, 4), RNG.randn(2, 3))
    numpy.testing.assert_allclose(out, before)


def test_shared_without_update_is_protected():
    W = symbolic.shared(RNG.randn(3), "W")
    x = T.dvector("x")
    f = symbolic.function([x], T.exp(W) + x, mode=FAST)
    before = W.get_value()
    f(RNG.randn(3))
    numpy.testing.assert_array_equal(W.get_value(), before)
    for node in _destroyers(f):
        assert node.inputs[node.op.destroy_map[0][0]] not in f.maker.fgraph.inputs


def test_excluding_inplace():
    x = T.dmatrix("x")
    mode = FAST.excluding("inplace")
    f = symbolic.function([x], T.exp(T.dot(x, x)) + 1, mode=mode)
    assert not _destroyers(f)

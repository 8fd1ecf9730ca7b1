"""Forward-mode derivatives (Rop) through scan, against finite differences."""

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
import symbolic.tensor as T
from symbolic.gradient import Rop
from symbolic.scan_module import scan, until

rng = numpy.random.RandomState(42)


def finite_difference(f, values, directions, eps=1e-6):
    plus = f(*[v + eps * d for v, d in zip(values, directions)])
    minus = f(*[v - eps * d for v, d in zip(values, directions)])
    return (plus - minus) / (2 * eps)


def rnn(X, h0, W, U):
    hs, _ = scan(
        lambda x, h, W, U: T.tanh(T.dot(x, W) + T.dot(h, U)),
        sequences=X,
        outputs_info=h0,
        non_sequences=[W, U],
    )
    return hs


def test_rop_of_an_rnn_matches_finite_differences():
    X, h0, W, U = T.dmatrix("X"), T.dvector("h0"), T.dmatrix("W"), T.dmatrix("U")
    hs = rnn(X, h0, W, U)
    inputs = [X, h0, W, U]
    tangents = [v.type() for v in inputs]
    jvp = Rop(hs, inputs, tangents)
    f = symbolic.function(inputs, hs)
    f_jvp = symbolic.function(inputs + tangents, jvp)
    values = [
        rng.randn(5, 3),
        rng.randn(4),
        rng.randn(3, 4) * 0.5,
        rng.randn(4, 4) * 0.5,
    ]
    directions = [rng.randn(*v.shape) for v in values]
    expected = finite_difference(f, values, directions)
    assert_allclose(f_jvp(*values, *directions), expected, rtol=1e-6, atol=1e-8)


def test_rop_with_respect_to_weights_only():
    X, h0, W, U = T.dmatrix("X"), T.dvector("h0"), T.dmatrix("W"), T.dmatrix("U")
    hs = rnn(X, h0, W, U)
    dW = T.dmatrix("dW")
    jvp = Rop(hs, W, dW)
    f = symbolic.function([X, h0, W, U], hs)
    f_jvp = symbolic.function([X, h0, W, U, dW], jvp)
    values = [rng.randn(4, 3), rng.randn(4), rng.randn(3, 4), rng.randn(4, 4) * 0.3]
    d = rng.randn(3, 4)
    zero = [numpy.zeros_like(v) for v in values]
    expected = finite_difference(f, values, [zero[0], zero[1], d, zero[3]])
    assert_allclose(f_jvp(*values, d), expected, rtol=1e-6, atol=1e-8)


def test_rop_with_taps_and_collected_outputs():
    x, init = T.dvector("x"), T.dvector("init")

    def step(v, a, b):
        new = a * T.sin(b) + v
        return new, new**2

    (seq, squares), _ = scan(
        step, sequences=x, outputs_info=[{"initial": init, "taps": [-2, -1]}, None]
    )
    out = seq.sum() + squares.sum() * 0.5
    dx, dinit = T.dvector("dx"), T.dvector("dinit")
    jvp = Rop(out, [x, init], [dx, dinit])
    f = symbolic.function([x, init], out)
    f_jvp = symbolic.function([x, init, dx, dinit], jvp)
    values = [rng.randn(6) * 0.3, rng.randn(2) * 0.3]
    directions = [rng.randn(6), rng.randn(2)]
    expected = finite_difference(f, values, directions)
    assert_allclose(f_jvp(*values, *directions), expected, rtol=1e-6, atol=1e-8)


def test_rop_go_backwards():
    X, h0, W = T.dmatrix("X"), T.dvector("h0"), T.dmatrix("W")
    hs, _ = scan(
        lambda x, h: T.tanh(T.dot(x, W) + h),
        sequences=X,
        outputs_info=h0,
        go_backwards=True,
    )
    dX = T.dmatrix("dX")
    jvp = Rop(hs, X, dX)
    f = symbolic.function([X, h0, W], hs)
    f_jvp = symbolic.function([X, h0, W, dX], jvp)
    values = [rng.randn(5, 3), rng.randn(2), rng.randn(3, 2)]
    d = rng.randn(5, 3)
    expected = finite_difference(f, values, [d, numpy.zeros(2), numpy.zeros((3, 2))])
    assert_allclose(f_jvp(*values, d), expected, rtol=1e-6, atol=1e-8)


def test_rop_through_until_is_refused():
    x = T.dvector("x")
    out, _ = scan(lambda v: (v * 2, until(v > 1)), sequences=x)
    with pytest.raises(NotImplementedError, match="R_op through a scan"):
        Rop(out, x, T.dvector("dx"))

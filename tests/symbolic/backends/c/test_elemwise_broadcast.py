"""Elemwise kernels with broadcast inputs: the strided driver's chunks."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c import build
from symbolic.backends.c.lowering import KINDS
from symbolic.backends.c.runtime import runtime
from symbolic.config import change_flags

pytestmark = pytest.mark.skipif(
    not runtime.available() or not build.config.cxx,
    reason="the C runtime or a C compiler is missing here",
)

# Rows longer than one chunk of the strided driver (256), and not a multiple.
SHAPE = (5, 613)


def _compiled(inputs, output):
    with change_flags(compile__background=False):
        f = symbolic.function(inputs, output, mode="FAST_RUN")
    assert KINDS["ELEMWISE"] in f.vm.kinds
    return f


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scalar_broadcast_over_a_matrix(dtype):
    rng = numpy.random.RandomState(0)
    w, g = (rng.randn(*SHAPE).astype(dtype) for _ in range(2))
    W, G = T.matrix("W", dtype=dtype), T.matrix("G", dtype=dtype)
    lr = T.scalar("lr", dtype=dtype)
    f = _compiled([W, G, lr], W - lr * G)
    for rate in (0.5, -2.0):
        expected = w - numpy.asarray(rate, dtype) * g
        numpy.testing.assert_allclose(f(w, g, rate), expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_column_broadcast_takes_each_rows_value(dtype):
    rng = numpy.random.RandomState(1)
    x = rng.randn(*SHAPE).astype(dtype)
    c = rng.randn(SHAPE[0], 1).astype(dtype)
    X = T.matrix("X", dtype=dtype)
    C = T.TensorType(dtype, (False, True))("C")
    f = _compiled([X, C], T.exp(C) * X + C)
    numpy.testing.assert_allclose(f(x, c), numpy.exp(c) * x + c, rtol=1e-5)


def test_strided_input_beside_a_broadcast_scalar():
    rng = numpy.random.RandomState(2)
    x = rng.randn(SHAPE[1], SHAPE[0])
    X, s = T.dmatrix("X"), T.dscalar("s")
    f = _compiled([X, s], X * s + 1)
    numpy.testing.assert_allclose(f(x.T, 3.0), x.T * 3.0 + 1, rtol=1e-12)

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


# Short rows: the strided driver runs blocks of whole rows per kernel call
# (1024 elements), with the repeated operands copied into buffers.  Row
# counts that are not a multiple of a block, rows of one element, and rows
# just under the longest that blocks take (511).
SHORT_ROWS = [(37, 100), (1000, 10), (3, 511), (9, 1), (2, 300)]


@pytest.mark.parametrize("shape", SHORT_ROWS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_row_broadcast_over_short_rows(shape, dtype):
    rng = numpy.random.RandomState(3)
    x = rng.randn(*shape).astype(dtype)
    b = rng.randn(shape[1]).astype(dtype)
    X, B = T.matrix("X", dtype=dtype), T.vector("B", dtype=dtype)
    f = _compiled([X, B], T.maximum(X + B, 0) * 2)
    numpy.testing.assert_allclose(f(x, b), numpy.maximum(x + b, 0) * 2, rtol=1e-6)


def test_row_and_scalar_broadcast_in_place():
    # An SGD step on a bias-shaped pattern: the update overwrites X, a row
    # and a scalar repeat; each element is still read before it is written.
    rng = numpy.random.RandomState(4)
    x, g = rng.randn(300, 7), rng.randn(300, 7)
    b = rng.randn(7)
    G, B, lr = T.dmatrix("G"), T.dvector("B"), T.dscalar("lr")
    shared = symbolic.shared(x.copy())
    with change_flags(compile__background=False):
        f = symbolic.function(
            [G, B, lr], [], updates=[(shared, shared - lr * (G + B))], mode="FAST_RUN"
        )
    assert KINDS["ELEMWISE"] in f.vm.kinds
    f(g, b, 0.25)
    numpy.testing.assert_allclose(shared.get_value(), x - 0.25 * (g + b), rtol=1e-12)


def test_row_broadcast_that_changes_along_an_outer_dimension():
    # A (4, 1, 6) operand over (4, 50, 6): its row repeats over the 50 rows of
    # each outer index but differs from one outer index to the next, so each
    # block's buffers are filled for that index.
    rng = numpy.random.RandomState(5)
    x = rng.randn(4, 50, 6)
    c = rng.randn(4, 1, 6)
    X = T.dtensor3("X")
    C = T.TensorType("float64", (False, True, False))("C")
    f = _compiled([X, C], X * C - C)
    numpy.testing.assert_allclose(f(x, c), x * c - c, rtol=1e-12)


def test_many_repeated_rows_shrink_the_block():
    # Twelve bias inputs: their buffers of a 1024-element block would pass
    # the stack budget, so blocks hold fewer rows.
    rng = numpy.random.RandomState(6)
    x = rng.randn(200, 64)
    biases = [rng.randn(64) for _ in range(12)]
    X = T.dmatrix("X")
    Bs = [T.dvector(f"b{i}") for i in range(12)]
    out = X
    for i, B in enumerate(Bs):
        out = out * B + i if i % 2 else out + B * i
    f = _compiled([X, *Bs], out)
    expected = x
    for i, b in enumerate(biases):
        expected = expected * b + i if i % 2 else expected + b * i
    numpy.testing.assert_allclose(f(x, *biases), expected, rtol=1e-10)


def test_strided_rows_beside_a_row_broadcast_take_the_chunked_path():
    # A transposed (column-strided) input cannot be read in blocks of rows.
    rng = numpy.random.RandomState(7)
    x = rng.randn(20, 300)
    b = rng.randn(20)
    X, B = T.dmatrix("X"), T.dvector("B")
    f = _compiled([X, B], T.tanh(X + B))
    numpy.testing.assert_allclose(f(x.T, b), numpy.tanh(x.T + b), rtol=1e-12)

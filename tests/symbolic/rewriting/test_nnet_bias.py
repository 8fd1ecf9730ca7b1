"""The fused softmax cross-entropy takes a row-broadcast bias as its bias input."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from tests.symbolic.rewriting.rewrite_helpers import FAST, check_same


def _loss_and_grads(dtype):
    x = T.matrix("x", dtype=dtype)
    w = T.matrix("w", dtype=dtype)
    b = T.vector("b", dtype=dtype)
    y = T.ivector("y")
    logits = T.dot(x, w) + b
    loss = T.nnet.categorical_crossentropy(T.nnet.softmax(logits), y).mean()
    return [x, w, b, y], [loss, *T.grad(loss, [w, b])]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_row_bias_goes_into_the_fused_op(dtype):
    inputs, outputs = _loss_and_grads(dtype)
    rng = numpy.random.default_rng(0)
    values = [
        rng.standard_normal((7, 5)).astype(dtype),
        rng.standard_normal((5, 4)).astype(dtype),
        rng.standard_normal(4).astype(dtype),
        numpy.array([0, 3, 1, 2, 3, 0, 1], dtype="int32"),
    ]
    rtol = 1e-5 if dtype == "float32" else 1e-12
    f = check_same(inputs, outputs, values, mode=FAST, rtol=rtol, atol=rtol)
    nodes = f.maker.fgraph.toposort()
    (fused,) = [n for n in nodes if "CrossentropySoftmaxArgmax" in str(n.op)]
    # The bias is the vector itself: no zeros, no separate add of the bias.
    assert fused.inputs[1] is f.maker.fgraph.inputs[2]
    zeros = [
        n
        for n in nodes
        if type(n.op).__name__ == "Alloc"
        and getattr(n.inputs[0], "data", None) is not None
        and not numpy.any(n.inputs[0].data)
    ]
    assert not zeros


def test_a_bias_of_another_dtype_stays_an_add():
    x = T.fmatrix("x")
    b = T.dvector("b")
    y = T.ivector("y")
    logits = T.cast(x + b, "float32")
    loss = T.nnet.categorical_crossentropy(T.nnet.softmax(logits), y).sum()
    f = symbolic.function([x, b, y], loss, mode=FAST)
    fused = [n for n in f.maker.fgraph.toposort() if "Argmax" in str(n.op)]
    assert fused and fused[0].inputs[1] is not f.maker.fgraph.inputs[1]
    xv = numpy.ones((2, 3), "float32")
    bv = numpy.arange(3.0)
    expected = -numpy.log(numpy.exp(bv) / numpy.exp(bv).sum())[[0, 2]].sum()
    numpy.testing.assert_allclose(
        f(xv, bv, numpy.array([0, 2], "int32")), expected, rtol=1e-5
    )

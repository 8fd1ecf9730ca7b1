"""argmax(softmax(x)) is the argmax of the logits; an error rate next to its cost
reuses the fused cross-entropy op's own argmax."""

import numpy

import symbolic
import symbolic.tensor as T
from tests.symbolic.rewriting.rewrite_helpers import FAST, RAW


def _argmax_nodes(f):
    return [n for n in f.maker.fgraph.apply_nodes if type(n.op).__name__ == "Argmax"]


def _data(dtype):
    rng = numpy.random.RandomState(3)
    x = rng.randn(7, 5).astype(dtype)
    b = rng.randn(5).astype(dtype)
    y = rng.randint(0, 5, size=7).astype("int64")
    return x, b, y


def test_error_rate_next_to_its_cost_takes_the_fused_argmax():
    x, b, y = T.matrix("x"), T.vector("b"), T.lvector("y")
    p = T.nnet.softmax(x + b)
    cost = T.nnet.categorical_crossentropy(p, y).mean()
    error = T.neq(T.argmax(p, axis=1), y).mean()
    f = symbolic.function([x, b, y], [cost, error], mode=FAST)
    assert not _argmax_nodes(f)
    assert any(
        "CrossentropySoftmaxArgmax" in str(n.op) for n in f.maker.fgraph.apply_nodes
    )
    values = _data(symbolic.config.floatX)
    expected = symbolic.function([x, b, y], [cost, error], mode=RAW)(*values)
    for got, want in zip(f(*values), expected):
        numpy.testing.assert_allclose(got, want, rtol=1e-5)


def test_argmax_of_a_plain_softmax_reads_the_logits():
    x = T.matrix("x")
    p = T.nnet.softmax(x)
    f = symbolic.function([x], T.argmax(p, axis=1), mode=FAST)
    (node,) = _argmax_nodes(f)
    assert node.inputs[0].owner is None
    values = _data(symbolic.config.floatX)[0]
    numpy.testing.assert_array_equal(f(values), values.argmax(axis=1))


def test_argmax_over_the_other_axis_is_left_alone():
    x = T.matrix("x")
    p = T.nnet.softmax(x)
    f = symbolic.function([x], T.argmax(p, axis=0), mode=FAST)
    (node,) = _argmax_nodes(f)
    assert node.inputs[0].owner is not None
    values = _data(symbolic.config.floatX)[0]
    expected = numpy.exp(values) / numpy.exp(values).sum(axis=1, keepdims=True)
    numpy.testing.assert_array_equal(f(values), expected.argmax(axis=0))

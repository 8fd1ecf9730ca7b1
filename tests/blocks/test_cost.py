import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import Softmax
from blocks.bricks.cost import (
    AbsoluteError,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Cost,
    MisclassificationRate,
    SquaredError,
)
from blocks.graph import ComputationGraph
from symbolic import tensor

floatX = symbolic.config.floatX


def softmax(x):
    e = numpy.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_cost_is_abstract():
    with pytest.raises(TypeError):
        Cost()


def test_softmax_cross_entropy_with_indices_and_distributions():
    x = tensor.matrix("x")
    y = tensor.lvector("y")
    softmax_brick = Softmax()
    cost = softmax_brick.categorical_cross_entropy(y, x).mean()
    x_val = numpy.random.RandomState(1).normal(size=(5, 4)).astype(floatX)
    y_val = numpy.array([0, 1, 3, 2, 1])
    expected = -numpy.log(softmax(x_val)[numpy.arange(5), y_val]).mean()
    assert_allclose(cost.eval({x: x_val, y: y_val}), expected, rtol=1e-5)

    y_dist = tensor.matrix("y_dist")
    dist = numpy.eye(4, dtype=floatX)[y_val]
    cost_dist = softmax_brick.categorical_cross_entropy(y_dist, x).mean()
    assert_allclose(cost_dist.eval({x: x_val, y_dist: dist}), expected, rtol=1e-5)

    (aux,) = ComputationGraph([cost]).auxiliary_variables
    assert aux.name == "log_probabilities"


def test_cross_entropy_rank_mismatch():
    with pytest.raises(TypeError, match="y must have"):
        Softmax().categorical_cross_entropy(tensor.tensor3(), tensor.matrix())


def test_softmax_and_log_probabilities():
    x = tensor.matrix("x")
    brick = Softmax()
    x_val = numpy.random.RandomState(2).normal(size=(3, 4)).astype(floatX)
    assert_allclose(brick.apply(x).eval({x: x_val}), softmax(x_val), rtol=1e-5)
    assert_allclose(
        brick.log_probabilities(x).eval({x: x_val}),
        numpy.log(softmax(x_val)),
        rtol=1e-5,
    )


def test_categorical_cross_entropy_brick():
    y = tensor.lvector("y")
    y_hat = tensor.matrix("y_hat")
    cost = CategoricalCrossEntropy().apply(y, y_hat)
    probs = numpy.array([[0.2, 0.8], [0.6, 0.4]], dtype=floatX)
    assert_allclose(
        cost.eval({y: [1, 1], y_hat: probs}), -numpy.log([0.8, 0.4]).mean(), rtol=1e-5
    )
    assert cost.name == "categoricalcrossentropy_apply_cost"


@pytest.mark.parametrize(
    ("brick", "function"),
    [
        (SquaredError(), lambda y, p: ((y - p) ** 2).sum(axis=1).mean()),
        (AbsoluteError(), lambda y, p: abs(y - p).sum(axis=1).mean()),
        (
            BinaryCrossEntropy(),
            lambda y, p: (
                (-(y * numpy.log(p) + (1 - y) * numpy.log(1 - p))).sum(axis=1).mean()
            ),
        ),
    ],
)
def test_cost_matrices(brick, function):
    y = tensor.matrix("y")
    y_hat = tensor.matrix("y_hat")
    rng = numpy.random.RandomState(3)
    y_val = rng.uniform(size=(4, 3)).astype(floatX)
    p_val = rng.uniform(0.1, 0.9, size=(4, 3)).astype(floatX)
    cost = brick.apply(y, y_hat)
    assert_allclose(
        cost.eval({y: y_val, y_hat: p_val}), function(y_val, p_val), rtol=1e-5
    )


def test_misclassification_rate():
    y = tensor.lvector("y")
    y_hat = tensor.matrix("y_hat")
    scores = numpy.array([[1, 2, 3], [3, 2, 1], [1, 3, 2], [2, 2, 1]], dtype=floatX)
    labels = numpy.array([2, 1, 0, 0])
    top1 = MisclassificationRate().apply(y, y_hat)
    assert top1.dtype == floatX
    assert_allclose(top1.eval({y: labels, y_hat: scores}), 0.5)
    top2 = MisclassificationRate(top_k=2).apply(y, y_hat)
    # Row 2: label 0 is third; row 3: label 0 ties for first with label 1.
    assert_allclose(top2.eval({y: labels, y_hat: scores}), 0.25)
    top3 = MisclassificationRate(top_k=3).apply(y, y_hat)
    assert_allclose(top3.eval({y: labels, y_hat: scores}), 0.0)

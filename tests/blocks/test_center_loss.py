"""CenterLoss: the cost, the centres' own update and training with it."""

import pickle

import numpy
import pytest

import symbolic
from blocks.bricks import Linear
from blocks.bricks.center_loss import CenterLoss
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.roles import PARAMETER, PERSISTENT
from symbolic import tensor
from symbolic.gradient import verify_grad
from tests.helpers.brick_training import train_and_report

floatX = symbolic.config.floatX


def make_brick(alpha=0.3, seed=0):
    brick = CenterLoss(
        feature_dim=3, num_classes=4, alpha=alpha, centers_init=IsotropicGaussian(1.0)
    )
    brick.seed = seed
    brick.initialize()
    return brick


def batch(seed=1):
    rng = numpy.random.RandomState(seed)
    features = rng.randn(6, 3).astype(floatX)
    labels = numpy.array([0, 2, 2, 0, 2, 3], dtype="int32")  # class 1 absent
    return features, labels


def variables():
    return tensor.matrix("features"), tensor.ivector("labels")


def test_cost_and_update_match_numpy():
    brick = make_brick()
    old = brick.centers.get_value()
    features, labels = batch()
    f, y = variables()
    cost = brick.apply(f, y)
    graph = ComputationGraph(cost)
    assert list(graph.updates) == [brick.centers]
    value = symbolic.function([f, y], cost, updates=graph.updates)(features, labels)
    expected_cost = 0.5 * ((features - old[labels]) ** 2).sum(axis=1).mean()
    numpy.testing.assert_allclose(value, expected_cost, rtol=1e-5)
    expected = old.copy()
    for label in numpy.unique(labels):
        mean = features[labels == label].mean(axis=0)
        expected[label] = 0.3 * mean + 0.7 * old[label]
    numpy.testing.assert_allclose(brick.centers.get_value(), expected, rtol=1e-5)
    numpy.testing.assert_array_equal(brick.centers.get_value()[1], old[1])


def test_gradient_by_finite_differences():
    brick = make_brick()
    features, labels = batch()
    verify_grad(
        lambda f: brick.apply(f, symbolic.shared(labels)),
        [features],
        rng=numpy.random.RandomState(2),
    )


def test_roles_and_pickling():
    brick = make_brick()
    f, y = variables()
    graph = ComputationGraph(brick.apply(f, y))
    assert graph.parameters == []
    assert VariableFilter(roles=[PERSISTENT])(graph.shared_variables) == [brick.centers]
    assert VariableFilter(roles=[PARAMETER])(graph.shared_variables) == []
    copy = pickle.loads(pickle.dumps(brick))
    numpy.testing.assert_array_equal(
        copy.centers.get_value(), brick.centers.get_value()
    )
    assert copy.alpha == brick.alpha


def test_bad_inputs_are_named():
    brick = make_brick()
    with pytest.raises(TypeError, match="labels must be integers"):
        brick.apply(tensor.matrix(), tensor.vector())
    with pytest.raises(ValueError, match="features must be a matrix"):
        brick.apply(tensor.vector(), tensor.ivector())


def test_main_loop_applies_the_update_and_lowers_cost():
    rng = numpy.random.RandomState(3)
    x = tensor.matrix("x")
    labels = tensor.ivector("labels")
    linear = Linear(5, 3, weights_init=IsotropicGaussian(0.5), biases_init=Constant(0))
    linear.initialize()
    brick = CenterLoss(feature_dim=3, num_classes=2, alpha=0.5)
    brick.initialize()
    cost = brick.apply(linear.apply(x), labels)
    data = {
        "x": rng.randn(20, 5).astype(floatX),
        "labels": rng.randint(0, 2, 20).astype("int32"),
    }
    before, after = train_and_report(cost, data, learning_rate=0.1, epochs=10)
    assert after < before
    # The centres moved: the update ran inside the training steps.
    assert abs(brick.centers.get_value()).sum() > 0

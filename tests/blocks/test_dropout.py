"""The Dropout brick and building training and inference graphs together."""

import pickle

import numpy
import pytest

import symbolic
from blocks.bricks import MLP, BatchNormalizedMLP, Rectifier, Tanh
from blocks.bricks.bn import BatchNormalization
from blocks.bricks.dropout import Dropout
from blocks.filter import VariableFilter, get_application_call
from blocks.graph import ComputationGraph
from blocks.graph.modes import training_and_inference, training_mode
from blocks.initialization import Constant, IsotropicGaussian
from blocks.roles import OUTPUT
from symbolic import tensor
from tests.helpers.brick_training import train_and_report

floatX = symbolic.config.floatX


def test_inference_passes_input_through():
    x = tensor.matrix("x")
    value = numpy.random.RandomState(0).randn(3, 4).astype(floatX)
    kept = symbolic.function([x], Dropout(0.3).apply(x))(value)
    numpy.testing.assert_array_equal(kept, value)
    scaled = symbolic.function([x], Dropout(0.3, rescale=False).apply(x))(value)
    numpy.testing.assert_allclose(scaled, 0.7 * value, rtol=1e-6)


def test_training_drops_and_rescales():
    dropout = Dropout(drop_prob=0.25, theano_seed=3)
    x = tensor.matrix("x")
    with dropout:
        out = dropout.apply(x)
    f = symbolic.function([x], out)
    ones = numpy.ones((200, 50), dtype=floatX)
    first, second = f(ones), f(ones)
    # Each kept value is scaled by 1 / (1 - p); dropped ones are zero.
    numpy.testing.assert_allclose(numpy.unique(first), [0.0, 1 / 0.75], rtol=1e-6)
    assert abs((first == 0).mean() - 0.25) < 0.02
    assert abs(first.mean() - 1.0) < 0.03
    # The random state advances between calls.
    assert (first != second).any()


def test_unscaled_training_keeps_values():
    dropout = Dropout(drop_prob=0.5, rescale=False, theano_seed=4)
    x = tensor.matrix("x")
    with dropout:
        out = symbolic.function([x], dropout.apply(x))(numpy.ones((4, 5), dtype=floatX))
    assert set(numpy.unique(out).tolist()) <= {0.0, 1.0}


def test_shared_axes_share_the_mask():
    dropout = Dropout(drop_prob=0.5, shared_axes=(0, 2), theano_seed=5)
    x = tensor.tensor3("x")
    with dropout:
        out = symbolic.function([x], dropout.apply(x))(
            numpy.ones((6, 40, 7), dtype=floatX)
        )
    # One value per position of axis 1, the same across axes 0 and 2.
    assert (out == out[:1, :, :1]).all()
    assert 0 < (out[0, :, 0] == 0).sum() < 40


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="drop_prob must lie in"):
        Dropout(drop_prob=1.0)
    with pytest.raises(ValueError, match="shared_axes"):
        Dropout(shared_axes=(3,)).apply(tensor.matrix())


def test_training_mode_switches_dropout_and_batch_norm():
    mlp = BatchNormalizedMLP([Tanh(), Tanh()], [3, 4, 2])
    dropout = Dropout(0.5)
    x = tensor.matrix("x")

    def build():
        return mlp.apply(dropout.apply(x))

    training, inference = training_and_inference(build, mlp, dropout)

    def modes(output, brick_class):
        outputs = VariableFilter(bricks=[brick_class], roles=[OUTPUT])(
            ComputationGraph(output)
        )
        return [get_application_call(v).metadata["training_mode"] for v in outputs]

    assert modes(training, Dropout) == [True]
    assert modes(training, BatchNormalization) == [True, True]
    assert modes(inference, Dropout) == [False]
    assert modes(inference, BatchNormalization) == [False, False]
    # The two graphs share the parameters.
    assert set(ComputationGraph(training).parameters) == set(
        ComputationGraph(inference).parameters
    )
    with training_mode(mlp):
        assert not dropout.training
    assert not dropout.training


def test_pickling_keeps_the_configuration():
    dropout = Dropout(drop_prob=0.2, shared_axes=(1,), rescale=False, theano_seed=7)
    copy = pickle.loads(pickle.dumps(dropout))
    assert (copy.drop_prob, copy.shared_axes, copy.rescale, copy.theano_seed) == (
        0.2,
        (1,),
        False,
        7,
    )


def test_training_with_dropout_lowers_the_inference_cost():
    rng = numpy.random.RandomState(0)
    x, y = tensor.matrix("x"), tensor.matrix("y")
    mlp = MLP(
        [Rectifier(), None],
        [4, 16, 2],
        weights_init=IsotropicGaussian(0.3),
        biases_init=Constant(0),
    )
    mlp.initialize()
    dropout = Dropout(drop_prob=0.2, theano_seed=1)

    def build():
        hidden = dropout.apply(mlp.linear_transformations[0].apply(x))
        output = mlp.linear_transformations[1].apply(mlp.activations[0].apply(hidden))
        return tensor.sqr(output - y).mean()

    training_cost, inference_cost = training_and_inference(build, dropout)
    data = {
        "x": rng.randn(32, 4).astype(floatX),
        "y": rng.randn(32, 2).astype(floatX),
    }
    before, after = train_and_report(
        training_cost, data, learning_rate=0.05, epochs=30, cost_of=inference_cost
    )
    assert after < before

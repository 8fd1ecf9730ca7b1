"""get_weights, set_weights and set_weights_by_name on Model and bricks."""

import pickle
import warnings

import numpy
import pytest

from blocks.bricks import MLP, Tanh
from blocks.initialization import IsotropicGaussian
from blocks.model import Model
from symbolic import tensor


def make_mlp(seed, name="mlp"):
    mlp = MLP(
        [Tanh(), Tanh()],
        [2, 3, 4],
        weights_init=IsotropicGaussian(1.0),
        biases_init=IsotropicGaussian(1.0),
        name=name,
        seed=seed,
    )
    mlp.initialize()
    return mlp


def test_model_round_trip():
    source = Model(make_mlp(1).apply(tensor.matrix("x")))
    target_mlp = make_mlp(2)
    target = Model(target_mlp.apply(tensor.matrix("x")))
    weights = source.get_weights()
    assert [name for _, name in weights] == list(source.get_parameter_dict())
    target.set_weights(weights, check_name="raise")
    for (value, name), (new, new_name) in zip(
        weights, target.get_weights(), strict=True
    ):
        assert name == new_name
        numpy.testing.assert_array_equal(value, new)


def test_brick_weights_and_pickled_weights():
    source, target = make_mlp(1), make_mlp(2)
    weights = pickle.loads(pickle.dumps(source.get_weights()))
    assert [name for _, name in weights] == [
        "/mlp/linear_0.W",
        "/mlp/linear_0.b",
        "/mlp/linear_1.W",
        "/mlp/linear_1.b",
    ]
    target.set_weights_by_name(weights)
    for (value, _), (new, _) in zip(weights, target.get_weights(), strict=True):
        numpy.testing.assert_array_equal(value, new)


def test_check_name_policies():
    source, target = make_mlp(1, name="a"), make_mlp(2, name="b")
    weights = source.get_weights()
    with pytest.raises(ValueError, match=r"is set to parameter '/b/linear_0\.W'"):
        target.set_weights(weights, check_name="raise")
    # Nothing was set by the failed call.
    assert not numpy.array_equal(target.get_weights()[0][0], weights[0][0])
    with pytest.warns(UserWarning, match="is set to parameter"):
        target.set_weights(weights, check_name="warn")
    numpy.testing.assert_array_equal(target.get_weights()[0][0], weights[0][0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        target.set_weights(weights)
    with pytest.raises(ValueError, match="check_name must be one of"):
        target.set_weights(weights, check_name="maybe")


def test_count_and_shape_mismatches_raise():
    mlp = make_mlp(1)
    weights = mlp.get_weights()
    with pytest.raises(ValueError, match="got 3 weights for 4 parameters"):
        mlp.set_weights(weights[:3])
    bad = [(numpy.zeros((5, 5)), weights[0][1]), *weights[1:]]
    with pytest.raises(ValueError, match=r"has shape \(5, 5\)"):
        mlp.set_weights(bad)


def test_unmatched_policies():
    mlp = make_mlp(1)
    weights = mlp.get_weights()
    partial = weights[:2] + [(numpy.ones(3), "/mlp/extra.b")]
    with pytest.raises(ValueError, match="weights without a parameter"):
        mlp.set_weights_by_name(partial)
    with pytest.warns(UserWarning, match="parameters without a weight"):
        mlp.set_weights_by_name(weights[:2], unmatched="warn")
    replacement = [(numpy.zeros_like(weights[0][0]), weights[0][1])]
    mlp.set_weights_by_name(replacement, unmatched="ignore")
    assert not mlp.get_weights()[0][0].any()
    model = Model(mlp.apply(tensor.matrix("x")))
    with pytest.raises(ValueError, match="parameters without a weight"):
        model.set_weights_by_name(replacement)
    model.set_weights_by_name(weights)
    by_name = {name: value for value, name in model.get_weights()}
    for value, name in weights:
        numpy.testing.assert_array_equal(by_name[name], value)

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import (
    BatchNormalization,
    BatchNormalizedMLP,
    Linear,
    Logistic,
    SpatialBatchNormalization,
    Tanh,
)
from blocks.filter import VariableFilter, get_application_call
from blocks.graph import ComputationGraph
from blocks.initialization import Constant
from blocks.roles import (
    BATCH_NORM_DIVISOR,
    BATCH_NORM_MINIBATCH_ESTIMATE,
    BATCH_NORM_OFFSET,
    BATCH_NORM_POPULATION_MEAN,
    BATCH_NORM_POPULATION_STDEV,
    BATCH_NORM_SCALE_PARAMETER,
    BATCH_NORM_SHIFT_PARAMETER,
    PARAMETER,
    has_roles,
)
from symbolic import tensor

floatX = symbolic.config.floatX


def random(*shape, seed=1):
    return numpy.random.RandomState(seed).normal(size=shape).astype(floatX)


@pytest.mark.parametrize(
    ("input_dim", "broadcastable", "var_dim"),
    [
        (5, None, (5,)),
        ((3, 4, 5), None, (3, 4, 5)),
        ((3, 4, 5), (False, True, True), (3, 1, 1)),
    ],
)
def test_allocation(input_dim, broadcastable, var_dim):
    brick = BatchNormalization(input_dim=input_dim, broadcastable=broadcastable)
    brick.allocate()
    expected_broadcastable = broadcastable or tuple(False for _ in var_dim)
    for var in (
        brick.shift,
        brick.scale,
        brick.population_mean,
        brick.population_stdev,
    ):
        assert var.get_value().shape == var_dim
        assert var.broadcastable == expected_broadcastable
    assert has_roles(brick.shift, [BATCH_NORM_SHIFT_PARAMETER])
    assert has_roles(brick.scale, [BATCH_NORM_SCALE_PARAMETER])
    assert has_roles(brick.scale, [PARAMETER])
    assert has_roles(brick.population_mean, [BATCH_NORM_POPULATION_MEAN])
    assert has_roles(brick.population_stdev, [BATCH_NORM_POPULATION_STDEV])
    assert brick.parameters == [brick.shift, brick.scale]
    assert (brick.population_mean.get_value() == 0).all()
    assert (brick.population_stdev.get_value() == 1).all()


def test_allocation_length_mismatch():
    brick = BatchNormalization(input_dim=(3, 4), broadcastable=(False,))
    with pytest.raises(ValueError, match="same length"):
        brick.allocate()


def test_no_learned_parameters():
    brick = BatchNormalization(5, learn_scale=False, learn_shift=False)
    brick.allocate()
    assert brick.parameters == []
    mean_only = BatchNormalization(5, mean_only=True)
    mean_only.allocate()
    assert mean_only.parameters == [mean_only.shift]


def test_initialize():
    brick = BatchNormalization(3, scale_init=Constant(2), shift_init=Constant(-1))
    brick.initialize()
    assert (brick.scale.get_value() == 2).all()
    assert (brick.shift.get_value() == -1).all()
    default = BatchNormalization(3)
    default.initialize()
    assert (default.scale.get_value() == 1).all()
    assert (default.shift.get_value() == 0).all()


def test_inference_mode_uses_population_statistics():
    x = tensor.matrix("x")
    brick = BatchNormalization(4, epsilon=1e-4)
    brick.initialize()
    brick.population_mean.set_value(numpy.arange(4, dtype=floatX))
    brick.population_stdev.set_value(numpy.full(4, 2.0, dtype=floatX))
    brick.scale.set_value(numpy.full(4, 3.0, dtype=floatX))
    brick.shift.set_value(numpy.full(4, 0.5, dtype=floatX))
    y = brick.apply(x)
    x_val = random(6, 4)
    expected = (x_val - numpy.arange(4)) / 2.0 * 3.0 + 0.5
    assert_allclose(y.eval({x: x_val}), expected, rtol=1e-5)
    call = get_application_call(y)
    assert call.metadata["training_mode"] is False


def test_training_mode_uses_minibatch_statistics():
    x = tensor.matrix("x")
    brick = BatchNormalization(4, epsilon=1e-3)
    brick.initialize()
    with brick:
        y = brick.apply(x)
    assert brick._training_mode == []
    x_val = random(6, 4)
    expected = (x_val - x_val.mean(axis=0)) / numpy.sqrt(x_val.var(axis=0) + 1e-3)
    assert_allclose(y.eval({x: x_val}), expected, rtol=1e-4, atol=1e-5)
    call = get_application_call(y)
    assert call.metadata["training_mode"] is True
    cg = ComputationGraph(y)
    assert len(VariableFilter(roles=[BATCH_NORM_MINIBATCH_ESTIMATE])(cg)) == 2
    assert len(VariableFilter(roles=[BATCH_NORM_OFFSET])(cg)) == 1
    assert len(VariableFilter(roles=[BATCH_NORM_DIVISOR])(cg)) == 1
    assert call.metadata["offset"].ndim == 1


def test_context_managers_nest():
    brick = BatchNormalization(3)
    with brick:
        with brick:
            assert len(brick._training_mode) == 2
        assert brick._training_mode
    assert not brick._training_mode


def test_mean_only_training():
    x = tensor.matrix("x")
    brick = BatchNormalization(3, mean_only=True)
    brick.initialize()
    with brick:
        y = brick.apply(x)
    x_val = random(5, 3)
    assert_allclose(
        y.eval({x: x_val}), x_val - x_val.mean(axis=0), rtol=1e-5, atol=1e-6
    )


def test_spatial_batch_normalization():
    x = tensor.tensor4("x")
    brick = SpatialBatchNormalization(input_dim=(2, 3, 4))
    brick.initialize()
    assert brick.population_mean.get_value().shape == (2, 1, 1)
    assert brick.normalization_axes == (0, 2, 3)
    with brick:
        y = brick.apply(x)
    x_val = random(5, 2, 3, 4)
    mean = x_val.mean(axis=(0, 2, 3), keepdims=True)
    std = numpy.sqrt(x_val.var(axis=(0, 2, 3), keepdims=True) + 1e-4)
    assert_allclose(y.eval({x: x_val}), (x_val - mean) / std, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="length >= 2"):
        SpatialBatchNormalization(input_dim=5).allocate()


def test_image_properties():
    brick = BatchNormalization()
    brick.num_channels = 3
    brick.image_size = (4, 5)
    assert brick.input_dim == (3, 4, 5)
    assert brick.num_output_channels == 3
    assert brick.output_dim == (3, 4, 5)
    assert brick.get_dim("output") == (3, 4, 5)


def test_batch_normalized_mlp():
    mlp = BatchNormalizedMLP([Tanh(), Logistic()], [5, 7, 9])
    assert mlp.use_bias is False
    assert [child.name for child in mlp.children][1] == "batch_norm_activation_0"
    mlp.allocate()
    assert mlp.activations[0].children[0].input_dim == 7
    assert mlp.activations[1].children[0].input_dim == 9
    assert all(not layer.use_bias for layer in mlp.linear_transformations)
    assert all(len(layer.parameters) == 1 for layer in mlp.linear_transformations)


def test_batch_normalized_mlp_pushes_options():
    mlp = BatchNormalizedMLP(
        [Tanh(), Tanh()],
        [5, 7, 9],
        mean_only=True,
        learn_shift=False,
        conserve_memory=False,
    )
    bricks = [act.children[0] for act in mlp.activations]
    assert all(brick.mean_only and not brick.learn_shift for brick in bricks)
    assert all(not brick.conserve_memory for brick in bricks)
    mlp.learn_scale = False
    assert not any(brick.learn_scale for brick in bricks)
    assert mlp.learn_scale is False
    biased = BatchNormalizedMLP([Tanh()], [2, 3], use_bias=True)
    biased.allocate()
    assert isinstance(biased.linear_transformations[0], Linear)
    assert len(biased.linear_transformations[0].parameters) == 2


def test_batch_normalized_mlp_numerics():
    x = tensor.matrix("x")
    mlp = BatchNormalizedMLP([Tanh()], [3, 4], weights_init=Constant(1))
    mlp.initialize()
    y = mlp.apply(x)
    x_val = random(2, 3)
    expected = numpy.tanh(x_val.dot(numpy.ones((3, 4))))
    assert_allclose(y.eval({x: x_val}), expected, rtol=1e-5)

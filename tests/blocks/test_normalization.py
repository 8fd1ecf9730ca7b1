"""GroupNormalization, LayerNormalization and InstanceNormalization."""

import pickle

import numpy
import pytest

import symbolic
from blocks.bricks import Linear
from blocks.bricks.normalization import (
    GroupNormalization,
    InstanceNormalization,
    LayerNormalization,
)
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.roles import (
    BATCH_NORM_SCALE_PARAMETER,
    BATCH_NORM_SHIFT_PARAMETER,
    BIAS,
    PARAMETER,
    WEIGHT,
)
from symbolic import tensor
from symbolic.gradient import verify_grad
from tests.helpers.brick_training import train_and_report

floatX = symbolic.config.floatX


def numpy_group_norm(x, num_groups, scale, shift, epsilon=1e-5):
    """Per example and group: subtract the mean, divide by the deviation."""
    out = numpy.empty_like(x)
    size = x.shape[1] // num_groups
    for n in range(x.shape[0]):
        for g in range(num_groups):
            block = x[n, g * size : (g + 1) * size]
            out[n, g * size : (g + 1) * size] = (block - block.mean()) / numpy.sqrt(
                block.var() + epsilon
            )
    pattern = (1, -1) + (1,) * (x.ndim - 2)
    return out * scale.reshape(pattern) + shift.reshape(pattern)


def random_brick(brick, seed=1):
    rng = numpy.random.RandomState(seed)
    brick.initialize()
    brick.scale.set_value(
        rng.uniform(0.5, 1.5, brick.scale.get_value().shape).astype(floatX)
    )
    brick.shift.set_value(rng.randn(*brick.shift.get_value().shape).astype(floatX))
    return brick


@pytest.mark.parametrize(
    ("shape", "groups"),
    [((3, 6), 2), ((2, 4, 3, 5), 2), ((2, 6, 4), 3), ((2, 4, 2, 2, 3), 4)],
)
def test_group_norm_matches_per_group_statistics(shape, groups):
    brick = random_brick(GroupNormalization(num_channels=shape[1], num_groups=groups))
    x = tensor.TensorType(floatX, (False,) * len(shape))("x")
    value = numpy.random.RandomState(0).randn(*shape).astype(floatX) * 3 + 2
    out = symbolic.function([x], brick.apply(x))(value)
    expected = numpy_group_norm(
        value, groups, brick.scale.get_value(), brick.shift.get_value()
    )
    numpy.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_layer_and_instance_norm_are_special_cases():
    rng = numpy.random.RandomState(2)
    value = rng.randn(2, 4, 3, 3).astype(floatX)
    x = tensor.tensor4("x")
    layer = random_brick(LayerNormalization(num_channels=4))
    instance = random_brick(InstanceNormalization(num_channels=4))
    assert layer.num_groups == 1 and instance.num_groups == 4
    for brick, groups in ((layer, 1), (instance, 4)):
        out = symbolic.function([x], brick.apply(x))(value)
        expected = numpy_group_norm(
            value, groups, brick.scale.get_value(), brick.shift.get_value()
        )
        numpy.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_bad_configurations_are_named():
    with pytest.raises(ValueError, match="num_groups must be a positive divisor"):
        GroupNormalization(num_channels=5, num_groups=2).allocate()
    with pytest.raises(ValueError, match="at least 3 axes"):
        InstanceNormalization(num_channels=3).apply(tensor.matrix())
    with pytest.raises(ValueError, match="at least 2 axes"):
        GroupNormalization(num_channels=3, num_groups=1).apply(tensor.vector())


def test_gradient_by_finite_differences():
    brick = random_brick(GroupNormalization(num_channels=4, num_groups=2))
    rng = numpy.random.RandomState(3)
    x = rng.randn(2, 4, 3).astype(floatX)
    scale, shift = brick.scale.get_value(), brick.shift.get_value()

    def fun(x_, scale_, shift_):
        out = brick.apply(x_)
        return symbolic.clone(out, replace={brick.scale: scale_, brick.shift: shift_})

    verify_grad(fun, [x, scale, shift], rng=rng)


def test_roles_and_pickling():
    brick = random_brick(GroupNormalization(num_channels=4, num_groups=2, name="gn"))
    x = tensor.tensor4("x")
    graph = ComputationGraph(brick.apply(x))
    assert VariableFilter(roles=[BATCH_NORM_SCALE_PARAMETER])(graph.parameters) == [
        brick.scale
    ]
    assert VariableFilter(roles=[BATCH_NORM_SHIFT_PARAMETER])(graph.parameters) == [
        brick.shift
    ]
    assert VariableFilter(roles=[BIAS])(graph.parameters) == [brick.shift]
    assert VariableFilter(roles=[WEIGHT])(graph.parameters) == []
    assert set(VariableFilter(roles=[PARAMETER])(graph.parameters)) == {
        brick.scale,
        brick.shift,
    }
    copy = pickle.loads(pickle.dumps(brick))
    numpy.testing.assert_array_equal(copy.scale.get_value(), brick.scale.get_value())
    value = numpy.random.RandomState(0).randn(1, 4, 2, 2).astype(floatX)
    numpy.testing.assert_allclose(
        symbolic.function([x], copy.apply(x))(value),
        symbolic.function([x], brick.apply(x))(value),
    )


def test_without_scale_and_shift():
    brick = GroupNormalization(
        num_channels=2, num_groups=1, learn_scale=False, learn_shift=False
    )
    brick.initialize()
    assert brick.parameters == []
    x = tensor.matrix("x")
    value = numpy.array([[1.0, 3.0]], dtype=floatX)
    out = symbolic.function([x], brick.apply(x))(value)
    numpy.testing.assert_allclose(out, [[-1.0, 1.0]], rtol=1e-4)


def test_training_lowers_cost():
    rng = numpy.random.RandomState(4)
    x = tensor.matrix("x")
    y = tensor.matrix("y")
    linear = Linear(3, 4, weights_init=IsotropicGaussian(0.1), biases_init=Constant(0))
    norm = LayerNormalization(num_channels=4)
    linear.initialize()
    norm.initialize()
    cost = tensor.sqr(norm.apply(linear.apply(x)) - y).mean()
    cost.name = "cost"
    data = {
        "x": rng.randn(16, 3).astype(floatX),
        "y": rng.randn(16, 4).astype(floatX),
    }
    before, after = train_and_report(cost, data, learning_rate=0.2, epochs=15)
    assert after < before

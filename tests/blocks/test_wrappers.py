import pickle

import numpy
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import NDimensionalSoftmax
from blocks.bricks.base import Brick, application
from blocks.bricks.wrappers import WithExtraDims
from symbolic import tensor

floatX = symbolic.config.floatX


class Summer(Brick):
    @application(inputs=["x", "y"], outputs=["sum"])
    def apply(self, x, y):
        return x + y.sum(axis=1, keepdims=True)


class SummerWithExtraDims(Summer):
    decorators = [WithExtraDims()]


def test_with_extra_dims_reshapes():
    x = tensor.tensor4("x")
    y = tensor.tensor4("y")
    brick = SummerWithExtraDims()
    result = brick.apply(x, y, extra_ndim=2)
    assert result.ndim == 4
    rng = numpy.random.RandomState(1)
    x_val = rng.normal(size=(2, 3, 4, 5)).astype(floatX)
    y_val = rng.normal(size=(2, 3, 4, 5)).astype(floatX)
    expected = x_val + y_val.sum(axis=3, keepdims=True)
    assert_allclose(result.eval({x: x_val, y: y_val}), expected, rtol=1e-5)
    assert SummerWithExtraDims.apply.__doc__.startswith("Wraps the application")
    assert brick.apply.inputs == ["x", "y"]
    assert brick.apply.outputs == ["sum"]


def test_without_extra_dims_behaves_like_the_original():
    x = tensor.matrix("x")
    y = tensor.matrix("y")
    value = numpy.ones((2, 3), dtype=floatX)
    result = SummerWithExtraDims().apply(x, y)
    assert_allclose(result.eval({x: value, y: value}), value + 3)


def test_ndimensional_softmax():
    x = tensor.tensor3("x")
    value = numpy.random.RandomState(2).normal(size=(2, 3, 4)).astype(floatX)
    probs = NDimensionalSoftmax().apply(x, extra_ndim=1).eval({x: value})
    e = numpy.exp(value - value.max(axis=2, keepdims=True))
    assert_allclose(probs, e / e.sum(axis=2, keepdims=True), rtol=1e-5)


def test_three_dimensional_cross_entropy():
    x = tensor.tensor3("x")
    y = tensor.lmatrix("y")
    cost = NDimensionalSoftmax().categorical_cross_entropy(y, x, extra_ndim=1)
    rng = numpy.random.RandomState(3)
    x_val = rng.normal(size=(2, 3, 4)).astype(floatX)
    y_val = rng.randint(4, size=(2, 3))
    log_probs = x_val - numpy.log(numpy.exp(x_val).sum(axis=2, keepdims=True))
    expected = -numpy.take_along_axis(log_probs, y_val[..., None], axis=2)[..., 0]
    assert_allclose(cost.eval({x: x_val, y: y_val}), expected, rtol=1e-5)


def test_wrapped_brick_pickles():
    brick = pickle.loads(pickle.dumps(NDimensionalSoftmax(name="s")))
    assert brick.name == "s"
    assert NDimensionalSoftmax.apply is pickle.loads(
        pickle.dumps(NDimensionalSoftmax.apply)
    )
    assert hasattr(NDimensionalSoftmax, "log_probabilities_delegate")

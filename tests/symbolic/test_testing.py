"""symbolic.testing (Theano's tests.unittest_tools) for Theano-era test suites."""

import numpy
import pytest

from symbolic import tensor as T
from symbolic.compile.ops import specify_shape
from symbolic.config import change_flags
from symbolic.gof import Apply, Op
from symbolic.gradient import GradientError
from symbolic.tests import unittest_tools as utt


def test_seeding_is_reproducible():
    assert utt.fetch_seed() == 666
    assert utt.fetch_seed(3) == 3
    utt.seed_rng()
    first = numpy.random.rand(3)
    utt.seed_rng()
    assert numpy.array_equal(first, numpy.random.rand(3))
    with change_flags(unittests__rseed="random"):
        assert utt.fetch_seed() is None
    with change_flags(unittests__rseed="abc"), pytest.raises(ValueError, match="rseed"):
        utt.fetch_seed()


def test_verify_grad_and_assert_allclose():
    utt.verify_grad(lambda x: T.exp(x).sum(), [numpy.array([0.1, 0.2])])
    with pytest.raises(GradientError):
        _wrong_gradient()
    utt.assert_allclose(numpy.float32(1.0), numpy.float32(1.000001))
    with pytest.raises(utt.WrongValue, match="max abs difference"):
        utt.assert_allclose(numpy.ones(2), numpy.array([1.0, 1.1]))


def _wrong_gradient():
    from symbolic.gradient import consider_constant

    # d/dx (const(x) * x) is x by the graph, 2x numerically.
    utt.verify_grad(lambda x: consider_constant(x) * x, [numpy.array([0.5])])


def test_mock_random_state():
    assert numpy.array_equal(utt.MockRandomState(0.5).rand(2), [0.5, 0.5])


class Repeat2(Op):
    """Concatenates a vector with itself; its infer_shape is right."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = numpy.concatenate([inputs[0], inputs[0]])

    def infer_shape(self, fgraph, node, input_shapes):
        return [(input_shapes[0][0] * 2,)]


class WrongShape(Repeat2):
    """The same op with an infer_shape that forgets the doubling."""

    def infer_shape(self, fgraph, node, input_shapes):
        return [(input_shapes[0][0],)]


class TestInferShape(utt.InferShapeTester):
    def test_right_infer_shape_passes(self):
        x = T.dvector("x")
        self._compile_and_check([x], [Repeat2()(x)], [numpy.ones(3)], Repeat2)

    def test_wrong_infer_shape_is_caught(self):
        x = T.dvector("x")
        with pytest.raises(AssertionError, match="inferred shape"):
            self._compile_and_check([x], [WrongShape()(x)], [numpy.ones(3)], WrongShape)

    def test_missing_op_is_caught(self):
        x = T.dvector("x")
        with pytest.raises(AssertionError, match="not in the compiled outputs"):
            self._compile_and_check(
                [x], [specify_shape(x, (3,)) * 2], [numpy.ones(3)], Repeat2
            )

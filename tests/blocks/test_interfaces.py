import numpy
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import Linear
from blocks.initialization import Constant
from symbolic import tensor


class TransposedLinear(Linear):
    """A Linear whose W is stored transposed."""

    @property
    def W(self):
        return self.parameters[0].T

    def _allocate(self):
        super()._allocate()
        self.parameters[0].set_value(
            numpy.zeros((self.output_dim, self.input_dim), dtype=symbolic.config.floatX)
        )


def test_linear_like_subclass_overrides_w():
    brick = TransposedLinear(2, 3, weights_init=Constant(1), biases_init=Constant(0))
    brick.initialize()
    assert brick.parameters[0].get_value().shape == (3, 2)
    x = tensor.matrix("x")
    value = numpy.array([[1, 2]], dtype=symbolic.config.floatX)
    assert_allclose(brick.apply(x).eval({x: value}), [[3, 3, 3]])

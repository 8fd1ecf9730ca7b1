# A small Theano script, unmodified: run with ``python -m symbolic.theano_alias``.
import sys

import numpy
import theano
import theano.tensor as T
from theano.sandbox.rng_mrg import MRG_RandomStreams
from theano.tensor.nnet import sigmoid

from blocks.bricks import Linear
from blocks.initialization import Constant

a, b = T.dscalars("a", "b")
f = theano.function([a, b], sigmoid(a) + b)
srng = MRG_RandomStreams(seed=1)
u = theano.function([], srng.uniform((3,)))()
print("result", f(0.0, float(sys.argv[1])))
print("uniform", u.shape, bool(numpy.all((u > 0) & (u < 1))))
print("floatX", theano.config.floatX)
print("same", theano.tensor is sys.modules["symbolic.tensor"])

linear = Linear(
    input_dim=2, output_dim=1, weights_init=Constant(1.0), biases_init=Constant(0.5)
)
linear.initialize()
x = T.matrix("x")
print("blocks", theano.function([x], linear.apply(x))([[1.0, 2.0]]).tolist())

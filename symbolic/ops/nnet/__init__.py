"""Neural-network ops: activations, softmax and cross-entropies.

``symbolic.tensor.nnet`` re-exports this namespace at Theano's path.
"""

from symbolic.ops.nnet.basic import *
from symbolic.ops.nnet.crossentropy import *
from symbolic.ops.nnet.sigm import *

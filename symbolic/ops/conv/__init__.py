"""2-D convolution: the abstract conv ops, their shape rules and kernels.

``symbolic.tensor.nnet.abstract_conv`` re-exports this at Theano's path.
"""

from symbolic.ops.conv.abstract_conv import *

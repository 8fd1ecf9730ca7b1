"""Theano path ``tensor.nnet`` (import-only shim)."""

from symbolic.ops.conv.abstract_conv import conv2d, conv2d_transpose
from symbolic.ops.nnet import *
from symbolic.ops.nnet.bn import batch_normalization
from symbolic.tensor.nnet import abstract_conv, bn, neighbours

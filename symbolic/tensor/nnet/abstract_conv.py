"""Theano path ``tensor.nnet.abstract_conv`` (import-only shim)."""

from symbolic.ops.conv.abstract_conv import *
from symbolic.ops.conv.abstract_conv import __all__

"""Theano path ``tensor.nnet.bn`` (import-only shim)."""

from symbolic.ops.nnet.bn import *
from symbolic.ops.nnet.bn import __all__

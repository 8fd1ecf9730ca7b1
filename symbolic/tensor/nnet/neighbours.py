"""Theano path ``tensor.nnet.neighbours`` (import-only shim)."""

from symbolic.ops.conv.neighbours import *
from symbolic.ops.conv.neighbours import __all__

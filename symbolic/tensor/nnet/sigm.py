"""Theano path ``tensor.nnet.sigm`` (import-only shim)."""

from symbolic.ops.nnet.sigm import *

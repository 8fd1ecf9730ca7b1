"""Theano path ``tensor.nnet`` (import-only shim)."""

from symbolic.ops.nnet import *

"""Theano path ``tensor.nnet.nnet`` (import-only shim)."""

from symbolic.ops.nnet.basic import *
from symbolic.ops.nnet.crossentropy import *

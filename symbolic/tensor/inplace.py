"""Theano path ``tensor.inplace`` (import-only shim)."""

from symbolic.ops.inplace import *
from symbolic.ops.inplace import __all__ as _math_names
from symbolic.ops.nnet.sigm import sigmoid_inplace, softplus_inplace

__all__ = sorted([*_math_names, "sigmoid_inplace", "softplus_inplace"])

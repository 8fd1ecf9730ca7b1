"""Theano path ``tensor.inplace`` (import-only shim)."""

from symbolic.ops.inplace import *
from symbolic.ops.inplace import __all__

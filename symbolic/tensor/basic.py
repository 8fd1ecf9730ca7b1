"""Theano path ``tensor.basic`` (import-only shim)."""

from symbolic.ops import *
from symbolic.ops.basic import *
from symbolic.types.tensor import *

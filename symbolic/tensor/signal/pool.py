"""Theano path ``tensor.signal.pool`` (import-only shim)."""

from symbolic.ops.pool import *
from symbolic.ops.pool import __all__

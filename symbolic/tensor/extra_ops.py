"""Theano path ``tensor.extra_ops`` (import-only shim)."""

from symbolic.ops.extra import *

"""Theano path ``tensor.subtensor`` (import-only shim)."""

from symbolic.ops.subtensor import *

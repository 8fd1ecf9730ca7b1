"""Theano path ``tensor.type`` (import-only shim)."""

from symbolic.types.tensor import TensorType

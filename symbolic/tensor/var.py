"""Theano path ``tensor.var`` (import-only shim)."""

from symbolic.types.tensor import TensorConstant, TensorVariable, _tensor_py_operators

"""Theano path ``tensor.sharedvar`` (import-only shim)."""

from symbolic.compile.shared import (
    ScalarSharedVariable,
    SharedVariable,
    TensorSharedVariable,
    scalar_constructor,
    tensor_constructor,
)

__all__ = [
    "ScalarSharedVariable",
    "SharedVariable",
    "TensorSharedVariable",
    "scalar_constructor",
    "tensor_constructor",
]

"""Theano path ``compile.function_module`` (import-only shim)."""

from symbolic.compile.function import (
    AliasedMemoryError,
    Function,
    FunctionMaker,
    UnusedInputError,
)

__all__ = ["AliasedMemoryError", "Function", "FunctionMaker", "UnusedInputError"]

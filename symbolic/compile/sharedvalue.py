"""Theano path ``compile.sharedvalue`` (import-only shim)."""

from symbolic.compile.shared import SharedVariable, shared, shared_constructor

__all__ = ["SharedVariable", "shared", "shared_constructor"]

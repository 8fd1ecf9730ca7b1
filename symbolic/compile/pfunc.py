"""Theano path ``compile.pfunc`` (import-only shim)."""

from symbolic.compile.function import pfunc

__all__ = ["pfunc"]

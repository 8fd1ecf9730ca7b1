"""Theano path ``compile.pfunc`` (import-only shim)."""

from symbolic.compile.function import pfunc
from symbolic.compile.rebuild import rebuild_collect_shared

__all__ = ["pfunc", "rebuild_collect_shared"]

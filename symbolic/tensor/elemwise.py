"""Theano path ``tensor.elemwise`` (import-only shim)."""

from symbolic.ops.elemwise import CAReduce, DimShuffle, Elemwise

__all__ = ["CAReduce", "DimShuffle", "Elemwise"]

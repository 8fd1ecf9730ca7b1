"""Theano path ``tensor.sort`` (import-only shim)."""

from symbolic.ops.sorting import ArgSortOp, SortOp, argsort, sort

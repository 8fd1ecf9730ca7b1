"""Theano path ``typed_list.type`` (import-only shim)."""

from symbolic.types.typed_list import TypedListType

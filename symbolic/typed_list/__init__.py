"""Theano path ``typed_list`` (import-only shim)."""

from symbolic.ops.typed_list import *
from symbolic.typed_list import basic, type
from symbolic.types.typed_list import (
    TypedListConstant,
    TypedListType,
    TypedListVariable,
)

"""Theano path ``typed_list.basic`` (import-only shim)."""

from symbolic.ops.typed_list import *
from symbolic.types.typed_list import TypedListConstant, TypedListVariable

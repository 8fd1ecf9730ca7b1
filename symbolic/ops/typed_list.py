"""Ops on typed lists: indexing, append/extend/insert/remove/reverse, count, length.

Each op returns a new list (a shallow copy) unless built with
``inplace=True``, in which case it edits its input list and declares it in
``destroy_map``. As in Theano, these ops have no gradients.
"""

import sys

import numpy

from symbolic.graph.basic import Apply, Constant, Variable
from symbolic.graph.op import Op
from symbolic.types import typed_list as typed_list_types
from symbolic.types.generic import generic
from symbolic.types.tensor import TensorType, as_tensor_variable
from symbolic.types.typed_list import TypedListType

_INDEX = TensorType("int64", ())


def _as_list_variable(x, what):
    if not isinstance(x, Variable) or not isinstance(x.type, TypedListType):
        if isinstance(x, (list, tuple)):
            raise TypeError(
                f"{what}: build a symbolic list with make_list, got a Python {x!r}"
            )
        raise TypeError(f"{what} expects a typed list variable, got {x!r}")
    return x


def _as_element(x, list_var, what):
    """``x`` as a variable of ``list_var``'s element type."""
    ttype = list_var.type.ttype
    if not isinstance(x, Variable):
        return ttype.filter_variable(x)
    if x.type != ttype:
        converted = ttype.convert_variable(x)
        if converted is None:
            raise TypeError(
                f"{what}: {x} of type {x.type} does not fit a list of {ttype}"
            )
        return converted
    return x


def _as_index(i, what):
    i = as_tensor_variable(i)
    if i.ndim != 0 or not i.dtype.startswith(("int", "uint")):
        raise TypeError(f"{what}: the index must be an integer scalar, got {i}")
    return i


class _ListOp(Op):
    """Shared in-place handling: output 0 overwrites input 0 when ``inplace``."""

    __props__ = ("inplace",)

    def __init__(self, inplace=False):
        self.inplace = inplace
        if inplace:
            self.destroy_map = {0: [0]}

    def _output_list(self, x):
        return x if self.inplace else list(x)

    def __str__(self):
        suffix = "{inplace}" if self.inplace else ""
        return f"{type(self).__name__}{suffix}"


class GetItem(Op):
    """``x[index]``: an element for an integer index, a list for a slice."""

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, x, index):
        x = _as_list_variable(x, "getitem")
        if isinstance(index, slice):
            parts = [index.start, index.stop, index.step]
            inputs = [
                _as_index(p, "getitem") if p is not None else _none_index()
                for p in parts
            ]
            return Apply(GetSlice(), [x, *inputs], [x.type()])
        index = _as_index(index, "getitem")
        return Apply(self, [x, index], [x.type.ttype()])

    def perform(self, node, inputs, output_storage):
        x, index = inputs
        output_storage[0][0] = x[int(index)]


def _none_index():
    """An omitted slice bound."""
    return Constant(generic, None)


class GetSlice(Op):
    """``x[start:stop:step]`` as a new list (a missing bound is a None constant)."""

    __props__ = ()

    def make_node(self, x, start, stop, step):
        return Apply(self, [x, start, stop, step], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, *bounds = inputs
        start, stop, step = (None if b is None else int(b) for b in bounds)
        output_storage[0][0] = x[start:stop:step]


class Append(_ListOp):
    """``x + [to_append]``."""

    def make_node(self, x, to_append):
        x = _as_list_variable(x, "append")
        to_append = _as_element(to_append, x, "append")
        return Apply(self, [x, to_append], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, to_append = inputs
        out = self._output_list(x)
        out.append(to_append)
        output_storage[0][0] = out


class Extend(_ListOp):
    """``x + to_append`` for a list ``to_append`` of the same type."""

    def make_node(self, x, to_append):
        x = _as_list_variable(x, "extend")
        to_append = _as_list_variable(to_append, "extend")
        if to_append.type != x.type:
            raise TypeError(f"extend: {to_append.type} does not match {x.type}")
        return Apply(self, [x, to_append], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, to_append = inputs
        out = self._output_list(x)
        out.extend(to_append)
        output_storage[0][0] = out


class Insert(_ListOp):
    """``x`` with ``to_insert`` placed before position ``index``."""

    def make_node(self, x, index, to_insert):
        x = _as_list_variable(x, "insert")
        index = _as_index(index, "insert")
        to_insert = _as_element(to_insert, x, "insert")
        return Apply(self, [x, index, to_insert], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, index, to_insert = inputs
        out = self._output_list(x)
        out.insert(int(index), to_insert)
        output_storage[0][0] = out


def _position(node, values, elem):
    """Index of the first entry of ``values`` equal to ``elem`` (by value), or -1."""
    equal = node.inputs[0].type.ttype.values_eq
    for i, value in enumerate(values):
        if equal(value, elem):
            return i
    return -1


class Remove(_ListOp):
    """``x`` without its first element equal to ``to_remove`` (ValueError if none)."""

    def make_node(self, x, to_remove):
        x = _as_list_variable(x, "remove")
        to_remove = _as_element(to_remove, x, "remove")
        return Apply(self, [x, to_remove], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, to_remove = inputs
        position = _position(node, x, to_remove)
        if position < 0:
            raise ValueError(f"remove: the value is not in the list {node.inputs[0]}")
        out = self._output_list(x)
        del out[position]
        output_storage[0][0] = out


class Reverse(_ListOp):
    """``x`` in reverse order."""

    def make_node(self, x):
        x = _as_list_variable(x, "reverse")
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        out = self._output_list(inputs[0])
        out.reverse()
        output_storage[0][0] = out


class Index(Op):
    """The position of the first ``x`` element equal to ``elem`` (or ValueError)."""

    __props__ = ()

    def make_node(self, x, elem):
        x = _as_list_variable(x, "index")
        elem = _as_element(elem, x, "index")
        return Apply(self, [x, elem], [_INDEX()])

    def perform(self, node, inputs, output_storage):
        x, elem = inputs
        position = _position(node, x, elem)
        if position < 0:
            raise ValueError(f"index: the value is not in the list {node.inputs[0]}")
        output_storage[0][0] = numpy.asarray(position, dtype="int64")


class Count(Op):
    """How many elements of ``x`` equal ``elem`` (compared by value)."""

    __props__ = ()

    def make_node(self, x, elem):
        x = _as_list_variable(x, "count")
        elem = _as_element(elem, x, "count")
        return Apply(self, [x, elem], [_INDEX()])

    def perform(self, node, inputs, output_storage):
        x, elem = inputs
        equal = node.inputs[0].type.ttype.values_eq
        total = sum(1 for value in x if equal(value, elem))
        output_storage[0][0] = numpy.asarray(total, dtype="int64")


class Length(Op):
    """``len(x)`` as an int64 scalar."""

    __props__ = ()

    def make_node(self, x):
        x = _as_list_variable(x, "length")
        return Apply(self, [x], [_INDEX()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = numpy.asarray(len(inputs[0]), dtype="int64")


class MakeList(Op):
    """A typed list of the given variables (all of one type)."""

    __props__ = ()

    def make_node(self, *items):
        if not items:
            raise TypeError("make_list needs at least one element to know its type")
        items = [x if isinstance(x, Variable) else as_tensor_variable(x) for x in items]
        ttype = items[0].type
        for x in items[1:]:
            if x.type != ttype:
                raise TypeError(
                    f"make_list: every element must have type {ttype}, {x} has {x.type}"
                )
        return Apply(self, items, [TypedListType(ttype)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = list(inputs)


def getitem(x, index):
    """Return ``x[index]`` (an element, or a list for a slice)."""
    return GetItem()(x, index)


def append(x, to_append):
    """Return list ``x`` with ``to_append`` added at the end."""
    return Append()(x, to_append)


def extend(x, to_append):
    """Return list ``x`` followed by the elements of list ``to_append``."""
    return Extend()(x, to_append)


def insert(x, index, to_insert):
    """Return list ``x`` with ``to_insert`` placed before position ``index``."""
    return Insert()(x, index, to_insert)


def remove(x, to_remove):
    """Return list ``x`` without its first element equal to ``to_remove``."""
    return Remove()(x, to_remove)


def reverse(x):
    """Return list ``x`` reversed."""
    return Reverse()(x)


def index_(x, elem):
    """Return the position of the first element of ``x`` equal to ``elem``."""
    return Index()(x, elem)


def count(x, elem):
    """Return how many elements of ``x`` equal ``elem``."""
    return Count()(x, elem)


def length(x):
    """Return the length of list ``x`` (an int64 scalar)."""
    return Length()(x)


def make_list(items):
    """Return a typed list holding the variables (or values) in ``items``."""
    return MakeList()(*items)


__all__ = [
    "Append",
    "Count",
    "Extend",
    "GetItem",
    "GetSlice",
    "Index",
    "Insert",
    "Length",
    "MakeList",
    "Remove",
    "Reverse",
    "append",
    "count",
    "extend",
    "getitem",
    "index_",
    "insert",
    "length",
    "make_list",
    "remove",
    "reverse",
]

# Typed list variables' methods (``l[i]``, ``l.append(x)``...) call this module.
_namespace = sys.modules[__name__]
typed_list_types.ops_namespace.install(lambda: _namespace)

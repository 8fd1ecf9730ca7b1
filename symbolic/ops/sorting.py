"""Sorting: SortOp, ArgSortOp and the permutation gather behind sort's gradient."""

import numpy

from symbolic.graph.basic import Apply, Constant
from symbolic.graph.op import Op
from symbolic.ops.reshaping import (
    constant_int,
    disconnected,
    fit_grad,
    flatten,
    is_disconnected,
    zero_grad,
)
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable

__all__ = [
    "ArgSort",
    "ArgSortOp",
    "PermuteAlongAxis",
    "Sort",
    "SortOp",
    "argsort",
    "sort",
]

_KINDS = ("quicksort", "mergesort", "heapsort", "stable")


def _sort_axis(axis, a, where):
    """Return ``axis`` as an integer scalar tensor, checking constant values."""
    axis = as_tensor_variable(axis)
    if axis.ndim != 0 or axis.dtype not in dt.integer_dtypes:
        raise TypeError(
            f"{where}: axis must be an integer scalar or None, got "
            f"{axis} of type {axis.type}"
        )
    value = constant_int(axis)
    if value is not None and not -a.ndim <= value < a.ndim:
        raise ValueError(f"{where}: axis {value} is out of range for {a} ({a.type})")
    return axis


class _SortBase(Op):
    __props__ = ("kind", "order")

    def __init__(self, kind="quicksort", order=None):
        if kind not in _KINDS:
            raise ValueError(
                f"{type(self).__name__}: kind must be one of {_KINDS}, got {kind!r}"
            )
        if order is not None:
            raise ValueError(
                f"{type(self).__name__}: order= applies to structured "
                "arrays, which tensors are not; it must be None"
            )
        self.kind = kind
        self.order = order

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def connection_pattern(self, node):
        return [[True], [False]]

    def __str__(self):
        return f"{type(self).__name__}{{{self.kind}, {self.order}}}"


class SortOp(_SortBase):
    """Sort ``a`` along ``axis`` (numpy.sort); inputs are ``(a, axis)``.

    Gradient: the output gradient scattered back to where each element came
    from, i.e. gathered with the inverse of ``argsort(a)``.  ``axis`` is
    disconnected.  Not in place.
    """

    def make_node(self, a, axis):
        a = as_tensor_variable(a)
        axis = _sort_axis(axis, a, "sort")
        return Apply(self, [a, axis], [a.type()])

    def perform(self, node, inputs, output_storage):
        a, axis = inputs
        output_storage[0][0] = numpy.sort(a, int(axis), self.kind)

    def L_op(self, inputs, outputs, grads):
        a, axis = inputs
        (gz,) = grads
        if dt.is_discrete(a.dtype) or is_disconnected(gz):
            return [zero_grad(a), disconnected()]
        idx = ArgSortOp(self.kind)(a, axis)
        inverse = ArgSortOp("quicksort")(idx, axis)
        return [fit_grad(PermuteAlongAxis()(gz, inverse, axis), a), disconnected()]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        a, axis = inputs
        idx = ArgSortOp(self.kind)(a, axis)
        return [PermuteAlongAxis()(eval_points[0], idx, axis)]


class ArgSortOp(_SortBase):
    """The int64 indices that sort ``a`` along ``axis`` (numpy.argsort).

    Integer-valued, so the gradient wrt ``a`` is zero; ``axis`` is
    disconnected.
    """

    def make_node(self, a, axis):
        a = as_tensor_variable(a)
        axis = _sort_axis(axis, a, "argsort")
        return Apply(self, [a, axis], [TensorType("int64", a.broadcastable)()])

    def perform(self, node, inputs, output_storage):
        a, axis = inputs
        output_storage[0][0] = numpy.argsort(a, int(axis), self.kind).astype("int64")

    def L_op(self, inputs, outputs, grads):
        return [zero_grad(inputs[0]), disconnected()]

    def connection_pattern(self, node):
        return [[False], [False]]

    def R_op(self, inputs, eval_points):
        return [None]


Sort = SortOp
ArgSort = ArgSortOp


class PermuteAlongAxis(Op):
    """Gather ``x`` along ``axis`` by ``perm``, a permutation of each 1-d slice.

    ``out = numpy.take_along_axis(x, perm, axis)``.  Inputs are
    ``(x, perm, axis)``.  Gradient wrt ``x``: the output gradient gathered
    with the inverse permutation ``argsort(perm)``; ``perm`` and ``axis`` are
    disconnected.  Not in place.
    """

    __props__ = ()

    def make_node(self, x, perm, axis):
        x = as_tensor_variable(x)
        perm = as_tensor_variable(perm)
        if perm.ndim != x.ndim or perm.dtype not in dt.integer_dtypes:
            raise TypeError(
                f"PermuteAlongAxis: perm {perm} must be an integer tensor "
                f"with {x.ndim} dims, got type {perm.type}"
            )
        axis = _sort_axis(axis, x, "PermuteAlongAxis")
        bcast = [
            a and b for a, b in zip(x.broadcastable, perm.broadcastable, strict=True)
        ]
        return Apply(self, [x, perm, axis], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, perm, axis = inputs
        if x.shape != perm.shape:
            raise ValueError(
                f"PermuteAlongAxis: {node.inputs[0]} has shape {x.shape} "
                f"but the permutation has shape {perm.shape}"
            )
        output_storage[0][0] = numpy.take_along_axis(x, perm, int(axis))

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def L_op(self, inputs, outputs, grads):
        x, perm, axis = inputs
        (gz,) = grads
        if dt.is_discrete(x.dtype) or is_disconnected(gz):
            return [zero_grad(x), disconnected(), disconnected()]
        inverse = ArgSortOp("quicksort")(perm, axis)
        return [fit_grad(self(gz, inverse, axis), x), disconnected(), disconnected()]

    def connection_pattern(self, node):
        return [[True], [False], [False]]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], *inputs[1:])]


def _flat_if_none(a, axis):
    a = as_tensor_variable(a)
    if axis is None or (isinstance(axis, Constant) and axis.data is None):
        return flatten(a), 0
    return a, axis


def sort(a, axis=-1, kind="quicksort", order=None):
    """Return a sorted copy of ``a`` along ``axis`` (None: the flattened array).

    Examples
    --------
    >>> from symbolic.types.tensor import vector
    >>> sort(vector('v')).ndim
    1
    """
    a, axis = _flat_if_none(a, axis)
    return SortOp(kind, order)(a, axis)


def argsort(a, axis=-1, kind="quicksort", order=None):
    """Return the int64 indices that sort ``a`` along ``axis`` (None: flattened)."""
    a, axis = _flat_if_none(a, axis)
    return ArgSortOp(kind, order)(a, axis)

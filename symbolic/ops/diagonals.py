"""Diagonals and identity matrices: Eye, AllocDiag, ExtractDiag, diag, trace."""

import numpy

from symbolic.config import config
from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.math import cast, clip, minimum
from symbolic.ops.math import sum as tensor_sum
from symbolic.ops.reshaping import (
    as_int_scalar,
    disconnected,
    fit_grad,
    is_disconnected,
    normalize_axis,
    shape_entry,
    zero_grad,
)
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable

__all__ = [
    "AllocDiag",
    "ExtractDiag",
    "ExtractDiagGrad",
    "Eye",
    "diag",
    "diagonal",
    "eye",
    "identity_like",
    "trace",
]


class Eye(Op):
    """The ``n x m`` matrix with ones on diagonal ``k`` (numpy.eye).

    Inputs ``n``, ``m`` and ``k`` are integer scalars; the output has dtype
    ``dtype``.  It depends on them only through its shape, so every input is
    disconnected from the gradient.
    """

    __props__ = ("dtype",)

    def __init__(self, dtype=None):
        self.dtype = str(numpy.dtype(dtype or config.floatX))

    def make_node(self, n, m, k):
        n = as_int_scalar(n, "n", "eye")
        m = as_int_scalar(m, "m", "eye")
        k = as_int_scalar(k, "k", "eye")
        return Apply(self, [n, m, k], [TensorType(self.dtype, (False, False))()])

    def perform(self, node, inputs, output_storage):
        n, m, k = (int(v) for v in inputs)
        if n < 0 or m < 0:
            raise ValueError(f"eye: negative dimensions n={n}, m={m}")
        output_storage[0][0] = numpy.eye(n, m, k, dtype=self.dtype)

    def infer_shape(self, fgraph, node, shapes):
        n, m, _ = node.inputs
        return [(cast(n, "int64"), cast(m, "int64"))]

    def L_op(self, inputs, outputs, grads):
        return [disconnected(), disconnected(), disconnected()]

    def connection_pattern(self, node):
        return [[False], [False], [False]]


def eye(n, m=None, k=0, dtype=None):
    """Return an ``n x m`` matrix (``m`` defaults to ``n``) with ones on diagonal ``k``.

    The dtype defaults to floatX.

    Examples
    --------
    >>> eye(2, 3, k=1).eval()
    array([[0., 1., 0.],
           [0., 0., 1.]])
    """
    if dtype is None:
        dtype = config.floatX
    if m is None:
        m = n
    return Eye(dtype)(n, m, k)


def identity_like(x):
    """Return the identity matrix with the shape and dtype of matrix ``x``."""
    x = as_tensor_variable(x)
    return eye(shape_entry(x, 0), shape_entry(x, 1), k=0, dtype=x.dtype)


class AllocDiag(Op):
    """The square matrix with vector ``v`` on diagonal ``offset`` (numpy.diag).

    Gradient: the ``offset`` diagonal of the output gradient.  Not in place.
    """

    __props__ = ("offset",)

    def __init__(self, offset=0):
        self.offset = int(offset)

    def make_node(self, v):
        v = as_tensor_variable(v)
        if v.ndim != 1:
            raise TypeError(f"AllocDiag: expected a vector, got {v} of type {v.type}")
        return Apply(self, [v], [TensorType(v.dtype, (False, False))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = numpy.diag(inputs[0], self.offset)

    def infer_shape(self, fgraph, node, shapes):
        n = shapes[0][0] + abs(self.offset)
        return [(n, n)]

    def L_op(self, inputs, outputs, grads):
        (v,) = inputs
        (gz,) = grads
        if dt.is_discrete(v.dtype) or is_disconnected(gz):
            return [zero_grad(v)]
        return [fit_grad(ExtractDiag(self.offset)(gz), v)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0])]


class ExtractDiag(Op):
    """The diagonal ``offset`` of ``x`` over ``axis1`` and ``axis2`` (numpy.diagonal).

    Those two axes are removed and the diagonal is appended as the last axis.
    Gradient: zeros shaped like ``x`` with the output gradient on that
    diagonal (ExtractDiagGrad).  A copy unless ``view``.
    """

    __props__ = ("offset", "axis1", "axis2", "view")

    def __init__(self, offset=0, axis1=0, axis2=1, view=False):
        self.offset = int(offset)
        self.axis1 = int(axis1)
        self.axis2 = int(axis2)
        self.view = bool(view)
        if self.view:
            self.view_map = {0: [0]}

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim < 2:
            raise ValueError(f"diagonal: {x} ({x.type}) needs at least 2 dims")
        axes = {
            normalize_axis(self.axis1, x.ndim, "diagonal"),
            normalize_axis(self.axis2, x.ndim, "diagonal"),
        }
        if len(axes) != 2:
            raise ValueError(
                f"diagonal: axis1 and axis2 must differ, got "
                f"{self.axis1} and {self.axis2}"
            )
        bcast = [b for i, b in enumerate(x.broadcastable) if i not in axes] + [False]
        return Apply(self, [x], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        out = numpy.diagonal(inputs[0], self.offset, self.axis1, self.axis2)
        output_storage[0][0] = out if self.view else out.copy()

    def infer_shape(self, fgraph, node, shapes):
        (in_shape,) = shapes
        ndim = len(in_shape)
        axis1 = normalize_axis(self.axis1, ndim, "diagonal")
        axis2 = normalize_axis(self.axis2, ndim, "diagonal")
        dim1, dim2 = in_shape[axis1], in_shape[axis2]
        out = [d for i, d in enumerate(in_shape) if i not in (axis1, axis2)]
        if self.offset > 0:
            size = clip(dim2 - self.offset, 0, dim1)
        elif self.offset < 0:
            size = clip(dim1 + self.offset, 0, dim2)
        else:
            size = minimum(dim1, dim2)
        return [(*out, cast(size, "int64"))]

    def L_op(self, inputs, outputs, grads):
        (x,) = inputs
        (gz,) = grads
        if dt.is_discrete(x.dtype) or is_disconnected(gz):
            return [zero_grad(x)]
        op = ExtractDiagGrad(self.offset, self.axis1, self.axis2)
        return [fit_grad(op(x, gz), x)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0])]


class ExtractDiagGrad(Op):
    """Zeros shaped like ``x`` with ``gz`` on its ``offset`` diagonal (axis1, axis2).

    The adjoint of ExtractDiag; ``x`` contributes only its shape, so it is
    disconnected.  Gradient wrt ``gz``: ExtractDiag of the output gradient.
    """

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset=0, axis1=0, axis2=1):
        self.offset = int(offset)
        self.axis1 = int(axis1)
        self.axis2 = int(axis2)

    def make_node(self, x, gz):
        x = as_tensor_variable(x)
        gz = as_tensor_variable(gz)
        if gz.ndim != x.ndim - 1:
            raise TypeError(
                f"ExtractDiagGrad: {gz} must have {x.ndim - 1} dims, got {gz.ndim}"
            )
        dtype = dt.upcast(x.dtype, gz.dtype)
        return Apply(self, [x, gz], [TensorType(dtype, x.broadcastable)()])

    def perform(self, node, inputs, output_storage):
        x, gz = inputs
        out = numpy.zeros(x.shape, dtype=node.outputs[0].dtype)
        moved = numpy.moveaxis(out, (self.axis1, self.axis2), (-2, -1))
        n = gz.shape[-1]
        rows = numpy.arange(n) + max(-self.offset, 0)
        cols = numpy.arange(n) + max(self.offset, 0)
        moved[..., rows, cols] = gz
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def L_op(self, inputs, outputs, grads):
        _x, gz = inputs
        (g,) = grads
        if is_disconnected(g) or dt.is_discrete(gz.dtype):
            return [disconnected(), zero_grad(gz)]
        op = ExtractDiag(self.offset, self.axis1, self.axis2)
        return [disconnected(), fit_grad(op(g), gz)]

    def connection_pattern(self, node):
        return [[False], [True]]

    def R_op(self, inputs, eval_points):
        if eval_points[1] is None:
            return [None]
        return [self(inputs[0], eval_points[1])]


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal ``offset`` of ``a`` over ``axis1`` and ``axis2``; numpy.diagonal."""
    a = as_tensor_variable(a)
    if a.ndim < 2:
        raise ValueError(f"diagonal: {a} ({a.type}) needs at least 2 dims")
    axis1 = normalize_axis(axis1, a.ndim, "diagonal")
    axis2 = normalize_axis(axis2, a.ndim, "diagonal")
    return ExtractDiag(offset, axis1, axis2)(a)


def diag(v, k=0):
    """Vector to diagonal matrix, or matrix (or more) to its diagonal (numpy.diag)."""
    v = as_tensor_variable(v)
    if v.ndim == 1:
        return AllocDiag(k)(v)
    if v.ndim >= 2:
        return diagonal(v, offset=k)
    raise ValueError(f"diag: {v} ({v.type}) must have at least 1 dim")


def trace(a, offset=0, axis1=0, axis2=1):
    """Return the sum along the diagonal ``offset`` of ``a`` (numpy.trace)."""
    return tensor_sum(diagonal(a, offset, axis1, axis2), axis=-1)

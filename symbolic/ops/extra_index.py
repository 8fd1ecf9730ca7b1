"""Index arithmetic from ``tensor.extra_ops``: searchsorted, unravel and ravel indices.

Every output holds int64 indices, so no input receives a gradient.  The
names are re-exported by ``symbolic.ops.extra``.
"""

import numpy

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.basic import get_vector_length
from symbolic.ops.reshaping import as_int_vector, disconnected, zero_grad
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable

__all__ = [
    "RavelMultiIndex",
    "SearchsortedOp",
    "UnravelIndex",
    "ravel_multi_index",
    "searchsorted",
    "unravel_index",
]


def _as_int_tensor(value, what, where):
    var = as_tensor_variable(value)
    if var.dtype not in dt.integer_dtypes:
        raise TypeError(
            f"{where}: {what} must hold integers, got {value} of type {var.type}"
        )
    return var


def _check_order(order, where):
    if order not in ("C", "F"):
        raise ValueError(f"{where}: order must be 'C' or 'F', got {order!r}")
    return order


class SearchsortedOp(Op):
    """Indices where ``v``'s elements would be inserted to keep ``x`` sorted.

    ``numpy.searchsorted(x, v, side, sorter)``: ``x`` is a vector (sorted,
    or put in order by the optional int vector ``sorter``); the int64 output
    has ``v``'s shape.  Integer-valued, so ``x`` and ``v`` get zero
    gradients and ``sorter`` is disconnected.
    """

    __props__ = ("side",)

    def __init__(self, side="left"):
        if side not in ("left", "right"):
            raise ValueError(
                f"searchsorted: side must be 'left' or 'right', got {side!r}"
            )
        self.side = side

    def make_node(self, x, v, sorter=None):
        x = as_tensor_variable(x)
        if x.ndim != 1:
            raise TypeError(
                f"searchsorted: x must be a vector, got {x} of type {x.type}"
            )
        v = as_tensor_variable(v)
        inputs = [x, v]
        if sorter is not None:
            inputs.append(as_int_vector(sorter, "sorter", "searchsorted"))
        return Apply(self, inputs, [TensorType("int64", v.broadcastable)()])

    def perform(self, node, inputs, output_storage):
        x, v, *sorter = inputs
        out = numpy.searchsorted(x, v, self.side, sorter[0] if sorter else None)
        output_storage[0][0] = numpy.asarray(out, dtype="int64")

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[1]]

    def L_op(self, inputs, outputs, grads):
        result = [zero_grad(inputs[0]), zero_grad(inputs[1])]
        return result + [disconnected()] * (len(inputs) - 2)

    def connection_pattern(self, node):
        return [[False] for _ in node.inputs]


def searchsorted(x, v, side="left", sorter=None):
    """Find where to insert ``v`` in the sorted vector ``x`` (numpy.searchsorted).

    Examples
    --------
    >>> searchsorted([1, 3, 5], 4).eval()
    array(2)
    """
    return SearchsortedOp(side)(x, v, sorter)


class UnravelIndex(Op):
    """Flat indices into coordinate arrays for shape ``dims`` (numpy.unravel_index).

    Inputs ``(indices, dims)``: an integer tensor and an integer vector of
    known length; one int64 output per entry of ``dims``, shaped like
    ``indices``.  No gradient.
    """

    __props__ = ("order",)

    def __init__(self, order="C"):
        self.order = _check_order(order, "unravel_index")

    def make_node(self, indices, dims):
        indices = _as_int_tensor(indices, "indices", "unravel_index")
        dims = as_int_vector(dims, "dims", "unravel_index")
        try:
            n = get_vector_length(dims)
        except ValueError:
            raise ValueError(
                f"unravel_index: the length of dims {dims} must be known statically"
            ) from None
        bcast = (False,) * indices.ndim
        return Apply(
            self, [indices, dims], [TensorType("int64", bcast)() for _ in range(n)]
        )

    def perform(self, node, inputs, output_storage):
        indices, dims = inputs
        dims = tuple(int(d) for d in dims)
        try:
            coords = numpy.unravel_index(indices, tuple(dims), order=self.order)
        except ValueError as exc:
            raise ValueError(
                f"unravel_index: {node.inputs[0]} into shape {tuple(dims)}: {exc}"
            ) from None
        for cell, c in zip(output_storage, coords, strict=True):
            cell[0] = numpy.asarray(c, dtype="int64")

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]] * len(node.outputs)

    def L_op(self, inputs, outputs, grads):
        return [zero_grad(inputs[0]), disconnected()]

    def connection_pattern(self, node):
        return [[False] * len(node.outputs) for _ in node.inputs]


def unravel_index(indices, dims, order="C"):
    """Return the tuple of coordinate arrays of flat ``indices`` in shape ``dims``."""
    out = UnravelIndex(order)(indices, dims)
    return tuple(out) if isinstance(out, list) else (out,)


class RavelMultiIndex(Op):
    """Coordinate arrays into flat indices for shape ``dims`` (numpy.ravel_multi_index).

    Inputs ``(*multi_index, dims)``; the int64 output has the coordinates'
    shape.  ``mode`` handles out-of-range coordinates ('raise', 'wrap',
    'clip').  No gradient.
    """

    __props__ = ("mode", "order")

    def __init__(self, mode="raise", order="C"):
        if mode not in ("raise", "wrap", "clip"):
            raise ValueError(
                f"ravel_multi_index: mode must be 'raise', 'wrap' or "
                f"'clip', got {mode!r}"
            )
        self.mode = mode
        self.order = _check_order(order, "ravel_multi_index")

    def make_node(self, *inputs):
        if len(inputs) < 2:
            raise TypeError("ravel_multi_index: needs coordinates and dims")
        coords = [
            _as_int_tensor(c, "coordinates", "ravel_multi_index") for c in inputs[:-1]
        ]
        dims = as_int_vector(inputs[-1], "dims", "ravel_multi_index")
        bcast = coords[0].broadcastable
        return Apply(self, [*coords, dims], [TensorType("int64", bcast)()])

    def perform(self, node, inputs, output_storage):
        *coords, dims = inputs
        dims = tuple(int(d) for d in dims)
        try:
            out = numpy.ravel_multi_index(
                tuple(coords), dims, mode=self.mode, order=self.order
            )
        except ValueError as exc:
            raise ValueError(
                f"ravel_multi_index into shape {tuple(dims)}: {exc}"
            ) from None
        output_storage[0][0] = numpy.asarray(out, dtype="int64")

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def L_op(self, inputs, outputs, grads):
        return [zero_grad(c) for c in inputs[:-1]] + [disconnected()]

    def connection_pattern(self, node):
        return [[False] for _ in node.inputs]


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """Return the flat indices of the coordinate arrays ``multi_index`` in ``dims``."""
    if not isinstance(multi_index, (tuple, list)):
        raise TypeError(
            f"ravel_multi_index: multi_index must be a tuple or a list of "
            f"coordinate arrays, got {multi_index!r}"
        )
    return RavelMultiIndex(mode, order)(*multi_index, dims)

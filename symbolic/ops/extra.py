"""Theano's ``tensor.extra_ops``: repeat, cumsum, cumprod, diff, bincount, and more.

``squeeze`` (from ``symbolic.ops.reshaping``) and the index arithmetic of
``symbolic.ops.extra_index`` are re-exported here, as Theano's module has them.
"""

import numpy

from symbolic.config import config
from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.basic import shape, shape_padright
from symbolic.ops.diagonals import diagonal
from symbolic.ops.extra_index import (
    RavelMultiIndex,
    SearchsortedOp,
    UnravelIndex,
    ravel_multi_index,
    searchsorted,
    unravel_index,
)
from symbolic.ops.join_split import join
from symbolic.ops.math import cast, eq, maximum, switch
from symbolic.ops.math import max as tensor_max
from symbolic.ops.math import sum as tensor_sum
from symbolic.ops.reshaping import (
    arange,
    as_int_scalar,
    constant_int,
    disconnected,
    fit_grad,
    flatten,
    is_disconnected,
    normalize_axis,
    reshape,
    squeeze,
    zero_grad,
)
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable

__all__ = [
    "BinCount",
    "CumOp",
    "DiffOp",
    "FillDiagonal",
    "RavelMultiIndex",
    "RepeatGrad",
    "RepeatOp",
    "SearchsortedOp",
    "UnravelIndex",
    "bincount",
    "cumprod",
    "cumsum",
    "diff",
    "fill_diagonal",
    "ravel_multi_index",
    "repeat",
    "searchsorted",
    "squeeze",
    "to_one_hot",
    "unravel_index",
]


# repeat ----
def _repeat_length(n, repeats, repeats_shape):
    """Output length along the repeated axis for input length ``n``."""
    if repeats.ndim == 0:
        return n * cast(repeats, "int64")
    total = tensor_sum(cast(repeats, "int64"))
    # numpy stretches a single count over every element.
    return switch(eq(repeats_shape[0], 1), n * total, total)


class RepeatOp(Op):
    """Repeat each element of ``x`` ``repeats`` times along ``axis`` (numpy.repeat).

    ``repeats`` is an integer scalar or vector (one count per element along
    ``axis``); ``axis=None`` repeats the flattened array.  Gradient: the sum
    of the output gradient over each element's repeats (RepeatGrad);
    ``repeats`` is disconnected.  Not in place.
    """

    __props__ = ("axis",)

    def __init__(self, axis=None):
        self.axis = None if axis is None else int(axis)

    def make_node(self, x, repeats):
        x = as_tensor_variable(x)
        repeats = as_tensor_variable(repeats)
        if repeats.dtype not in dt.integer_dtypes or repeats.ndim > 1:
            raise TypeError(
                f"repeat: repeats must be an integer scalar or vector, got "
                f"{repeats} of type {repeats.type}"
            )
        if self.axis is None:
            bcast = [False]
        else:
            if not 0 <= self.axis < x.ndim:
                raise ValueError(
                    f"repeat: axis {self.axis} is out of range for {x} ({x.type})"
                )
            bcast = list(x.broadcastable)
            if constant_int(repeats) != 1 or (
                repeats.ndim == 1 and not (repeats.broadcastable[0])
            ):
                bcast[self.axis] = False
        return Apply(self, [x, repeats], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, repeats = inputs
        length = x.size if self.axis is None else x.shape[self.axis]
        if repeats.ndim == 1 and len(repeats) not in (1, length):
            raise ValueError(
                f"repeat: {node.inputs[1]} holds {len(repeats)} counts but "
                f"{node.inputs[0]} has {length} elements along axis {self.axis} "
                f"(shape {x.shape})"
            )
        if numpy.any(repeats < 0):
            raise ValueError(f"repeat: negative count in {node.inputs[1]}: {repeats}")
        output_storage[0][0] = numpy.repeat(x, repeats, axis=self.axis)

    def infer_shape(self, fgraph, node, shapes):
        x_shape = shapes[0]
        repeats = node.inputs[1]
        if self.axis is None:
            size = 1
            for d in x_shape:
                size = size * d
            return [(_repeat_length(size, repeats, shapes[1]),)]
        out = list(x_shape)
        out[self.axis] = _repeat_length(x_shape[self.axis], repeats, shapes[1])
        return [tuple(out)]

    def L_op(self, inputs, outputs, grads):
        x, repeats = inputs
        (gz,) = grads
        if dt.is_discrete(x.dtype) or is_disconnected(gz):
            return [zero_grad(x), disconnected()]
        return [fit_grad(RepeatGrad(self.axis)(x, gz, repeats), x), disconnected()]

    def connection_pattern(self, node):
        return [[True], [False]]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], inputs[1])]


class RepeatGrad(Op):
    """Sum ``gz`` over the runs that RepeatOp made of each element of ``x``.

    Inputs ``(x, gz, repeats)``; ``x`` gives only the output shape and is
    disconnected.  The adjoint of RepeatOp: its gradient wrt ``gz`` is
    ``repeat(g, repeats, axis)``.  Sums accumulate in float64.
    """

    __props__ = ("axis",)

    def __init__(self, axis=None):
        self.axis = None if axis is None else int(axis)

    def make_node(self, x, gz, repeats):
        x = as_tensor_variable(x)
        gz = as_tensor_variable(gz)
        repeats = as_tensor_variable(repeats)
        return Apply(self, [x, gz, repeats], [TensorType(gz.dtype, x.broadcastable)()])

    def perform(self, node, inputs, output_storage):
        x, gz, repeats = inputs
        axis = 0 if self.axis is None else self.axis
        shape_out = (x.size,) if self.axis is None else x.shape
        counts = numpy.broadcast_to(repeats, (shape_out[axis],)).astype("int64")
        ends = numpy.cumsum(counts)
        acc = "complex128" if gz.dtype.kind == "c" else "float64"
        running = numpy.cumsum(gz, axis=axis, dtype=acc)
        pad = [(0, 0)] * gz.ndim
        pad[axis] = (1, 0)
        running = numpy.pad(running, pad)
        out = numpy.take(running, ends, axis=axis) - numpy.take(
            running, ends - counts, axis=axis
        )
        output_storage[0][0] = out.reshape(x.shape).astype(node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def L_op(self, inputs, outputs, grads):
        _x, gz, repeats = inputs
        (g,) = grads
        if is_disconnected(g):
            return [disconnected(), zero_grad(gz), disconnected()]
        out = repeat(g, repeats, self.axis)
        return [disconnected(), fit_grad(out, gz), disconnected()]

    def connection_pattern(self, node):
        return [[False], [True], [False]]

    def R_op(self, inputs, eval_points):
        if eval_points[1] is None:
            return [None]
        return [self(inputs[0], eval_points[1], inputs[2])]


def repeat(x, repeats, axis=None):
    """Repeat elements of ``x`` (numpy.repeat); ``repeats`` may be symbolic.

    Examples
    --------
    >>> from symbolic.types.tensor import matrix
    >>> repeat(matrix('x'), 3, axis=1).ndim
    2
    """
    x = as_tensor_variable(x)
    repeats = as_tensor_variable(repeats)
    if repeats.ndim > 1:
        raise ValueError(
            f"repeat: repeats must be a scalar or a vector, got {repeats} "
            f"with {repeats.ndim} dims"
        )
    if repeats.ndim == 1 and repeats.broadcastable[0]:
        repeats = repeats.dimshuffle()
    if axis is not None:
        axis = normalize_axis(int(axis), x.ndim, "repeat")
    return RepeatOp(axis)(x, repeats)


# Cumulative sums and products ----
class CumOp(Op):
    """Cumulative sum (``mode='add'``) or product (``'mul'``) along ``axis``.

    ``axis=None`` works on the flattened array.  The output keeps ``x``'s
    dtype (bool sums give int64).  Gradient of the sum: the reversed cumsum
    of the output gradient.  Gradient of the product:
    ``reversed_cumsum(out * gz) / x``, exact for inputs without zeros.  Not
    in place.
    """

    __props__ = ("axis", "mode")

    def __init__(self, axis=None, mode="add"):
        if mode not in ("add", "mul"):
            raise ValueError(f"CumOp: mode must be 'add' or 'mul', got {mode!r}")
        self.axis = None if axis is None else int(axis)
        self.mode = mode

    def make_node(self, x):
        x = as_tensor_variable(x)
        dtype = "int64" if x.dtype == "bool" else x.dtype
        if self.axis is None:
            return Apply(self, [x], [TensorType(dtype, (False,))()])
        if not -x.ndim <= self.axis < x.ndim:
            raise ValueError(
                f"{self}: axis {self.axis} is out of range for {x} ({x.type})"
            )
        return Apply(self, [x], [TensorType(dtype, x.broadcastable)()])

    def perform(self, node, inputs, output_storage):
        fn = numpy.cumsum if self.mode == "add" else numpy.cumprod
        dtype = node.outputs[0].dtype
        output_storage[0][0] = fn(inputs[0], axis=self.axis, dtype=dtype)

    def infer_shape(self, fgraph, node, shapes):
        if self.axis is None:
            size = 1
            for d in shapes[0]:
                size = size * d
            return [(size,)]
        return [shapes[0]]

    def _reverse(self, v, axis):
        index = [slice(None)] * v.ndim
        index[axis] = slice(None, None, -1)
        return v[tuple(index)]

    def L_op(self, inputs, outputs, grads):
        (x,) = inputs
        (gz,) = grads
        if dt.is_discrete(x.dtype) or is_disconnected(gz):
            return [zero_grad(x)]
        axis = 0 if self.axis is None else self.axis
        if self.mode == "mul":
            gz = outputs[0] * gz
        rev = self._reverse(CumOp(axis)(self._reverse(gz, axis)), axis)
        if self.axis is None:
            rev = reshape(rev, shape(x), ndim=x.ndim)
        if self.mode == "mul":
            rev = rev / x
        return [fit_grad(rev, x)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        if self.mode == "add":
            return [self(eval_points[0])]
        (x,) = inputs
        out = self(x)
        ev = eval_points[0]
        if self.axis is None:
            x, ev = flatten(x), flatten(ev)
        axis = 0 if self.axis is None else self.axis
        return [out * CumOp(axis)(ev / x)]

    def __str__(self):
        return f"{type(self).__name__}{{{self.axis}, {self.mode}}}"


def cumsum(x, axis=None):
    """Cumulative sum along ``axis`` (None: flattened), like numpy.cumsum."""
    return CumOp(axis=axis, mode="add")(x)


def cumprod(x, axis=None):
    """Cumulative product along ``axis`` (None: flattened), like numpy.cumprod."""
    return CumOp(axis=axis, mode="mul")(x)


# diff ----
class DiffOp(Op):
    """The ``n``-th discrete difference along ``axis`` (numpy.diff).

    Gradient: the adjoint of first differences applied ``n`` times,
    ``g -> [0, g] - [g, 0]`` along ``axis``.  Not in place.
    """

    __props__ = ("n", "axis")

    def __init__(self, n=1, axis=-1):
        self.n = int(n)
        self.axis = int(axis)
        if self.n < 0:
            raise ValueError(f"diff: order n must be >= 0, got {n}")

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not -x.ndim <= self.axis < x.ndim:
            raise ValueError(
                f"diff: axis {self.axis} is out of range for {x} ({x.type})"
            )
        bcast = list(x.broadcastable)
        if self.n:
            bcast[self.axis] = False
        return Apply(self, [x], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        result = numpy.diff(inputs[0], n=self.n, axis=self.axis)
        if result is inputs[0]:  # numpy returns the input itself for n=0
            result = result.copy()
        output_storage[0][0] = result

    def infer_shape(self, fgraph, node, shapes):
        out = list(shapes[0])
        out[self.axis] = maximum(out[self.axis] - self.n, 0)
        return [tuple(out)]

    def L_op(self, inputs, outputs, grads):
        (x,) = inputs
        (gz,) = grads
        if dt.is_discrete(x.dtype) or is_disconnected(gz):
            return [zero_grad(x)]
        g = as_tensor_variable(gz)
        for _ in range(self.n):
            edge = tensor_sum(g, axis=self.axis, keepdims=True).zeros_like()
            g = join(self.axis, edge, g) - join(self.axis, g, edge)
        return [fit_grad(g, x)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0])]


def diff(x, n=1, axis=-1):
    """The ``n``-th discrete difference of ``x`` along ``axis`` (numpy.diff)."""
    return DiffOp(n=n, axis=axis)(x)


# bincount ----
class BinCount(Op):
    """Count occurrences of each value in the non-negative int vector ``x``.

    Inputs ``(x, minlength)`` or ``(x, weights, minlength)``.  The output has
    length ``max(max(x) + 1, minlength)`` and dtype ``x.dtype`` (without
    weights) or ``weights.dtype``.  Gradient wrt ``weights``: ``gz[x]``; ``x``
    and ``minlength`` are disconnected.
    """

    __props__ = ()

    def make_node(self, x, *rest):
        x = as_tensor_variable(x)
        if x.ndim != 1 or x.dtype not in dt.integer_dtypes:
            raise TypeError(
                f"bincount: x must be an integer vector, got {x} of type {x.type}"
            )
        if len(rest) == 2:
            weights = as_tensor_variable(rest[0])
            if weights.ndim != 1:
                raise TypeError(
                    f"bincount: weights must be a vector, got {weights} of "
                    f"type {weights.type}"
                )
            inputs, dtype = [x, weights], weights.dtype
        elif len(rest) == 1:
            inputs, dtype = [x], x.dtype
        else:
            raise TypeError("BinCount takes (x, minlength) or (x, weights, minlength)")
        minlength = as_int_scalar(rest[-1], "minlength", "bincount")
        return Apply(self, [*inputs, minlength], [TensorType(dtype, (False,))()])

    def perform(self, node, inputs, output_storage):
        x, *weights, minlength = inputs
        if x.size and x.min() < 0:
            raise ValueError(
                f"bincount: {node.inputs[0]} holds negative values (min {x.min()})"
            )
        if weights and weights[0].shape != x.shape:
            raise ValueError(
                f"bincount: weights {node.inputs[1]} have shape "
                f"{weights[0].shape} but x has shape {x.shape}"
            )
        out = numpy.bincount(x, weights[0] if weights else None, max(int(minlength), 0))
        output_storage[0][0] = out.astype(node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, shapes):
        x = node.inputs[0]
        # Joining -1 keeps max() defined for an empty x.
        top = tensor_max(join(0, cast(x, "int64"), numpy.asarray([-1], "int64")))
        return [(maximum(top + 1, cast(node.inputs[-1], "int64")),)]

    def L_op(self, inputs, outputs, grads):
        (gz,) = grads
        if len(inputs) == 2:
            return [zero_grad(inputs[0]), disconnected()]
        x, weights, _ = inputs
        if dt.is_discrete(weights.dtype) or is_disconnected(gz):
            return [zero_grad(x), zero_grad(weights), disconnected()]
        return [zero_grad(x), fit_grad(gz[x], weights), disconnected()]

    def connection_pattern(self, node):
        if len(node.inputs) == 2:
            return [[False], [False]]
        return [[False], [True], [False]]

    def R_op(self, inputs, eval_points):
        if len(inputs) == 2 or eval_points[1] is None:
            return [None]
        return [self(inputs[0], eval_points[1], inputs[2])]


def bincount(x, weights=None, minlength=None, assert_nonneg=False):
    """Count occurrences of each value in int vector ``x`` (numpy.bincount).

    Without ``weights`` the counts have ``x``'s dtype, as in Theano.
    Negative values always raise at run time (``assert_nonneg`` is accepted
    for compatibility).
    """
    minlength = 0 if minlength is None else minlength
    if weights is None:
        return BinCount()(x, minlength)
    return BinCount()(x, weights, minlength)


# One-hot and diagonal filling ----
def to_one_hot(y, nb_class, dtype=None):
    """Return the one-hot matrix of int vector ``y`` with ``nb_class`` columns.

    ``out[i, j] = (y[i] == j)``, of ``dtype`` (default floatX).  Rows of
    values outside ``[0, nb_class)`` are all zero.
    """
    y = as_tensor_variable(y)
    if y.ndim != 1 or y.dtype not in dt.integer_dtypes:
        raise TypeError(
            f"to_one_hot: y must be an integer vector, got {y} of type {y.type}"
        )
    dtype = config.floatX if dtype is None else dtype
    return cast(eq(shape_padright(y), arange(nb_class)), dtype)


class FillDiagonal(Op):
    """A copy of ``a`` with its main diagonal set to the scalar ``val``.

    Matrices may be rectangular; higher ranks need all dims equal
    (numpy.fill_diagonal).  Gradient (matrices): ``a``'s is the output
    gradient with a zeroed diagonal, ``val``'s the sum of its diagonal.  Not
    in place.
    """

    __props__ = ()

    def make_node(self, a, val):
        a = as_tensor_variable(a)
        val = as_tensor_variable(val)
        if a.ndim < 2:
            raise TypeError(
                f"fill_diagonal: a must have at least 2 dims, got {a} of type {a.type}"
            )
        if val.ndim != 0:
            raise TypeError(
                f"fill_diagonal: val must be a scalar, got {val} of type {val.type}"
            )
        if dt.upcast(a.dtype, val.dtype) != a.dtype:
            raise TypeError(
                f"fill_diagonal: val {val} of dtype {val.dtype} does not "
                f"fit a's dtype {a.dtype}"
            )
        val = cast(val, a.dtype)
        return Apply(self, [a, val], [a.type()])

    def perform(self, node, inputs, output_storage):
        a, val = inputs
        out = a.copy()
        if a.ndim == 2:
            # Write min(n, m) entries: numpy's wrap rule differs for tall matrices.
            step = a.shape[1] + 1
            out.flat[: a.shape[1] * a.shape[1] : step] = val
        else:
            if len(set(a.shape)) != 1:
                raise ValueError(
                    f"fill_diagonal: {node.inputs[0]} of shape {a.shape} "
                    "must have all dims equal"
                )
            numpy.fill_diagonal(out, val)
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def L_op(self, inputs, outputs, grads):
        a, val = inputs
        (gz,) = grads
        if dt.is_discrete(a.dtype) or is_disconnected(gz):
            return [zero_grad(a), zero_grad(val)]
        if a.ndim > 2:
            from symbolic.types.null import grad_not_implemented

            return [
                grad_not_implemented(self, 0, a, "only matrices are supported"),
                grad_not_implemented(self, 1, val, "only matrices are supported"),
            ]
        g_a = fill_diagonal(gz, 0)
        g_val = tensor_sum(diagonal(gz))
        return [fit_grad(g_a, a), fit_grad(g_val, val)]

    def R_op(self, inputs, eval_points):
        a, val = inputs
        ev_a, ev_val = eval_points
        if ev_a is None and ev_val is None:
            return [None]
        ev_a = a.zeros_like() if ev_a is None else ev_a
        ev_val = val.zeros_like() if ev_val is None else ev_val
        return [self(ev_a, ev_val)]


def fill_diagonal(a, val):
    """Return a copy of ``a`` whose main diagonal is the scalar ``val``."""
    return FillDiagonal()(a, val)

"""Matrix products: Dot, BatchedDot and the numpy-like functions built on them.

``dot`` follows ``numpy.dot`` for every rank combination; ``tensordot`` and
``batched_tensordot`` reduce to a 2-d (or batched 3-d) product by
``dimshuffle`` and ``reshape``, so they differentiate through ``Dot``.
"""

import sys

import numpy

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.basic import shape_padleft, shape_padright
from symbolic.ops.math import cast, mul, patternbroadcast, zeros_like
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable
from symbolic.utils.hooks import Hook

__all__ = [
    "BatchedDot",
    "Dot",
    "batched_dot",
    "batched_tensordot",
    "dot",
    "outer",
    "tensordot",
]


#: Theano's dot hands sparse operands to the sparse product
#: (``structured_dot``), which ``symbolic.ops.sparse`` installs here.
sparse_product = Hook(
    "dot of a sparse operand", "symbolic.ops.sparse", also="symbolic.sparse"
)


def _name(var):
    return var.name if var.name is not None else str(var)


def _float_grad(g, x):
    """Return ``g`` cast to ``x``'s dtype with ``x``'s broadcastable pattern."""
    if dt.is_discrete(x.dtype):
        return zeros_like(x, dtype=dt.float_of(x.dtype))
    if g.dtype != x.dtype:
        g = cast(g, x.dtype)
    return patternbroadcast(g, x.broadcastable)


class Dot(Op):
    """The product of two vectors or matrices, as ``numpy.dot``.

    For vectors it is the inner product (a scalar); otherwise the last axis of
    ``x`` is contracted with the first axis of ``y``.  The output dtype is the
    upcast of the input dtypes.

    Notes
    -----
    Gradient, for ``z = x . y`` with output gradient ``gz``: ``gx = gz . y^T``
    and ``gy = x^T . gz`` (outer products where a vector meets a vector
    gradient); each is cast and rebroadcast to its input's exact type.
    R_op: ``ex . y + x . ey``.  Not in place, not a view.
    """

    __props__ = ()

    def make_node(self, x, y):
        x = as_tensor_variable(x)
        y = as_tensor_variable(y)
        for position, var in enumerate((x, y)):
            if var.ndim not in (1, 2):
                raise TypeError(
                    f"Dot: input {position} ({_name(var)}) must be a vector or a "
                    f"matrix, got ndim {var.ndim}; use dot() for other ranks"
                )
        out_bcast = x.broadcastable[:-1] + y.broadcastable[1:]
        out = TensorType(dt.upcast(x.dtype, y.dtype), out_bcast)()
        return Apply(self, [x, y], [out])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        if x.shape[-1] != y.shape[0]:
            xv, yv = node.inputs
            raise ValueError(
                f"{self}: shapes of {_name(xv)} {x.shape} and {_name(yv)} {y.shape} "
                f"are not aligned: {x.shape[-1]} (last axis of {_name(xv)}) != "
                f"{y.shape[0]} (first axis of {_name(yv)})"
            )
        out = numpy.dot(x, y)
        output_storage[0][0] = numpy.asarray(out, dtype=node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, shapes):
        xshp, yshp = shapes
        return [tuple(xshp[:-1]) + tuple(yshp[1:])]

    def L_op(self, inputs, outputs, grads):
        x, y = inputs
        (gz,) = grads
        if x.ndim == 1 and y.ndim == 1:
            gx, gy = gz * y, gz * x
        elif x.ndim == 1:
            gx, gy = dot(gz, y.T), outer(x, gz)
        elif y.ndim == 1:
            gx, gy = outer(gz, y), dot(x.T, gz)
        else:
            gx, gy = dot(gz, y.T), dot(x.T, gz)
        return [_float_grad(gx, x), _float_grad(gy, y)]

    def R_op(self, inputs, eval_points):
        x, y = inputs
        ex, ey = eval_points
        terms = []
        if ex is not None:
            terms.append(self(ex, y))
        if ey is not None:
            terms.append(self(x, ey))
        if not terms:
            return [None]
        return [terms[0] if len(terms) == 1 else terms[0] + terms[1]]

    def __str__(self):
        return "dot"


_dot = Dot()


def dot(a, b):
    """Return the product of ``a`` and ``b`` with ``numpy.dot`` semantics.

    A scalar operand gives an elementwise product.  Vectors and matrices use
    :class:`Dot`.  Otherwise the last axis of ``a`` is contracted with the
    second-to-last axis of ``b`` (its only axis if ``b`` is a vector), through
    :func:`tensordot`.

    Examples
    --------
    >>> from symbolic.types.tensor import tensor3, matrix
    >>> dot(tensor3('x'), matrix('W')).ndim
    3
    """
    if _is_sparse(a) or _is_sparse(b):
        return sparse_product(a, b)
    a = as_tensor_variable(a)
    b = as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if a.ndim > 2 or b.ndim > 2:
        return tensordot(a, b, [[a.ndim - 1], [max(0, b.ndim - 2)]])
    return _dot(a, b)


def _is_sparse(x):
    # Sparse variables and values exist only once their modules are loaded.
    sparse_types = sys.modules.get("symbolic.types.sparse")
    if sparse_types is not None and sparse_types.is_sparse_variable(x):
        return True
    scipy_sparse = sys.modules.get("scipy.sparse")
    return scipy_sparse is not None and scipy_sparse.issparse(x)


def outer(x, y):
    """Return the outer product of ``x`` and ``y`` (flattened first if not vectors)."""
    x = as_tensor_variable(x)
    y = as_tensor_variable(y)
    if x.ndim != 1:
        x = x.flatten()
    if y.ndim != 1:
        y = y.flatten()
    return _dot(shape_padright(x), shape_padleft(y))


# tensordot ----------------------------------------------------------------------------
def _dims(x):
    """Return the lengths of ``x``'s axes: 1 where broadcastable, else symbolic."""
    return [1 if b else x.shape[i] for i, b in enumerate(x.broadcastable)]


def _product(dims):
    """Return the product of shape entries (ints or int64 scalars; 1 when empty)."""
    result = 1
    for dim in dims:
        result = dim if isinstance(result, int) and result == 1 else result * dim
    return result


def _axes_list(axes, name):
    if isinstance(axes, (int, numpy.integer)):
        return [int(axes)]
    try:
        return [int(a) for a in axes]
    except TypeError as exc:
        raise TypeError(
            f"{name}: axes must be ints or lists of ints, got {axes!r}"
        ) from exc


def _tensordot_as_dot(a, b, axes, dot_fn, batched, name):
    """Contract ``a`` and ``b`` over ``axes`` with one 2-d (or batched 3-d) product.

    Integer ``axes`` sum the last ``axes`` axes of ``a`` with the first (after
    the batch axis) of ``b``; a pair of lists names the axes to sum, which are
    first moved into that position by ``dimshuffle``.
    """
    batch = 1 if batched else 0
    if isinstance(axes, (int, numpy.integer)):
        n = int(axes)
        if n < 0:
            raise ValueError(f"{name}: axes must be non-negative, got {n}")
        for label, var in (("a", a), ("b", b)):
            if n + batch > var.ndim:
                raise ValueError(
                    f"{name}: cannot sum over {n} axes of {label} ({_name(var)}, "
                    f"ndim {var.ndim})" + (" besides its batch axis" if batched else "")
                )
        a_shape = _dims(a)
        b_shape = _dims(b)
        a_kept = a_shape[: a.ndim - n]
        b_kept = b_shape[batch + n :]
        out_bcast = a.broadcastable[: a.ndim - n] + b.broadcastable[batch + n :]
        a_2d = [_product(a_shape[batch : a.ndim - n]), _product(a_shape[a.ndim - n :])]
        b_2d = [_product(b_shape[batch : batch + n]), _product(b_shape[batch + n :])]
        if batched:
            a_2d.insert(0, a_shape[0])
            b_2d.insert(0, b_shape[0])
        product = dot_fn(a.reshape(a_2d), b.reshape(b_2d))
        out = product.reshape(a_kept + b_kept, ndim=len(out_bcast))
        return patternbroadcast(out, out_bcast)

    if not isinstance(axes, (list, tuple)) or len(axes) != 2:
        raise ValueError(
            f"{name}: axes must be an int or a pair of axis lists, got {axes!r}"
        )
    a_axes = _axes_list(axes[0], name)
    b_axes = _axes_list(axes[1], name)
    if len(a_axes) != len(b_axes):
        raise ValueError(
            f"{name}: the axis lists must have the same length, got {a_axes} "
            f"and {b_axes}"
        )
    normalized = []
    for label, var, ax in (("a", a, a_axes), ("b", b, b_axes)):
        fixed = []
        for axis in ax:
            if not -var.ndim <= axis < var.ndim:
                raise ValueError(
                    f"{name}: axis {axis} is out of range for {label} "
                    f"({_name(var)}, ndim {var.ndim})"
                )
            axis %= var.ndim
            if batched and axis == 0:
                raise ValueError(f"{name}: cannot sum over the batch axis 0 of {label}")
            fixed.append(axis)
        if len(set(fixed)) != len(fixed):
            raise ValueError(f"{name}: repeated axis in {ax} for {label}")
        normalized.append(fixed)
    a_axes, b_axes = normalized
    a_order = [i for i in range(a.ndim) if i not in a_axes] + a_axes
    b_order = (
        list(range(batch))
        + b_axes
        + [i for i in range(batch, b.ndim) if i not in b_axes]
    )
    if a_order != list(range(a.ndim)):
        a = a.dimshuffle(a_order)
    if b_order != list(range(b.ndim)):
        b = b.dimshuffle(b_order)
    return _tensordot_as_dot(a, b, len(a_axes), dot_fn, batched, name)


def tensordot(a, b, axes=2):
    """Sum products over the given axes, as ``numpy.tensordot``.

    Parameters
    ----------
    a, b : tensor-like
    axes : int or (list of int, list of int)
        An int N sums the last N axes of ``a`` with the first N of ``b``; a
        pair of lists names the axes of ``a`` and ``b`` to sum, in pairs.

    Returns
    -------
    TensorVariable
        The axes of ``a`` that are not summed, then those of ``b``.

    Notes
    -----
    Built from ``dimshuffle``, ``reshape`` and one :class:`Dot`, so it
    differentiates like them.
    """
    a = as_tensor_variable(a)
    b = as_tensor_variable(b)
    return _tensordot_as_dot(a, b, axes, dot, False, "tensordot")


# Batched products ------------------------------------------------------------------
class BatchedDot(Op):
    """``z[i] = numpy.dot(x[i], y[i])`` for each index ``i`` of the first (batch) axis.

    Inputs are 2-d or 3-d and cast to their common dtype.  Output: the batch
    axis, then ``x``'s middle axis (if 3-d), then ``y``'s last axis (if 3-d).

    Notes
    -----
    Gradient: ``gx[i] = gz[i] . y[i]^T`` and ``gy[i] = x[i]^T . gz[i]``
    (elementwise products where an operand is 2-d).  R_op:
    ``ex (.) y + x (.) ey`` batched.  Not in place, not a view.
    """

    __props__ = ()

    def make_node(self, x, y):
        x = as_tensor_variable(x)
        y = as_tensor_variable(y)
        for position, var in enumerate((x, y)):
            if var.ndim not in (2, 3):
                raise TypeError(
                    f"BatchedDot: input {position} ({_name(var)}) must be 2-d or 3-d, "
                    f"got ndim {var.ndim}; use batched_dot() for other ranks"
                )
        dtype = dt.upcast(x.dtype, y.dtype)
        x, y = cast(x, dtype), cast(y, dtype)
        bcast = (
            (x.broadcastable[0] or y.broadcastable[0],)
            + x.broadcastable[1:-1]
            + y.broadcastable[2:]
        )
        return Apply(self, [x, y], [TensorType(dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        xv, yv = node.inputs
        if x.shape[0] != y.shape[0]:
            raise ValueError(
                f"{self}: batch sizes differ: {_name(xv)} {x.shape} and "
                f"{_name(yv)} {y.shape}"
            )
        if x.shape[-1] != y.shape[1]:
            raise ValueError(
                f"{self}: shapes of {_name(xv)} {x.shape} and {_name(yv)} {y.shape} "
                f"are not aligned: {x.shape[-1]} != {y.shape[1]}"
            )
        x3 = x if x.ndim == 3 else x[:, None, :]
        y3 = y if y.ndim == 3 else y[:, :, None]
        out = numpy.matmul(x3, y3)
        if y.ndim == 2:
            out = out[:, :, 0]
        if x.ndim == 2:
            out = out[:, 0]
        output_storage[0][0] = numpy.asarray(out, dtype=node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, shapes):
        xshp, yshp = shapes
        return [(xshp[0],) + tuple(xshp[1:-1]) + tuple(yshp[2:])]

    def L_op(self, inputs, outputs, grads):
        x, y = inputs
        (gz,) = grads
        if x.ndim == 2 and y.ndim == 2:
            gx = gz.dimshuffle(0, "x") * y
            gy = gz.dimshuffle(0, "x") * x
        elif x.ndim == 2:
            gx = self(gz, y.dimshuffle(0, 2, 1))
            gy = x.dimshuffle(0, 1, "x") * gz.dimshuffle(0, "x", 1)
        elif y.ndim == 2:
            gx = gz.dimshuffle(0, 1, "x") * y.dimshuffle(0, "x", 1)
            gy = self(x.dimshuffle(0, 2, 1), gz)
        else:
            gx = self(gz, y.dimshuffle(0, 2, 1))
            gy = self(x.dimshuffle(0, 2, 1), gz)
        return [_float_grad(gx, x), _float_grad(gy, y)]

    def R_op(self, inputs, eval_points):
        x, y = inputs
        ex, ey = eval_points
        terms = []
        if ex is not None:
            terms.append(self(ex, y))
        if ey is not None:
            terms.append(self(x, ey))
        if not terms:
            return [None]
        return [terms[0] if len(terms) == 1 else terms[0] + terms[1]]


_batched_dot = BatchedDot()


def batched_dot(a, b):
    """Return ``numpy.dot(a[i], b[i])`` stacked over the first (batch) axis.

    A 1-d operand scales the other one row by row; 2-d and 3-d operands use
    :class:`BatchedDot`; higher ranks go through :func:`batched_tensordot`,
    contracting the last axis of ``a`` with the second-to-last of ``b``.
    """
    a = as_tensor_variable(a)
    b = as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        raise TypeError(
            f"batched_dot: both operands need a batch axis, got ndim {a.ndim} "
            f"({_name(a)}) and {b.ndim} ({_name(b)})"
        )
    if a.ndim == 1:
        return a.dimshuffle(0, *(["x"] * (b.ndim - 1))) * b
    if b.ndim == 1:
        return a * b.dimshuffle(0, *(["x"] * (a.ndim - 1)))
    if a.ndim > 3 or b.ndim > 3:
        return batched_tensordot(a, b, [[a.ndim - 1], [max(1, b.ndim - 2)]])
    return _batched_dot(a, b)


def batched_tensordot(x, y, axes=2):
    """:func:`tensordot` applied to each pair ``x[i], y[i]`` of the batch axis.

    ``axes`` counts or names axes besides the batch axis 0, which is never
    summed.
    """
    x = as_tensor_variable(x)
    y = as_tensor_variable(y)
    return _tensordot_as_dot(x, y, axes, batched_dot, True, "batched_tensordot")

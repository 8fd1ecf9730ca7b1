"""Products with sparse operands: structured_dot, true_dot and dot.

All three compute ``x @ y`` with scipy.sparse; they differ in their output
type and in what gradient a sparse operand gets:

- :func:`structured_dot`: the sparse operand's gradient is structured (only
  its stored entries get one). This is what text and recommender models use
  for ``structured_dot(x_sparse, W)`` with a gradient for the dense ``W``.
- :func:`true_dot`: the sparse operand gets the full gradient, stored as a
  sparse matrix.
- :func:`dot`: the result is always dense; a sparse operand gets the full
  gradient as a sparse matrix.
"""

import numpy
import scipy.sparse

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.dot import dot as dense_dot
from symbolic.ops.dot import sparse_product
from symbolic.ops.sparse.basic import (
    FORMATS,
    SparseFromDense,
    as_format,
    transpose,
)
from symbolic.types import dtypes as dt
from symbolic.types.sparse import SparseType, as_sparse_variable, is_sparse_variable
from symbolic.types.tensor import TensorType, as_tensor_variable

#: Most elements gathered at once by :class:`StructuredDotGradX`.
_GATHER_LIMIT = 1 << 20


def _operand(x):
    if is_sparse_variable(x) or scipy.sparse.issparse(x):
        return as_sparse_variable(x)
    return as_tensor_variable(x)


def _check_matrices(x, y, what):
    for v in (x, y):
        if v.ndim != 2:
            raise TypeError(f"{what} expects matrices, got {v} with ndim={v.ndim}")


def _dense_product(x, y, dtype):
    return numpy.asarray(x @ y, dtype=dtype)


class StructuredDot(Op):
    """``x @ y`` for sparse ``x`` and a dense or sparse ``y``.

    The result is dense when ``y`` is, sparse (``x``'s format) otherwise.
    Gradient: for ``x``, ``gz @ y.T`` at ``x``'s stored entries
    (structured); for ``y``, ``x.T @ gz``.
    """

    __props__ = ()

    def make_node(self, x, y):
        x = as_sparse_variable(x)
        y = _operand(y)
        _check_matrices(x, y, "structured_dot")
        dtype = dt.upcast(x.dtype, y.dtype)
        if is_sparse_variable(y):
            out = SparseType(x.format, dtype)()
        else:
            out = TensorType(dtype, (False, False))()
        return Apply(self, [x, y], [out])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        out_type = node.outputs[0].type
        if isinstance(out_type, SparseType):
            product = (x @ y).astype(out_type.dtype)
            output_storage[0][0] = FORMATS[out_type.format](
                product.asformat(out_type.format)
            )
        else:
            output_storage[0][0] = _dense_product(x, y, out_type.dtype)

    def grad(self, inputs, output_grads):
        x, y = inputs
        (gz,) = output_grads
        gx = StructuredDotGradX()(x, y, gz)
        gy = structured_dot(transpose(x), gz)
        if is_sparse_variable(y):
            gy = as_format(gy, y.format)
        return [gx, gy]


class StructuredDotGradX(Op):
    """``(gz @ y.T)`` at the stored entries of sparse ``x`` (``x``'s structure).

    Only the stored entries are computed, one row of ``gz`` against one row
    of ``y`` each, so the dense ``gz @ y.T`` is never formed.
    """

    __props__ = ()

    def make_node(self, x, y, gz):
        x = as_sparse_variable(x)
        return Apply(self, [x, _operand(y), _operand(gz)], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y, gz = inputs
        if scipy.sparse.issparse(y):
            y = y.toarray()
        if scipy.sparse.issparse(gz):
            gz = gz.toarray()
        values = _values_at_pattern(x, gz, y)
        out = x.copy()
        # x.tocoo() lists the entries in x's own storage order.
        out.data = values.astype(x.dtype)
        output_storage[0][0] = FORMATS[x.format](out)


class TrueDot(Op):
    """``x @ y`` for sparse ``x``; sparse when both are, else dense.

    Gradient: for ``x``, the whole ``gz @ y.T`` stored as a sparse matrix;
    for ``y``, ``x.T @ gz`` (sparse when ``y`` is sparse).

    Parameters
    ----------
    grad_preserves_dense : bool
        Kept for Theano compatibility: a dense operand always gets a dense
        gradient here.
    """

    __props__ = ("grad_preserves_dense",)

    def __init__(self, grad_preserves_dense=True):
        self.grad_preserves_dense = grad_preserves_dense

    def make_node(self, x, y):
        x = as_sparse_variable(x)
        y = _operand(y)
        _check_matrices(x, y, "true_dot")
        dtype = dt.upcast(x.dtype, y.dtype)
        if is_sparse_variable(y):
            out = SparseType(x.format, dtype)()
        else:
            out = TensorType(dtype, (False, False))()
        return Apply(self, [x, y], [out])

    perform = StructuredDot.perform

    def grad(self, inputs, output_grads):
        x, y = inputs
        (gz,) = output_grads
        gx = as_format(_full_sparse(_dot_any(gz, transpose_any(y))), x.format)
        gy = _dot_any(transpose(x), gz)
        if is_sparse_variable(y):
            gy = as_format(_full_sparse(gy), y.format)
        return [gx, gy]


class Dot(Op):
    """``x @ y`` with at least one sparse operand: always a dense result.

    Gradient: ``gz @ y.T`` and ``x.T @ gz``; a sparse operand gets it as a
    sparse matrix of its format (every entry, not only its stored ones).
    """

    __props__ = ()

    def make_node(self, x, y):
        x, y = _operand(x), _operand(y)
        if not (is_sparse_variable(x) or is_sparse_variable(y)):
            raise TypeError(f"sparse dot needs a sparse operand, got {x} and {y}")
        _check_matrices(x, y, "sparse dot")
        dtype = dt.upcast(x.dtype, y.dtype)
        return Apply(self, [x, y], [TensorType(dtype, (False, False))()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        product = x @ y
        if scipy.sparse.issparse(product):
            product = product.toarray()
        output_storage[0][0] = numpy.asarray(product, dtype=node.outputs[0].type.dtype)

    def grad(self, inputs, output_grads):
        x, y = inputs
        (gz,) = output_grads
        grads = []
        pairs = (
            (x, _dot_any(gz, transpose_any(y))),
            (y, _dot_any(transpose_any(x), gz)),
        )
        for var, value in pairs:
            if is_sparse_variable(var):
                value = as_format(_full_sparse(value), var.format)
            grads.append(value)
        return grads


class SamplingDot(Op):
    """``p * (x @ y.T)`` computed only at the stored entries of sparse ``p``.

    ``x`` and ``y`` are dense matrices with the same number of columns; the
    result has ``p``'s structure. Gradient: ``(gz * p) @ y`` for ``x``,
    ``(gz * p).T @ x`` for ``y`` and ``gz * (x @ y.T)`` at ``p``'s entries
    for ``p``.
    """

    __props__ = ()

    def make_node(self, x, y, p):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        p = as_sparse_variable(p)
        _check_matrices(x, y, "sampling_dot")
        dtype = dt.upcast(x.dtype, y.dtype, p.dtype)
        return Apply(self, [x, y, p], [SparseType(p.format, dtype)()])

    def perform(self, node, inputs, output_storage):
        x, y, p = inputs
        product = _values_at_pattern(p, x, y)
        out = p.copy().astype(node.outputs[0].type.dtype)
        out.data = p.data * product
        output_storage[0][0] = FORMATS[p.format](out)

    def grad(self, inputs, output_grads):
        from symbolic.ops.sparse.basic import mul, sp_ones_like

        x, y, p = inputs
        (gz,) = output_grads
        weighted = mul(gz, p)
        gx = structured_dot(weighted, y)
        gy = structured_dot(transpose(weighted), x)
        gp = mul(gz, SamplingDot()(x, y, sp_ones_like(p)))
        return [gx, gy, as_format(gp, p.format)]


def _values_at_pattern(pattern, left, right):
    """``(left @ right.T)`` at the stored entries of ``pattern``, in storage order."""
    coo = pattern.tocoo()
    values = numpy.empty(coo.nnz, dtype=numpy.result_type(left, right))
    step = max(1, _GATHER_LIMIT // max(1, left.shape[1]))
    for start in range(0, coo.nnz, step):
        rows = coo.row[start : start + step]
        cols = coo.col[start : start + step]
        values[start : start + step] = numpy.einsum("ij,ij->i", left[rows], right[cols])
    return values


def sampling_dot(x, y, p):
    """Return ``p * (x @ y.T)`` at the stored entries of sparse ``p`` only."""
    return SamplingDot()(x, y, p)


def _dot_any(x, y):
    """A dense product of dense or sparse operands."""
    if is_sparse_variable(x) or is_sparse_variable(y):
        return Dot()(x, y)
    return dense_dot(x, y)


def _full_sparse(value):
    """``value`` (dense or sparse) as a sparse matrix storing every entry."""
    if is_sparse_variable(value):
        return value
    return SparseFromDense("csr")(value)


def transpose_any(x):
    """The transpose of a dense or sparse matrix."""
    if is_sparse_variable(x):
        return transpose(x)
    return as_tensor_variable(x).T


def structured_dot(x, y):
    """Return ``x @ y`` (``x`` or ``y`` sparse); the sparse gradient is structured.

    Examples
    --------
    >>> import numpy, scipy.sparse
    >>> from symbolic.types.sparse import csr_matrix
    >>> from symbolic.types.tensor import dmatrix
    >>> x, w = csr_matrix('x', dtype='float64'), dmatrix('w')
    >>> structured_dot(x, w).type
    TensorType(float64, matrix)
    """
    x, y = _operand(x), _operand(y)
    if is_sparse_variable(x):
        return StructuredDot()(x, y)
    if is_sparse_variable(y):
        return transpose_any(StructuredDot()(transpose(y), transpose_any(x)))
    raise TypeError(
        f"structured_dot needs at least one sparse operand, got {x} and {y}"
    )


def true_dot(x, y, grad_preserves_dense=True):
    """Return ``x @ y`` (one operand sparse); the sparse gradient is the full one."""
    x, y = _operand(x), _operand(y)
    if is_sparse_variable(x):
        return TrueDot(grad_preserves_dense)(x, y)
    if is_sparse_variable(y):
        return transpose_any(
            TrueDot(grad_preserves_dense)(transpose(y), transpose_any(x))
        )
    raise TypeError(f"true_dot needs at least one sparse operand, got {x} and {y}")


def dot(x, y):
    """Return the dense ``x @ y`` where at least one of ``x``, ``y`` is sparse."""
    return Dot()(x, y)


__all__ = [
    "Dot",
    "SamplingDot",
    "StructuredDot",
    "StructuredDotGradX",
    "TrueDot",
    "dot",
    "sampling_dot",
    "structured_dot",
    "transpose_any",
    "true_dot",
]

# The dense dot hands sparse operands to this module's structured_dot.
sparse_product.install(structured_dot)

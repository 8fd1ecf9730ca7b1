"""Sparse conversions and elementwise arithmetic, computed with scipy.sparse.

Gradients with respect to a sparse input are sparse. Where the op is
*structured* (it only reads the stored entries), the gradient keeps the
input's sparsity pattern: the entries a matrix does not store have no
gradient, as in Theano.
"""

import numpy
import scipy.sparse

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.types import dtypes as dt
from symbolic.types.sparse import (
    FORMATS,
    SparseType,
    as_sparse_variable,
    is_sparse_variable,
)
from symbolic.types.tensor import TensorType, as_tensor_variable


def _matrix(value, format):
    """``value`` as a scipy matrix of ``format`` (the classes ops return)."""
    return FORMATS[format](value.asformat(format))


def _check_dense_matrix(x, what):
    if x.ndim != 2:
        raise TypeError(
            f"{what} expects a 2-d dense tensor, got {x} with ndim={x.ndim}"
        )


# Conversions --------------------------------------------------------------------------
class DenseFromSparse(Op):
    """``x.toarray()``: a sparse matrix as a dense one.

    Gradient: with ``sparse_grad`` (the default) the output gradient read at
    ``x``'s stored entries (structured); otherwise the whole gradient as a
    sparse matrix.
    """

    __props__ = ("sparse_grad",)

    def __init__(self, sparse_grad=True):
        self.sparse_grad = sparse_grad

    def make_node(self, x):
        x = as_sparse_variable(x)
        out = TensorType(x.dtype, (False, False))()
        return Apply(self, [x], [out])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = x.toarray()

    def grad(self, inputs, output_grads):
        (x,) = inputs
        (gz,) = output_grads
        if self.sparse_grad:
            return [sample_at_pattern(x, gz)]
        return [SparseFromDense(x.format)(gz)]

    def R_op(self, inputs, eval_points):
        return [dense_from_sparse(eval_points[0])]


class SparseFromDense(Op):
    """A dense matrix as a ``format`` sparse matrix; gradient: ``gz.toarray()``."""

    __props__ = ("format",)

    def __init__(self, format):
        if format not in FORMATS:
            raise ValueError(f"unsupported sparse format {format!r}")
        self.format = format

    def make_node(self, x):
        x = as_tensor_variable(x)
        _check_dense_matrix(x, f"{self.format}_from_dense")
        return Apply(self, [x], [SparseType(self.format, x.dtype)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = FORMATS[self.format](x)

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        return [dense_from_sparse(gz)]

    def __str__(self):
        return f"{self.format.capitalize()}FromDense"


class FormatConvert(Op):
    """A sparse matrix in another format (CSR <-> CSC); gradient converts back."""

    __props__ = ("format",)

    def __init__(self, format):
        if format not in FORMATS:
            raise ValueError(f"unsupported sparse format {format!r}")
        self.format = format

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [SparseType(self.format, x.dtype)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = _matrix(inputs[0], self.format)

    def grad(self, inputs, output_grads):
        return [as_format(output_grads[0], inputs[0].format)]


class SampleAtPattern(Op):
    """The entries of a dense ``y`` at the stored positions of sparse ``pattern``.

    The result has ``pattern``'s format, structure and dtype. It is how
    structured gradients are formed. Gradient with respect to ``y``: the
    output gradient placed back at those positions (dense); ``pattern`` gets
    none.
    """

    __props__ = ()

    def make_node(self, pattern, y):
        pattern = as_sparse_variable(pattern)
        if is_sparse_variable(y):
            y = dense_from_sparse(y)
        y = as_tensor_variable(y)
        _check_dense_matrix(y, "sample_at_pattern")
        return Apply(self, [pattern, y], [pattern.type()])

    def perform(self, node, inputs, output_storage):
        pattern, y = inputs
        coo = pattern.tocoo()
        values = numpy.asarray(y)[coo.row, coo.col].astype(pattern.dtype)
        out = scipy.sparse.coo_matrix((values, (coo.row, coo.col)), shape=pattern.shape)
        output_storage[0][0] = _matrix(out, pattern.format)

    def connection_pattern(self, node):
        return [[False], [True]]

    def grad(self, inputs, output_grads):
        pattern, _ = inputs
        (gz,) = output_grads
        from symbolic.types.null import DisconnectedType

        dense = dense_from_sparse(sample_at_pattern(pattern, gz))
        return [DisconnectedType()(), dense]


class SparseShape(Op):
    """The shape of a sparse matrix, an int64 vector of length 2."""

    __props__ = ()

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [TensorType("int64", (False,))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = numpy.asarray(inputs[0].shape, dtype="int64")

    def infer_shape(self, fgraph, node, input_shapes):
        return [(as_tensor_variable(numpy.int64(2)),)]

    def grad(self, inputs, output_grads):
        from symbolic.types.null import DisconnectedType

        return [DisconnectedType()()]

    def connection_pattern(self, node):
        return [[False]]


# Unary structure ops ------------------------------------------------------------------
class Transpose(Op):
    """``x.T``: a CSR matrix becomes CSC and back (no copy). Gradient: ``gz.T``."""

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, x):
        x = as_sparse_variable(x)
        fmt = "csc" if x.format == "csr" else "csr"
        return Apply(self, [x], [SparseType(fmt, x.dtype)()])

    def perform(self, node, inputs, output_storage):
        out = inputs[0].transpose()
        output_storage[0][0] = _matrix(out, node.outputs[0].type.format)

    def grad(self, inputs, output_grads):
        return [transpose(output_grads[0])]


class Neg(Op):
    """``-x``, same structure. Gradient: ``-gz``."""

    __props__ = ()

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = -inputs[0]

    def grad(self, inputs, output_grads):
        return [neg(output_grads[0])]


# Binary arithmetic --------------------------------------------------------------------
def _same_dtype(x, y, what):
    if x.dtype != y.dtype:
        raise NotImplementedError(
            f"{what} of sparse {x} ({x.dtype}) and {y} ({y.dtype}): cast one "
            "first, mixed dtypes are not supported"
        )


class AddSS(Op):
    """Sum of two sparse matrices (same dtype); the result has ``x``'s format.

    Gradient: ``gz`` for both, each in its input's format.
    """

    __props__ = ()

    def make_node(self, x, y):
        x, y = as_sparse_variable(x), as_sparse_variable(y)
        _same_dtype(x, y, "add")
        return Apply(self, [x, y], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        output_storage[0][0] = _matrix(x + y, node.outputs[0].type.format)

    def grad(self, inputs, output_grads):
        x, y = inputs
        (gz,) = output_grads
        return [as_format(gz, x.format), as_format(gz, y.format)]


class AddSD(Op):
    """Sparse ``x`` plus dense matrix ``y``: a dense result.

    Gradient: structured for ``x`` (``gz`` at its stored entries), ``gz`` for ``y``.
    """

    __props__ = ()

    def make_node(self, x, y):
        x = as_sparse_variable(x)
        y = as_tensor_variable(y)
        _check_dense_matrix(y, "add of a sparse and a dense matrix")
        dtype = dt.upcast(x.dtype, y.dtype)
        return Apply(self, [x, y], [TensorType(dtype, (False, False))()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        dtype = node.outputs[0].type.dtype
        output_storage[0][0] = numpy.asarray(x + y, dtype=dtype)

    def grad(self, inputs, output_grads):
        x, _ = inputs
        (gz,) = output_grads
        return [sample_at_pattern(x, gz), gz]


class MulSS(Op):
    """Elementwise product of two sparse matrices (same dtype).

    Gradient: ``y * gz`` and ``x * gz`` (sparse).
    """

    __props__ = ()

    def make_node(self, x, y):
        x, y = as_sparse_variable(x), as_sparse_variable(y)
        _same_dtype(x, y, "mul")
        return Apply(self, [x, y], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        output_storage[0][0] = _matrix(x.multiply(y), node.outputs[0].type.format)

    def grad(self, inputs, output_grads):
        x, y = inputs
        (gz,) = output_grads
        return [as_format(mul(y, gz), x.format), as_format(mul(x, gz), y.format)]


class MulSD(Op):
    """Sparse ``x`` times a dense scalar or matrix ``y``: ``x``'s structure.

    Gradient: ``gz * y`` for ``x`` (structured); for ``y`` the dense
    ``x * gz``, summed to a scalar when ``y`` is one.
    """

    __props__ = ()

    def make_node(self, x, y):
        x = as_sparse_variable(x)
        y = as_tensor_variable(y)
        if y.ndim not in (0, 2):
            raise TypeError(
                f"mul of sparse {x} and dense {y}: the dense operand must be a "
                f"scalar or a matrix, got ndim={y.ndim}"
            )
        _same_dtype(x, y, "mul")
        return Apply(self, [x, y], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        if numpy.ndim(y) == 0:
            out = x * y[()]
        else:
            out = x.multiply(numpy.asarray(y))
        output_storage[0][0] = _matrix(out, node.outputs[0].type.format).astype(
            node.outputs[0].type.dtype, copy=False
        )

    def grad(self, inputs, output_grads):
        x, y = inputs
        (gz,) = output_grads
        gy = dense_from_sparse(mul(x, gz))
        if y.ndim == 0:
            gy = gy.sum()
        return [mul(gz, y), gy]


class Remove0(Op):
    """``x`` without its explicitly stored zeros. Gradient: ``gz``."""

    __props__ = ()

    def make_node(self, x):
        x = as_sparse_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        out = inputs[0].copy()
        out.eliminate_zeros()
        output_storage[0][0] = out

    def grad(self, inputs, output_grads):
        return [output_grads[0]]


def remove0(x):
    """Return sparse ``x`` without the zeros it stores explicitly."""
    return Remove0()(x)


# Reductions ---------------------------------------------------------------------------
class SpSum(Op):
    """Sum of a sparse matrix over ``axis`` (None: all entries): a dense result.

    Gradient: the output gradient broadcast to ``x``'s shape; with
    ``sparse_grad`` it is kept at ``x``'s stored entries only (structured).
    """

    __props__ = ("axis", "sparse_grad")

    def __init__(self, axis=None, sparse_grad=False):
        if axis not in (None, 0, 1):
            raise ValueError(f"sp_sum: axis must be None, 0 or 1, got {axis!r}")
        self.axis = axis
        self.sparse_grad = sparse_grad

    def make_node(self, x):
        x = as_sparse_variable(x)
        bcast = () if self.axis is None else (False,)
        return Apply(self, [x], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        dtype = node.outputs[0].type.dtype
        if self.axis is None:
            out = numpy.asarray(x.sum(), dtype=dtype)
        else:
            out = numpy.asarray(x.sum(axis=self.axis), dtype=dtype).ravel()
        output_storage[0][0] = out

    def grad(self, inputs, output_grads):
        (x,) = inputs
        (gz,) = output_grads
        dense = SpSumGrad(self.axis)(x, gz)
        if self.sparse_grad:
            return [sample_at_pattern(x, dense)]
        return [SparseFromDense(x.format)(dense)]


class SpSumGrad(Op):
    """The gradient of :class:`SpSum` broadcast to the shape of sparse ``x`` (dense)."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = axis

    def make_node(self, x, gz):
        x = as_sparse_variable(x)
        gz = as_tensor_variable(gz)
        return Apply(self, [x, gz], [TensorType(gz.dtype, (False, False))()])

    def perform(self, node, inputs, output_storage):
        x, gz = inputs
        gz = numpy.asarray(gz)
        if self.axis == 0:
            gz = gz[None, :]
        elif self.axis == 1:
            gz = gz[:, None]
        output_storage[0][0] = numpy.array(numpy.broadcast_to(gz, x.shape))


# Functions users call -----------------------------------------------------------------
def dense_from_sparse(x, sparse_grad=True):
    """Return sparse ``x`` as a dense matrix."""
    return DenseFromSparse(sparse_grad)(x)


def csr_from_dense(x):
    """Return dense matrix ``x`` as a CSR sparse matrix."""
    return SparseFromDense("csr")(x)


def csc_from_dense(x):
    """Return dense matrix ``x`` as a CSC sparse matrix."""
    return SparseFromDense("csc")(x)


def as_format(x, format):
    """Return sparse ``x`` in ``format`` (itself when it already is)."""
    x = as_sparse_variable(x)
    if x.format == format:
        return x
    return FormatConvert(format)(x)


def sample_at_pattern(pattern, y):
    """Return dense ``y`` read at the stored entries of sparse ``pattern``."""
    return SampleAtPattern()(pattern, y)


def sparse_shape(x):
    """Return the shape of sparse ``x`` as an int64 vector."""
    return SparseShape()(x)


def transpose(x):
    """Return the transpose of sparse ``x`` (CSR becomes CSC and back)."""
    return Transpose()(x)


def neg(x):
    """Return ``-x`` for sparse ``x``."""
    return Neg()(x)


def add(x, y):
    """Return ``x + y`` where at least one operand is sparse.

    Sparse plus sparse is sparse; sparse plus dense is dense.
    """
    if is_sparse_variable(x) or _is_scipy(x):
        x = as_sparse_variable(x)
        if is_sparse_variable(y) or _is_scipy(y):
            return AddSS()(x, y)
        return AddSD()(x, y)
    if is_sparse_variable(y) or _is_scipy(y):
        return AddSD()(y, x)
    raise TypeError(f"sparse add: neither {x!r} nor {y!r} is sparse")


def sub(x, y):
    """Return ``x - y`` where at least one operand is sparse."""
    if is_sparse_variable(y) or _is_scipy(y):
        return add(x, neg(as_sparse_variable(y)))
    return add(x, -as_tensor_variable(y))


def mul(x, y):
    """Return the elementwise ``x * y`` where at least one operand is sparse.

    The result is sparse with the sparse operand's structure.
    """
    if is_sparse_variable(x) or _is_scipy(x):
        if is_sparse_variable(y) or _is_scipy(y):
            return MulSS()(x, y)
        return MulSD()(x, _match_dtype(y, x))
    if is_sparse_variable(y) or _is_scipy(y):
        return MulSD()(y, _match_dtype(x, y))
    raise TypeError(f"sparse mul: neither {x!r} nor {y!r} is sparse")


def _match_dtype(dense, sparse):
    """A Python number takes the sparse operand's dtype (Theano's autocast)."""
    if isinstance(dense, (int, float)):
        return as_tensor_variable(numpy.asarray(dense, dtype=sparse.dtype))
    return dense


def _is_scipy(x):
    return scipy.sparse.issparse(x)


def sp_sum(x, axis=None, sparse_grad=False):
    """Return the dense sum of sparse ``x`` over ``axis`` (None: every entry)."""
    return SpSum(axis, sparse_grad)(x)


def sp_ones_like(x):
    """Return a sparse matrix with ``x``'s structure and every stored value 1."""
    from symbolic.ops.sparse.structured import structured_pow

    return structured_pow(x, 0)


def sp_zeros_like(x):
    """Return a sparse matrix with ``x``'s structure and every stored value 0."""
    return mul(x, numpy.asarray(0, dtype=x.dtype))


__all__ = [
    "AddSD",
    "AddSS",
    "DenseFromSparse",
    "FormatConvert",
    "MulSD",
    "MulSS",
    "Neg",
    "Remove0",
    "SampleAtPattern",
    "SpSum",
    "SpSumGrad",
    "SparseFromDense",
    "SparseShape",
    "Transpose",
    "add",
    "as_format",
    "csc_from_dense",
    "csr_from_dense",
    "dense_from_sparse",
    "mul",
    "neg",
    "remove0",
    "sample_at_pattern",
    "sp_ones_like",
    "sp_sum",
    "sp_zeros_like",
    "sparse_shape",
    "sub",
    "transpose",
]

"""Building sparse matrices from their parts, reading the parts back, and stacking.

``CSR(data, indices, indptr, shape)`` / ``CSC(...)`` assemble a matrix from
scipy's compressed arrays; ``csm_properties(x)`` returns them. ``hstack`` and
``vstack`` join sparse matrices. ``row_scale``/``col_scale`` multiply rows or
columns by a dense vector.
"""

import numpy
import scipy.sparse

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.sparse.basic import FORMATS, as_format, mul
from symbolic.types import dtypes as dt
from symbolic.types.sparse import SparseType, as_sparse_variable
from symbolic.types.tensor import TensorType, as_tensor_variable


def _disconnected():
    from symbolic.types.null import DisconnectedType

    return DisconnectedType()()


def _int_vector(v, what):
    v = as_tensor_variable(v)
    if v.ndim != 1 or not v.dtype.startswith(("int", "uint")):
        raise TypeError(f"{what} must be an integer vector, got {v}")
    return v


class CSM(Op):
    """A ``format`` sparse matrix from ``(data, indices, indptr, shape)``.

    The arrays follow scipy's compressed layout. Gradient with respect to
    ``data``: the output gradient read at the stored positions.
    """

    __props__ = ("format",)

    def __init__(self, format):
        if format not in FORMATS:
            raise ValueError(f"unsupported sparse format {format!r}")
        self.format = format

    def make_node(self, data, indices, indptr, shape):
        data = as_tensor_variable(data)
        if data.ndim != 1:
            raise TypeError(f"CSM data must be a vector, got {data}")
        indices = _int_vector(indices, "CSM indices")
        indptr = _int_vector(indptr, "CSM indptr")
        shape = _int_vector(shape, "CSM shape")
        out = SparseType(self.format, data.dtype)()
        return Apply(self, [data, indices, indptr, shape], [out])

    def perform(self, node, inputs, output_storage):
        data, indices, indptr, shape = inputs
        if len(shape) != 2:
            raise ValueError(f"CSM shape must have 2 entries, got {list(shape)}")
        output_storage[0][0] = FORMATS[self.format](
            (numpy.array(data), numpy.array(indices), numpy.array(indptr)),
            shape=tuple(int(n) for n in shape),
        )

    def connection_pattern(self, node):
        return [[True], [False], [False], [False]]

    def grad(self, inputs, output_grads):
        data, indices, indptr, shape = inputs
        g_data = CSMGrad(self.format)(data, indices, indptr, shape, output_grads[0])
        return [g_data, _disconnected(), _disconnected(), _disconnected()]

    def __str__(self):
        return f"CSM{{{self.format}}}"


class CSMGrad(Op):
    """The gradient of :class:`CSM` for ``data``: ``gz`` at the stored positions."""

    __props__ = ("format",)

    def __init__(self, format):
        self.format = format

    def make_node(self, data, indices, indptr, shape, gz):
        return Apply(self, [data, indices, indptr, shape, gz], [data.type()])

    def perform(self, node, inputs, output_storage):
        data, indices, indptr, shape, gz = inputs
        pattern = FORMATS[self.format](
            (numpy.ones(len(data)), indices, indptr), shape=tuple(shape)
        ).tocoo()
        if scipy.sparse.issparse(gz):
            values = numpy.asarray(gz.tocsr()[pattern.row, pattern.col]).ravel()
        else:
            values = numpy.asarray(gz)[pattern.row, pattern.col]
        # tocoo() keeps the order of the compressed arrays, hence of data.
        output_storage[0][0] = values.astype(node.outputs[0].type.dtype)


class CSMProperties(Op):
    """``(data, indices, indptr, shape)`` of a sparse matrix.

    Gradient: a matrix of ``x``'s structure holding the gradient of ``data``.
    """

    __props__ = ()

    def make_node(self, x):
        x = as_sparse_variable(x)
        outs = [
            TensorType(x.dtype, (False,))(),
            TensorType("int32", (False,))(),
            TensorType("int32", (False,))(),
            TensorType("int32", (False,))(),
        ]
        return Apply(self, [x], outs)

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        parts = (x.data, x.indices, x.indptr, numpy.asarray(x.shape))
        for cell, out, value in zip(output_storage, node.outputs, parts):
            cell[0] = numpy.array(value, dtype=out.type.dtype)

    def connection_pattern(self, node):
        return [[True, False, False, False]]

    def grad(self, inputs, output_grads):
        (x,) = inputs
        g_data = output_grads[0]
        from symbolic.types.null import DisconnectedType

        if isinstance(g_data.type, DisconnectedType):
            return [_disconnected()]
        _, indices, indptr, shape = csm_properties(x)
        return [CSM(x.format)(g_data, indices, indptr, shape)]


def csm_properties(x):
    """Return ``(data, indices, indptr, shape)`` of sparse ``x``."""
    return CSMProperties()(x)


def csm_data(x):
    """Return the stored values of sparse ``x`` in storage order."""
    return csm_properties(x)[0]


def csm_indices(x):
    """Return the column (CSR) or row (CSC) index of each stored value."""
    return csm_properties(x)[1]


def csm_indptr(x):
    """Return the row (CSR) or column (CSC) pointer array of sparse ``x``."""
    return csm_properties(x)[2]


def csm_shape(x):
    """Return the shape of sparse ``x`` as an int32 vector."""
    return csm_properties(x)[3]


def CSR(data, indices, indptr, shape):
    """Return a CSR matrix built from scipy's compressed arrays."""
    return CSM("csr")(data, indices, indptr, shape)


def CSC(data, indices, indptr, shape):
    """Return a CSC matrix built from scipy's compressed arrays."""
    return CSM("csc")(data, indices, indptr, shape)


class Stack(Op):
    """Sparse matrices joined side by side (``axis=1``) or on top of each other (0).

    The result has ``format`` (default: the first operand's). Gradient: the
    matching block of the output gradient for each operand.
    """

    __props__ = ("axis", "format", "dtype")

    def __init__(self, axis, format=None, dtype=None):
        self.axis = axis
        self.format = format
        self.dtype = dtype

    def make_node(self, *blocks):
        if not blocks:
            raise TypeError("stacking needs at least one sparse matrix")
        blocks = [as_sparse_variable(b) for b in blocks]
        dtype = self.dtype or dt.upcast(*(b.dtype for b in blocks))
        format = self.format or blocks[0].format
        return Apply(self, blocks, [SparseType(format, dtype)()])

    def perform(self, node, inputs, output_storage):
        join = scipy.sparse.hstack if self.axis == 1 else scipy.sparse.vstack
        out_type = node.outputs[0].type
        out = join(inputs, format=out_type.format, dtype=out_type.dtype)
        output_storage[0][0] = FORMATS[out_type.format](out)

    def grad(self, inputs, output_grads):
        from symbolic.ops.sparse.indexing import getitem

        (gz,) = output_grads
        grads = []
        start = 0
        for block in inputs:
            size = block.shape[self.axis]
            window = slice(start, start + size)
            part = getitem(gz, (slice(None), window) if self.axis else window)
            grads.append(as_format(part, block.format))
            start = start + size
        return grads


def hstack(blocks, format=None, dtype=None):
    """Return the sparse matrices in ``blocks`` side by side."""
    return Stack(1, format, dtype)(*blocks)


def vstack(blocks, format=None, dtype=None):
    """Return the sparse matrices in ``blocks`` stacked vertically."""
    return Stack(0, format, dtype)(*blocks)


def row_scale(x, s):
    """Return sparse ``x`` with row ``i`` multiplied by ``s[i]`` (``s`` dense)."""
    return mul(x, as_tensor_variable(s).dimshuffle(0, "x"))


def col_scale(x, s):
    """Return sparse ``x`` with column ``j`` multiplied by ``s[j]`` (``s`` dense)."""
    return mul(x, as_tensor_variable(s).dimshuffle("x", 0))


__all__ = [
    "CSC",
    "CSM",
    "CSR",
    "CSMGrad",
    "CSMProperties",
    "Stack",
    "col_scale",
    "csm_data",
    "csm_indices",
    "csm_indptr",
    "csm_properties",
    "csm_shape",
    "hstack",
    "row_scale",
    "vstack",
]

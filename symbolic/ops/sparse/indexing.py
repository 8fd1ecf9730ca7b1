"""Indexing sparse matrices: 2-d slices, lists of rows and single entries.

``x[a:b]``, ``x[a:b, c:d]`` (with steps) and ``x[int_vector]`` give sparse
matrices of ``x``'s format; ``x[i, j]`` gives a dense scalar. This is how a
shared sparse data set is cut into minibatches. Gradients scatter the output
gradient back into a sparse matrix of ``x``'s shape.
"""

import numpy
import scipy.sparse

from symbolic.graph.basic import Apply, Constant, Variable
from symbolic.graph.op import Op
from symbolic.ops.sparse.basic import FORMATS
from symbolic.types.generic import generic
from symbolic.types.sparse import as_sparse_variable, is_sparse_variable
from symbolic.types.tensor import TensorType, as_tensor_variable

_INDEX = TensorType("int64", ())


def _disconnected():
    from symbolic.types.null import DisconnectedType

    return DisconnectedType()()


def _as_index(i, what):
    if i is None:
        # An omitted slice bound.
        return Constant(generic, None)
    i = as_tensor_variable(i)
    if i.ndim != 0 or not i.dtype.startswith(("int", "uint")):
        raise TypeError(f"{what}: an index must be an integer scalar, got {i}")
    return i


def _bound(value):
    return None if value is None else int(value)


def _positions(length, start, stop, step):
    return numpy.arange(length)[slice(_bound(start), _bound(stop), _bound(step))]


def _scatter(x, gz, rows, cols):
    """A sparse matrix of ``x``'s shape holding ``gz`` at ``(rows, cols)`` of x."""
    gz = scipy.sparse.coo_matrix(gz) if not scipy.sparse.issparse(gz) else gz.tocoo()
    out = scipy.sparse.coo_matrix(
        (gz.data.astype(x.dtype), (rows[gz.row], cols[gz.col])), shape=x.shape
    )
    return FORMATS[x.format](out.asformat(x.format))


class GetItem2d(Op):
    """``x[r0:r1:rs, c0:c1:cs]`` of a sparse matrix (a sparse matrix).

    Gradient: the output gradient placed back at the selected positions.
    """

    __props__ = ()

    def make_node(self, x, *bounds):
        x = as_sparse_variable(x)
        if len(bounds) != 6:
            raise TypeError("GetItem2d takes x and six slice bounds")
        return Apply(self, [x, *bounds], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, r0, r1, rs, c0, c1, cs = inputs
        rows = slice(_bound(r0), _bound(r1), _bound(rs))
        cols = slice(_bound(c0), _bound(c1), _bound(cs))
        out = x[rows][:, cols]
        output_storage[0][0] = FORMATS[x.format](out.asformat(x.format))

    def connection_pattern(self, node):
        return [[True]] + [[False]] * 6

    def grad(self, inputs, output_grads):
        return [GetItem2dGrad()(inputs[0], output_grads[0], *inputs[1:])] + [
            _disconnected() for _ in range(6)
        ]


class GetItem2dGrad(Op):
    """The gradient of :class:`GetItem2d`: ``gz`` scattered into ``x``'s shape."""

    __props__ = ()

    def make_node(self, x, gz, *bounds):
        x = as_sparse_variable(x)
        gz = as_sparse_variable(gz) if is_sparse_variable(gz) else gz
        return Apply(self, [x, gz, *bounds], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, gz, r0, r1, rs, c0, c1, cs = inputs
        rows = _positions(x.shape[0], r0, r1, rs)
        cols = _positions(x.shape[1], c0, c1, cs)
        output_storage[0][0] = _scatter(x, gz, rows, cols)


class GetItemList(Op):
    """``x[idx]`` for an integer vector ``idx``: those rows (repeats allowed).

    Gradient: each output row's gradient added back to its source row.
    """

    __props__ = ()

    def make_node(self, x, idx):
        x = as_sparse_variable(x)
        idx = as_tensor_variable(idx)
        if idx.ndim != 1 or not idx.dtype.startswith(("int", "uint")):
            raise TypeError(f"sparse row indexing needs an integer vector, got {idx}")
        return Apply(self, [x, idx], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, idx = inputs
        output_storage[0][0] = FORMATS[x.format](x[idx].asformat(x.format))

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        x, idx = inputs
        return [GetItemListGrad()(x, output_grads[0], idx), _disconnected()]


class GetItemListGrad(Op):
    """The gradient of :class:`GetItemList` (repeated rows accumulate)."""

    __props__ = ()

    def make_node(self, x, gz, idx):
        return Apply(self, [as_sparse_variable(x), gz, idx], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, gz, idx = inputs
        rows = numpy.asarray(idx) % x.shape[0]
        output_storage[0][0] = _scatter(x, gz, rows, numpy.arange(x.shape[1]))


class GetItemScalar(Op):
    """``x[i, j]``: one entry of a sparse matrix as a dense scalar.

    Gradient: a sparse matrix holding the output gradient at ``(i, j)``.
    """

    __props__ = ()

    def make_node(self, x, i, j):
        x = as_sparse_variable(x)
        return Apply(self, [x, i, j], [TensorType(x.dtype, ())()])

    def perform(self, node, inputs, output_storage):
        x, i, j = inputs
        dtype = node.outputs[0].type.dtype
        output_storage[0][0] = numpy.asarray(x[int(i), int(j)], dtype=dtype)

    def connection_pattern(self, node):
        return [[True], [False], [False]]

    def grad(self, inputs, output_grads):
        x, i, j = inputs
        g = GetItemScalarGrad()(x, output_grads[0], i, j)
        return [g, _disconnected(), _disconnected()]


class GetItemScalarGrad(Op):
    """The gradient of :class:`GetItemScalar`."""

    __props__ = ()

    def make_node(self, x, gz, i, j):
        return Apply(self, [as_sparse_variable(x), gz, i, j], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, gz, i, j = inputs
        rows = numpy.asarray([int(i) % x.shape[0]])
        cols = numpy.asarray([int(j) % x.shape[1]])
        value = numpy.asarray(gz).reshape(1, 1)
        output_storage[0][0] = _scatter(x, value, rows, cols)


def _is_int_scalar(index):
    if isinstance(index, (int, numpy.integer)):
        return True
    return (
        isinstance(index, Variable)
        and getattr(index, "ndim", None) == 0
        and index.dtype.startswith(("int", "uint"))
    )


def getitem(x, index):
    """Index sparse ``x`` as Theano allowed (see the module docstring).

    Raises
    ------
    TypeError
        For any other index (boolean masks, ``None``, three indices...).
    """
    x = as_sparse_variable(x)
    if not isinstance(index, tuple):
        index = (index,)
    if len(index) > 2:
        raise TypeError(f"a sparse matrix has two axes; got {len(index)} indices")
    if len(index) == 2 and all(_is_int_scalar(i) for i in index):
        return GetItemScalar()(
            x, _as_index(index[0], "x[i, j]"), _as_index(index[1], "x[i, j]")
        )
    if len(index) == 1 and not isinstance(index[0], slice):
        idx = as_tensor_variable(index[0])
        if idx.ndim == 1:
            return GetItemList()(x, idx)
        if idx.ndim == 0:
            i = _as_index(idx, "x[i]")
            return GetItem2d()(x, i, i + 1, _as_index(None, ""), *_full_slice())
        raise TypeError(f"cannot index a sparse matrix with {index[0]!r}")
    parts = list(index) + [slice(None)] * (2 - len(index))
    bounds = []
    for part in parts:
        if _is_int_scalar(part):
            i = _as_index(part, "sparse indexing")
            bounds += [i, i + 1, _as_index(None, "")]
        elif isinstance(part, slice):
            bounds += [
                _as_index(part.start, "slice start"),
                _as_index(part.stop, "slice stop"),
                _as_index(part.step, "slice step"),
            ]
        else:
            raise TypeError(
                f"sparse matrices take slices or integers in x[a, b], got {part!r}"
            )
    return GetItem2d()(x, *bounds)


def _full_slice():
    return [_as_index(None, "") for _ in range(3)]


__all__ = [
    "GetItem2d",
    "GetItem2dGrad",
    "GetItemList",
    "GetItemListGrad",
    "GetItemScalar",
    "GetItemScalarGrad",
    "getitem",
]

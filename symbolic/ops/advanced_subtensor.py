"""Advanced (numpy integer- and mask-array) indexing, its increments, take, nonzero.

``x[int_vector]`` on axis 0 is :class:`AdvancedSubtensor1`; every other
advanced index (several arrays, arrays mixed with slices or ints, boolean
masks) is :class:`AdvancedSubtensor`.  Both copy, as numpy does.  Their
gradients scatter-add with the matching increment op.
"""

import importlib

import numpy

from symbolic.config import config
from symbolic.graph.basic import Apply, Variable
from symbolic.graph.op import Op
from symbolic.ops.basic import shape
from symbolic.ops.math import cast, clip, maximum, mod, neq, sum, zeros_like
from symbolic.ops.subtensor_utils import (
    broadcast_error,
    check_increment,
    check_index_inputs,
    convert_entry,
    fill_entries,
    hashable,
    numpy_index,
    slice_broadcastable,
    slice_length,
    sum_grad_over_broadcast,
)
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable

__all__ = [
    "AdvancedIncSubtensor",
    "AdvancedIncSubtensor1",
    "AdvancedSubtensor",
    "AdvancedSubtensor1",
    "Nonzero",
    "advanced_inc_subtensor1",
    "advanced_set_subtensor1",
    "advanced_subtensor1",
    "flatnonzero",
    "nonzero",
    "nonzero_values",
    "take",
]


def _disconnected():
    from symbolic.types.null import DisconnectedType

    return DisconnectedType()()


def _flatten(x):
    # flatten lives in the shape family, which imports nothing from here.
    return importlib.import_module("symbolic.ops").flatten(x, 1)


def _check_int_vector(op, ilist):
    ilist = as_tensor_variable(ilist)
    if ilist.dtype not in dt.integer_dtypes:
        raise TypeError(
            f"{op}: indices must be integers, got {ilist} of dtype {ilist.dtype}"
        )
    if ilist.ndim != 1:
        raise TypeError(f"{op}: indices must be a vector, got {ilist} ({ilist.type})")
    return ilist


def _discrete_grads(x, y):
    """Zero gradients for an increment op on an integer ``x`` (Theano: floatX)."""
    gx = zeros_like(x, dtype=config.floatX)
    gy = zeros_like(y, dtype=config.floatX if dt.is_discrete(y.dtype) else None)
    return gx, gy


# x[int_vector] ------------------------------------------------------------------------
class AdvancedSubtensor1(Op):
    """Gather rows: ``out = x[ilist]`` for an integer vector ``ilist`` (axis 0).

    Negative indices count from the end; an out-of-range index raises
    IndexError.  The output is a copy.  Gradient: ``gx`` scatter-adds
    ``gz`` into zeros at ``ilist`` (repeated rows accumulate); the indices
    are disconnected.
    """

    __props__ = ()

    def make_node(self, x, ilist):
        x = as_tensor_variable(x)
        ilist = _check_int_vector(self, ilist)
        if x.ndim == 0:
            raise IndexError(f"{self}: cannot index the scalar {x}")
        bcast = (ilist.broadcastable[0], *x.broadcastable[1:])
        return Apply(self, [x, ilist], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, ilist = inputs
        try:
            output_storage[0][0] = x[ilist]
        except IndexError as exc:
            raise IndexError(f"{self}: indexing {node.inputs[0]}: {exc}") from None

    def infer_shape(self, fgraph, node, input_shapes):
        x_shape, ilist_shape = input_shapes
        return [(ilist_shape[0], *x_shape[1:])]

    def connection_pattern(self, node):
        return [[True], [False]]

    def L_op(self, inputs, outputs, output_grads):
        x, ilist = inputs
        (gz,) = output_grads
        if dt.is_discrete(x.dtype):
            return [zeros_like(x, dtype=config.floatX), _disconnected()]
        return [advanced_inc_subtensor1(zeros_like(x), gz, ilist), _disconnected()]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], inputs[1])]


advanced_subtensor1 = AdvancedSubtensor1()


class AdvancedIncSubtensor1(Op):
    """``out = x.copy(); out[ilist] += y`` (or ``= y``) along axis 0.

    ``y`` broadcasts into ``x[ilist]``.  With ``inc``, repeated indices
    accumulate (``numpy.add.at``); with ``set``, the last write wins.

    Parameters
    ----------
    inplace : bool
        Overwrite ``x`` instead of copying it (``destroy_map={0: [0]}``).
    set_instead_of_inc : bool

    Notes
    -----
    Gradient: ``gx = gz`` (with ``set``, zero at ``ilist``); ``gy =
    gz[ilist]`` summed over the axes ``y`` was broadcast along.
    """

    __props__ = ("inplace", "set_instead_of_inc")

    def __init__(self, inplace=False, set_instead_of_inc=False):
        self.inplace = bool(inplace)
        self.set_instead_of_inc = bool(set_instead_of_inc)
        if self.inplace:
            self.destroy_map = {0: [0]}

    def __str__(self):
        mode = "inplace" if self.inplace else "no_inplace"
        kind = "set" if self.set_instead_of_inc else "inc"
        return f"{type(self).__name__}{{{mode},{kind}}}"

    def make_node(self, x, y, ilist):
        x = as_tensor_variable(x)
        y = as_tensor_variable(y)
        region = advanced_subtensor1.make_node(x, ilist).outputs[0]
        check_increment(self, region, y)
        ilist = region.owner.inputs[1]
        return Apply(self, [x, y, ilist], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y, ilist = inputs
        if not self.inplace:
            x = x.copy()
        try:
            if self.set_instead_of_inc:
                x[ilist] = y
            else:
                numpy.add.at(x, ilist, y)
        except (ValueError, IndexError):
            raise broadcast_error(self, node, x.shape, ilist, y) from None
        output_storage[0][0] = x

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node):
        return [[True], [True], [False]]

    def L_op(self, inputs, outputs, output_grads):
        x, y, ilist = inputs
        (gz,) = output_grads
        if dt.is_discrete(x.dtype):
            return [*_discrete_grads(x, y), _disconnected()]
        if self.set_instead_of_inc:
            gx = advanced_set_subtensor1(gz, zeros_like(y), ilist)
        else:
            gx = gz
        gy = sum_grad_over_broadcast(y, advanced_subtensor1(gz, ilist))
        return [gx, gy, _disconnected()]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None and eval_points[1] is None:
            return [None]
        ex = eval_points[0] if eval_points[0] is not None else zeros_like(inputs[0])
        ey = eval_points[1] if eval_points[1] is not None else zeros_like(inputs[1])
        return [self(ex, ey, inputs[2])]


def advanced_inc_subtensor1(x, y, ilist):
    """Return ``x`` with ``y`` added at rows ``ilist`` (repeated rows accumulate)."""
    return AdvancedIncSubtensor1()(x, y, ilist)


def advanced_set_subtensor1(x, y, ilist):
    """Return ``x`` with rows ``ilist`` replaced by ``y``."""
    return AdvancedIncSubtensor1(set_instead_of_inc=True)(x, y, ilist)


# General advanced indexing ------------------------------------------------------------
def _index_layout(x, entries):
    """Walk an advanced index; return its pieces in order and the unindexed axes.

    Each piece is ``("slice", slice, axis)`` or ``("adv", variable, axes)``;
    ints count as advanced (0-d) indices, as in numpy.
    """
    pieces = []
    axis = 0
    for entry in entries:
        if isinstance(entry, slice):
            pieces.append(("slice", entry, axis))
            axis += 1
            continue
        width = entry.ndim if _is_mask(entry) else 1
        pieces.append(("adv", entry, tuple(range(axis, axis + width))))
        axis += width
    if axis > x.ndim:
        raise IndexError(
            f"too many indices for {x} ({x.ndim}-d): the index covers {axis} axes"
        )
    return pieces, list(range(axis, x.ndim))


def _is_mask(entry):
    return isinstance(entry, Variable) and entry.dtype == "bool"


def _adjacent(pieces):
    positions = [i for i, piece in enumerate(pieces) if piece[0] == "adv"]
    return positions[-1] - positions[0] + 1 == len(positions)


def _assemble(pieces, rest, adv_part, slice_part, rest_part):
    """Order the output axes as numpy does: advanced axes in place if adjacent."""
    adjacent = _adjacent(pieces)
    out = []
    placed = False
    for piece in pieces:
        if piece[0] == "slice":
            out.append(slice_part(piece))
        elif adjacent and not placed:
            out.extend(adv_part)
            placed = True
    if not placed:
        out = list(adv_part) + out
    return out + [rest_part(axis) for axis in rest]


def _broadcast_pattern(pieces):
    patterns = []
    for kind, entry, _ in pieces:
        if kind != "adv":
            continue
        if _is_mask(entry):
            patterns.append((False,))
        elif isinstance(entry, Variable):
            patterns.append(entry.broadcastable)
        else:
            patterns.append(())
    ndim = max(len(p) for p in patterns)
    padded = [(True,) * (ndim - len(p)) + tuple(p) for p in patterns]
    return [all(p[d] for p in padded) for d in range(ndim)]


class AdvancedSubtensor(Op):
    """numpy advanced indexing: ``out = x[index]`` with integer or boolean arrays.

    ``idx_list`` holds the index pattern (see ``subtensor_utils``): slices,
    scalar indices and array types, one per indexed axis (a boolean mask
    covers as many axes as it has dims).  The output is a copy, laid out by
    numpy's rules: the broadcast index axes replace the indexed axes when the
    array indices are adjacent, and come first otherwise.

    Notes
    -----
    Gradient: ``AdvancedIncSubtensor`` of ``gz`` into zeros (repeated indices
    accumulate); the indices are disconnected.
    """

    __props__ = ("idx_list",)

    def __init__(self, idx_list):
        self.idx_list = tuple(convert_entry(e, allow_arrays=True) for e in idx_list)

    def __hash__(self):
        return hash((type(self), hashable(self.idx_list)))

    def __str__(self):
        return type(self).__name__

    def make_node(self, x, *inputs):
        x = as_tensor_variable(x)
        inputs = check_index_inputs(self, self.idx_list, inputs)
        entries = fill_entries(self.idx_list, inputs)
        pieces, rest = _index_layout(x, entries)
        if not any(kind == "adv" for kind, _, _ in pieces):
            raise TypeError(f"{self}: the index has no array; use Subtensor")
        bcast = _assemble(
            pieces,
            rest,
            _broadcast_pattern(pieces),
            lambda piece: slice_broadcastable(piece[1], x.broadcastable[piece[2]]),
            lambda axis: x.broadcastable[axis],
        )
        return Apply(self, [x, *inputs], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, *values = inputs
        index = numpy_index(self.idx_list, values)
        try:
            output_storage[0][0] = numpy.asarray(x[index])
        except IndexError as exc:
            raise IndexError(f"{self}: indexing {node.inputs[0]}: {exc}") from None

    def infer_shape(self, fgraph, node, input_shapes):
        x = node.inputs[0]
        entries = fill_entries(self.idx_list, node.inputs[1:])
        shapes = dict(zip(node.inputs[1:], input_shapes[1:], strict=True))
        pieces, rest = _index_layout(x, entries)
        x_shape = input_shapes[0]
        return [
            tuple(
                _assemble(
                    pieces,
                    rest,
                    _broadcast_shape(pieces, shapes),
                    lambda piece: slice_length(piece[1], x_shape[piece[2]]),
                    lambda axis: x_shape[axis],
                )
            )
        ]

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)

    def L_op(self, inputs, outputs, output_grads):
        x, *indices = inputs
        (gz,) = output_grads
        rest = [_disconnected() for _ in indices]
        if dt.is_discrete(x.dtype):
            return [zeros_like(x, dtype=config.floatX), *rest]
        gx = AdvancedIncSubtensor(self.idx_list)(zeros_like(x), gz, *indices)
        return [gx, *rest]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], *inputs[1:])]


def _broadcast_shape(pieces, shapes):
    """Symbolic shape of the broadcast advanced indices (a mask counts its Trues)."""
    dims = []
    for kind, entry, _ in pieces:
        if kind != "adv":
            continue
        if _is_mask(entry):
            dims.append(((False,), (sum(cast(entry, "int64")),)))
        elif isinstance(entry, Variable):
            dims.append((entry.broadcastable, tuple(shapes[entry])))
        else:
            dims.append(((), ()))
    ndim = max(len(b) for b, _ in dims)
    out = []
    for d in range(ndim):
        length = None
        for bcast, shp in dims:
            k = d - (ndim - len(bcast))
            if k < 0 or bcast[k]:
                continue
            length = shp[k] if length is None else maximum(length, shp[k])
        out.append(1 if length is None else length)
    return out


class AdvancedIncSubtensor(Op):
    """``out = x.copy(); out[index] += y`` (or ``= y``) for an advanced index.

    ``y`` broadcasts into ``x[index]``.  With ``inc``, repeated indices
    accumulate (``numpy.add.at``); with ``set``, the last write wins.

    Parameters
    ----------
    idx_list : sequence
        The index pattern, as for :class:`AdvancedSubtensor`.
    inplace : bool
        Overwrite ``x`` (``destroy_map={0: [0]}``).
    set_instead_of_inc : bool

    Notes
    -----
    Gradient: ``gx = gz`` (with ``set``, zero in the region); ``gy =
    gz[index]`` summed over the axes ``y`` was broadcast along.
    """

    __props__ = ("idx_list", "inplace", "set_instead_of_inc")

    def __init__(self, idx_list, inplace=False, set_instead_of_inc=False):
        self.idx_list = tuple(convert_entry(e, allow_arrays=True) for e in idx_list)
        self.inplace = bool(inplace)
        self.set_instead_of_inc = bool(set_instead_of_inc)
        if self.inplace:
            self.destroy_map = {0: [0]}

    def __hash__(self):
        return hash(
            (type(self), hashable(self.idx_list), self.inplace, self.set_instead_of_inc)
        )

    def __str__(self):
        mode = "inplace" if self.inplace else "no_inplace"
        kind = "set" if self.set_instead_of_inc else "inc"
        return f"{type(self).__name__}{{{mode},{kind}}}"

    def make_node(self, x, y, *inputs):
        x = as_tensor_variable(x)
        y = as_tensor_variable(y)
        region = AdvancedSubtensor(self.idx_list).make_node(x, *inputs).outputs[0]
        check_increment(self, region, y)
        return Apply(self, [x, y, *region.owner.inputs[1:]], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y, *values = inputs
        if not self.inplace:
            x = x.copy()
        index = numpy_index(self.idx_list, values)
        try:
            if self.set_instead_of_inc:
                x[index] = y
            else:
                numpy.add.at(x, _masks_to_arrays(index), y)
        except (ValueError, IndexError):
            raise broadcast_error(self, node, x.shape, index, y) from None
        output_storage[0][0] = x

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node):
        return [[True], [True]] + [[False]] * (len(node.inputs) - 2)

    def L_op(self, inputs, outputs, output_grads):
        x, y, *indices = inputs
        (gz,) = output_grads
        rest = [_disconnected() for _ in indices]
        if dt.is_discrete(x.dtype):
            return [*_discrete_grads(x, y), *rest]
        if self.set_instead_of_inc:
            setter = AdvancedIncSubtensor(self.idx_list, set_instead_of_inc=True)
            gx = setter(gz, zeros_like(y), *indices)
        else:
            gx = gz
        gy = AdvancedSubtensor(self.idx_list)(gz, *indices)
        return [gx, sum_grad_over_broadcast(y, gy), *rest]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None and eval_points[1] is None:
            return [None]
        ex = eval_points[0] if eval_points[0] is not None else zeros_like(inputs[0])
        ey = eval_points[1] if eval_points[1] is not None else zeros_like(inputs[1])
        return [self(ex, ey, *inputs[2:])]


def _masks_to_arrays(index):
    """Replace boolean masks by their nonzero() arrays (``ufunc.at`` wants ints)."""
    out = []
    for entry in index:
        if isinstance(entry, numpy.ndarray) and entry.dtype == bool:
            out.extend(numpy.nonzero(entry))
        else:
            out.append(entry)
    return tuple(out)


# take ---------------------------------------------------------------------------------
def take(a, indices, axis=None, mode="raise"):
    """numpy.take: pick ``indices`` along ``axis`` (None: of the flattened ``a``).

    Parameters
    ----------
    a : tensor-like
    indices : integer tensor-like (any ndim)
    axis : int or None
    mode : {'raise', 'wrap', 'clip'}
        What out-of-range indices do: raise IndexError, wrap around, or clip
        to the valid range.
    """
    a = as_tensor_variable(a)
    indices = as_tensor_variable(indices)
    if indices.dtype not in dt.integer_dtypes:
        raise TypeError(f"take: indices must be integers, got {indices.type}")
    if axis is None:
        if a.ndim != 1:
            a = _flatten(a)
        axis = 0
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"take: axis {axis} is out of range for the {a.ndim}-d {a}")
    axis %= a.ndim
    if mode == "clip":
        indices = clip(indices, 0, shape(a)[axis] - 1)
    elif mode == "wrap":
        indices = mod(indices, shape(a)[axis])
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if indices.ndim == 1 and axis == 0:
        return advanced_subtensor1(a, indices)
    index = (slice(None),) * axis + (indices,)
    return a[index]


# nonzero ------------------------------------------------------------------------------
class Nonzero(Op):
    """The indices of the nonzero entries of ``a``: an int64 (ndim, nnz) matrix.

    Row ``i`` holds the positions along axis ``i``, in C order, as
    ``numpy.nonzero``.  Not differentiable.
    """

    __props__ = ()

    def make_node(self, a):
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise ValueError(f"Nonzero only supports non-scalar arrays, got {a}")
        return Apply(self, [a], [TensorType("int64", (False, False))()])

    def perform(self, node, inputs, output_storage):
        (a,) = inputs
        result = numpy.array(numpy.nonzero(a), dtype="int64")
        output_storage[0][0] = result.reshape(a.ndim, -1)

    def infer_shape(self, fgraph, node, input_shapes):
        (a,) = node.inputs
        return [(a.ndim, sum(cast(neq(a, 0), "int64")))]

    def L_op(self, inputs, outputs, output_grads):
        from symbolic.types.null import grad_undefined

        return [grad_undefined(self, 0, inputs[0], "nonzero is a set of indices")]


def nonzero(a, return_matrix=False):
    """Return the indices of the nonzero entries of ``a``, as numpy.nonzero.

    Parameters
    ----------
    a : tensor-like, at least 1-d
    return_matrix : bool
        Return one int64 ``(a.ndim, nnz)`` matrix instead of a tuple of
        int64 vectors (one per axis).
    """
    matrix = Nonzero()(a)
    if return_matrix:
        return matrix
    return tuple(matrix[i] for i in range(matrix.owner.inputs[0].ndim))


def flatnonzero(a):
    """Return the indices of the nonzero entries of ``a.flatten()`` (int64 vector)."""
    a = as_tensor_variable(a)
    if a.ndim == 0:
        raise ValueError(f"flatnonzero only supports non-scalar arrays, got {a}")
    flat = a if a.ndim == 1 else _flatten(a)
    return nonzero(flat, return_matrix=True)[0]


def nonzero_values(a):
    """Return the nonzero entries of ``a.flatten()``, in C order."""
    a = as_tensor_variable(a)
    flat = a if a.ndim == 1 else _flatten(a)
    return advanced_subtensor1(flat, flatnonzero(flat))

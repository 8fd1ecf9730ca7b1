"""Indexing: ``x[...]`` (Subtensor, a view), set_subtensor and inc_subtensor.

:func:`getitem` is what ``TensorVariable.__getitem__`` calls.  It follows
Theano 1.0: Python ints become int64 constant inputs (so ``x[1:]`` prints as
``Subtensor{int64::}``), ``None`` inserts a broadcastable axis through a
DimShuffle, and integer or boolean arrays select the advanced ops of
``symbolic.ops.advanced_subtensor``.
"""

import numpy

from symbolic.config import config
from symbolic.graph.basic import Constant, Variable
from symbolic.graph.op import Apply, Op
from symbolic.ops.advanced_subtensor import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
    Nonzero,
    advanced_inc_subtensor1,
    advanced_set_subtensor1,
    advanced_subtensor1,
    flatnonzero,
    nonzero,
    nonzero_values,
    take,
)
from symbolic.ops.basic import (
    MakeVector,
    NotScalarConstantError,
    Shape,
    addbroadcast,
    get_scalar_constant_value,
    get_vector_length,
)
from symbolic.ops.elemwise import DimShuffle
from symbolic.ops.math import zeros_like
from symbolic.ops.subtensor_utils import (
    broadcast_error,
    check_increment,
    check_index_inputs,
    constant_int,
    convert_entry,
    entry_str,
    fill_entries,
    hashable,
    is_full_slice,
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
    "IncSubtensor",
    "Nonzero",
    "Subtensor",
    "advanced_inc_subtensor1",
    "advanced_set_subtensor1",
    "advanced_subtensor1",
    "flatnonzero",
    "getitem",
    "inc_subtensor",
    "nonzero",
    "nonzero_values",
    "set_subtensor",
    "subtensor_constant_value",
    "subtensor_vector_length",
    "take",
]


def _disconnected():
    from symbolic.types.null import DisconnectedType

    return DisconnectedType()()


class Subtensor(Op):
    """Basic indexing ``out = x[idx]``: ints and slices, as a view of ``x``.

    Parameters
    ----------
    idx_list : sequence
        One entry per indexed axis: an int, a 0-d integer type (or variable)
        whose value comes from the next input, or a slice of those.  Missing
        trailing axes are taken whole.

    Notes
    -----
    An int drops its axis; a slice keeps it, broadcastable only when it is
    provably of length 1.  The output is a view (``view_map={0: [0]}``).
    Gradient: ``inc_subtensor(zeros_like(x)[idx], gz)``; the indices are
    disconnected.
    """

    __props__ = ("idx_list",)
    view_map = {0: [0]}

    def __init__(self, idx_list):
        self.idx_list = tuple(convert_entry(e) for e in idx_list)

    def __hash__(self):
        return hash((type(self), hashable(self.idx_list)))

    def __str__(self):
        return f"{type(self).__name__}{{{', '.join(map(entry_str, self.idx_list))}}}"

    def make_node(self, x, *inputs):
        x = as_tensor_variable(x)
        inputs = check_index_inputs(self, self.idx_list, inputs)
        if len(self.idx_list) > x.ndim:
            raise IndexError(
                f"too many indices for {x} ({x.ndim}-d): got {len(self.idx_list)}"
            )
        entries = fill_entries(self.idx_list, inputs)
        bcast = [
            slice_broadcastable(entry, b)
            for entry, b in zip(entries, x.broadcastable, strict=False)
            if isinstance(entry, slice)
        ]
        bcast.extend(x.broadcastable[len(entries) :])
        return Apply(self, [x, *inputs], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, *values = inputs
        index = numpy_index(self.idx_list, values)
        try:
            # The trailing Ellipsis keeps a 0-d result a view, not a numpy scalar.
            output_storage[0][0] = x[(*index, Ellipsis)]
        except IndexError as exc:
            raise IndexError(f"{self}: indexing {node.inputs[0]}: {exc}") from None

    def infer_shape(self, fgraph, node, input_shapes):
        x_shape = input_shapes[0]
        entries = fill_entries(self.idx_list, node.inputs[1:])
        out = [
            slice_length(entry, x_shape[axis])
            for axis, entry in enumerate(entries)
            if isinstance(entry, slice)
        ]
        out.extend(x_shape[len(entries) :])
        bcast = node.outputs[0].broadcastable
        return [tuple(1 if b else length for b, length in zip(bcast, out, strict=True))]

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)

    def L_op(self, inputs, outputs, output_grads):
        x, *indices = inputs
        (gz,) = output_grads
        rest = [_disconnected() for _ in indices]
        if dt.is_discrete(x.dtype):
            return [zeros_like(x, dtype=config.floatX), *rest]
        return [IncSubtensor(self.idx_list)(zeros_like(x), gz, *indices), *rest]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], *inputs[1:])]


class IncSubtensor(Op):
    """``out = x.copy(); out[idx] += y`` (or ``= y``) for a basic index.

    ``y`` broadcasts into ``x[idx]``.

    Parameters
    ----------
    idx_list : sequence
        The index pattern, as for :class:`Subtensor`.
    inplace : bool
        Overwrite ``x`` instead of copying it (``destroy_map={0: [0]}``).
    set_instead_of_inc : bool
    destroyhandler_tolerate_aliased : sequence of pairs
        Input pairs the destroy handler may let alias each other.

    Notes
    -----
    Gradient: ``gx = gz`` (with ``set``, zero in the region), ``gy =
    gz[idx]`` summed over the axes ``y`` was broadcast along.
    """

    __props__ = (
        "idx_list",
        "inplace",
        "set_instead_of_inc",
        "destroyhandler_tolerate_aliased",
    )

    def __init__(
        self,
        idx_list,
        inplace=False,
        set_instead_of_inc=False,
        destroyhandler_tolerate_aliased=None,
    ):
        self.idx_list = tuple(convert_entry(e) for e in idx_list)
        self.inplace = bool(inplace)
        self.set_instead_of_inc = bool(set_instead_of_inc)
        self.destroyhandler_tolerate_aliased = tuple(
            tuple(pair) for pair in destroyhandler_tolerate_aliased or ()
        )
        if self.inplace:
            self.destroy_map = {0: [0]}

    def __hash__(self):
        return hash(
            (
                type(self),
                hashable(self.idx_list),
                self.inplace,
                self.set_instead_of_inc,
                self.destroyhandler_tolerate_aliased,
            )
        )

    def __str__(self):
        mode = ("Inplace" if self.inplace else "") + (
            "Set" if self.set_instead_of_inc else "Inc"
        )
        indices = ", ".join(map(entry_str, self.idx_list))
        return f"{type(self).__name__}{{{mode};{indices}}}"

    def make_node(self, x, y, *inputs):
        x = as_tensor_variable(x)
        y = as_tensor_variable(y)
        region = Subtensor(self.idx_list).make_node(x, *inputs).outputs[0]
        check_increment(self, region, y)
        return Apply(self, [x, y, *region.owner.inputs[1:]], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, y, *values = inputs
        if not self.inplace:
            x = x.copy()
        index = (*numpy_index(self.idx_list, values), Ellipsis)
        try:
            if self.set_instead_of_inc:
                x[index] = y
            else:
                region = x[index]
                region += y
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
            gx = zeros_like(x, dtype=config.floatX)
            gy = zeros_like(y, dtype=config.floatX if dt.is_discrete(y.dtype) else None)
            return [gx, gy, *rest]
        if self.set_instead_of_inc:
            setter = IncSubtensor(self.idx_list, set_instead_of_inc=True)
            gx = setter(gz, zeros_like(y), *indices)
        else:
            gx = gz
        gy = Subtensor(self.idx_list)(gz, *indices)
        return [gx, sum_grad_over_broadcast(y, gy), *rest]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None and eval_points[1] is None:
            return [None]
        ex = eval_points[0] if eval_points[0] is not None else zeros_like(inputs[0])
        ey = eval_points[1] if eval_points[1] is not None else zeros_like(inputs[1])
        return [self(ex, ey, *inputs[2:])]


# x[...] -------------------------------------------------------------------------------
_INDEX_KINDS = (
    "only integers, slices (:), ellipsis (...), None (numpy.newaxis) and integer "
    "or boolean arrays or tensors are valid indices"
)


def _index_scalar(value, what):
    """Return a scalar index or slice bound: a Python int or a 0-d integer variable."""
    if isinstance(value, (bool, numpy.bool_)):
        raise TypeError(f"{what} must be an integer, got the boolean {value!r}")
    if isinstance(value, (int, numpy.integer)):
        return int(value)
    if isinstance(value, numpy.ndarray) and value.ndim == 0:
        if value.dtype.kind not in "iu":
            raise TypeError(f"{what} must be an integer, got {value!r}")
        return int(value)
    if isinstance(value, Variable):
        value = as_tensor_variable(value)
        if value.ndim == 0 and value.dtype in dt.integer_dtypes:
            return value
        raise TypeError(
            f"{what} must be an integer scalar, got {value} of type {value.type}"
        )
    raise TypeError(f"{what} must be an integer, got {value!r}")


def _index_entry(entry):
    """Return an index entry as None, Ellipsis, a slice, an int or a variable."""
    if entry is None or entry is Ellipsis:
        return entry
    if isinstance(entry, slice):
        bounds = [
            None if b is None else _index_scalar(b, "a slice bound")
            for b in (entry.start, entry.stop, entry.step)
        ]
        if constant_int(bounds[2]) == 0:
            raise ValueError("slice step cannot be zero")
        return slice(*bounds)
    if isinstance(entry, (bool, numpy.bool_)):
        raise TypeError(f"a scalar boolean index ({entry!r}) is not supported")
    if isinstance(entry, (int, numpy.integer)):
        return int(entry)
    if isinstance(entry, (list, tuple)) and len(entry) == 0:
        entry = numpy.zeros(0, dtype="int64")
    if isinstance(entry, (list, tuple, numpy.ndarray, Variable)):
        try:
            var = as_tensor_variable(entry)
        except TypeError:
            raise TypeError(f"{_INDEX_KINDS}; got {entry!r}") from None
        if var.dtype not in dt.discrete_dtypes:
            raise TypeError(
                f"index {var} must be of an integer or boolean dtype, got {var.dtype}"
            )
        if var.ndim == 0 and var.dtype == "bool":
            raise TypeError(f"a scalar boolean index ({var}) is not supported")
        if var.ndim == 0 and isinstance(var, Constant):
            return int(var.data)
        return var
    raise TypeError(f"{_INDEX_KINDS}; got {entry!r}")


def _is_advanced(entry):
    return isinstance(entry, Variable) and (entry.ndim > 0 or entry.dtype == "bool")


def _axes_of(entry):
    """How many axes of ``x`` an entry indexes (a mask covers one per dim)."""
    if entry is None or entry is Ellipsis:
        return 0
    if isinstance(entry, Variable) and entry.dtype == "bool":
        return entry.ndim
    return 1


def _expand_index(x, index):
    """Return ``index`` as a list of entries, with the Ellipsis expanded."""
    if not isinstance(index, tuple):
        index = (index,)
    entries = [_index_entry(e) for e in index]
    if entries.count(Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(_axes_of(e) for e in entries)
    if used > x.ndim:
        raise IndexError(
            f"too many indices for {x}: it is {x.ndim}-d ({x.type}), but {used} "
            "were indexed"
        )
    if Ellipsis in entries:
        at = entries.index(Ellipsis)
        entries[at : at + 1] = [slice(None)] * (x.ndim - used)
    return entries


def _as_input(value):
    if isinstance(value, int):
        return as_tensor_variable(numpy.asarray(value, dtype="int64"))
    return value


def _collapse(entries):
    """Return (idx_list, inputs): Python ints become int64 constant inputs."""
    idx_list = []
    inputs = []

    def take_part(part):
        if part is None:
            return None
        part = _as_input(part)
        inputs.append(part)
        return part

    for entry in entries:
        if isinstance(entry, slice):
            idx_list.append(
                slice(
                    take_part(entry.start), take_part(entry.stop), take_part(entry.step)
                )
            )
        else:
            idx_list.append(take_part(entry))
    return idx_list, inputs


def getitem(x, index):
    """Return ``x[index]`` with numpy's semantics; ``TensorVariable.__getitem__``.

    Basic indices (ints, possibly symbolic; slices with constant or symbolic
    bounds; ``None``; ``...``) give a :class:`Subtensor` view, with ``None``
    inserting broadcastable axes through a DimShuffle.  An integer vector
    alone on axis 0 gives :class:`AdvancedSubtensor1`; any other integer or
    boolean array index gives :class:`AdvancedSubtensor`.

    Raises
    ------
    IndexError
        Too many indices, or more than one Ellipsis.
    TypeError
        An index of an unsupported kind or dtype (floats, scalar booleans...).

    Examples
    --------
    >>> from symbolic.types.tensor import dmatrix
    >>> x = dmatrix('x')
    >>> print(x[1:, 0].owner.op)
    Subtensor{int64::, int64}
    >>> x[:, None].broadcastable
    (False, True, False)
    """
    x = as_tensor_variable(x)
    if isinstance(index, list) and any(
        isinstance(e, slice) or e is None or e is Ellipsis for e in index
    ):
        index = tuple(index)
    entries = _expand_index(x, index)
    if None in entries:
        pattern = []
        axis = 0
        for entry in entries:
            if entry is None:
                pattern.append("x")
            else:
                width = _axes_of(entry)
                pattern.extend(range(axis, axis + width))
                axis += width
        pattern.extend(range(axis, x.ndim))
        x = DimShuffle(x.broadcastable, pattern)(x)
        entries = [slice(None) if e is None else e for e in entries]
        if all(is_full_slice(e) for e in entries):
            return x
    if not any(_is_advanced(e) for e in entries):
        idx_list, inputs = _collapse(entries)
        return Subtensor(idx_list)(x, *inputs)
    first = entries[0]
    if (
        isinstance(first, Variable)
        and first.ndim == 1
        and first.dtype in dt.integer_dtypes
        and all(is_full_slice(e) for e in entries[1:])
    ):
        return advanced_subtensor1(x, first)
    idx_list, inputs = _collapse(entries)
    return AdvancedSubtensor(idx_list)(x, *inputs)


# set_subtensor and inc_subtensor ------------------------------------------------------
_NOT_INDEXED = (
    "{fn}: x_sub must be an indexing expression such as x[1:, idx] (the output "
    "of a Subtensor, AdvancedSubtensor1 or AdvancedSubtensor), got {x}{how}"
)


def set_subtensor(x, y, inplace=False, tolerate_inplace_aliasing=False):
    """Return the tensor indexed by ``x`` with that region replaced by ``y``.

    Parameters
    ----------
    x : TensorVariable
        An indexing expression ``t[index]``; the result has ``t``'s type.
    y : tensor-like
        Broadcast into the region.
    inplace : bool
        Build a destructive op (for rewrites only).
    tolerate_inplace_aliasing : bool

    Examples
    --------
    >>> from symbolic.types.tensor import dvector
    >>> t = dvector('t')
    >>> print(set_subtensor(t[1:], 0.0).owner.op)
    IncSubtensor{Set;int64::}
    """
    return inc_subtensor(
        x,
        y,
        inplace,
        set_instead_of_inc=True,
        tolerate_inplace_aliasing=tolerate_inplace_aliasing,
    )


def inc_subtensor(
    x, y, inplace=False, set_instead_of_inc=False, tolerate_inplace_aliasing=False
):
    """Return the tensor indexed by ``x`` with ``y`` added to that region.

    ``x`` must be an indexing expression ``t[index]`` (possibly seen through a
    DimShuffle); the result is a new variable of ``t``'s type, ``t`` itself is
    unchanged.  ``y`` broadcasts into the region.  With advanced indices,
    repeated indices accumulate.

    Raises
    ------
    TypeError
        ``x`` is not an indexing expression, or ``y`` has too many dims or an
        incompatible dtype.
    """
    x = as_tensor_variable(x)
    y = as_tensor_variable(y)
    fn = "set_subtensor" if set_instead_of_inc else "inc_subtensor"
    if y.ndim > x.ndim:
        raise TypeError(
            f"{fn}: cannot write the {y.ndim}-d {y} into the {x.ndim}-d {x}"
        )
    offset = x.ndim - y.ndim
    must_broadcast = [
        d
        for d in range(y.ndim)
        if x.broadcastable[d + offset] and not y.broadcastable[d]
    ]
    if must_broadcast:
        # The region has length 1 there, so y must too: check it at run time.
        y = addbroadcast(y, *must_broadcast)
    if x.owner is None:
        raise TypeError(_NOT_INDEXED.format(fn=fn, x=x, how=" (a graph input)"))
    op = x.owner.op
    t, *indices = x.owner.inputs
    if isinstance(op, Subtensor):
        aliased = [[0, 1]] if tolerate_inplace_aliasing else []
        the_op = IncSubtensor(
            op.idx_list,
            inplace,
            set_instead_of_inc,
            destroyhandler_tolerate_aliased=aliased,
        )
        return the_op(t, y, *indices)
    if isinstance(op, AdvancedSubtensor1):
        return AdvancedIncSubtensor1(inplace, set_instead_of_inc)(t, y, *indices)
    if isinstance(op, AdvancedSubtensor):
        the_op = AdvancedIncSubtensor(op.idx_list, inplace, set_instead_of_inc)
        return the_op(t, y, *indices)
    if isinstance(op, DimShuffle):
        inner = inc_subtensor(
            t,
            _undo_dimshuffle(op, y, offset, t.ndim),
            inplace,
            set_instead_of_inc,
            tolerate_inplace_aliasing,
        )
        return DimShuffle(inner.broadcastable, op.new_order)(inner)
    raise TypeError(_NOT_INDEXED.format(fn=fn, x=x, how=f", computed by {op}"))


def _undo_dimshuffle(op, y, offset, inner_ndim):
    """Lay ``y`` (aligned with the DimShuffle's output) out like its input."""
    pattern = []
    for axis in range(inner_ndim):
        out_axis = op.new_order.index(axis) if axis in op.new_order else None
        if out_axis is None or out_axis < offset:
            pattern.append("x")
        else:
            pattern.append(out_axis - offset)
    return DimShuffle(y.broadcastable, pattern)(y)


# Static folding helpers, called by symbolic.ops.basic ---------------------------------
def subtensor_constant_value(v, max_recur=10):
    """Return the value of the 0-d Subtensor output ``v`` when statically known.

    Handles ``shape(x)[i]`` where axis ``i`` of ``x`` is broadcastable or ``x``
    is a constant, ``make_vector(...)[i]`` and a constant indexed by
    constants.

    Returns
    -------
    numpy.ndarray
        0-d, of ``v``'s dtype.

    Raises
    ------
    NotScalarConstantError
    """
    op = v.owner.op
    base, *inputs = v.owner.inputs
    index = numpy_index(
        op.idx_list, [get_scalar_constant_value(i, max_recur=max_recur) for i in inputs]
    )
    data = _constant_data(base, max_recur)
    if data is not None:
        return numpy.asarray(data[index], dtype=v.dtype)
    owner = base.owner
    if len(index) == 1 and isinstance(index[0], int) and owner is not None:
        (i,) = index
        if isinstance(owner.op, Shape):
            shaped = owner.inputs[0]
            if not -shaped.ndim <= i < shaped.ndim:
                raise NotScalarConstantError(
                    f"{v}: index {i} is out of range for the shape of {shaped}"
                )
            if shaped.broadcastable[i]:
                return numpy.asarray(1, dtype=v.dtype)
            if isinstance(shaped, Constant):
                return numpy.asarray(shaped.data.shape[i], dtype=v.dtype)
        if isinstance(owner.op, MakeVector) and -len(owner.inputs) <= i < len(
            owner.inputs
        ):
            value = get_scalar_constant_value(owner.inputs[i], max_recur=max_recur)
            return numpy.asarray(value, dtype=v.dtype)
    raise NotScalarConstantError(f"{v} is not a constant")


def _constant_data(var, max_recur=10):
    """Return the value of a constant, or of constant indices into one, else None."""
    if isinstance(var, Constant):
        return var.data
    owner = var.owner
    if owner is None or not isinstance(owner.op, Subtensor) or max_recur <= 0:
        return None
    values = [constant_int(i) for i in owner.inputs[1:]]
    data = _constant_data(owner.inputs[0], max_recur - 1)
    if data is None or None in values:
        return None
    return data[numpy_index(owner.op.idx_list, values)]


def subtensor_vector_length(v):
    """Return the static length of the 1-d Subtensor output ``v``.

    The base must have a static length (a shape vector, a constant, a
    make_vector...) and the index constant bounds, as in ``x.shape[1:]``.

    Raises
    ------
    ValueError
    """
    op = v.owner.op
    base, *inputs = v.owner.inputs
    values = [constant_int(i) for i in inputs]
    if None in values:
        raise ValueError(
            f"length of vector {v} is not known statically: its index is symbolic"
        )
    index = numpy_index(op.idx_list, values)
    data = _constant_data(base)
    if data is not None:
        return len(data[index])
    if base.ndim != 1:
        raise ValueError(f"length of vector {v} is not known statically")
    length = get_vector_length(base)
    return len(range(length)[index[0]]) if index else length

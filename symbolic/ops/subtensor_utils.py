"""Index bookkeeping shared by the indexing ops (Subtensor and the advanced ones).

An indexing op keeps its index pattern in ``idx_list``, one entry per indexed
axis.  An entry is

- an int: a constant index;
- a TensorType: the next symbolic input supplies the value (a 0-d integer
  for a basic index; an integer or boolean array for an advanced one);
- a slice whose bounds are None, ints or 0-d integer TensorTypes.

This mirrors Theano, whose ``idx_list`` holds the *types* of the symbolic
indices so that the op itself stays independent of their values.
"""

import numpy

from symbolic.graph.basic import Variable
from symbolic.ops.basic import NotScalarConstantError, get_scalar_constant_value
from symbolic.ops.elemwise import DimShuffle
from symbolic.ops.math import (
    cast,
    int_div,
    lt,
    maximum,
    minimum,
    patternbroadcast,
    sum,
    switch,
)
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable


# idx_list entries -----------------------------------------------------------------
def _scalar_type_of(entry, what):
    """Return the 0-d integer TensorType standing for a symbolic scalar index."""
    if isinstance(entry, Variable):
        entry = entry.type
    if (
        not isinstance(entry, TensorType)
        or entry.ndim != 0
        or entry.dtype not in dt.integer_dtypes
    ):
        raise TypeError(
            f"{what} must be an integer or a 0-d integer tensor, got {entry}"
        )
    return TensorType(entry.dtype, ())


def convert_scalar_entry(entry, what="an index"):
    """Return ``entry`` as an ``idx_list`` scalar entry: an int or a 0-d type."""
    if isinstance(entry, (bool, numpy.bool_)):
        raise TypeError(f"{what} must be an integer, got the boolean {entry!r}")
    if isinstance(entry, (int, numpy.integer)):
        return int(entry)
    return _scalar_type_of(entry, what)


def convert_entry(entry, allow_arrays=False):
    """Return one ``idx_list`` entry in canonical form (see the module docstring).

    With ``allow_arrays``, integer or boolean array types (advanced indices)
    are accepted too; their broadcast pattern is dropped from the entry.
    """
    if isinstance(entry, slice):
        bounds = [
            None if b is None else convert_scalar_entry(b, "a slice bound")
            for b in (entry.start, entry.stop, entry.step)
        ]
        if bounds[2] == 0:
            raise ValueError("slice step cannot be zero")
        return slice(*bounds)
    if allow_arrays:
        etype = entry.type if isinstance(entry, Variable) else entry
        if isinstance(etype, TensorType) and (etype.ndim > 0 or etype.dtype == "bool"):
            if etype.dtype not in dt.discrete_dtypes:
                raise TypeError(
                    f"array indices must be of an integer or boolean dtype, got {etype}"
                )
            return TensorType(etype.dtype, (False,) * etype.ndim)
    return convert_scalar_entry(entry)


def index_parts(entry):
    """Return the parts of an entry that may be symbolic: slice bounds, or itself."""
    if isinstance(entry, slice):
        return (entry.start, entry.stop, entry.step)
    return (entry,)


def symbolic_entries(index):
    """Return the Variables of an index (scalars, arrays and slice bounds), in order."""
    return [p for entry in index for p in index_parts(entry) if isinstance(p, Variable)]


def index_types(idx_list):
    """Return the TensorTypes of ``idx_list``: one per symbolic input, in order."""
    return [
        p for entry in idx_list for p in index_parts(entry) if isinstance(p, TensorType)
    ]


def fill_entries(idx_list, values):
    """Return ``idx_list`` with each TensorType replaced by the next of ``values``.

    ``values`` may be run-time values or symbolic variables.
    """
    values = iter(values)

    def fill(part):
        return next(values) if isinstance(part, TensorType) else part

    filled = []
    for entry in idx_list:
        if isinstance(entry, slice):
            filled.append(slice(fill(entry.start), fill(entry.stop), fill(entry.step)))
        else:
            filled.append(fill(entry))
    return filled


def numpy_index(idx_list, values):
    """Return the numpy index tuple for ``idx_list`` filled with run-time values."""

    def as_int(part):
        return None if part is None else int(part)

    index = []
    for entry in fill_entries(idx_list, values):
        if isinstance(entry, slice):
            index.append(
                slice(as_int(entry.start), as_int(entry.stop), as_int(entry.step))
            )
        elif isinstance(entry, numpy.ndarray) and entry.ndim > 0:
            index.append(entry)
        else:
            index.append(int(entry))
    return tuple(index)


def check_index_inputs(op, idx_list, inputs):
    """Convert ``inputs`` to the types ``idx_list`` expects, or raise TypeError."""
    expected = index_types(idx_list)
    if len(inputs) != len(expected):
        raise TypeError(f"{op} expects {len(expected)} index inputs, got {len(inputs)}")
    converted = []
    for etype, value in zip(expected, inputs, strict=True):
        if isinstance(value, (int, numpy.integer)) and etype.ndim == 0:
            value = as_tensor_variable(numpy.asarray(value, dtype=etype.dtype))
        value = as_tensor_variable(value)
        if value.dtype != etype.dtype or value.ndim != etype.ndim:
            raise TypeError(
                f"wrong type for an index of {op}: expected {etype}, got {value} "
                f"of type {value.type}"
            )
        converted.append(value)
    return converted


# Printing and hashing -----------------------------------------------------------------
def _part_str(part):
    if part is None:
        return ""
    if isinstance(part, TensorType):
        return part.dtype
    return str(part)


def entry_str(entry):
    """Print an entry as Theano does: ``int64``, ``1:``, ``::-1``, ``int64::``."""
    if isinstance(entry, slice):
        parts = [_part_str(entry.start), _part_str(entry.stop)]
        if entry.step is not None:
            parts.append(_part_str(entry.step))
        else:
            parts.append("")
        return ":".join(parts)
    return _part_str(entry)


def hashable(idx_list):
    """Return ``idx_list`` with slices (unhashable before Python 3.12) as tuples."""
    return tuple(
        ("slice", e.start, e.stop, e.step) if isinstance(e, slice) else e
        for e in idx_list
    )


# Static values ------------------------------------------------------------------------
def constant_int(value):
    """Return ``value`` as a Python int when it is statically known, else None."""
    if value is None:
        return None
    if isinstance(value, (int, numpy.integer)):
        return int(value)
    try:
        return int(get_scalar_constant_value(value))
    except NotScalarConstantError:
        return None


def is_full_slice(entry):
    """True for ``slice(None, None, None)``, including constant None-like bounds."""
    return (
        isinstance(entry, slice)
        and entry.start is None
        and entry.stop is None
        and (entry.step is None or constant_int(entry.step) == 1)
    )


# Slice lengths ------------------------------------------------------------------------
def slice_length(sl, n):
    """Return the length of ``range(n)[sl]``, a Python int when statically known.

    Parameters
    ----------
    sl : slice
        Bounds are None, ints or 0-d integer variables.
    n : int or Variable
        The length of the sliced axis.

    Returns
    -------
    int or TensorVariable
        An int64 scalar variable when any piece is symbolic.
    """
    start, stop, step = (_static_if_known(b) for b in (sl.start, sl.stop, sl.step))
    n_static = constant_int(n)
    if all(not isinstance(b, Variable) for b in (start, stop, step)) and (
        n_static is not None
    ):
        return len(range(n_static)[slice(start, stop, step)])
    n = as_tensor_variable(n)
    if step is None or (not isinstance(step, Variable) and step > 0):
        length = _forward_length(start, stop, 1 if step is None else step, n)
    elif not isinstance(step, Variable):
        length = _backward_length(start, stop, step, n)
    else:
        length = switch(
            lt(0, step),
            _forward_length(start, stop, step, n),
            _backward_length(start, stop, step, n),
        )
    return cast(length, "int64")


def _static_if_known(bound):
    """Return a bound as a Python int when it is constant, else unchanged."""
    static = constant_int(bound)
    return bound if static is None and bound is not None else static


def _clip_bound(bound, n, low, high):
    """Wrap a negative bound by ``n``, then clip it into ``[low, high]``."""
    if not isinstance(bound, Variable):
        if bound >= 0:
            return minimum(bound, high)
        return maximum(bound + n, low)
    wrapped = switch(lt(bound, 0), bound + n, bound)
    return minimum(maximum(wrapped, low), high)


def _forward_length(start, stop, step, n):
    first = 0 if start is None else _clip_bound(start, n, 0, n)
    last = n if stop is None else _clip_bound(stop, n, 0, n)
    if not isinstance(step, Variable) and step == 1:
        return maximum(last - first, 0)
    return maximum(int_div(last - first + step - 1, step), 0)


def _backward_length(start, stop, step, n):
    first = n - 1 if start is None else _clip_bound(start, n, -1, n - 1)
    last = -1 if stop is None else _clip_bound(stop, n, -1, n - 1)
    if not isinstance(step, Variable) and step == -1:
        return maximum(first - last, 0)
    return maximum(int_div(first - last - step - 1, -step), 0)


def slice_broadcastable(sl, x_broadcastable):
    """Whether slicing an axis keeps it broadcastable: only when provably length 1."""
    if not x_broadcastable:
        return False
    length = slice_length(sl, 1)
    return not isinstance(length, Variable) and length == 1


# Gradients ----------------------------------------------------------------------------
def sum_grad_over_broadcast(var, grad):
    """Reduce ``grad`` to ``var``'s type by summing where ``var`` was broadcast.

    Leading axes ``var`` lacks and axes where ``var`` is broadcastable but
    ``grad`` is not are summed; the result is cast to ``var``'s dtype.
    """
    grad = as_tensor_variable(grad)
    extra = grad.ndim - var.ndim
    axes = [
        i
        for i in range(grad.ndim)
        if not grad.broadcastable[i] and (i < extra or var.broadcastable[i - extra])
    ]
    if axes:
        grad = sum(grad, axis=axes, keepdims=True)
    if extra:
        grad = DimShuffle(grad.broadcastable, list(range(extra, grad.ndim)))(grad)
    if grad.dtype != var.dtype:
        grad = cast(grad, var.dtype)
    return patternbroadcast(grad, var.broadcastable)


# Increments ------------------------------------------------------------------------
def check_increment(op, region, y):
    """Check that ``y`` can be written into ``region`` (a variable of the target type).

    Raises
    ------
    TypeError
        When ``y`` has more dims than the region, or a dtype that does not
        convert to the region's without changing kind (float into int).
    """
    if y.ndim > region.ndim:
        raise TypeError(
            f"{op}: cannot write {y} ({y.ndim}-d, {y.type}) into a "
            f"{region.ndim}-d region ({region.type})"
        )
    if not numpy.can_cast(y.dtype, region.dtype, casting="same_kind"):
        raise TypeError(
            f"{op}: cannot write {y} of dtype {y.dtype} into a tensor of dtype "
            f"{region.dtype}"
        )


def broadcast_error(op, node, x_shape, index, y):
    """Return the ValueError raised when ``y`` does not fit the indexed region."""
    try:
        region = numpy.empty(x_shape, dtype="int8")[index].shape
    except IndexError as exc:
        return IndexError(f"{op}: bad index for {node.inputs[0]}: {exc}")
    return ValueError(
        f"{op}: cannot broadcast {node.inputs[1]} of shape {numpy.shape(y)} into "
        f"the indexed region of {node.inputs[0]}, of shape {region}"
    )

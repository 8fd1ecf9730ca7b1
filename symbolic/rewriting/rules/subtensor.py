"""Subtensor rules: indexing shape vectors, allocs, joins and increments of
zeros; useless slices."""

from symbolic.graph.basic import Constant, Variable
from symbolic.ops.basic import Alloc, MakeVector, Rebroadcast, Shape, alloc
from symbolic.ops.join_split import Join
from symbolic.ops.scalar.basic import Second
from symbolic.ops.subtensor import IncSubtensor, Subtensor
from symbolic.ops.subtensor_utils import constant_int, fill_entries
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.rules.helpers import constant_value, fit, scalar_op_of
from symbolic.rewriting.shape_feature import same_entry, shape_feature

_CANON = ("canonicalize", "subtensor")


def _entries(node):
    return fill_entries(node.op.idx_list, node.inputs[1:])


def _static(part):
    """A Python int for a constant index part, else None (None stays None)."""
    if isinstance(part, Variable):
        return constant_int(part)
    return part


def _single_constant_index(node):
    entries = _entries(node)
    if len(entries) != 1 or isinstance(entries[0], slice):
        return None
    return _static(entries[0])


@node_rewriter([Subtensor], tags=_CANON)
def local_subtensor_of_vector(fgraph, node):
    """make_vector(a, b, c)[1] -> b and shape(x)[i] -> inferred length of axis i."""
    i = _single_constant_index(node)
    if i is None:
        return None
    base = node.inputs[0]
    while base.owner is not None and isinstance(base.owner.op, Rebroadcast):
        base = base.owner.inputs[0]
    owner = base.owner
    if owner is None:
        return None
    if isinstance(owner.op, MakeVector) and -len(owner.inputs) <= i < len(owner.inputs):
        return [fit(owner.inputs[i], node.outputs[0])]
    if isinstance(owner.op, Shape):
        (x,) = owner.inputs
        if -x.ndim <= i < x.ndim:
            entry = shape_feature(fgraph).shape_entry(x, i)
            return [fit(entry, node.outputs[0])]
    return None


def _from_zero_by_one(entry):
    """True for a slice whose start is 0 (or none) and step 1 (or none)."""
    if not isinstance(entry, slice):
        return False
    # A symbolic start or step is not known to be 0 or 1.
    return (entry.start is None or _static(entry.start) == 0) and (
        entry.step is None or _static(entry.step) == 1
    )


def _is_full(entry, length):
    if not _from_zero_by_one(entry):
        return False
    if entry.stop is None:
        return True
    stop = _static(entry.stop)
    return (isinstance(entry.stop, Variable) and same_entry(entry.stop, length)) or (
        stop is not None and isinstance(length, Constant) and stop >= int(length.data)
    )


@node_rewriter([Subtensor], tags=_CANON)
def local_useless_subtensor(fgraph, node):
    """x[:, 0:n] -> x when every entry is a slice covering its whole axis."""
    x = node.inputs[0]
    entries = _entries(node)
    # Shapes are only asked for when some stop decides (inferring them is
    # most of this rule's cost).
    if not all(_from_zero_by_one(e) for e in entries):
        return None
    if all(e.stop is None for e in entries):
        return [fit(x, node.outputs[0])]
    shape = shape_feature(fgraph).shape_of(x) if node.inputs[1:] else [None] * x.ndim
    if all(_is_full(e, shape[i]) for i, e in enumerate(entries)):
        return [fit(x, node.outputs[0])]
    return None


@node_rewriter([Subtensor], tags=_CANON)
def local_subtensor_of_alloc(fgraph, node):
    """alloc(v, *shape)[idx] -> alloc(v, *shape of the result).

    Conditions: the index only touches the dims the alloc added in front of
    ``v`` (``v`` itself is not sliced).
    """
    base = node.inputs[0]
    if base.owner is None or not isinstance(base.owner.op, Alloc):
        return None
    value = base.owner.inputs[0]
    added = base.ndim - value.ndim
    entries = _entries(node)
    for axis, entry in enumerate(entries):
        if axis >= added and not (
            isinstance(entry, slice)
            and entry.start is None
            and entry.stop is None
            and entry.step is None
        ):
            return None
    out = node.outputs[0]
    if out.ndim < value.ndim:
        return None
    shape = shape_feature(fgraph).shape_of(out)
    if out.ndim == value.ndim:
        result = value
    else:
        result = alloc(value, *shape)
    return [fit(result, out)]


@node_rewriter([Subtensor], tags=_CANON)
def local_subtensor_of_join(fgraph, node):
    """join(0, a, b)[k, ...] -> b[k - len(a), ...] when the lengths are constants.

    Every piece before the selected one must have a constant length.
    """
    base = node.inputs[0]
    if base.owner is None or not isinstance(base.owner.op, Join):
        return None
    axis, *pieces = base.owner.inputs
    entries = _entries(node)
    if constant_int(axis) != 0 or not entries or isinstance(entries[0], slice):
        return None
    k = _static(entries[0])
    if k is None or k < 0:
        return None
    feature = shape_feature(fgraph)
    offset = 0
    for n, piece in enumerate(pieces):
        length = constant_int(feature.shape_entry(piece, 0))
        last = n == len(pieces) - 1
        if length is None and not last:
            return None
        # An index past the last piece stays an IndexError there.
        if last or k < offset + length:
            rest = tuple(entries[1:])
            return [fit(piece[(k - offset, *rest)], node.outputs[0])]
        offset += length
    return None


def _is_zeros(var):
    """Whether ``var`` is all zeros: an alloc or fill of a constant 0, or a constant."""
    if isinstance(var, Constant):
        return var.data.size > 0 and not var.data.any()
    if var.owner is not None and isinstance(var.owner.op, Alloc):
        value = constant_value(var.owner.inputs[0])
        return value is not None and value == 0
    if scalar_op_of(var, Second) is not None:
        value = constant_value(var.owner.inputs[1])
        return value is not None and value == 0
    return False


def _unit_step(entry):
    return entry.step is None or _static(entry.step) == 1


@node_rewriter([Subtensor], tags=_CANON)
def local_subtensor_of_inc_zeros(fgraph, node):
    """inc_subtensor(zeros, y, [c:])[c:b] -> y[:stop], no zeros allocated.

    The gradient of a scan's ``out[1:]`` is ``inc_subtensor(zeros_like(out),
    g, [1:])``, which the backward loop reads back as ``[1:1+n]``: the
    zeros never need to exist.  Both indexes slice only the first axis with
    step 1 and the same start ``c``; ``y`` has the region's exact type (no
    broadcasting into it).  ``stop`` follows numpy: a negative ``b`` counts
    from the end of both arrays alike, and a ``b`` before ``c`` selects
    nothing.
    """
    from symbolic.ops.math import maximum, switch

    base = node.inputs[0]
    inc = base.owner
    if inc is None or not isinstance(inc.op, IncSubtensor):
        return None
    zeros, y = inc.inputs[:2]
    inc_entries = fill_entries(inc.op.idx_list, inc.inputs[2:])
    entries = _entries(node)
    if len(inc_entries) != 1 or len(entries) != 1:
        return None
    (region,), (taken,) = inc_entries, entries
    if not isinstance(region, slice) or not isinstance(taken, slice):
        return None
    if region.stop is not None or not (_unit_step(region) and _unit_step(taken)):
        return None
    start = _static(region.start) if region.start is not None else 0
    taken_start = _static(taken.start) if taken.start is not None else 0
    if start is None or taken_start != start:
        return None
    if y.ndim != base.ndim or y.broadcastable != base.broadcastable:
        return None
    if not _is_zeros(zeros):
        return None
    stop = taken.stop
    if stop is None:
        result = y
    elif _static(stop) is not None:
        b = _static(stop)
        result = y[: b if b < 0 else max(b - start, 0)]
    else:
        result = y[: switch(stop < 0, stop, maximum(stop - start, 0))]
    return [fit(result, node.outputs[0])]


@node_rewriter([IncSubtensor], tags=_CANON)
def local_inc_subtensor_of_zeros_whole(fgraph, node):
    """inc_subtensor(zeros, y, [0:n]) -> y when the slices cover all of zeros.

    The gradient of a scan's sequence ``x[:n]`` is ``y`` written into
    ``zeros_like(x)``; when ``n`` is the length of ``x`` (the same shape
    variable, or a start of 0 and no stop) the zeros are never read.
    Applies to ``set_subtensor`` on any base.  ``y`` is returned as is when
    its shape is provably the base's, else broadcast with ``alloc`` (one copy
    instead of zeros plus an increment).
    """
    base, y = node.inputs[:2]
    entries = fill_entries(node.op.idx_list, node.inputs[2:])
    if not entries or not all(isinstance(e, slice) for e in entries):
        return None
    if not node.op.set_instead_of_inc and not _is_zeros(base):
        return None
    out = node.outputs[0]
    if y.ndim != out.ndim or y.dtype != out.dtype:
        return None
    feature = shape_feature(fgraph)
    shape = feature.shape_of(base)
    if not all(_is_full(e, shape[i]) for i, e in enumerate(entries)):
        return None
    if y.broadcastable == out.broadcastable and feature.same_shape(y, base):
        return [fit(y, out)]
    return [fit(alloc(y, *shape), out)]

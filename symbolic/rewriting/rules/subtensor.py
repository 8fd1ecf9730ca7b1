"""Subtensor rules: indexing shape vectors, allocs and joins; useless slices."""

from symbolic.graph.basic import Constant, Variable
from symbolic.ops.basic import Alloc, MakeVector, Rebroadcast, Shape, alloc
from symbolic.ops.join_split import Join
from symbolic.ops.subtensor import Subtensor
from symbolic.ops.subtensor_utils import constant_int, fill_entries
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.rules.helpers import fit
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


def _is_full(entry, length):
    if not isinstance(entry, slice):
        return False
    start, stop, step = (_static(p) for p in (entry.start, entry.stop, entry.step))
    # A symbolic start or step is not known to be 0 or 1: not full.
    if (entry.start is not None and start != 0) or (
        entry.step is not None and step != 1
    ):
        return False
    if entry.stop is None:
        return True
    return (isinstance(entry.stop, Variable) and same_entry(entry.stop, length)) or (
        stop is not None and isinstance(length, Constant) and stop >= int(length.data)
    )


@node_rewriter([Subtensor], tags=_CANON)
def local_useless_subtensor(fgraph, node):
    """x[:, 0:n] -> x when every entry is a slice covering its whole axis."""
    x = node.inputs[0]
    entries = _entries(node)
    if not all(isinstance(e, slice) for e in entries):
        return None
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

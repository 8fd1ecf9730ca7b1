"""Reductions of broadcasts: sums over broadcastable axes, of allocs, of sums."""

from symbolic.ops import math
from symbolic.ops.basic import Alloc, AllocSize, alloc
from symbolic.ops.elemwise import DimShuffle
from symbolic.ops.math import Max, Min, Prod, Sum
from symbolic.ops.scalar import basic as sb
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.rules.helpers import (
    all_broadcastable,
    fit,
    scalar_op_of,
    single_client,
)
from symbolic.rewriting.shape_feature import shape_feature

_CANON = ("canonicalize", "reduction")


def _axes(op, ndim):
    return tuple(range(ndim)) if op.axis is None else op.axis


def _with_axis(op, axis):
    props = op._props_dict()
    props["axis"] = axis
    return type(op)(**props)


@node_rewriter([Sum, Prod, Max, Min], tags=_CANON)
def local_reduce_broadcastable(fgraph, node):
    """reduce(x, axes) -> reduce(dimshuffle(x), other axes) over broadcastable axes.

    A broadcastable axis has length 1, so reducing over it only drops it.
    """
    (x,) = node.inputs
    axes = _axes(node.op, x.ndim)
    dropped = [a for a in axes if x.broadcastable[a]]
    if not dropped:
        return None
    kept = [i for i in range(x.ndim) if i not in dropped]
    squeezed = DimShuffle(x.broadcastable, kept)(x)
    rest = tuple(kept.index(a) for a in axes if a not in dropped)
    out = node.outputs[0]
    if not rest:
        return [fit(squeezed, out)]
    return [fit(_with_axis(node.op, rest)(squeezed), out)]


@node_rewriter([Sum], tags=_CANON)
def local_sum_sum(fgraph, node):
    """sum(sum(x, a1), a2) -> sum(x, a1 + a2) when the inner sum has one client."""
    (inner,) = node.inputs
    if inner.owner is None or not isinstance(inner.owner.op, Sum):
        return None
    inner_op = inner.owner.op
    if not single_client(fgraph, inner) or inner.dtype != node.outputs[0].dtype:
        return None
    if (inner_op.dtype, inner_op.acc_dtype) != (node.op.dtype, node.op.acc_dtype):
        return None
    (x,) = inner.owner.inputs
    first = _axes(inner_op, x.ndim)
    kept = [i for i in range(x.ndim) if i not in first]
    second = [kept[a] for a in _axes(node.op, inner.ndim)]
    axis = tuple(sorted(set(first) | set(second)))
    return [fit(_with_axis(node.op, axis)(x), node.outputs[0])]


def _count(entries, dtype):
    count = None
    for e in entries:
        count = e if count is None else count * e
    return math.cast(count, dtype)


@node_rewriter([Sum], tags=_CANON)
def local_sum_of_broadcast(fgraph, node):
    """sum(alloc(v, *shape)) -> v * n and sum(second(x, c)) -> c * n.

    ``v``/``c`` is a scalar (0-d, or broadcastable everywhere) and ``n``
    the number of summed elements; unsummed axes keep an alloc.
    """
    (x,) = node.inputs
    out = node.outputs[0]
    if x.owner is None:
        return None
    if isinstance(x.owner.op, Alloc) and x.owner.inputs[0].ndim == 0:
        value = x.owner.inputs[0]
        shape = list(x.owner.inputs[1:])
    elif scalar_op_of(x, sb.Second) and all_broadcastable(x.owner.inputs[1]):
        value = x.owner.inputs[1]
        value = DimShuffle(value.broadcastable, [])(value) if value.ndim else value
        shape = list(shape_feature(fgraph).shape_of(x))
    else:
        return None
    axes = _axes(node.op, x.ndim)
    if isinstance(x.owner.op, Alloc):
        # Checked as the alloc would be: an int64 product could wrap around.
        count = math.cast(AllocSize(axes, x.dtype)(*shape), out.dtype)
    else:
        count = _count([shape[a] for a in axes], out.dtype)
    total = math.cast(value, out.dtype) * count
    rest = [s for i, s in enumerate(shape) if i not in axes]
    if rest:
        total = alloc(total, *rest)
    return [fit(total, out)]

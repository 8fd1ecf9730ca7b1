"""DimShuffle rules: compose chains, drop identities, lift through elementwise ops."""

from symbolic.ops.elemwise import DimShuffle, Elemwise
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.rules.helpers import fit, single_client

_CANON = ("canonicalize", "dimshuffle")


def _compose(inner_order, outer_order):
    """The pattern of ``ds(outer)(ds(inner)(x))`` as one DimShuffle of ``x``."""
    return ["x" if e == "x" else inner_order[e] for e in outer_order]


def _is_identity(order, ndim):
    return list(order) == list(range(ndim))


@node_rewriter([DimShuffle], tags=_CANON)
def local_dimshuffle_merge(fgraph, node):
    """ds(p2)(ds(p1)(x)) -> ds(p1 o p2)(x), and ds(0, 1, ..., n-1)(x) -> x."""
    (x,) = node.inputs
    out = node.outputs[0]
    order = node.op.new_order
    base = x
    if x.owner is not None and isinstance(x.owner.op, DimShuffle):
        base = x.owner.inputs[0]
        order = _compose(x.owner.op.new_order, order)
    elif not _is_identity(order, x.ndim):
        return None
    if _is_identity(order, base.ndim):
        return [fit(base, out)]
    return [fit(DimShuffle(base.broadcastable, order)(base), out)]


@node_rewriter([DimShuffle], tags=_CANON)
def local_dimshuffle_lift(fgraph, node):
    """ds(f(a, b)) -> f(ds(a), ds(b)) when f's output feeds only the DimShuffle.

    Pushes layout changes toward the inputs, where they merge with the
    implicit padding DimShuffles or vanish.  Conditions: the pattern keeps
    the kept axes in order (a transpose is not lifted, so the elementwise
    loop keeps its memory order).
    """
    (x,) = node.inputs
    if x.owner is None or not isinstance(x.owner.op, Elemwise):
        return None
    if len(x.owner.outputs) != 1 or not single_client(fgraph, x):
        return None
    if x.owner.op.inplace_pattern:
        return None
    order = node.op.new_order
    kept = [e for e in order if e != "x"]
    if kept != sorted(kept):
        return None
    inputs = []
    for inp in x.owner.inputs:
        if inp.owner is not None and isinstance(inp.owner.op, DimShuffle):
            merged = _compose(inp.owner.op.new_order, order)
            base = inp.owner.inputs[0]
            if _is_identity(merged, base.ndim):
                inputs.append(base)
            else:
                inputs.append(DimShuffle(base.broadcastable, merged)(base))
        else:
            inputs.append(DimShuffle(inp.broadcastable, order)(inp))
    result = type(x.owner.op)(x.owner.op.scalar_op, name=x.owner.op.name)(*inputs)
    return [fit(result, node.outputs[0])]

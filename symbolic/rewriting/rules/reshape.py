"""Reshape rules: collapse chains of reshapes, drop reshapes to the same shape."""

from symbolic.graph.basic import Constant, Variable
from symbolic.ops.reshaping import Reshape, vector_entries
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.rules.helpers import fit
from symbolic.rewriting.shape_feature import same_entry, shape_feature

_CANON = ("canonicalize", "reshape")


@node_rewriter([Reshape], tags=_CANON)
def local_reshape_chain(fgraph, node):
    """reshape(reshape(x, s1), s2) -> reshape(x, s2)."""
    x, shp = node.inputs
    if x.owner is None or not isinstance(x.owner.op, Reshape):
        return None
    return [fit(node.op(x.owner.inputs[0], shp), node.outputs[0])]


@node_rewriter([Reshape], tags=_CANON)
def local_useless_reshape(fgraph, node):
    """reshape(x, shp) -> x when ``shp`` is provably x's own shape.

    Each entry must be the inferred length of that axis, or 1 on a
    broadcastable axis; one entry may be -1 when all the others match.
    """
    x, shp = node.inputs
    if x.ndim != node.op.ndim:
        return None
    try:
        entries = vector_entries(shp, node.op.ndim)
    except ValueError:
        return None
    known = shape_feature(fgraph).shape_of(x)
    wildcard = 0
    for entry, length, bcast in zip(entries, known, x.broadcastable):
        if isinstance(entry, int):
            if entry == -1:
                wildcard += 1
                continue
            if entry == 1 and bcast:
                continue
            if isinstance(length, Constant) and int(length.data) == entry:
                continue
            return None
        if isinstance(entry, Variable) and same_entry(entry, length):
            continue
        return None
    if wildcard > 1:
        return None
    return [fit(x, node.outputs[0])]

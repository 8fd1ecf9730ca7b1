"""Rules that apply to every op: constant folding."""

import numpy

from symbolic.graph.basic import Constant
from symbolic.rewriting.core import node_rewriter
from symbolic.types.tensor import TensorType


@node_rewriter(tags=("canonicalize", "fast_compile"))
def local_constant_folding(fgraph, node):
    """op(constants...) -> Constant(value), when the op allows folding.

    Ops that allocate large results (Alloc) or have side effects say no
    through ``do_constant_folding``.
    """
    if not node.inputs or not all(isinstance(i, Constant) for i in node.inputs):
        return None
    if not node.op.do_constant_folding(fgraph, node):
        return None
    if getattr(node.op, "has_side_effects", False):
        return None
    storage = [[None] for _ in node.outputs]
    try:
        node.op.perform(node, [i.data for i in node.inputs], storage)
    except Exception:
        # Leave a failing computation in place: it raises at run time with context.
        return None
    replacements = []
    for out, cell in zip(node.outputs, storage):
        if not isinstance(out.type, TensorType):
            return None
        value = numpy.asarray(cell[0], dtype=out.type.dtype)
        try:
            value = out.type.filter(value)
        except TypeError:
            return None
        const = out.type.make_constant(value.copy())
        const.name = out.name
        replacements.append(const)
    return replacements

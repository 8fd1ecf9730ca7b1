"""Rules for OpFromGraph: inlining the ops built with ``inline=True``."""

from symbolic.ops.builders import OpFromGraph
from symbolic.rewriting.core import node_rewriter


@node_rewriter(tracks=[OpFromGraph], tags=("canonicalize", "fast_compile"))
def local_inline_op_from_graph(fgraph, node):
    """OpFromGraph{inline=True}(a, b) -> a copy of its inner graph on a and b.

    Ops built with ``inline=False`` stay whole.
    """
    if not node.op.inline:
        return None
    return node.op.expand(node.inputs)

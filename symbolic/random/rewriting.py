"""Random-stream rules: draw into the stream state's own buffer.

They join the rewrite pipeline as built-in rules when this module is
imported (the ``symbolic.random`` package imports it).
"""

import sys

from symbolic.random.mrg_op import mrg_uniform
from symbolic.rewriting.core import graph_rewriter
from symbolic.rewriting.pipeline import register_rules_module
from symbolic.rewriting.rules.inplace import run_inplace_pass


def _random_candidates(node):
    op = node.op
    if type(op) is mrg_uniform and not op.inplace:
        return [mrg_uniform(op.output_type, inplace=True)]
    return []


@graph_rewriter(tags=("inplace", "inplace_random"), order=3)
def inplace_random(fgraph, profile=None):
    """mrg_uniform(rstate, size) -> its in-place form when rstate may be overwritten.

    A random stream's state is a shared variable whose default update is the
    op's new state: the new state is then written over the old one instead
    of into a copy (an (n_streams, 6) int32 matrix per call).
    """
    return run_inplace_pass(fgraph, profile, "inplace_random", _random_candidates, True)


register_rules_module(sys.modules[__name__])

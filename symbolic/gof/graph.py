"""Theano path ``gof.graph`` (import-only shim)."""

from symbolic.graph.basic import Apply, Constant, Node, Variable
from symbolic.graph.compare import is_same_graph
from symbolic.graph.traversal import (
    ancestors,
    clone,
    clone_get_equiv,
    general_toposort,
    inputs,
    io_toposort,
    ops,
    orphans,
    stack_search,
    variables,
    view_roots,
)

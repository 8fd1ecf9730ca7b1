"""Lazy branches: run the nodes only one branch of a lazy op needs on demand.

A lazy op (``op.lazy = True``, e.g. ``IfElse``) says which of its inputs form
each branch (``op.lazy_branches(node)``: lists of input positions) and which
branch a selector value picks (``op.select_branch(value of input 0)``).  The
nodes whose results feed nothing but one branch of one lazy node are taken
out of the main schedule and run inside that node's thunk, after the
selector is known and only when their branch is picked.

A node stays in the main schedule when anything else uses it: another
branch, the selector, a graph output (including an update) or an ordering
constraint.  Lazy nodes are handled in execution order, so a lazy node
nested in another's branch moves there together with its own branches.
"""

import logging

_logger = logging.getLogger(__name__)


def lazy_layout(fgraph, nodes):
    """Split the schedule into the main part and each lazy node's branches.

    Parameters
    ----------
    fgraph : FunctionGraph
    nodes : list of Apply
        The execution order.

    Returns
    -------
    (list of Apply, dict)
        The main schedule (without the branch-only nodes), and
        ``{lazy node: [nodes of branch 0, nodes of branch 1, ...]}``, each
        list in execution order. A lazy node nested in a branch is listed
        there, and its own branches have their own key.
    """
    position = {node: i for i, node in enumerate(nodes)}
    consumers = _consumers(fgraph, nodes)
    absorbed_by = {}
    branches_of = {}
    for node in nodes:
        if not getattr(node.op, "lazy", False) or node in absorbed_by:
            continue
        branch_nodes = []
        for branch in node.op.lazy_branches(node):
            owned = _exclusive_nodes(
                node, set(branch), consumers, absorbed_by, position
            )
            for member in owned:
                absorbed_by[member] = node
            branch_nodes.append(sorted(owned, key=position.__getitem__))
        branches_of[node] = branch_nodes
    main = [node for node in nodes if node not in absorbed_by]
    _logger.debug("lazy scheduling moved %d nodes into branches", len(absorbed_by))
    return main, branches_of


def schedule_lazy(fgraph, nodes, thunks):
    """Return ``(nodes, thunks)`` with branch-only work moved into lazy thunks.

    Parameters
    ----------
    fgraph : FunctionGraph
    nodes : list of Apply
        The execution order.
    thunks : list of callables
        One per node, each with ``input_cells`` and ``output_cells``.

    Returns
    -------
    (list of Apply, list of callables)
        The main schedule; lazy nodes' thunks are replaced by ones that run
        their chosen branch first.
    """
    if not any(getattr(node.op, "lazy", False) for node in nodes):
        return nodes, thunks
    main, branches_of = lazy_layout(fgraph, nodes)
    thunk_of = dict(zip(nodes, thunks))
    # Inner lazy nodes first, so that an outer branch runs their lazy thunks.
    for node in nodes:
        if node in branches_of:
            thunk_of[node] = _lazy_thunk(
                node,
                thunk_of[node],
                [[thunk_of[m] for m in members] for members in branches_of[node]],
            )
    return main, [thunk_of[node] for node in main]


def _consumers(fgraph, nodes):
    """``{node: [(consumer node or 'output', input position or None)]}``."""
    consumers = {node: [] for node in nodes}
    for node in nodes:
        for out in node.outputs:
            for client, index in fgraph.clients.get(out, ()):
                consumers[node].append((client, index))
    for node, preds in fgraph.orderings().items():
        for pred in preds:
            if pred in consumers:
                consumers[pred].append((node, None))
    return consumers


def _top(node, absorbed_by):
    while node in absorbed_by:
        node = absorbed_by[node]
    return node


def _exclusive_nodes(lazy_node, positions, consumers, absorbed_by, position):
    """The nodes whose every use leads only into ``lazy_node``'s given inputs."""
    candidates = set()
    stack = [lazy_node.inputs[p] for p in positions]
    seen_vars = set()
    while stack:
        var = stack.pop()
        if var in seen_vars or var.owner is None:
            continue
        seen_vars.add(var)
        owner = var.owner
        if owner not in position:
            continue
        candidates.add(owner)
        stack.extend(owner.inputs)
    exclusive = set()
    # Consumers come later in the schedule, so they are decided first.
    for node in sorted(candidates, key=position.__getitem__, reverse=True):
        if node in absorbed_by:
            # Already inside a nested lazy node: it travels with that node.
            continue
        if all(
            _use_is_exclusive(c, i, lazy_node, positions, exclusive, absorbed_by)
            for c, i in consumers[node]
        ):
            exclusive.add(node)
    return exclusive


def _use_is_exclusive(consumer, index, lazy_node, positions, exclusive, absorbed):
    if consumer == "output":
        return False
    if consumer is lazy_node:
        return index in positions
    return _top(consumer, absorbed) in exclusive


def _lazy_thunk(node, pick_thunk, branch_thunks):
    """A thunk that runs the chosen branch's nodes, then ``pick_thunk``."""
    select = node.op.select_branch
    selector_cell = pick_thunk.input_cells[0]

    def thunk():
        for inner in branch_thunks[select(selector_cell[0])]:
            try:
                inner()
            except Exception as exc:
                from symbolic.compile.vm import raise_with_node

                raise_with_node(exc, inner.node, inner)
        pick_thunk()

    thunk.input_cells = pick_thunk.input_cells
    thunk.output_cells = pick_thunk.output_cells
    thunk.node = node
    thunk.lazy = True
    thunk.branch_thunks = branch_thunks
    return thunk

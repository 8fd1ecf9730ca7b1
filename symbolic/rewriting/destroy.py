"""The destroy handler: which in-place computations a graph may run.

An op that overwrites an input (``destroy_map``) is safe only when nothing
still needs the old value. Values share memory through views (``view_map``),
so the unit of reasoning is the *root* of a variable: the variable it is a
view of, followed transitively. A destroyer of ``v`` is accepted when:

- ``v``'s root is not a constant, and not a graph input unless the graph
  lists it in ``fgraph.destroyable_inputs`` (``In(mutable=True)`` inputs and
  shared variables whose update replaces them);
- neither the root nor any view of it is an output of the graph (an output
  is read after every node ran);
- nothing else destroys the same root;
- the destroyer does not read the root through another input (an Elemwise
  may read the destroyed variable itself several times);
- every other reader of the root and its views can run before it: the
  feature adds these orderings and rejects the graph if they make a cycle.
"""

from collections import deque

from symbolic.graph.basic import Constant
from symbolic.graph.fgraph import Feature, InconsistencyError
from symbolic.graph.traversal import io_toposort


def view_parent(var):
    """Return the variable ``var`` is a view of, or None."""
    owner = var.owner
    if owner is None:
        return None
    aliased = (getattr(owner.op, "view_map", None) or {}).get(var.index)
    return owner.inputs[aliased[0]] if aliased else None


def view_root(var):
    """Follow ``view_map`` up to the variable that owns the memory."""
    parent = view_parent(var)
    while parent is not None:
        var = parent
        parent = view_parent(var)
    return var


def view_family(fgraph, root):
    """Return ``root`` and every variable of ``fgraph`` that is a view of it."""
    family = [root]
    seen = {root}
    pending = deque([root])
    while pending:
        var = pending.popleft()
        for client, i in fgraph.clients.get(var, ()):
            if client == "output":
                continue
            view_map = getattr(client.op, "view_map", None) or {}
            for out_index, ins in view_map.items():
                if ins and ins[0] == i:
                    out = client.outputs[out_index]
                    if out not in seen:
                        seen.add(out)
                        family.append(out)
                        pending.append(out)
    return family


def _destroyed_indices(op):
    return {i for ins in (getattr(op, "destroy_map", None) or {}).values() for i in ins}


def _tolerated(op, i, j):
    pairs = getattr(op, "destroyhandler_tolerate_aliased", None) or ()
    return any(tuple(p) in ((i, j), (j, i)) for p in pairs)


def _elemwise_same_var(node, i, j):
    from symbolic.ops.elemwise import Elemwise

    return isinstance(node.op, Elemwise) and node.inputs[i] is node.inputs[j]


def destroy_conflict(fgraph, node, destroy_map=None):
    """Check the local conditions for ``node`` to destroy its inputs.

    Parameters
    ----------
    fgraph : FunctionGraph
    node : Apply
    destroy_map : dict, optional
        The destroy map to check (default: the node's op's); lets a rewrite
        ask before it builds the in-place node.

    Returns
    -------
    reason : str or None
        Why the node may not run in place; None when it may.
    readers : list of Apply
        The other nodes that read a destroyed value and must run first.
    """
    if destroy_map is None:
        destroy_map = getattr(node.op, "destroy_map", None) or {}
    destroyed = {i for ins in destroy_map.values() for i in ins}
    readers = []
    seen_readers = set()
    destroyable = getattr(fgraph, "destroyable_inputs", ())
    for i in sorted(destroyed):
        var = node.inputs[i]
        root = view_root(var)
        if isinstance(root, Constant):
            return f"{node.op} would overwrite the constant {root}", readers
        if root.owner is None and root not in destroyable:
            return (
                f"{node.op} would overwrite the input {root}, which is not mutable",
                readers,
            )
        for member in view_family(fgraph, root):
            for client, j in fgraph.clients.get(member, ()):
                if client == "output":
                    return (
                        f"{node.op} would overwrite {member}, an output of the graph",
                        readers,
                    )
                if client is node:
                    if j == i:
                        continue
                    if j not in destroyed and _elemwise_same_var(node, i, j):
                        continue
                    if _tolerated(node.op, i, j):
                        continue
                    return (
                        f"{node.op} would overwrite input {i} ({var}) while "
                        f"reading the same memory as input {j}",
                        readers,
                    )
                if j in _destroyed_indices(client.op):
                    return (
                        f"{node.op} and {client.op} would both overwrite {root}",
                        readers,
                    )
                if client not in seen_readers:
                    seen_readers.add(client)
                    readers.append(client)
    return None, readers


def has_cycle(fgraph, orderings):
    """Whether data dependencies plus ``orderings`` contain a cycle."""
    nodes = fgraph.apply_nodes
    indegree = {}
    successors = {}
    for node in nodes:
        preds = {v.owner for v in node.inputs if v.owner in nodes}
        preds.update(p for p in orderings.get(node, ()) if p in nodes)
        indegree[node] = len(preds)
        for pred in preds:
            successors.setdefault(pred, []).append(node)
    ready = [n for n, d in indegree.items() if d == 0]
    visited = 0
    while ready:
        node = ready.pop()
        visited += 1
        for succ in successors.get(node, ()):
            indegree[succ] -= 1
            if indegree[succ] == 0:
                ready.append(succ)
    return visited != len(indegree)


class DestroyHandler(Feature):
    """Validate destroyers and order every reader before the destroyer.

    Attach it to a FunctionGraph before putting in-place ops in it; it sets
    ``fgraph.destroy_handler``. ``validate`` raises InconsistencyError when
    a destroyer breaks a rule of the module docstring; ``orderings`` gives
    ``{destroyer: [readers]}`` for ``FunctionGraph.toposort``.
    """

    def __init__(self):
        self._cache = None

    def on_attach(self, fgraph):
        if getattr(fgraph, "destroy_handler", None) not in (None, self):
            raise ValueError("this FunctionGraph already has a DestroyHandler")
        fgraph.destroy_handler = self
        self._cache = None

    def on_detach(self, fgraph):
        fgraph.destroy_handler = None
        self._cache = None

    def on_import(self, fgraph, node, reason):
        self._cache = None

    def on_prune(self, fgraph, node, reason):
        self._cache = None

    def on_change_input(self, fgraph, node, i, old, new, reason):
        self._cache = None

    def _analyse(self, fgraph):
        """Return ``(problem, orderings)``, recomputed only after a change."""
        if self._cache is not None:
            return self._cache
        order = io_toposort(fgraph.inputs, fgraph.outputs)
        position = {node: k for k, node in enumerate(order)}
        orderings = {}
        problem = None
        for node in order:
            if not getattr(node.op, "destroy_map", None):
                continue
            reason, readers = destroy_conflict(fgraph, node)
            if reason is not None:
                problem = reason
                break
            if readers:
                orderings[node] = sorted(readers, key=position.__getitem__)
        if problem is None and orderings and has_cycle(fgraph, orderings):
            problem = (
                "in-place operations leave no order in which every reader of "
                "a value runs before it is overwritten"
            )
        self._cache = (problem, orderings)
        return self._cache

    def validate(self, fgraph):
        problem, _ = self._analyse(fgraph)
        if problem is not None:
            raise InconsistencyError(problem)

    def orderings(self, fgraph):
        return dict(self._analyse(fgraph)[1])


def destroy_handler_of(fgraph):
    """Return the graph's DestroyHandler, attaching one if it has none."""
    handler = getattr(fgraph, "destroy_handler", None)
    if handler is None:
        handler = DestroyHandler()
        fgraph.attach_feature(handler)
    return handler

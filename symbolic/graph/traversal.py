"""Graph walks: ancestors, leaves, topological orders, and cloning."""

from collections import deque

from symbolic.graph.basic import Apply, Constant, Variable


def stack_search(start, expand, mode="bfs", build_inv=False):
    """Visit nodes from ``start``, expanding each with ``expand(node)``.

    Returns the nodes in visit order (and the inverse map when ``build_inv``).
    """
    if mode not in ("bfs", "dfs"):
        raise ValueError(f"mode must be 'bfs' or 'dfs', got {mode!r}")
    pop = start.popleft if mode == "bfs" else start.pop
    seen = set()
    order = []
    inverse = {}
    while start:
        node = pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        children = expand(node)
        if children:
            for child in children:
                if build_inv:
                    inverse.setdefault(child, []).append(node)
            start.extend(children)
    return (order, inverse) if build_inv else order


def ancestors(variable_list, blockers=None):
    """Return every variable reachable from ``variable_list`` through owners (DFS)."""
    blockers = set(blockers or ())

    def expand(var):
        if var.owner is not None and var not in blockers:
            return list(reversed(var.owner.inputs))
        return None

    return stack_search(deque(variable_list), expand, "dfs")


def graph_inputs(variable_list, blockers=None):
    """Return the ownerless ancestors (inputs, shared variables and constants)."""
    return [v for v in ancestors(variable_list, blockers) if v.owner is None]


inputs = graph_inputs


def variables_and_orphans(i, o):
    i_set = set(i)

    def expand(var):
        if var.owner is not None and var not in i_set:
            return list(var.owner.outputs) + list(reversed(var.owner.inputs))
        return None

    variables = stack_search(deque(o), expand, "dfs")
    orphans = [v for v in variables if v.owner is None and v not in i_set]
    return variables, orphans


def variables(i, o):
    """Return the variables between inputs ``i`` and outputs ``o``."""
    return variables_and_orphans(i, o)[0]


def orphans(i, o):
    """Return the leaves of ``o``'s graph that are not in ``i``."""
    return variables_and_orphans(i, o)[1]


def ops(i, o):
    """Return the Apply nodes between ``i`` and ``o``."""
    seen = []
    seen_ids = set()
    for var in variables(i, o):
        if var not in i and var.owner is not None and id(var.owner) not in seen_ids:
            seen_ids.add(id(var.owner))
            seen.append(var.owner)
    return seen


def io_toposort(inputs, outputs, orderings=None, clients=None):
    """Return the Apply nodes between ``inputs`` and ``outputs`` in execution order.

    Without ``orderings`` this follows Theano's stack algorithm, so the order
    (and everything derived from it, such as Blocks' parameter lists) is the
    one Theano gave.

    Parameters
    ----------
    inputs, outputs : list of Variable
    orderings : dict, optional
        ``{node: [nodes that must run before it]}``.
    """
    if not orderings:
        computed = set(inputs)
        todo = [o.owner for o in reversed(outputs) if o.owner is not None]
        order = []
        # In a DAG the inputs pushed above a node are all computed before the
        # node comes back, so a node that needs expanding twice is on a cycle.
        expanded = set()
        while todo:
            node = todo.pop()
            if node.outputs[0] in computed:
                continue
            if all(i in computed or i.owner is None for i in node.inputs):
                computed.update(node.outputs)
                order.append(node)
            else:
                if node in expanded:
                    raise GraphCycleError(*_cycle_through(node, computed))
                expanded.add(node)
                todo.append(node)
                todo.extend(
                    i.owner
                    for i in node.inputs
                    if i.owner is not None and i not in computed
                )
        return order
    return _general_io_toposort(inputs, outputs, orderings)


def _general_io_toposort(inputs, outputs, orderings):
    input_set = set(inputs)

    def deps(obj):
        if obj in input_set:
            return []
        if isinstance(obj, Variable):
            return [obj.owner] if obj.owner is not None else []
        result = list(obj.inputs) + list(orderings.get(obj, []))
        return result

    topo = general_toposort(outputs, deps)
    return [o for o in topo if isinstance(o, Apply)]


def general_toposort(outputs, deps):
    """Topologically sort everything reachable from ``outputs`` through ``deps``."""
    order = []
    visited = set()
    done = set()
    for root in outputs:
        stack = [(root, False)]
        while stack:
            obj, expanded = stack.pop()
            if expanded:
                done.add(id(obj))
                order.append(obj)
                continue
            if id(obj) in visited:
                continue
            visited.add(id(obj))
            stack.append((obj, True))
            for dep in reversed(deps(obj)):
                if id(dep) not in visited:
                    stack.append((dep, False))
                elif id(dep) not in done:
                    # Visited but unfinished: ``dep`` is on the current path.
                    raise GraphCycleError(
                        f"the graph has a cycle: {obj} depends on {dep}, "
                        f"which depends on {obj}",
                        [n for n in (obj, dep) if isinstance(n, Apply)],
                    )
    return order


class GraphCycleError(ValueError):
    """A graph (or its extra orderings) makes a node depend on itself.

    Attributes
    ----------
    nodes : list of Apply
        Nodes on the cycle (as far as they are known).
    """

    def __init__(self, message, nodes=()):
        super().__init__(message)
        self.nodes = list(nodes)


def _cycle_through(node, computed):
    """Describe a dependency cycle among the uncomputed ancestors of ``node``."""
    path = []
    on_path = {}
    finished = set()

    def owners(apply_node):
        return [
            i.owner
            for i in apply_node.inputs
            if i.owner is not None and i not in computed
        ]

    stack = [(node, iter(owners(node)))]
    path.append(node)
    on_path[node] = 0
    while stack:
        current, pending = stack[-1]
        nxt = next(pending, None)
        if nxt is None:
            stack.pop()
            path.pop()
            del on_path[current]
            finished.add(current)
            continue
        if nxt in on_path:
            cycle = path[on_path[nxt] :] + [nxt]
            shown = " <- ".join(str(n) for n in reversed(cycle))
            return f"the graph has a cycle: {shown}", cycle[:-1]
        if nxt not in finished:
            on_path[nxt] = len(path)
            path.append(nxt)
            stack.append((nxt, iter(owners(nxt))))
    return f"the graph has a cycle through {node}", [node]


def clone_get_equiv(inputs, outputs, copy_inputs=True, copy_orphans=True, memo=None):
    """Clone the graph between ``inputs`` and ``outputs``; return the old->new map.

    Leaves (inputs when ``copy_inputs`` is False, orphans when
    ``copy_orphans`` is False) map to themselves.
    """
    memo = {} if memo is None else memo
    for var in inputs:
        if var not in memo:
            memo[var] = var.clone() if copy_inputs else var
    for node in io_toposort(inputs, outputs):
        for var in node.inputs:
            if var not in memo:
                if copy_orphans and not isinstance(var, Constant):
                    memo[var] = var.clone()
                else:
                    memo[var] = var
        new_node = node.clone_with_new_inputs([memo[i] for i in node.inputs])
        memo[node] = new_node
        for old, new in zip(node.outputs, new_node.outputs):
            memo.setdefault(old, new)
    for var in outputs:
        if var not in memo:
            memo[var] = var.clone() if copy_orphans else var
    return memo


def clone(inputs, outputs, copy_inputs=True, copy_orphans=True):
    """Return copies of ``(inputs, outputs)`` with every node in between cloned."""
    equiv = clone_get_equiv(inputs, outputs, copy_inputs, copy_orphans)
    return [equiv[v] for v in inputs], [equiv[v] for v in outputs]


def view_roots(var):
    """Return the variables ``var`` is (transitively) a view of."""
    owner = var.owner
    if owner is None:
        return [var]
    view_map = getattr(owner.op, "view_map", {}) or {}
    destroy_map = getattr(owner.op, "destroy_map", {}) or {}
    aliased = view_map.get(var.index) or destroy_map.get(var.index)
    if not aliased:
        return [var]
    roots = []
    for i in aliased:
        roots.extend(view_roots(owner.inputs[i]))
    return roots


def is_in_ancestors(node, target):
    """Whether Apply ``target`` is an ancestor of Apply ``node``."""
    return any(v.owner is target for v in ancestors(node.inputs))

"""Merge: identical computations and equal constants become one node."""

from symbolic.graph.basic import Constant


def merge(fgraph, profile=None):
    """Replace every node (or constant) equal to an earlier one by that one.

    Two nodes are equal when their ops are equal and their inputs are the
    same variables after merging; constants when their signatures are.
    Ops with side effects (``has_side_effects``) or that destroy an input
    are never merged, nor nodes whose output an in-place client overwrites.
    """
    seen_constants = {}
    for var in list(fgraph.variables):
        if isinstance(var, Constant) and var in fgraph.variables:
            signature = var.signature()
            first = seen_constants.setdefault(signature, var)
            if first is not var and first.type == var.type:
                fgraph.replace(var, first, reason="merge", validate=False)
    seen_nodes = {}
    merged = 0
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes:
            continue
        op = node.op
        if getattr(op, "has_side_effects", False) or getattr(op, "destroy_map", None):
            continue
        key = (op, tuple(id(v) for v in node.inputs))
        first = seen_nodes.get(key)
        if first is None:
            seen_nodes[key] = node
            continue
        if any(a.type != b.type for a, b in zip(first.outputs, node.outputs)):
            continue
        if _overwritten(fgraph, node) or _overwritten(fgraph, first):
            # Each buffer has its own in-place writer: one shared buffer would
            # be written twice.
            continue
        for old, new in zip(node.outputs, first.outputs):
            fgraph.replace(old, new, reason="merge", validate=False)
        merged += 1
    if profile is not None:
        profile.applied["merge"] += merged
    fgraph.validate()
    return fgraph


def _overwritten(fgraph, node):
    """True when some client writes in place into one of ``node``'s outputs."""
    for out in node.outputs:
        for client, index in fgraph.clients.get(out, ()):
            if client == "output":
                continue
            destroy_map = getattr(client.op, "destroy_map", None)
            if destroy_map and any(index in ins for ins in destroy_map.values()):
                return True
    return False

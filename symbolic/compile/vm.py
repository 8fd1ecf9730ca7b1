"""The Python VM: storage cells for a graph's values and the loop over thunks.

Every linker fills the same cells (``{variable: [value]}``) and most run
their thunks with :class:`VM`; storage is allocated once per compiled
function and reused across calls.
"""

import time

from symbolic.graph.basic import Constant


def make_storage_map(fgraph, input_storage):
    """Return ``{variable: [value]}`` cells; inputs use the given cells."""
    storage_map = dict(zip(fgraph.inputs, input_storage))
    for node in fgraph.toposort():
        for var in node.inputs:
            if var not in storage_map:
                storage_map[var] = _leaf_cell(var)
        for var in node.outputs:
            storage_map.setdefault(var, [None])
    for var in fgraph.outputs:
        if var not in storage_map:
            storage_map[var] = _leaf_cell(var)
    return storage_map


def _leaf_cell(var):
    """A constant's value, a shared variable's own storage, or an empty cell."""
    if isinstance(var, Constant):
        return [var.data]
    if hasattr(var, "container"):
        return var.container.storage
    return [None]


class VM:
    """Runs thunks in topological order over storage cells reused across calls.

    Parameters
    ----------
    nodes : list of Apply
    thunks : list of callables
    profile : ProfileStats or None
    """

    def __init__(self, nodes, thunks, profile=None):
        self.nodes = nodes
        self.thunks = thunks
        self.profile = profile

    def __call__(self):
        if self.profile is not None:
            return self._call_profiled()
        thunk = None
        try:
            for thunk in self.thunks:
                thunk()
        except Exception as exc:
            raise_with_node(exc, self.nodes[self.thunks.index(thunk)], thunk)

    def _call_profiled(self):
        apply_time = self.profile.apply_time
        apply_calls = self.profile.apply_callcount
        for node, thunk in zip(self.nodes, self.thunks):
            start = time.perf_counter()
            try:
                thunk()
            except Exception as exc:
                raise_with_node(exc, node, thunk)
            apply_time[node] += time.perf_counter() - start
            apply_calls[node] += 1


def raise_with_node(exc, node, thunk):
    """Re-raise ``exc`` with the node that failed and its inputs described."""
    cells = getattr(thunk, "input_cells", None)
    values = getattr(exc, "_symbolic_inputs", None)
    if values is None and cells is not None:
        values = [cell[0] for cell in cells]
    shapes = []
    for var, value in zip(node.inputs, values or ()):
        shape = getattr(value, "shape", None)
        shapes.append(f"{var} shape={shape} dtype={getattr(value, 'dtype', None)}")
    detail = f"\nApply node that caused the error: {node}" + (
        "\nInputs: " + "; ".join(shapes) if shapes else ""
    )
    if getattr(exc, "_symbolic_annotated", False):
        raise exc
    if isinstance(exc, MemoryError):
        # numpy's MemoryError builds its message from the shape, not from
        # ``args``: raise one that names the node.
        named = MemoryError(f"{exc}{detail}")
        named._symbolic_annotated = True
        raise named from exc
    try:
        exc.args = (f"{exc.args[0] if exc.args else ''}{detail}", *exc.args[1:])
        exc._symbolic_annotated = True
    except Exception:
        raise exc from None
    raise exc

"""Linkers turn a FunctionGraph into thunks over storage cells; the VM runs them.

A backend is asked, node by node, for a thunk; every node has at least its
``perform`` thunk (the Python reference backend), so every graph runs.
"""

import logging
import time

from symbolic.backends.python.thunks import perform_thunk
from symbolic.compile.lazy import schedule_lazy
from symbolic.graph.basic import Constant

_logger = logging.getLogger(__name__)


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
    shapes = []
    if cells is not None:
        for var, cell in zip(node.inputs, cells):
            value = cell[0]
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


class PerformLinker:
    """Links every node to its ``perform`` thunk (the reference backend)."""

    name = "py"

    def make_vm(self, fgraph, storage_map, profile=None):
        nodes = fgraph.toposort()
        thunks = [perform_thunk(node, storage_map) for node in nodes]
        nodes, thunks = schedule_lazy(fgraph, nodes, thunks)
        return VM(nodes, thunks, profile)


def get_linker(name):
    """Return the linker for a mode's linker name (Python until backends register).

    A linker object (anything with ``make_vm``) is returned as it is.
    """
    if hasattr(name, "make_vm"):
        return name
    from symbolic.backends import base

    if name in C_LINKERS and base.linker_for(name) is None:
        import symbolic.backends.c.linker  # noqa: F401  (registers the C linkers)
    if name == "cuda":
        import symbolic.backends.cuda.linker  # registers the cuda linker
    if name in C_LINKERS or name == "llvm":
        # Registers 'llvm', which the C linker also falls back to.
        import symbolic.backends.llvm.linker  # noqa: F401
    return base.linker_for(name) or PerformLinker()


#: Linker names the C backend serves (it falls back itself when it cannot build).
C_LINKERS = ("auto", "cvm", "c", "c|py", "cvm_nogc")

"""The Python backend's linker: every node runs its Op's ``perform``."""

from symbolic.backends.python.thunks import perform_thunk
from symbolic.compile.lazy import schedule_lazy
from symbolic.compile.vm import VM


class PerformLinker:
    """Links every node to its ``perform`` thunk (the reference backend).

    It follows :class:`symbolic.backends.base.Linker`; it needs no rewrite
    and refuses none.
    """

    name = "py"
    required_rewrites = ()
    incompatible_rewrites = ()

    def make_vm(self, fgraph, storage_map, profile=None):
        nodes = fgraph.toposort()
        thunks = [perform_thunk(node, storage_map) for node in nodes]
        nodes, thunks = schedule_lazy(fgraph, nodes, thunks)
        return VM(nodes, thunks, profile)

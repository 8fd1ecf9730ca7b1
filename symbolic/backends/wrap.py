"""Theano's linker classes over our backends: OpWiseCLinker, WrapLinker, VM_Linker.

``Mode(linker=...)`` takes these objects as Theano's did.  They all come down
to per-node thunks over the function's storage cells:

* a :class:`~symbolic.backends.python.linker.PerformLinker` thunk runs the node's
  ``perform``;
* a C thunk runs the node's entry of the graph's C runtime program (the
  program :class:`~symbolic.backends.c.linker.CLinker` builds), one entry at
  a time, so a wrapper can look at every node's inputs and outputs.

Every thunk has ``inputs`` and ``outputs``: lists of the one-element storage
cells of the node's inputs and outputs, as Theano's thunks had.
"""

import logging
import time

from symbolic.backends.c.linker import CLinker
from symbolic.backends.python.linker import PerformLinker
from symbolic.compile.lazy import schedule_lazy
from symbolic.compile.vm import VM, raise_with_node
from symbolic.utils.linkers import linker_factory

_logger = logging.getLogger(__name__)


def _with_cells(thunk, node, storage_map):
    thunk.inputs = [storage_map[v] for v in node.inputs]
    thunk.outputs = [storage_map[v] for v in node.outputs]
    thunk.node = node
    return thunk


class _ProgramEntry:
    """Runs entry ``index`` of a C runtime program (one node)."""

    def __init__(self, program, index):
        self.program = program
        self.index = index

    def __call__(self):
        self.program.run(self.index)


def node_thunks(linker, fgraph, storage_map):
    """Return ``(nodes, thunks, finish)``: one thunk per node of ``fgraph``.

    ``finish`` is called after a full pass over the thunks (the C program
    empties its view cells there).  ``linker`` is a PerformLinker, a CLinker
    or anything with a ``make_node_thunks`` method returning the same triple.
    """
    if hasattr(linker, "make_node_thunks"):
        return linker.make_node_thunks(fgraph, storage_map)
    if isinstance(linker, CLinker):
        return _c_node_thunks(linker, fgraph, storage_map)
    if isinstance(linker, PerformLinker):
        return _perform_node_thunks(fgraph, storage_map)
    raise TypeError(
        f"cannot take per-node thunks from linker {linker!r}: expected a "
        f"PerformLinker, CLinker, OpWiseCLinker, VM_Linker or WrapLinker"
    )


def _perform_node_thunks(fgraph, storage_map):
    from symbolic.backends.python.thunks import perform_thunk

    nodes = fgraph.toposort()
    thunks = [_with_cells(perform_thunk(n, storage_map), n, storage_map) for n in nodes]
    return nodes, thunks, None


def _c_node_thunks(linker, fgraph, storage_map):
    program = linker.make_vm(fgraph, storage_map)
    if hasattr(program, "wait"):
        # Per-node thunks must run the compiled kernels from the first call.
        program.wait()
    if not hasattr(program, "run"):
        # No C runtime here: CLinker fell back to a thunk-per-node VM.
        nodes, thunks = program.nodes, program.thunks
        thunks = [_with_cells(t, n, storage_map) for n, t in zip(nodes, thunks)]
        return nodes, thunks, None
    nodes = list(program.nodes)
    thunks = [
        _with_cells(_ProgramEntry(program, i), node, storage_map)
        for i, node in enumerate(nodes)
    ]
    return nodes, thunks, program.clear


class OpWiseCLinker(CLinker):
    """Theano's op-wise C linker: each node runs in C where it has a lowering.

    Our :class:`CLinker` already links node by node into one C program (with
    the node's ``perform`` where there is no C lowering), so this is that
    linker under Theano's name; it takes Theano's arguments and ignores them.
    """

    def __init__(
        self, fallback_on_perform=True, allow_gc=None, nice_errors=True, schedule=None
    ):
        super().__init__(allow_fallback=True)


class _WrappedVM:
    """Calls ``wrapper(i, node, *thunks)`` for every node, in order."""

    def __init__(self, nodes, thunk_lists, finishers, wrapper, profile):
        self.nodes = nodes
        self.thunk_lists = thunk_lists
        self.finishers = [f for f in finishers if f is not None]
        self.wrapper = wrapper
        self.profile = profile

    def __call__(self):
        profile = self.profile
        try:
            for i, node in enumerate(self.nodes):
                thunks = [thunks[i] for thunks in self.thunk_lists]
                start = time.perf_counter()
                try:
                    self.wrapper(i, node, *thunks)
                except Exception as exc:
                    raise_with_node(exc, node, thunks[0])
                if profile is not None:
                    profile.apply_time[node] += time.perf_counter() - start
                    profile.apply_callcount[node] += 1
        finally:
            for finish in self.finishers:
                finish()


class WrapLinker:
    """Runs the graph node by node, handing each node's thunks to ``wrapper``.

    Parameters
    ----------
    linkers : list of linkers
        Each makes one thunk per node (see :func:`node_thunks`).  The first
        works on the function's own storage, so its outputs are the results;
        the others get private cells for everything but the graph's inputs
        and constants, so their thunks can be compared with the first's.
    wrapper : callable
        ``wrapper(i, node, thunk0, thunk1, ...)`` is called for the ``i``-th
        node of the topological order and must call the thunks itself
        (``thunk()`` computes the node; ``thunk.inputs`` and
        ``thunk.outputs`` are its storage cells).
    """

    name = "wrap"
    # Each node runs as its own thunks: no rewrite is needed or refused.
    required_rewrites = ()
    incompatible_rewrites = ()

    def __init__(self, linkers, wrapper):
        linkers = list(linkers)
        if not linkers:
            raise ValueError("WrapLinker needs at least one linker, got none")
        self.linkers = linkers
        self.wrapper = wrapper

    def make_node_thunks(self, fgraph, storage_map):
        vm = self.make_vm(fgraph, storage_map)
        return vm.nodes, [_NodeCall(vm, i) for i in range(len(vm.nodes))], None

    def make_vm(self, fgraph, storage_map, profile=None):
        thunk_lists, finishers, nodes = [], [], None
        for k, linker in enumerate(self.linkers):
            cells = storage_map if k == 0 else _private_cells(fgraph, storage_map)
            these_nodes, thunks, finish = node_thunks(linker, fgraph, cells)
            if nodes is None:
                nodes = these_nodes
            elif list(these_nodes) != list(nodes):
                order = {node: i for i, node in enumerate(these_nodes)}
                thunks = [thunks[order[node]] for node in nodes]
            thunk_lists.append(thunks)
            finishers.append(finish)
        return _WrappedVM(list(nodes), thunk_lists, finishers, self.wrapper, profile)


class _NodeCall:
    """Thunk ``i`` of a wrapped VM (a WrapLinker inside a WrapLinker)."""

    def __init__(self, vm, index):
        self.vm = vm
        self.index = index
        first = vm.thunk_lists[0][index]
        self.inputs, self.outputs = first.inputs, first.outputs

    def __call__(self):
        i = self.index
        self.vm.wrapper(i, self.vm.nodes[i], *[t[i] for t in self.vm.thunk_lists])


def _private_cells(fgraph, storage_map):
    """Fresh cells for computed variables; the inputs' and constants' are shared."""
    cells = {}
    for var, cell in storage_map.items():
        cells[var] = cell if var.owner is None else [None]
    return cells


def WrapLinkerMany(linkers, wrappers):
    """A :class:`WrapLinker` whose wrapper calls each of ``wrappers`` in turn."""
    wrappers = list(wrappers)

    def wrapper(*args):
        for each in wrappers:
            each(*args)

    return WrapLinker(linkers, wrapper)


class VM_Linker:
    """Theano's VM linker, on our VM.

    Parameters
    ----------
    allow_gc, lazy, schedule, allow_partial_eval
        Accepted for Theano's sake; our VM decides these itself.
    use_cloop, c_thunks : bool
        Run the nodes in the C runtime (True) or with ``perform`` (False).
        None (the default) follows ``config.linker``: C unless the linker
        registered under that name is the Python one.
    callback : callable, optional
        ``callback(node, thunk, storage_map, compute_map)`` is called after
        each node runs, as Theano's VM did; ``compute_map`` says which
        variables hold a value.
    """

    name = "vm"
    # Each node runs as its own thunks: no rewrite is needed or refused.
    required_rewrites = ()
    incompatible_rewrites = ()

    def __init__(
        self,
        allow_gc=None,
        use_cloop=None,
        callback=None,
        lazy=None,
        schedule=None,
        c_thunks=None,
        allow_partial_eval=None,
    ):
        from symbolic.config import config

        if c_thunks is None:
            c_thunks = use_cloop
        if c_thunks is None:
            # The registry says which class serves the configured name.
            c_thunks = not issubclass(linker_factory(config.linker), PerformLinker)
        self.c_thunks = bool(c_thunks)
        self.callback = callback
        self.allow_gc = allow_gc
        self.lazy = lazy

    def _inner(self):
        return CLinker() if self.c_thunks else PerformLinker()

    def make_node_thunks(self, fgraph, storage_map):
        return node_thunks(self._inner(), fgraph, storage_map)

    def make_vm(self, fgraph, storage_map, profile=None):
        if self.callback is None:
            return self._inner().make_vm(fgraph, storage_map, profile)
        nodes, thunks, _ = node_thunks(PerformLinker(), fgraph, storage_map)
        nodes, thunks = schedule_lazy(fgraph, nodes, thunks)
        return _CallbackVM(nodes, thunks, storage_map, self.callback, profile)


class _CallbackVM(VM):
    """Our VM, calling ``callback(node, thunk, storage_map, compute_map)`` per node."""

    def __init__(self, nodes, thunks, storage_map, callback, profile):
        super().__init__(nodes, thunks, profile)
        self.storage_map = storage_map
        self.callback = callback

    def __call__(self):
        compute_map = {
            var: [cell[0] is not None] for var, cell in self.storage_map.items()
        }
        for node, thunk in zip(self.nodes, self.thunks):
            start = time.perf_counter()
            try:
                thunk()
            except Exception as exc:
                raise_with_node(exc, node, thunk)
            if self.profile is not None:
                self.profile.apply_time[node] += time.perf_counter() - start
                self.profile.apply_callcount[node] += 1
            for var in node.outputs:
                compute_map[var][0] = True
            self.callback(node, thunk, self.storage_map, compute_map)

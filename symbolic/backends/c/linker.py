"""CLinker: compiles a FunctionGraph into one C runtime program.

Each node of ``fgraph.toposort()`` becomes an entry of a
``_runtime.Program`` (see :mod:`symbolic.backends.c.lowering`): fused
elemwise kernels from the graph's kernel library, BLAS calls, reductions,
softmax kernels, views and shape ops run in C; every other op runs its Python
thunk from the same loop.  A ``SumOfElemwise`` node (the C backend's
rewrite, :mod:`symbolic.rewriting.rules.c_backend`) gets two entries, its
elemwise and its sum, which run as one pass of the kernel's ``_sum`` when
the kernel has one.  A lazy node (``ifelse``) gets its branches laid
out before it behind jump entries, so only the chosen branch runs, still in
the C loop.  Storage cells are the ones the Python VM uses, so
``Function`` reads results the same way.  Output buffers are reused across
calls when nothing else holds them (a reference-count check), and the cells
of intermediate views are emptied after each call so that the buffers they
point into can be reused too.
"""

import logging
import threading
import time
import warnings
from typing import NamedTuple

from symbolic.backends.c.lowering import Entry, lower_node, runtime_abi
from symbolic.backends.c.runtime import runtime
from symbolic.backends.python.linker import PerformLinker
from symbolic.backends.python.thunks import perform_thunk
from symbolic.compile.lazy import lazy_layout
from symbolic.compile.vm import raise_with_node
from symbolic.config import config
from symbolic.graph.basic import Constant
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.sum_of_elemwise import SumOfElemwise
from symbolic.rewriting.rules.c_backend import IN_LOOP_PRODUCTS, SUM_OF_ELEMWISE
from symbolic.utils.linkers import make_linker

_logger = logging.getLogger(__name__)

_NO_RUNTIME = (
    "The C runtime could not be built ({reason}); compiled functions use the "
    "{backend} backend instead, which is slower. Install gcc (or set "
    "SYMBOLIC_FLAGS=cxx=...) to get the C backend."
)

_noted_fallbacks = set()
_warned_no_runtime = False


class CLinker:
    """Links a graph into a C runtime program (Python thunks where needed).

    Parameters
    ----------
    allow_fallback : bool
        When the runtime cannot be built, link with the LLVM or Python
        backend (warning once) instead of raising.
    """

    name = "cvm"
    incompatible_rewrites = ()

    def __init__(self, allow_fallback=True):
        self.allow_fallback = allow_fallback

    @property
    def required_rewrites(self):
        """The Sum-of-Elemwise pairing: the runtime (and the LLVM linker it
        falls back to) runs a pair as one pass.  With a packed-product
        kernel for this CPU, also the rules that move products into loops."""
        if _packed_kernel():
            return (SUM_OF_ELEMWISE, IN_LOOP_PRODUCTS)
        return (SUM_OF_ELEMWISE,)

    def make_vm(self, fgraph, storage_map, profile=None):
        """Return a callable that runs ``fgraph`` over ``storage_map``'s cells."""
        nodes = fgraph.toposort()
        steps = _steps(fgraph, nodes)
        if steps is None or (
            profile is not None and any(step.kind != "node" for step in steps)
        ):
            # The profiler times entry by entry, which jumps would defeat.
            _logger.debug("lazy graph run by the Python VM: %s", fgraph)
            return PerformLinker().make_vm(fgraph, storage_map, profile)
        try:
            module = runtime.load()
        except runtime.RuntimeUnavailable as exc:
            if not self.allow_fallback:
                raise
            return _fallback_linker(exc).make_vm(fgraph, storage_map, profile)
        parts, storage_map = _sum_parts(nodes, storage_map)
        return _link(module, fgraph, nodes, steps, storage_map, profile, parts)


class _Step(NamedTuple):
    """One program entry: a node's, or a jump of a lazy node's branches.

    ``kind`` is ``"node"``, ``"branch"`` (go on with branch 0, or jump to
    ``target`` for branch 1) or ``"jump"`` (to ``target``, past branch 1).
    """

    kind: str
    node: object
    target: int = 0


#: Entry kinds that call BLAS: the runtime's BLAS is loaded before they run.
_BLAS_KINDS = (
    "GEMM",
    "GEMV",
    "GER",
    "DOT22",
    "DOT",
    "CONV",
    "CONV_GRAD_WEIGHTS",
    "CONV_GRAD_INPUTS",
)


def _steps(fgraph, nodes):
    """The program's steps: ``nodes`` in order, each lazy node's branches laid
    out before it behind jumps, so that only the chosen branch runs.

    ``[branch] branch 0's nodes [jump] branch 1's nodes  lazy node``

    None when a lazy node has other than two branches.
    """
    if not any(getattr(node.op, "lazy", False) for node in nodes):
        return [step for node in nodes for step in _node_steps(node)]
    main, branches_of = lazy_layout(fgraph, nodes)
    if any(len(branches) != 2 for branches in branches_of.values()):
        return None
    steps = []

    def emit(node):
        if node not in branches_of:
            steps.extend(_node_steps(node))
            return
        first, second = branches_of[node]
        branch = len(steps)
        steps.append(None)
        for member in first:
            emit(member)
        jump = len(steps)
        steps.append(None)
        steps[branch] = _Step("branch", node, len(steps))
        for member in second:
            emit(member)
        steps[jump] = _Step("jump", node, len(steps))
        steps.append(_Step("node", node))

    for node in main:
        emit(node)
    return steps


def _node_steps(node):
    """A node's steps: one, or a SumOfElemwise's two parts (see :func:`_sum_parts`)."""
    if isinstance(node.op, SumOfElemwise):
        return [_Step("node", part) for part in node.op.parts(node)]
    return [_Step("node", node)]


class _SumParts(NamedTuple):
    """The SumOfElemwise nodes of a graph, as the program runs them."""

    #: ``{elemwise part: sum part}``.
    sums: dict
    #: ``{part: the SumOfElemwise node}``: profiles time the graph's node.
    owner: dict


def _sum_parts(nodes, storage_map):
    """The SumOfElemwise nodes as their parts: ``(_SumParts, cells)``.

    The program runs each such node as an elemwise entry and a sum entry
    (one pass of the kernel's ``_sum`` when it has one). ``cells`` is
    ``storage_map`` plus the parts' cells: the sum part writes the node's
    output cell, the elemwise part a cell of its own.
    """
    parts = _SumParts({}, {})
    cells = storage_map
    for node in nodes:
        if not isinstance(node.op, SumOfElemwise):
            continue
        elemwise, total = node.op.parts(node)
        if cells is storage_map:
            cells = dict(storage_map)
        cells[elemwise.outputs[0]] = [None]
        cells[total.outputs[0]] = storage_map[node.outputs[0]]
        parts.sums[elemwise] = total
        parts.owner[elemwise] = parts.owner[total] = node
    return parts, cells


def _link(module, fgraph, nodes, steps, storage_map, profile, parts):
    inner = _compile_inner_functions(nodes)
    try:
        return _link_program(module, fgraph, steps, storage_map, profile, parts)
    finally:
        if inner is not None:
            inner.join()


def _compile_inner_functions(nodes):
    """Compile the inner functions of the nodes' ops (scan) in a thread.

    They would otherwise be compiled one after the other on the first call,
    each waiting for gcc; in a thread they are rewritten and built while gcc
    builds this graph's kernels. Returns the thread (None when there is
    nothing to compile); the caller joins it before the function is handed
    out, so compiling still happens inside ``function()``. A failure is left
    for the first call to raise again.
    """
    ops = {}
    for node in nodes:
        if callable(getattr(node.op, "compile_inner", None)):
            ops.setdefault(id(node.op), node.op)
    if not ops:
        return None

    def compile_all():
        for op in ops.values():
            try:
                op.compile_inner()
            except Exception as exc:  # raised again by the first call
                _logger.debug("compiling the inner function of %s failed: %s", op, exc)

    thread = threading.Thread(
        target=compile_all, name="symbolic-inner-compile", daemon=True
    )
    thread.start()
    return thread


def _link_program(module, fgraph, steps, storage_map, profile, parts):
    nodes = [step.node for step in steps if step.kind == "node"]
    plan = _kernel_plan(nodes, parts.sums)
    kernels = {} if plan is None else plan.cached()
    if kernels is None and not (config.compile__background and _tiers_agree(plan)):
        kernels = _build_kernels(plan)
    if kernels is None:
        # Not in the disk cache: run the elemwise nodes in Python until the
        # background build is done, then switch to the compiled program.
        def relink(built):
            return _program(module, fgraph, steps, storage_map, built, profile, parts)

        first = _program(
            module, fgraph, steps, storage_map, {}, profile, parts, quiet=True
        )
        return TieredProgram(first, plan, relink)
    return _program(module, fgraph, steps, storage_map, kernels, profile, parts)


def _tiers_agree(plan):
    """True when running ``plan``'s nodes in Python gives its kernels' values.

    Only then may calls run before the kernels are built: a result must not
    depend on how fast the compiler is.  Kernels with functions (exp, tanh...)
    or a fused sum may differ from numpy in the last bit, so those graphs
    wait for their kernels on the first call.
    """
    return getattr(plan, "computes_as_numpy", False)


def _jump_entry(step, storage_map):
    """The entry and stand-in thunk of a branch or jump step."""
    selector = storage_map[step.node.inputs[0]]
    if step.kind == "branch":
        select = step.node.op.select_branch

        def thunk():
            return select(selector[0])

        kind = runtime_abi().kinds["BRANCH"]
    else:

        def thunk():
            return None

        kind = runtime_abi().kinds["JUMP"]
    thunk.input_cells = [selector]
    thunk.output_cells = []
    thunk.node = step.node
    return Entry(kind, (selector,), (), thunk, (step.target,)), thunk


def _program(module, fgraph, steps, storage_map, kernels, profile, parts, quiet=False):
    entries = []
    thunks = []
    nodes = [step.node for step in steps]
    graph_nodes = [step.node for step in steps if step.kind == "node"]
    # Pairs whose kernel has a ``_sum``: the elemwise entry is skipped and
    # the sum entry runs both in one pass.
    fused = {
        e: r for e, r in parts.sums.items() if getattr(kernels.get(e), "sum_address", 0)
    }
    position = {
        step.node: index for index, step in enumerate(steps) if step.kind == "node"
    }
    reduced = {r: e for e, r in fused.items()}
    invariant = _loop_invariant(fgraph, graph_nodes)
    kinds = runtime_abi().kinds
    for step in steps:
        if step.kind != "node":
            entry, thunk = _jump_entry(step, storage_map)
            entries.append(entry)
            thunks.append(thunk)
            continue
        node = step.node
        lowered = lower_node(node, kernels)
        if lowered.thunk is not None:
            thunk = _lowered_thunk(lowered, node, storage_map)
        else:
            thunk = perform_thunk(node, storage_map)
        if lowered.kind in ("GEMM", "DOT22", "DOT"):
            # The right operand of a product a loop keeps fixed is packed once.
            right = node.inputs[3 if lowered.kind == "GEMM" else 1]
            lowered = lowered._replace(
                params=(*lowered.params, int(right in invariant))
            )
        if node in fused and lowered.kind == "ELEMWISE":
            lowered = lowered._replace(kind="SKIP")
        elif node in reduced and lowered.kind == "REDUCE":
            elemwise = reduced[node]
            lowered = lowered._replace(
                kind="REDUCE_MAP",
                params=(*lowered.params, position[elemwise]),
                fn0=kernels[elemwise].sum_address,
            )
        if lowered.kind == "PYTHON" and lowered.thunk is None:
            if not quiet or not isinstance(node.op, Elemwise):
                _note_fallback(node)
        elif lowered.kind in _BLAS_KINDS:
            runtime.load_blas(module)
        entries.append(
            Entry(
                kinds[lowered.kind],
                tuple(thunk.input_cells),
                tuple(thunk.output_cells),
                thunk,
                tuple(lowered.params),
                lowered.fn0,
                lowered.fn1,
            )
        )
        thunks.append(thunk)

    def on_error(index, exc):
        raise_with_node(exc, nodes[index], thunks[index])

    skipped = tuple(
        storage_map[node.outputs[0]]
        for node, entry in zip(nodes, entries)
        if entry.kind == kinds["SKIP"]
    )
    program = module.Program(
        tuple(entries),
        _cells_to_clear(fgraph, graph_nodes, storage_map) + skipped,
        on_error,
    )
    program.nodes = nodes
    program.owners = [parts.owner.get(node, node) for node in nodes]
    program.thunks = thunks
    program.kinds = [entry.kind for entry in entries]
    program.kernels = kernels
    if invariant:
        # A loop running this body says when its fixed operands may change.
        program.start_loop = module.new_loop
    if profile is not None:
        return ProfiledProgram(program, profile)
    return program


def _lowered_thunk(lowered, node, storage_map):
    """The thunk ``lowered`` makes for ``node``, with the cells entries read."""
    thunk = lowered.thunk(node, storage_map)
    thunk.input_cells = [storage_map[v] for v in node.inputs]
    thunk.output_cells = [storage_map[v] for v in node.outputs]
    thunk.node = node
    return thunk


def _loop_invariant(fgraph, nodes):
    """The variables of a loop body that are the same on every step.

    A scan marks its body's non-sequence inputs in ``fgraph.loop_invariant``;
    a variable computed from those and constants alone is invariant too.
    """
    invariant = set(fgraph.loop_invariant)
    if not invariant:
        return invariant
    invariant.update(v for v in fgraph.variables if isinstance(v, Constant))
    for node in nodes:
        if all(v in invariant for v in node.inputs):
            invariant.update(node.outputs)
    return invariant


def _cells_to_clear(fgraph, nodes, storage_map):
    """Cells of intermediate views and destroyed-in-place results.

    They alias another cell's buffer; emptied after each call, they no longer
    keep that buffer from being reused by the next call.
    """
    keep = set(fgraph.outputs)
    cells = []
    for node in nodes:
        op = node.op
        aliased = set(getattr(op, "view_map", {}) or {})
        aliased |= set(getattr(op, "destroy_map", {}) or {})
        for index in sorted(aliased):
            var = node.outputs[index]
            if var not in keep:
                cells.append(storage_map[var])
    return tuple(cells)


class ProfiledProgram:
    """Runs a program entry by entry, filling the profile's per-node times.

    The entries of a node the program runs in two (a SumOfElemwise) add up
    to one call of that node.
    """

    def __init__(self, program, profile):
        self.program = program
        self.profile = profile
        self.nodes = program.nodes
        self.start_loop = getattr(program, "start_loop", None)
        owners = program.owners
        self._timed = [
            (owner, index + 1 == len(owners) or owners[index + 1] is not owner)
            for index, owner in enumerate(owners)
        ]

    def __call__(self):
        apply_time = self.profile.apply_time
        apply_calls = self.profile.apply_callcount
        run = self.program.run
        try:
            for index, (node, last) in enumerate(self._timed):
                start = time.perf_counter()
                run(index)
                apply_time[node] += time.perf_counter() - start
                apply_calls[node] += last
        finally:
            self.program.clear()


def _kernel_plan(nodes, summed=()):
    """The graph's elemwise kernels to load or build (None when there are none).

    The kernels of the ``summed`` nodes also get a ``_sum`` entry point.
    """
    elemwise = [node for node in nodes if isinstance(node.op, Elemwise)]
    if not elemwise or not config.cxx:
        return _LLVMKernels(elemwise) if elemwise else None
    from symbolic.backends.c import elemwise_kernels

    plan = elemwise_kernels.NodeKernels(elemwise, summed)
    return plan if plan.specs else None


class _LLVMKernels:
    """Without a C compiler the kernels are JIT-compiled at once (no cache)."""

    def __init__(self, nodes):
        self.nodes = nodes

    def cached(self):
        return self.build()

    def build(self):
        from symbolic.backends.c import elemwise_kernels

        return elemwise_kernels.build_kernels(self.nodes)


def _build_kernels(plan):
    """Compile ``plan``.

    A compile failure raises the CompileError (gcc's message and the ops);
    with ``compile__on_error=warn`` it is logged and the nodes keep ``perform``.
    """
    from symbolic.backends.c.build import CompileError

    try:
        return plan.build()
    except CompileError as exc:
        if config.compile__on_error == "raise":
            raise
        _logger.warning("elemwise kernels failed to build, using perform: %s", exc)
        return {}


class TieredProgram:
    """Runs a graph at once while its C kernels compile in a background thread.

    Calls made before the build finishes run the elemwise nodes' Python
    thunks; the first call after it switches to the compiled program.  Only
    graphs whose kernels compute numpy's values bit for bit start this way
    (:func:`_tiers_agree`), so every call gives the same results whichever
    program runs it. Other attributes are those of the program in use. The
    interpreter waits for an unfinished build at exit, so the library is
    cached for later processes.
    """

    def __init__(self, first, plan, relink):
        self._current = first
        self._relink = relink
        self._built = None
        # Not a daemon: a process that exits before gcc is done waits for it,
        # so the library lands in the disk cache and the next process finds it.
        self._thread = threading.Thread(
            target=self._build, args=(plan,), name="symbolic-c-build", daemon=False
        )
        self._thread.start()

    def _build(self, plan):
        from symbolic.backends.c.build import background_builds

        try:
            # Calls run meanwhile, so this build yields the CPU to the builds
            # other first calls wait for.
            with background_builds():
                self._built = _build_kernels(plan)
        except Exception as exc:  # raised in the caller's thread at its next call
            self._built = exc

    def __call__(self):
        if self._built is not None:
            self._switch()
        return self._current()

    def _switch(self):
        built, self._built = self._built, None
        if isinstance(built, Exception):
            # Later calls keep running the Python thunks; this one reports.
            raise built
        if built:
            self._current = self._relink(built)

    @property
    def compiled(self):
        """True once the program in use runs the compiled kernels."""
        return not self._thread.is_alive() and self._built is None

    def wait(self):
        """Block until the kernels are built, then switch to them."""
        self._thread.join()
        if self._built is not None:
            self._switch()

    def __getattr__(self, name):
        return getattr(self._current, name)


def _note_fallback(node):
    """Log once per op type that it runs its Python ``perform``."""
    key = type(node.op).__name__
    if key not in _noted_fallbacks:
        _noted_fallbacks.add(key)
        _logger.info("no C lowering for %s: it runs its Python perform", node.op)


def _packed_kernel():
    """Whether the runtime loads and has a packed-product kernel for this CPU."""
    try:
        return runtime.load().packed_isa() is not None
    except runtime.RuntimeUnavailable:
        return False


def _fallback_linker(exc):
    """The LLVM linker, which needs no C runtime; warn once."""
    global _warned_no_runtime
    linker = make_linker("llvm")
    if not _warned_no_runtime:
        _warned_no_runtime = True
        warnings.warn(_NO_RUNTIME.format(reason=exc, backend="LLVM"), stacklevel=4)
    return linker

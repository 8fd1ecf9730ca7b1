"""DebugMode: run a function with its backend and with ``perform``, and compare.

Every call of a DebugMode function

1. runs the rewritten graph on the mode's backend (C when available), as a
   normal call would;
2. replays the rewritten graph node by node with each op's ``perform`` on
   copies of the same inputs, checking that ``perform`` writes only what
   ``destroy_map`` declares and that outputs aliasing an input are declared in
   ``view_map``/``destroy_map``;
3. compares every node output the backend left in storage with the replay;
4. runs the graph as it was before rewriting with ``perform`` and compares
   the function's outputs and updates, so a wrong rewrite is caught.

A mismatch raises a :class:`DebugModeError` subclass naming the node.
"""

import copy
import logging
import sys

import numpy

from symbolic.compile.linker import get_linker, linker_rewrites
from symbolic.compile.mode import Mode
from symbolic.config import config
from symbolic.graph.basic import Constant
from symbolic.graph.fgraph import FunctionGraph
from symbolic.utils.linkers import LINKER_NAMES, linker_names

_logger = logging.getLogger(__name__)


class DebugModeError(Exception):
    """Base of the errors DebugMode raises."""


class BadThunkOutput(DebugModeError):
    """The backend and ``perform`` disagree on a node's output."""


class BadOptimization(DebugModeError):
    """The rewritten graph and the original disagree on a function output."""


class BadDestroyMap(DebugModeError):
    """``perform`` modified an input its op does not declare destroyed."""


class BadViewMap(DebugModeError):
    """An output aliases an input without a ``view_map``/``destroy_map`` entry."""


class InvalidValueError(DebugModeError):
    """A node produced nan or inf from finite inputs (``check_isfinite``)."""


def _tolerances(dtype):
    if dtype.kind != "f" and dtype.kind != "c":
        return 0.0, 0.0
    if dtype.itemsize <= 4:
        return 1e-4, 1e-5
    return 1e-7, 1e-9


def values_match(expected, actual):
    """True when two values agree to the tolerance of their dtype.

    Where ``expected`` is not finite and ``actual`` is, the value counts as a
    match: stabilizing rewrites exist to turn overflow into a finite answer.
    """
    if not isinstance(expected, numpy.ndarray) and not isinstance(
        actual, numpy.ndarray
    ):
        if isinstance(expected, numpy.generic) or isinstance(actual, numpy.generic):
            expected, actual = numpy.asarray(expected), numpy.asarray(actual)
        else:
            return _objects_match(expected, actual)
    expected, actual = numpy.asarray(expected), numpy.asarray(actual)
    if expected.shape != actual.shape or expected.dtype != actual.dtype:
        return False
    rtol, atol = _tolerances(expected.dtype)
    if rtol == 0:
        return bool(numpy.array_equal(expected, actual))
    close = numpy.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    stabilized = ~numpy.isfinite(expected) & numpy.isfinite(actual)
    return bool(numpy.all(close | stabilized))


def _objects_match(expected, actual):
    """Equality of non-array values; random states compare by their state."""
    if _is_scipy_sparse(expected) and _is_scipy_sparse(actual):
        return expected.format == actual.format and values_match(
            expected.toarray(), actual.toarray()
        )
    if isinstance(expected, list) and isinstance(actual, list):
        # Typed lists: compare element by element.
        return len(expected) == len(actual) and all(
            values_match(a, b) for a, b in zip(expected, actual)
        )
    if hasattr(expected, "get_state") and hasattr(actual, "get_state"):
        mine, theirs = expected.get_state(), actual.get_state()
        return len(mine) == len(theirs) and all(
            numpy.array_equal(a, b) for a, b in zip(mine, theirs)
        )
    return bool(expected == actual)


def _is_scipy_sparse(value):
    # Only a loaded scipy.sparse can have made a sparse value.
    scipy_sparse = sys.modules.get("scipy.sparse")
    return scipy_sparse is not None and scipy_sparse.issparse(value)


def _copy(value):
    if isinstance(value, numpy.ndarray):
        return value.copy()
    if value is None or isinstance(value, (numpy.generic, int, float, complex, str)):
        return value
    return copy.deepcopy(value)  # e.g. a RandomState the graph advances


def _describe(value):
    if isinstance(value, numpy.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})"
    return repr(value)


def _difference(expected, actual):
    try:
        diff = numpy.abs(numpy.asarray(actual, float) - numpy.asarray(expected, float))
        return f"; max abs difference {numpy.nanmax(diff):.3g}"
    except (TypeError, ValueError):
        return ""


def _is_finite(value):
    if isinstance(value, numpy.ndarray) and value.dtype.kind in "fc":
        return bool(numpy.isfinite(value).all())
    return True


class DebugVM:
    """The callable a :class:`DebugLinker` returns; see the module docstring."""

    def __init__(self, fgraph, storage_map, backend_vm, check_isfinite):
        self.fgraph = fgraph
        self.storage_map = storage_map
        self.backend_vm = backend_vm
        self.check_isfinite = check_isfinite
        self.nodes = fgraph.toposort()
        self.destroyed = _overwritten_variables(self.nodes)
        self.unrewritten = fgraph.unrewritten
        # A lazy graph computes only the branch it takes; replaying every node
        # would run (and fail on) the other one, so such graphs run unchecked.
        self.lazy = any(getattr(n.op, "lazy", False) for n in self.nodes)
        if self.lazy:
            _logger.debug("DebugMode does not cross-check lazy graphs: %s", fgraph)
        # A scan starts each loop through it: the backend then redoes its
        # per-loop state (the C runtime's packed copies of the loop's fixed
        # operands, which an in-place update between calls makes stale).
        start_loop = getattr(backend_vm, "start_loop", None)
        if start_loop is not None:
            self.start_loop = start_loop

    def _leaf_values(self):
        values = {}
        for var, cell in self.storage_map.items():
            if var.owner is None:
                values[var] = _copy(cell[0])
        return values

    def __call__(self):
        if self.lazy:
            self.backend_vm()
            return
        leaves = self._leaf_values()
        self.backend_vm()
        # The replay runs in-place ops too: give it its own copies of the leaves.
        replay = self._replay(self.nodes, {v: _copy(x) for v, x in leaves.items()})
        for node in self.nodes:
            for out in node.outputs:
                if out in self.destroyed or out not in replay:
                    continue
                actual = self.storage_map[out][0]
                if actual is None:  # the backend freed an intermediate
                    continue
                if not values_match(replay[out], actual):
                    raise BadThunkOutput(
                        f"the backend and perform disagree on output "
                        f"{node.outputs.index(out)} of {node}: perform gave "
                        f"{_describe(replay[out])}, the backend "
                        f"{_describe(actual)}{_difference(replay[out], actual)}"
                    )
        if self.unrewritten is not None:
            self._check_rewrites(leaves)

    def _replay(self, nodes, values):
        for node in nodes:
            inputs = [values[v] if v in values else _constant(v) for v in node.inputs]
            if getattr(node.op, "has_side_effects", False):
                # The backend already ran the side effect (a Print); an
                # identity in the replay keeps it from happening twice.
                values.update(zip(node.outputs, inputs))
                continue
            before = [_copy(v) for v in inputs]
            cells = [[None] for _ in node.outputs]
            node.op.perform(node, inputs, cells)
            destroy_map = getattr(node.op, "destroy_map", {}) or {}
            view_map = getattr(node.op, "view_map", {}) or {}
            destroyable = {i for ins in destroy_map.values() for i in ins}
            # An input that is the destroyed buffer again (x * x in place) changes too.
            destroyed_ids = {id(inputs[i]) for i in destroyable}
            for i, (old, new) in enumerate(zip(before, inputs)):
                if i in destroyable or not isinstance(old, numpy.ndarray):
                    continue
                if id(new) in destroyed_ids:
                    continue
                if not numpy.array_equal(old, new, equal_nan=True):
                    raise BadDestroyMap(
                        f"{node.op}.perform modified input {i} ({node.inputs[i]}) "
                        "which its destroy_map does not declare"
                    )
            for k, cell in enumerate(cells):
                value = cell[0]
                allowed = set(view_map.get(k, ())) | set(destroy_map.get(k, ()))
                allowed_ids = {id(inputs[j]) for j in allowed}
                for i, inp in enumerate(inputs):
                    if (
                        i not in allowed
                        and id(inp) not in allowed_ids
                        and isinstance(value, numpy.ndarray)
                        and isinstance(inp, numpy.ndarray)
                        and value.size
                        and numpy.may_share_memory(value, inp)
                    ):
                        raise BadViewMap(
                            f"output {k} of {node} aliases input {i} "
                            f"({node.inputs[i]}) but view_map/destroy_map do not "
                            "say so"
                        )
                if (
                    self.check_isfinite
                    and not _is_finite(value)
                    and all(_is_finite(v) for v in before)
                ):
                    raise InvalidValueError(
                        f"{node} produced nan or inf from finite inputs"
                    )
                values[node.outputs[k]] = value
        return values

    def _check_rewrites(self, leaves):
        original = self.unrewritten
        values = {}
        for mine, theirs in zip(self.fgraph.inputs, original.inputs):
            values[theirs] = _copy(leaves[mine])
        checker = DebugVM.__new__(DebugVM)
        checker.check_isfinite = False
        values = checker._replay(original.toposort(), values)
        for k, (mine, theirs) in enumerate(zip(self.fgraph.outputs, original.outputs)):
            expected = values[theirs] if theirs in values else _constant(theirs)
            actual = self._final_value(mine, leaves)
            if not values_match(expected, actual):
                raise BadOptimization(
                    f"the rewritten graph's output {k} ({mine}) differs from the "
                    f"original graph's: expected {_describe(expected)}, got "
                    f"{_describe(actual)}{_difference(expected, actual)}"
                )

    def _final_value(self, var, leaves):
        if var.owner is None:
            return leaves.get(var, self.storage_map[var][0])
        return self.storage_map[var][0]


def _overwritten_variables(nodes):
    """Variables whose buffer some in-place node overwrites (views included)."""
    root = {}
    destroyed_roots = set()
    for node in nodes:
        destroy_map = getattr(node.op, "destroy_map", {}) or {}
        view_map = getattr(node.op, "view_map", {}) or {}
        for k, inputs in list(view_map.items()) + list(destroy_map.items()):
            for i in inputs:
                source = node.inputs[i]
                root[node.outputs[k]] = root.get(source, source)
        for inputs in destroy_map.values():
            for i in inputs:
                source = node.inputs[i]
                destroyed_roots.add(root.get(source, source))
    every = {v for node in nodes for v in node.inputs + node.outputs}
    return {v for v in every if root.get(v, v) in destroyed_roots}


def _constant(var):
    if isinstance(var, Constant):
        return var.data
    raise KeyError(f"no value for {var} during the DebugMode replay")


class DebugLinker:
    """Runs the graph on ``backend`` and cross-checks it (see module docstring).

    Parameters
    ----------
    backend : str
        The linker name whose results are checked ('auto' is the default
        fast backend).
    check_isfinite : bool
        Raise when a node turns finite inputs into nan or inf.
    """

    name = "debug"

    def __init__(self, backend="auto", check_isfinite=True):
        if not hasattr(backend, "make_vm") and backend not in LINKER_NAMES:
            raise ValueError(
                f"DebugMode: unknown linker {backend!r} to check: expected one "
                f"of {list(linker_names())} or a linker object (with make_vm)"
            )
        self.backend = backend
        self.check_isfinite = check_isfinite

    @property
    def required_rewrites(self):
        """The checked backend's: the graph it runs is the graph checked."""
        return linker_rewrites(self.backend)[0]

    @property
    def incompatible_rewrites(self):
        return linker_rewrites(self.backend)[1]

    def make_vm(self, fgraph, storage_map, profile=None):
        backend_vm = get_linker(self.backend).make_vm(fgraph, storage_map, profile)
        return DebugVM(fgraph, storage_map, backend_vm, self.check_isfinite)


class DebugMode(Mode):
    """Every call is checked against ``perform`` and the unrewritten graph.

    Parameters
    ----------
    optimizer : str
        The rewrite level whose result is checked.
    check_isfinite : bool
        Raise on nan/inf produced from finite inputs (default: the
        ``DebugMode__check_finite`` flag, True).
    linker : str
        The backend being checked (default: the configured one,
        ``config.linker``).

    The remaining Theano parameters are accepted for compatibility.
    """

    keep_unrewritten = True

    def __init__(
        self,
        optimizer="fast_run",
        stability_patience=None,
        check_c_code=None,
        check_py_code=None,
        check_isfinite=None,
        check_preallocated_output=None,
        require_matching_strides=None,
        linker=None,
    ):
        if check_isfinite is None:
            check_isfinite = config.DebugMode__check_finite
        backend = config.linker if linker in (None, "default") else linker
        super().__init__(
            linker=DebugLinker(backend, check_isfinite), optimizer=optimizer
        )
        self.check_isfinite = check_isfinite
        self.name = "DebugMode"


def keep_unrewritten_copy(fgraph):
    """Return a clone of ``fgraph`` to compare the rewritten graph against."""
    return FunctionGraph(fgraph.inputs, fgraph.outputs, clone=True)

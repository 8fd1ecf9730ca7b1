"""NanGuardMode: a mode that checks every node's outputs for nan, inf and huge values.

Each node runs its ``perform`` thunk (the check needs every intermediate
value, which the fused C program does not keep), and its outputs are
inspected right after it runs. The first bad value raises
:class:`NanGuardError` naming the node, the output and what was found.
"""

import logging
import sys

import numpy

# The linker module is where compile meets the reference backend's thunks.
from symbolic.backends.python.thunks import perform_thunk
from symbolic.compile.lazy import schedule_lazy
from symbolic.compile.mode import Mode
from symbolic.compile.vm import VM
from symbolic.config import config

_logger = logging.getLogger(__name__)

#: Values whose magnitude exceeds this count as "big" (Theano's threshold).
BIG_THRESHOLD = 1e10


class NanGuardError(AssertionError):
    """A value checked by NanGuardMode was nan, inf or too big."""


def _problem(value, nan_is_error, inf_is_error, big_is_error):
    """What is wrong with ``value`` ('NaN', 'Inf', 'Big value'), or None."""
    scipy_sparse = sys.modules.get("scipy.sparse")
    if scipy_sparse is not None and scipy_sparse.issparse(value):
        value = value.data
    if isinstance(value, (list, tuple)):
        for item in value:
            found = _problem(item, nan_is_error, inf_is_error, big_is_error)
            if found:
                return found
        return None
    if not isinstance(value, (numpy.ndarray, numpy.generic)):
        return None
    if value.dtype.kind not in "fc" or value.size == 0:
        return None
    if nan_is_error and numpy.isnan(value).any():
        return "NaN"
    if inf_is_error and numpy.isinf(value).any():
        return "Inf"
    if big_is_error:
        finite = numpy.abs(value[numpy.isfinite(value)])
        if finite.size and finite.max() > BIG_THRESHOLD:
            return "Big value"
    return None


class _GuardedThunk:
    """Runs a node's thunk, then checks its outputs."""

    def __init__(self, thunk, guard):
        self.thunk = thunk
        self.guard = guard
        self.node = thunk.node
        self.input_cells = thunk.input_cells
        self.output_cells = thunk.output_cells

    def __call__(self):
        self.thunk()
        for index, cell in enumerate(self.output_cells):
            self.guard.check(cell[0], self.node, index, self.input_cells)


class _GuardedVM(VM):
    def __init__(self, nodes, thunks, profile, guard, input_cells):
        super().__init__(nodes, thunks, profile)
        self.guard = guard
        self.input_cells = input_cells

    def __call__(self):
        for var, cell in self.input_cells:
            self.guard.check(cell[0], None, var)
        return super().__call__()


class NanGuardLinker:
    """Links every node to its ``perform`` thunk followed by a value check."""

    name = "nanguard"

    def __init__(self, nan_is_error=True, inf_is_error=True, big_is_error=True):
        self.nan_is_error = nan_is_error
        self.inf_is_error = inf_is_error
        self.big_is_error = big_is_error

    required_rewrites = ()
    incompatible_rewrites = ()

    def check(self, value, node, index, input_cells=()):
        """Raise NanGuardError when ``value`` (output ``index`` of ``node``) is bad.

        With ``node`` None, ``index`` is the function input being checked.
        """
        found = _problem(value, self.nan_is_error, self.inf_is_error, self.big_is_error)
        if found is None:
            return
        if node is None:
            where = f"the function input {index}"
        else:
            out = node.outputs[index]
            where = f"output {index} ({out}) of the node {node}"
            inputs = ", ".join(
                f"{var} shape={getattr(cell[0], 'shape', None)}"
                for var, cell in zip(node.inputs, input_cells)
            )
            where += f" computed from {inputs}" if inputs else ""
        message = f"NanGuardMode found {found} in {where}"
        if config.NanGuardMode__action == "warn":
            _logger.warning(message)
            return
        raise NanGuardError(message)

    def make_vm(self, fgraph, storage_map, profile=None):
        nodes = fgraph.toposort()
        thunks = [
            _GuardedThunk(perform_thunk(node, storage_map), self) for node in nodes
        ]
        nodes, thunks = schedule_lazy(fgraph, nodes, thunks)
        input_cells = [(var, storage_map[var]) for var in fgraph.inputs]
        return _GuardedVM(nodes, thunks, profile, self, input_cells)


class NanGuardMode(Mode):
    """A mode that raises as soon as a node outputs nan, inf or a huge value.

    Parameters
    ----------
    nan_is_error, inf_is_error, big_is_error : bool, optional
        Which problems raise (defaults: the ``NanGuardMode__*`` flags, all
        True). "Big" means a magnitude above 1e10.
    optimizer : str
        The rewrite level (default: the ``optimizer`` flag).
    linker : ignored
        Nodes always run their ``perform``, which keeps every value to check.

    Examples
    --------
    >>> import numpy, symbolic
    >>> import symbolic.tensor as T
    >>> x = T.dvector('x')
    >>> f = symbolic.function([x], T.log(x), mode=NanGuardMode(True, True, True))
    >>> f(numpy.array([-1.0]))
    Traceback (most recent call last):
    ...
    symbolic.compile.nanguardmode.NanGuardError: NanGuardMode found NaN in output 0 ...
    """

    def __init__(
        self,
        nan_is_error=None,
        inf_is_error=None,
        big_is_error=None,
        optimizer="default",
        linker=None,
    ):
        if nan_is_error is None:
            nan_is_error = config.NanGuardMode__nan_is_error
        if inf_is_error is None:
            inf_is_error = config.NanGuardMode__inf_is_error
        if big_is_error is None:
            big_is_error = config.NanGuardMode__big_is_error
        guard = NanGuardLinker(nan_is_error, inf_is_error, big_is_error)
        super().__init__(linker=guard, optimizer=optimizer)
        self.nan_is_error = nan_is_error
        self.inf_is_error = inf_is_error
        self.big_is_error = big_is_error
        self.name = "NanGuardMode"

"""function(): compile a graph into a callable Function."""

import copy
import logging
import threading
import time
import warnings

import numpy

from symbolic.compile.container import Container
from symbolic.compile.inputs import (
    add_shared_inputs,
    check_updates,
    convert_input,
    givens_pairs,
)
from symbolic.compile.io import Out, SymbolicOutput
from symbolic.compile.linker import get_linker, make_storage_map
from symbolic.compile.mode import get_mode
from symbolic.compile.profiling import ProfileStats
from symbolic.config import config
from symbolic.graph.basic import Constant, Variable
from symbolic.graph.fgraph import FunctionGraph, MissingInputError
from symbolic.graph.replace import clone_replace
from symbolic.graph.traversal import ancestors, view_roots

_logger = logging.getLogger(__name__)


class UnusedInputError(ValueError):
    """An input of ``function`` is not needed to compute its outputs."""


class AliasedMemoryError(Exception):
    """Two inputs share memory where the function needs them distinct."""


_UNUSED_INPUT_HELP = (
    "\nTo make this error into a warning, pass on_unused_input='warn' to "
    "symbolic.function; to disable it, pass on_unused_input='ignore'."
)


def function(
    inputs,
    outputs=None,
    mode=None,
    updates=None,
    givens=None,
    no_default_updates=False,
    accept_inplace=False,
    name=None,
    rebuild_strict=True,
    allow_input_downcast=None,
    profile=None,
    on_unused_input=None,
):
    """Compile a graph into a callable Function.

    Parameters
    ----------
    inputs : list
        Variables, ``In`` instances, or the old ``(variable, default)`` /
        ``((variable, update), default)`` tuples. Intermediate variables are
        allowed: evaluation is cut there.
    outputs : Variable, list, dict or None
        The call returns one value, a list, or a dict accordingly.
    mode : Mode or str, optional
    updates : list of pairs or OrderedDict, optional
        ``(shared variable, new value expression)``; all computed from the
        values before the call, then written together.
    givens : dict or list of pairs, optional
        Variables substituted before compiling.
    no_default_updates : bool or list
        Skip the ``default_update`` of all (True) or the listed shared variables.
    allow_input_downcast : bool or None
        True casts inputs to their variable's dtype even when lossy.
    profile : bool, str or ProfileStats, optional
    on_unused_input : {'raise', 'warn', 'ignore'}, optional

    Returns
    -------
    Function

    Examples
    --------
    >>> import symbolic.tensor as T
    >>> x = T.dscalar('x')
    >>> f = function([x], x + 1)
    >>> float(f(2))
    3.0
    """
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(
            "inputs of symbolic.function must be a list or tuple, got "
            f"{type(inputs).__name__}"
        )
    if on_unused_input is None:
        on_unused_input = config.on_unused_input
    if on_unused_input not in ("raise", "warn", "ignore"):
        raise ValueError(f"invalid on_unused_input {on_unused_input!r}")

    output_keys = None
    if outputs is None:
        out_list, single = [], False
    elif isinstance(outputs, dict):
        output_keys = sorted(outputs)
        out_list, single = [outputs[k] for k in output_keys], False
    elif isinstance(outputs, (list, tuple)):
        out_list, single = list(outputs), False
    else:
        out_list, single = [outputs], True
    out_specs = []
    for out in out_list:
        if isinstance(out, SymbolicOutput):
            out_specs.append(out)
        elif isinstance(out, Variable):
            out_specs.append(Out(out))
        else:
            from symbolic.types.tensor import as_tensor_variable

            try:
                out_specs.append(Out(as_tensor_variable(out)))
            except TypeError:
                raise TypeError(
                    f"function outputs must be Variables, got {out!r}"
                ) from None

    in_specs = [convert_input(i) for i in inputs]
    seen_vars = set()
    for spec in in_specs:
        if spec.variable in seen_vars:
            raise UnusedInputError(
                f"variable {spec.variable} is used twice in the inputs of function"
            )
        seen_vars.add(spec.variable)
        if allow_input_downcast is not None and spec.allow_downcast is None:
            spec.allow_downcast = allow_input_downcast
    update_pairs = check_updates(updates)
    given_pairs = givens_pairs(givens)
    for old, _ in given_pairs:
        if old in seen_vars:
            raise ValueError(f"an input ({old}) cannot be replaced through givens")

    if given_pairs:
        exprs = (
            [o.variable for o in out_specs]
            + [u for _, u in update_pairs]
            + [s.update for s in in_specs if s.update is not None]
        )
        replaced = clone_replace(exprs, given_pairs, strict=rebuild_strict)
        n_out = len(out_specs)
        for spec, new in zip(out_specs, replaced[:n_out]):
            spec.variable = new
        n_upd = len(update_pairs)
        update_pairs = [
            (s, v) for (s, _), v in zip(update_pairs, replaced[n_out : n_out + n_upd])
        ]
        rest = iter(replaced[n_out + n_upd :])
        for spec in in_specs:
            if spec.update is not None:
                spec.update = next(rest)

    in_specs = add_shared_inputs(in_specs, out_specs, update_pairs, no_default_updates)
    mode = get_mode(mode)
    if profile is None and hasattr(mode, "new_profile"):
        profile = mode.new_profile(name)
    if profile is None:
        profile = config.profile or None
    elif profile is False:
        profile = None
    if profile is True:
        profile = ProfileStats(message=name)
    elif isinstance(profile, str):
        profile = ProfileStats(message=profile)
    maker = FunctionMaker(
        in_specs,
        out_specs,
        mode,
        accept_inplace=accept_inplace,
        profile=profile,
        on_unused_input=on_unused_input,
        output_keys=output_keys,
        name=name,
        return_single=single,
    )
    return maker.create()


# Compilation ---------------------------------------------------------------------
class FunctionMaker:
    """Holds what a Function was compiled from; builds (and rebuilds) Functions.

    It pickles as its input and output specs and mode, and recompiles on
    load, which is how a pickled Function comes back in a fresh process.
    """

    def __init__(
        self,
        inputs,
        outputs,
        mode=None,
        accept_inplace=False,
        function_builder=None,
        profile=None,
        on_unused_input="raise",
        fgraph=None,
        output_keys=None,
        name=None,
        return_single=False,
    ):
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.mode = get_mode(mode)
        self.accept_inplace = accept_inplace
        self.profile = profile
        self.on_unused_input = on_unused_input
        self.output_keys = output_keys
        self.name = name
        self.return_single = return_single
        self._build()

    def __getstate__(self):
        state = dict(self.__dict__)
        for key in (
            "fgraph",
            "_linked_inputs",
            "_out_vars",
            "_upd_index",
            "rewrite_profile",
        ):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._build()

    def _build(self):
        start = time.perf_counter()
        specs = self.inputs
        in_vars = [s.variable for s in specs]
        out_vars = [o.variable for o in self.outputs]
        upd_vars = [s.update for s in specs if s.update is not None]
        self._check_unused(in_vars, out_vars + upd_vars)
        # Inputs with owners cut the graph: stand in ownerless placeholders.
        cut = {v: v.clone() for v in in_vars if v.owner is not None}
        if cut:
            for placeholder in cut.values():
                placeholder.owner = None
            graph_outs = clone_replace(out_vars + upd_vars, cut, strict=False)
            fg_inputs = [cut.get(v, v) for v in in_vars]
        else:
            graph_outs = out_vars + upd_vars
            fg_inputs = in_vars
        try:
            fgraph = FunctionGraph(fg_inputs, graph_outs, clone=True)
        except MissingInputError as exc:
            raise MissingInputError(
                f"{exc} (function inputs: {', '.join(map(str, in_vars)) or 'none'})",
                variable=exc.variable,
            ) from None
        fgraph.destroyable_inputs = {
            var
            for var, spec in zip(fgraph.inputs, specs)
            if spec.mutable or (spec.shared and spec.update is not None)
        }
        _check_destroyers(fgraph, self.accept_inplace)
        self.fgraph = fgraph
        if getattr(self.mode, "keep_unrewritten", False):
            from symbolic.compile.debugmode import keep_unrewritten_copy

            fgraph.unrewritten = keep_unrewritten_copy(fgraph)
        rewrite = _get_rewriter(self.mode)
        if rewrite is not None:
            rewrite(fgraph)
        self.rewrite_profile = getattr(rewrite, "profile", None)
        if self.profile is not None:
            self.profile.rewrite_time += time.perf_counter() - start
            self.profile.rewrite_profile = self.rewrite_profile
        self.compile_time = time.perf_counter() - start

    def _check_unused(self, in_vars, roots):
        if self.on_unused_input == "ignore":
            return
        used = set(ancestors(roots, blockers=set(in_vars)))
        for i, var in enumerate(in_vars):
            if var in used:
                continue
            spec = self.inputs[i]
            if spec.implicit or spec.update is not None:
                continue
            message = (
                "symbolic.function was asked to create a function computing outputs "
                "given certain inputs, but the provided input variable at index "
                f"{i} is not part of the computational graph needed to compute the "
                f"outputs: {var}."
            )
            if self.on_unused_input == "warn":
                warnings.warn(message, stacklevel=6)
            else:
                raise UnusedInputError(message + _UNUSED_INPUT_HELP)

    def create(self, input_storage=None, trustme=False, storage_map=None):
        """Return a new Function (``input_storage``: containers to reuse)."""
        containers = []
        for i, spec in enumerate(self.inputs):
            given = input_storage[i] if input_storage is not None else None
            if isinstance(given, Container):
                containers.append(given)
                continue
            if isinstance(spec.value, Container):
                containers.append(spec.value)
                continue
            container = Container(
                spec.variable,
                [None],
                strict=spec.strict,
                allow_downcast=spec.allow_downcast,
                name=spec.name,
            )
            if spec.value is not None:
                container.value = spec.value
            containers.append(container)
        return Function(self, containers)


def _get_rewriter(mode):
    """Return the rewrite pipeline for ``mode`` (None until rewrites are registered)."""
    try:
        from symbolic.rewriting import pipeline
    except ImportError:
        return None
    return pipeline.rewriter_for(mode)


def _check_destroyers(fgraph, accept_inplace):
    if not any(getattr(n.op, "destroy_map", None) for n in fgraph.apply_nodes):
        return
    if not accept_inplace:
        for node in fgraph.apply_nodes:
            if getattr(node.op, "destroy_map", None):
                raise TypeError(
                    f"graph contains an in-place operation ({node.op}); pass "
                    "accept_inplace=True to allow it"
                )
    from symbolic.rewriting.destroy import destroy_handler_of

    # The handler orders readers before the user's in-place ops.
    destroy_handler_of(fgraph)


class _ContainerView:
    """``fn.container`` / ``fn.value``: index by input variable or name."""

    def __init__(self, function, values):
        self._function = function
        self._values = values

    def __getitem__(self, key):
        container = self._function._find_container(key)
        return container.value if self._values else container

    def __setitem__(self, key, value):
        container = self._function._find_container(key)
        if self._values:
            container.value = value
        else:
            raise TypeError("assign to fn.value[...] or fn[...], not fn.container")

    def __contains__(self, key):
        try:
            self._function._find_container(key)
            return True
        except KeyError:
            return False


class Function:
    """A compiled function. Call it with values for its explicit inputs.

    Attributes
    ----------
    maker : FunctionMaker
    input_storage : list of Container
    container, value : indexable by input variable or name
    trust_input : bool
        Skip input checking (values must already be ndarrays of the right type).
    profile : ProfileStats or None

    Notes
    -----
    A Function may be called from several threads: each call holds the
    function's own lock while it fills the input cells, runs the program and
    applies the updates, so calls of one function run one at a time and no
    shared-variable update is lost.  Different functions run in parallel;
    two of them updating the same shared variable from two threads may
    interleave their read and write of it.
    """

    def __init__(self, maker, input_containers):
        # Calls share the storage cells (and the C runtime's reused output
        # buffers): one call at a time.  Reentrant, for a callback that calls
        # the same function again.
        self._lock = threading.RLock()
        self.maker = maker
        self.input_storage = input_containers
        self.name = maker.name
        self.trust_input = False
        self.profile = maker.profile
        self.container = _ContainerView(self, values=False)
        self.value = _ContainerView(self, values=True)
        self._link()

    def _link(self):
        maker = self.maker
        fgraph = maker.fgraph
        start = time.perf_counter()
        storage_map = make_storage_map(fgraph, [c.storage for c in self.input_storage])
        linker = get_linker(maker.mode.linker)
        self.vm = linker.make_vm(fgraph, storage_map, self.profile)
        self._storage_map = storage_map
        n_out = len(maker.outputs)
        outs = fgraph.outputs
        self.output_storage = [storage_map[v] for v in outs[:n_out]]
        update_cells = [storage_map[v] for v in outs[n_out:]]
        self._updates = []
        cell_iter = iter(update_cells)
        for container, spec in zip(self.input_storage, maker.inputs):
            if spec.update is not None:
                self._updates.append((container.storage, next(cell_iter)))
        self._copy_update = _updates_needing_copy(fgraph, n_out, maker.inputs)
        self._explicit = [
            (container, spec)
            for container, spec in zip(self.input_storage, maker.inputs)
            if not spec.implicit
        ]
        self._refeed = [
            (
                container,
                copy.deepcopy(container.storage[0]),
                bool(spec.mutable) and hasattr(container.storage[0], "copy"),
            )
            for container, spec in self._explicit
            if spec.value is not None
            and spec.update is None
            and not isinstance(spec.value, Container)
        ]
        self._copy_output = _outputs_needing_copy(fgraph, n_out, maker.outputs)
        self._n_explicit = len(self._explicit)
        self._names = {}
        for container, spec in self._explicit:
            if spec.name is not None:
                self._names[spec.name] = container
        self._prepare_fast_path()
        if self.profile is not None:
            self.profile.compile_time += maker.compile_time
            self.profile.linker_time += time.perf_counter() - start

    # Calling ---------------------------------------------------------------------
    def _prepare_fast_path(self):
        """Precompute what a plain positional call needs (one check per input)."""
        from symbolic.types.tensor import TensorType

        fast = []
        for i, (container, spec) in enumerate(self._explicit):
            t = spec.variable.type
            exact = None
            if (
                isinstance(t, TensorType)
                and not any(t.broadcastable)
                and not spec.strict
            ):
                exact = (t.numpy_dtype, t.ndim)
            fast.append((container.storage, exact, spec, i))
        self._fast_inputs = fast
        self._outputs_plan = list(zip(self.output_storage, self._copy_output))
        # The common case -- one output returned as is, nothing to write back --
        # returns straight from the output cell.
        maker = self.maker
        self._single_cell = (
            self.output_storage[0]
            if len(self._outputs_plan) == 1
            and not self._copy_output[0]
            and not self._updates
            and not self._refeed
            and maker.return_single
            and maker.output_keys is None
            else None
        )

    def __call__(self, *args, **kwargs):
        with self._lock:
            return self._call(args, kwargs)

    def _call(self, args, kwargs):
        if kwargs or self.profile is not None or len(args) != self._n_explicit:
            return self._call_general(args, kwargs)
        if self.trust_input:
            for (cell, _, _, _), arg in zip(self._fast_inputs, args):
                cell[0] = arg
        else:
            ndarray = numpy.ndarray
            for (cell, exact, spec, i), arg in zip(self._fast_inputs, args):
                if (
                    exact is not None
                    and type(arg) is ndarray
                    and arg.dtype == exact[0]
                    and arg.ndim == exact[1]
                ):
                    cell[0] = arg
                else:
                    cell[0] = _filter_input(spec, arg, i)
        self.vm()
        single = self._single_cell
        if single is not None:
            return single[0]
        return self._finish()

    def _finish(self):
        outputs = []
        for cell, needs_copy in self._outputs_plan:
            value = cell[0]
            if needs_copy:
                value = (
                    value.copy()
                    if isinstance(value, numpy.ndarray)
                    else copy.deepcopy(value)
                )
            outputs.append(value)
        updates = self._updates
        if updates:
            # Read every new value before writing any: updates see old values.
            new_values = [cell[0] for _, cell in updates]
            for (target, _), value, needs_copy in zip(
                updates, new_values, self._copy_update
            ):
                if needs_copy and isinstance(value, numpy.ndarray):
                    value = value.copy()
                target[0] = value
        for container, default, mutable in self._refeed:
            # A mutable input may have been overwritten: refeed a fresh copy.
            container.storage[0] = default.copy() if mutable else default
        maker = self.maker
        if maker.output_keys is not None:
            return dict(zip(maker.output_keys, outputs))
        if maker.return_single:
            return outputs[0]
        return outputs

    def _call_general(self, args, kwargs):
        profile = self.profile
        if profile is not None:
            start = time.perf_counter()
        explicit = self._explicit
        if len(args) > self._n_explicit:
            raise TypeError(
                f"function{' ' + self.name if self.name else ''} takes "
                f"{self._n_explicit} inputs, got {len(args)}"
            )
        provided = [False] * self._n_explicit
        if self.trust_input and not kwargs:
            for (container, _), arg in zip(explicit, args):
                container.storage[0] = arg
            provided[: len(args)] = [True] * len(args)
        else:
            for i, arg in enumerate(args):
                container, spec = explicit[i]
                container.storage[0] = _filter_input(spec, arg, i)
                provided[i] = True
            for key, value in kwargs.items():
                index = self._input_index(key)
                container, spec = explicit[index]
                if provided[index]:
                    raise TypeError(f"input {key!r} given twice")
                container.storage[0] = _filter_input(spec, value, index)
                provided[index] = True
        for i, (_container, spec) in enumerate(explicit):
            if not provided[i] and spec.value is None:
                raise TypeError(
                    f"missing required input: {spec.variable} (position {i}); "
                    f"the function takes {self._n_explicit} inputs"
                )
        self.vm()
        result = self._finish()
        if profile is not None:
            profile.fct_callcount += 1
            profile.fct_call_time += time.perf_counter() - start
        return result

    def _input_index(self, key):
        for i, (_container, spec) in enumerate(self._explicit):
            if spec.name == key or spec.variable is key:
                return i
        raise TypeError(f"unknown input name {key!r}")

    def _find_container(self, key):
        for container, spec in zip(self.input_storage, self.maker.inputs):
            if (
                spec.variable is key
                or spec.name == key
                or (isinstance(key, str) and spec.variable.name == key)
            ):
                return container
        raise KeyError(f"no input {key!r} in this function")

    def __getitem__(self, key):
        return self._find_container(key).value

    def __setitem__(self, key, value):
        self._find_container(key).value = value

    # Management ---------------------------------------------------------------------
    def copy(
        self,
        share_memory=False,
        swap=None,
        delete_updates=False,
        name=None,
        profile=None,
    ):
        """Return a copy; shared values are copied unless ``share_memory``.

        ``swap`` maps shared variables to replacements of the same type.
        """
        swap = swap or {}
        new_inputs = []
        for container, spec in zip(self.input_storage, self.maker.inputs):
            new_spec = copy.copy(spec)
            if delete_updates:
                new_spec.update = None
            if spec.shared:
                if spec.variable in swap:
                    replacement = swap[spec.variable]
                    if replacement.type != spec.variable.type:
                        raise TypeError(
                            f"swap: {replacement} has type {replacement.type}, "
                            f"expected {spec.variable.type}"
                        )
                    new_spec.value = replacement.container
                elif share_memory:
                    new_spec.value = container
                else:
                    new_spec.value = copy.deepcopy(container)
            elif not share_memory and isinstance(spec.value, Container):
                new_spec.value = copy.deepcopy(container)
            new_inputs.append(new_spec)
        if profile is True:
            profile = ProfileStats(message=name)
        maker = FunctionMaker(
            new_inputs,
            self.maker.outputs,
            self.maker.mode,
            accept_inplace=self.maker.accept_inplace,
            profile=profile,
            on_unused_input="ignore",
            output_keys=self.maker.output_keys,
            name=name or self.name,
            return_single=self.maker.return_single,
        )
        containers = None
        if not delete_updates:
            containers = None
        fn = maker.create(containers)
        fn.trust_input = self.trust_input
        return fn

    def free(self):
        """Drop intermediate values held between calls."""
        input_cells = {id(c.storage) for c in self.input_storage}
        for var, cell in self._storage_map.items():
            if id(cell) not in input_cells and not isinstance(var, Constant):
                cell[0] = None

    def get_shared(self):
        """Return the shared variables this function reads or updates."""
        return [spec.variable for spec in self.maker.inputs if spec.shared]

    def sync_shared(self):
        """No-op on the CPU (values already live in the shared containers)."""

    def __reduce__(self):
        return (_constructor_Function, (self.maker, self.input_storage))

    def __str__(self):
        return f"Function({self.name or ''})"


def _constructor_Function(maker, input_storage):
    if not config.unpickle_function:
        return None
    return maker.create(input_storage)


def _filter_input(spec, value, index):
    var = spec.variable
    try:
        if spec.allow_downcast is None:
            return var.type.filter(value, strict=spec.strict)
        return var.type.filter(
            value, strict=spec.strict, allow_downcast=spec.allow_downcast
        )
    except (TypeError, ValueError) as exc:
        name = var.name or f"input at index {index}"
        raise type(exc)(
            f'Bad input argument with name "{name}" to function at index {index} '
            f"(0-based): {exc}{_floatx_hint(var, value)}"
        ) from None
    except OverflowError as exc:
        # A Python int beyond the input's integer range (numpy's message
        # names neither the input nor the range).
        name = var.name or f"input at index {index}"
        text = repr(value)
        if len(text) > 60:
            text = text[:40] + "..." + text[-10:]
        dtype = getattr(var.type, "dtype", None)
        expected = (
            f"a value of dtype {dtype}" if dtype else f"a value of type {var.type}"
        )
        if dtype is not None and numpy.dtype(dtype).kind in "iu":
            info = numpy.iinfo(dtype)
            expected += f" (from {info.min} to {info.max})"
        raise OverflowError(
            f'Bad input argument with name "{name}" to function at index {index} '
            f"(0-based): expected {expected}, got {text} ({exc})"
        ) from None


FLOATX_HINT = (
    "; the variable is {expected} because config.floatX is {expected} "
    "(SYMBOLIC_FLAGS=floatX=...) but the value is {got}: make the data "
    "{expected} (Fuel's datasets follow fuel.config.floatX, which follows "
    "config.floatX unless FUEL_FLOATX is set)"
)


def _floatx_hint(var, value):
    """Explain a float32/float64 mismatch that comes from ``config.floatX``."""
    expected = getattr(var.type, "dtype", None)
    got = getattr(value, "dtype", None)
    if expected != config.floatX or got is None:
        return ""
    if not str(expected).startswith("float") or got.kind != "f" or got == expected:
        return ""
    return FLOATX_HINT.format(expected=expected, got=got)


def _outputs_needing_copy(fgraph, n_out, out_specs):
    """Decide statically which outputs must be copied before being returned.

    An output is copied when it may alias an input, shared storage, a
    constant, an update's new value, or another output.
    """
    inputs = set(fgraph.inputs)
    claimed = set()
    for var in fgraph.outputs[n_out:]:
        claimed.update(view_roots(var))
    flags = []
    for var, spec in zip(fgraph.outputs[:n_out], out_specs):
        roots = view_roots(var)
        needs = any(
            r in inputs or r in claimed or isinstance(r, Constant) or r.owner is None
            for r in roots
        )
        claimed.update(roots)
        flags.append(needs and not spec.borrow)
    return flags


def _updates_needing_copy(fgraph, n_out, in_specs):
    """Decide statically which updates' new values must be copied when stored.

    A new value that may alias a constant, another input or another update's
    value would otherwise be shared with it: a later in-place operation on
    the updated variable (an accumulator reset to a constant zero, then
    incremented in place) would change the constant, or the other variable,
    as well.  A value that views the updated variable itself needs no copy.
    """
    updated = [
        variable
        for variable, spec in zip(fgraph.inputs, in_specs)
        if spec.update is not None
    ]
    inputs = set(fgraph.inputs)
    claimed = set()
    flags = []
    for own, var in zip(updated, fgraph.outputs[n_out:]):
        roots = view_roots(var)
        flags.append(
            any(
                r is not own
                and (r in inputs or r in claimed or isinstance(r, Constant))
                for r in roots
            )
        )
        claimed.update(roots)
    return flags


def pfunc(
    params,
    outputs=None,
    mode=None,
    updates=None,
    givens=None,
    no_default_updates=False,
    accept_inplace=False,
    name=None,
    rebuild_strict=True,
    allow_input_downcast=None,
    profile=None,
    on_unused_input=None,
    output_keys=None,
):
    """Theano's lower-level entry point; same as :func:`function`."""
    return function(
        params,
        outputs,
        mode=mode,
        updates=updates,
        givens=givens,
        no_default_updates=no_default_updates,
        accept_inplace=accept_inplace,
        name=name,
        rebuild_strict=rebuild_strict,
        allow_input_downcast=allow_input_downcast,
        profile=profile,
        on_unused_input=on_unused_input,
    )

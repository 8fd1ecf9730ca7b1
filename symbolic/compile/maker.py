"""Stage 2 of ``function()``: the maker builds and rewrites the FunctionGraph.

:class:`FunctionMaker` takes the specs of stage 1 (argument rebuild): it
checks that every explicit input is used, builds the FunctionGraph from the
inputs to the outputs and updates (inputs with owners cut the graph), marks
which inputs in-place rewrites may overwrite, and runs the rewrite pipeline
of the mode and its linker (the linker's ``required_rewrites`` added, its
``incompatible_rewrites`` taken out). ``create()`` then hands the rewritten
graph to stage 3 (:class:`~symbolic.compile.executor.Function`). The maker is
what a pickled Function keeps: it recompiles on load.
"""

import time
import warnings

from symbolic.compile.aliasing import check_destroyers
from symbolic.compile.container import Container
from symbolic.compile.executor import Function
from symbolic.compile.linker import linker_rewrites
from symbolic.compile.mode import get_mode
from symbolic.compile.profiling import ProfileStats
from symbolic.config import config
from symbolic.graph.fgraph import FunctionGraph, MissingInputError
from symbolic.graph.replace import clone_replace
from symbolic.graph.traversal import ancestors
from symbolic.rewriting import pipeline


class UnusedInputError(ValueError):
    """An input of ``function`` is not needed to compute its outputs."""


_UNUSED_INPUT_HELP = (
    "\nTo make this error into a warning, pass on_unused_input='warn' to "
    "symbolic.function; to disable it, pass on_unused_input='ignore'."
)


def resolve_profile(profile, mode, name):
    """The ProfileStats a new function records into, or None.

    ``profile`` as ``function()`` takes it: None (the mode's profile, else
    ``config.profile``), False, True, a message string or a ProfileStats.
    """
    if profile is None and hasattr(mode, "new_profile"):
        profile = mode.new_profile(name)
    if profile is None:
        profile = config.profile or None
    elif profile is False:
        profile = None
    if profile is True:
        return ProfileStats(message=name)
    if isinstance(profile, str):
        return ProfileStats(message=profile)
    return profile


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
        check_destroyers(fgraph, self.accept_inplace)
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
    """Return the rewrite pipeline for ``mode`` and its linker (None: no rewrites).

    The linker's ``required_rewrites`` are added to the mode's rewrites and
    its ``incompatible_rewrites`` taken out of them.
    """
    required, incompatible = linker_rewrites(mode.linker)
    if required or incompatible:
        mode = mode.including(*required).excluding(*incompatible)
    return pipeline.rewriter_for(mode)

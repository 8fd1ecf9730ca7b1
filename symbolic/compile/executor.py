"""Stage 3 of ``function()``: the executor, a callable Function.

:class:`Function` links the maker's rewritten graph: storage cells for every
variable (the inputs' cells are the input containers', shared variables'
their own storage), the linker's VM over them, and a plan of which outputs
to copy (stage 4, :mod:`~symbolic.compile.aliasing`). A call fills the
input cells (checked and converted by each input's type unless
``trust_input``), runs the VM, collects the outputs, then writes every
update from the values read before any of them.
"""

import copy
import threading
import time

import numpy

from symbolic.compile.aliasing import outputs_needing_copy, updates_needing_copy
from symbolic.compile.container import Container
from symbolic.compile.linker import get_linker, make_storage_map
from symbolic.compile.profiling import ProfileStats
from symbolic.config import config
from symbolic.graph.basic import Constant


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
        self._copy_update = updates_needing_copy(fgraph, n_out, maker.inputs)
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
        self._copy_output = outputs_needing_copy(fgraph, n_out, maker.outputs)
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
        maker = type(self.maker)(
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

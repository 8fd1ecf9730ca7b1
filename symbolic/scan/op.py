"""The Scan op: a loop whose body is an inner graph compiled once.

Outer inputs, in order::

    n_steps, sequences, mit-sot initial buffers, sit-sot initial states,
    shared-variable initial values, non-sequences

Inner inputs follow the same groups: one slice per sequence (sequence taps
are cut into separate tap-0 sequences by the builder), one variable per tap
of each mit-sot, one per sit-sot, one per updated shared variable, one per
non-sequence.  Inner outputs: the new value of each mit-sot and sit-sot, each
nit-sot (collected every step), the new value of each shared variable, and
the stop condition when the loop is a ``while``.

Outer outputs: for a state with taps reaching ``L`` steps back, a buffer of
``L + n_steps`` rows whose first ``L`` rows are the initial values; a nit-sot
of ``n_steps`` rows; the final value of each updated shared variable.  With
``keep_last`` set for an output, only its last ``max(L, 1)`` rows are kept.
"""

import threading

from symbolic.graph.basic import Apply, Variable
from symbolic.graph.op import Op
from symbolic.graph.traversal import ancestors
from symbolic.ops.basic import Shape_i
from symbolic.scan.utils import equal_computations
from symbolic.types.tensor import TensorType, as_tensor_variable

#: Keys of ``Scan.info`` and their defaults.
INFO_DEFAULTS = {
    "n_seqs": 0,
    "n_mit_sot": 0,
    "mit_sot_taps": (),
    "n_sit_sot": 0,
    "n_nit_sot": 0,
    "n_shared_outs": 0,
    "n_non_seqs": 0,
    "go_backwards": False,
    "truncate_gradient": -1,
    "as_while": False,
    "name": None,
    "mode": None,
    "profile": False,
    "allow_gc": None,
    "keep_last": (),
}


class Scan(Op):
    """A symbolic loop over an inner graph.

    Parameters
    ----------
    inputs : list of Variable
        The inner graph's inputs (see the module docstring for their order).
    outputs : list of Variable
        The inner graph's outputs.
    info : dict
        Counts and flags; keys of :data:`INFO_DEFAULTS`.

    Attributes
    ----------
    inputs, outputs : list of Variable
        The inner graph, readable by graph walkers.
    info : dict
    n_seqs, n_mit_mot, n_mit_sot, n_sit_sot, n_nit_sot, n_shared_outs : int
    tap_array : list of list of int
        Input taps of each sequence, mit-sot and sit-sot.
    go_backwards, truncate_gradient, as_while, name, mode
        As given to :func:`symbolic.scan`.

    Notes
    -----
    Ops compare equal when their info and inner graphs match structurally,
    so identical loops merge.  The inner graph is compiled on first use with
    the op's mode and run directly over preallocated storage cells.
    """

    n_mit_mot = 0

    def __init__(self, inputs, outputs, info):
        full = dict(INFO_DEFAULTS)
        unknown = set(info) - set(full)
        if unknown:
            raise ValueError(f"unknown Scan info keys: {sorted(unknown)}")
        full.update(info)
        full["mit_sot_taps"] = tuple(tuple(t) for t in full["mit_sot_taps"])
        n_states = full["n_mit_sot"] + full["n_sit_sot"] + full["n_nit_sot"]
        full["keep_last"] = tuple(full["keep_last"]) or (False,) * n_states
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.info = full
        for key, value in full.items():
            setattr(self, key, value)
        self.tap_array = (
            [[0]] * self.n_seqs
            + [list(t) for t in self.mit_sot_taps]
            + [[-1]] * self.n_sit_sot
        )
        self._check_layout()
        self._fn = None

    # Layout ------------------------------------------------------------------
    def _check_layout(self):
        n_in = (
            self.n_seqs
            + sum(len(t) for t in self.mit_sot_taps)
            + self.n_sit_sot
            + self.n_shared_outs
            + self.n_non_seqs
        )
        n_out = (
            self.n_mit_sot
            + self.n_sit_sot
            + self.n_nit_sot
            + self.n_shared_outs
            + int(self.as_while)
        )
        if len(self.inputs) != n_in or len(self.outputs) != n_out:
            raise ValueError(
                f"Scan info expects {n_in} inner inputs and {n_out} inner outputs, "
                f"got {len(self.inputs)} and {len(self.outputs)}"
            )
        if len(self.mit_sot_taps) != self.n_mit_sot:
            raise ValueError("Scan info: one tap tuple per mit-sot is needed")
        for taps in self.mit_sot_taps:
            if not taps or max(taps) >= 0:
                raise ValueError(f"mit-sot taps must be negative, got {taps}")

    @property
    def n_states(self):
        """Number of mit-sot plus sit-sot outputs (the fed-back ones)."""
        return self.n_mit_sot + self.n_sit_sot

    def state_taps(self, k):
        """Input taps of state ``k`` (mit-sots first, then sit-sots)."""
        if k < self.n_mit_sot:
            return self.mit_sot_taps[k]
        return (-1,)

    def state_length(self, k):
        """How many past values state ``k`` reads (``max |tap|``)."""
        return -min(self.state_taps(k))

    def inner_groups(self):
        """Return inner inputs as (seqs, [taps per state], shared, nonseqs)."""
        pos = self.n_seqs
        seqs = self.inputs[:pos]
        states = []
        for k in range(self.n_states):
            n = len(self.state_taps(k))
            states.append(self.inputs[pos : pos + n])
            pos += n
        shared = self.inputs[pos : pos + self.n_shared_outs]
        pos += self.n_shared_outs
        return seqs, states, shared, self.inputs[pos:]

    def outer_groups(self, outer_inputs):
        """Return outer inputs as (n_steps, seqs, state inits, shared, nonseqs)."""
        n = self.n_seqs
        s = self.n_states
        sh = self.n_shared_outs
        return (
            outer_inputs[0],
            list(outer_inputs[1 : 1 + n]),
            list(outer_inputs[1 + n : 1 + n + s]),
            list(outer_inputs[1 + n + s : 1 + n + s + sh]),
            list(outer_inputs[1 + n + s + sh :]),
        )

    # Identity ------------------------------------------------------------------
    def __eq__(self, other):
        if self is other:
            return True
        if type(self) is not type(other) or self.info != other.info:
            return False
        return equal_computations(
            self.outputs, other.outputs, self.inputs, other.inputs
        )

    def __hash__(self):
        items = tuple(sorted((k, repr(v)) for k, v in self.info.items()))
        return hash((type(self), items, len(self.inputs), len(self.outputs)))

    def __str__(self):
        kind = "do_while" if self.as_while else "for"
        return f"{kind}{{cpu,{self.name or 'scan_fn'}}}"

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fn"] = None
        state.pop("_compile_lock", None)
        return state

    # Graph construction ----------------------------------------------------------
    def make_node(self, *outer_inputs):
        from symbolic.ops import cast

        n_outer = 1 + self.n_seqs + self.n_states + self.n_shared_outs
        n_outer += self.n_non_seqs
        if len(outer_inputs) != n_outer:
            raise ValueError(
                f"{self} expects {n_outer} outer inputs, got {len(outer_inputs)}"
            )
        outer = [
            as_tensor_variable(v) if not isinstance(v, Variable) else v
            for v in outer_inputs
        ]
        n_steps = outer[0]
        if n_steps.ndim != 0 or not n_steps.dtype.startswith(("int", "uint")):
            raise TypeError(f"n_steps must be an integer scalar, got {n_steps.type}")
        if n_steps.dtype != "int64":
            n_steps = cast(n_steps, "int64")
        _, seqs, inits, shared, non_seqs = self.outer_groups(outer)
        inner_seqs, inner_states, inner_shared, inner_non_seqs = self.inner_groups()
        for outer_var, inner in zip(seqs, inner_seqs):
            _check_type(
                f"sequence {outer_var}",
                outer_var,
                TensorType(inner.type.dtype, (False, *inner.type.broadcastable)),
                exact_ndim_only=True,
            )
        outputs = []
        for k, (init, _taps_in) in enumerate(zip(inits, inner_states)):
            out_type = self.outputs[k].type
            if k < self.n_mit_sot:
                expected = TensorType(out_type.dtype, (False, *out_type.broadcastable))
            else:
                expected = out_type
            _check_type(f"initial state {init}", init, expected, exact_ndim_only=True)
            outputs.append(
                TensorType(out_type.dtype, (False, *out_type.broadcastable))()
            )
        n_nit = self.n_nit_sot
        for out in self.outputs[self.n_states : self.n_states + n_nit]:
            outputs.append(
                TensorType(out.type.dtype, (False, *out.type.broadcastable))()
            )
        for outer_var, inner in zip(shared, inner_shared):
            _check_type(f"shared value {outer_var}", outer_var, inner.type)
            outputs.append(outer_var.type())
        for outer_var, inner in zip(non_seqs, inner_non_seqs):
            _check_type(f"non-sequence {outer_var}", outer_var, inner.type)
        return Apply(self, [n_steps, *seqs, *inits, *shared, *non_seqs], outputs)

    # Execution ---------------------------------------------------------------------
    def _compile(self):
        from symbolic.compile.function import FunctionMaker
        from symbolic.compile.io import In, Out
        from symbolic.compile.linker import get_linker
        from symbolic.compile.mode import get_mode
        from symbolic.compile.vm import make_storage_map

        mode = get_mode(self.mode)
        maker = FunctionMaker(
            [In(v) for v in self.inputs],
            [Out(v, borrow=True) for v in self.outputs],
            mode,
            on_unused_input="ignore",
        )
        fgraph = maker.fgraph
        # Non-sequences are the same on every step: the C backend packs
        # matrix operands computed from them once per loop.
        fgraph.loop_invariant = fgraph.inputs[len(fgraph.inputs) - self.n_non_seqs :]
        input_cells = [[None] for _ in fgraph.inputs]
        storage_map = make_storage_map(fgraph, input_cells)
        self.profile_stats = None
        if self.profile:
            from symbolic.compile.profiling import ProfileStats

            message = f"inner graph of {self}"
            if isinstance(self.profile, str):
                message = self.profile
            self.profile_stats = ProfileStats(message=message, atexit_print=False)
        vm = get_linker(mode.linker).make_vm(fgraph, storage_map, self.profile_stats)
        output_cells = [storage_map[v] for v in fgraph.outputs]
        made_in = [_made_in(v) for v in fgraph.outputs]
        place_cells = [None if v is None else storage_map[v] for v in made_in]
        self._fn = (vm, input_cells, output_cells, fgraph, place_cells)
        return self._fn

    def compile_inner(self):
        """Compile the inner function unless done already; return it.

        Safe to call from several threads: the C linker calls it in a
        background thread while gcc builds the outer graph's kernels, and the
        first ``perform`` waits for that compile instead of starting another.
        """
        if self._fn is None:
            lock = self.__dict__.setdefault("_compile_lock", threading.Lock())
            with lock:
                if self._fn is None:
                    self._compile()
        return self._fn

    def perform(self, node, inputs, output_storage):
        from symbolic.scan.perform import run_loop

        fn = self._fn or self.compile_inner()
        run_loop(self, node, fn, inputs, output_storage)

    def infer_shape(self, fgraph, node, input_shapes):
        n_steps = node.inputs[0]
        shapes = []
        _, _, init_shapes, _shared_shapes, _ = self.outer_groups(input_shapes)
        inner = self._inner_shapes(input_shapes) if self.n_nit_sot else {}
        # Dims the outer inputs do not give are measured on the output itself
        # with Shape_i: ``out.shape[i]`` would be a Shape node of the output,
        # which the Shape -> make_vector rewrite turns into a cycle.
        for k, out in enumerate(node.outputs):
            if self.as_while or k >= self.n_states + self.n_nit_sot:
                shapes.append(tuple(Shape_i(i)(out) for i in range(out.ndim)))
                continue
            if k < self.n_states:
                length = self.state_length(k)
                rest = (
                    tuple(init_shapes[k][1:])
                    if k < self.n_mit_sot
                    else tuple(init_shapes[k])
                )
                lead = length if self.keep_last[k] else n_steps + length
            else:
                lead = 1 if self.keep_last[k] else n_steps
                rest = inner.get(k - self.n_states) or tuple(
                    Shape_i(i)(out) for i in range(1, out.ndim)
                )
            shapes.append((lead, *rest))
        return shapes

    def _inner_shapes(self, input_shapes):
        """``{nit-sot output index: its per-step shape}`` in outer terms.

        The step's own ``infer_shape`` run over the inner graph, each inner
        input given the shape of its outer counterpart (a sequence's minus
        the time axis).  An output gets one only when every entry is built
        from outer shapes alone: a step that reads a value for a shape (an
        ``alloc`` of a computed length) keeps ``Shape_i`` of the output.
        """
        from symbolic.graph.op import Op
        from symbolic.graph.traversal import io_toposort

        _, seqs, inits, shared, non_seqs = self.outer_groups(input_shapes)
        inner_seqs, inner_states, inner_shared, inner_ns = self.inner_groups()
        known = {}
        for var, shape in zip(inner_seqs, seqs):
            known[var] = None if shape is None else tuple(shape[1:])
        for k, taps in enumerate(inner_states):
            shape = inits[k]
            if shape is not None and k < self.n_mit_sot:
                shape = tuple(shape[1:])
            for var in taps:
                known[var] = None if shape is None else tuple(shape)
        for var, shape in zip([*inner_shared, *inner_ns], [*shared, *non_seqs]):
            known[var] = None if shape is None else tuple(shape)
        first = self.n_states
        targets = {k: self.outputs[first + k] for k in range(self.n_nit_sot)}
        inner_vars = set(self.inputs)
        for node in io_toposort(self.inputs, list(targets.values())):
            inner_vars.update(node.outputs)
            method = getattr(type(node.op), "infer_shape", None)
            in_shapes = []
            for var in node.inputs:
                if not isinstance(var.type, TensorType):
                    in_shapes.append(None)
                elif var.owner is None and var not in known:
                    in_shapes.append(tuple(var.shape[i] for i in range(var.ndim)))
                else:
                    in_shapes.append(known.get(var))
            tensors = [
                s
                for v, s in zip(node.inputs, in_shapes)
                if isinstance(v.type, TensorType)
            ]
            if (
                method is None
                or method is Op.infer_shape
                or any(s is None for s in tensors)
            ):
                continue
            try:
                out_shapes = node.op.infer_shape(None, node, in_shapes)
            except Exception:  # an op whose shape needs its graph or its values
                continue
            for out, shape in zip(node.outputs, out_shapes):
                if isinstance(out.type, TensorType) and shape is not None:
                    known[out] = tuple(shape)
        found = {}
        for k, var in targets.items():
            shape = known.get(var)
            if shape is None or len(shape) != var.ndim:
                continue
            entries = tuple(as_tensor_variable(e) for e in shape)
            if any(v in inner_vars for v in ancestors(entries)):
                continue
            found[k] = entries
        return found

    # Derivatives -----------------------------------------------------------------
    def connection_pattern(self, node):
        """Which outer inputs each outer output depends on, loops included."""
        deps = _inner_dependencies(self)
        n_states = self.n_states
        seqs, states, shared, non_seqs = self.inner_groups()
        outer_to_inner = [[]] + [[v] for v in seqs] + [list(s) for s in states]
        outer_to_inner += [[v] for v in shared] + [[v] for v in non_seqs]
        n_out = len(node.outputs)
        # Inner output index of each outer output.
        out_index = list(range(n_states + self.n_nit_sot)) + [
            n_states + self.n_nit_sot + i for i in range(self.n_shared_outs)
        ]
        state_inputs = states + [[v] for v in shared]
        state_outputs = list(range(n_states)) + [
            n_states + self.n_nit_sot + i for i in range(self.n_shared_outs)
        ]
        pattern = []
        for j, inner_vars in enumerate(outer_to_inner):
            reached = set()
            for v in inner_vars:
                reached |= deps[v]
            changed = True
            while changed:
                changed = False
                for s_inputs, s_out in zip(state_inputs, state_outputs):
                    if s_out in reached:
                        for v in s_inputs:
                            if not deps[v] <= reached:
                                reached |= deps[v]
                                changed = True
            row = [out_index[i] in reached for i in range(n_out)]
            is_state = 1 + self.n_seqs <= j < 1 + self.n_seqs + n_states
            if is_state:
                row[j - 1 - self.n_seqs] = True
            pattern.append(row)
        return pattern

    def L_op(self, inputs, outputs, output_grads):
        from symbolic.scan.grad import scan_L_op

        return scan_L_op(self, inputs, outputs, output_grads)

    def R_op(self, inputs, eval_points):
        from symbolic.scan.grad import scan_R_op

        return scan_R_op(self, inputs, eval_points)


def _made_in(var):
    """The variable whose array ``var``'s value is computed in, or None.

    ``var`` itself, or, when an op makes it by overwriting an input in place
    (``tanh(gemv(...))`` run in place), that input, and so on up the chain;
    None when no node makes that array (an input, a constant, a view).  The
    C loop puts each step's output row there (see ``scan.c``).
    """
    while var.owner is not None:
        node = var.owner
        index = node.outputs.index(var)
        if index in (getattr(node.op, "view_map", None) or {}):
            return None
        destroyed = (getattr(node.op, "destroy_map", None) or {}).get(index)
        if not destroyed:
            break
        var = node.inputs[destroyed[0]]
    return var if var.owner is not None else None


def _inner_dependencies(op):
    """``{inner input: set of inner output indices depending on it}``."""
    deps = {v: set() for v in op.inputs}
    inner_inputs = set(op.inputs)
    for j, out in enumerate(op.outputs):
        for var in ancestors([out], blockers=inner_inputs):
            if var in deps:
                deps[var].add(j)
    return deps


def _check_type(what, var, expected, exact_ndim_only=False):
    """Raise TypeError naming ``what`` when ``var`` cannot have type ``expected``."""
    vtype = var.type
    if vtype == expected:
        return
    ok = (
        isinstance(vtype, TensorType)
        and isinstance(expected, TensorType)
        and vtype.dtype == expected.dtype
        and vtype.ndim == expected.ndim
    )
    if ok and exact_ndim_only:
        return
    if ok and expected.convert_variable(var) is not None:
        return
    raise TypeError(f"Scan: {what} has type {vtype}, expected {expected}")

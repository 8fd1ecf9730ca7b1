"""Scan rules: hoist loop-invariant and per-sequence work, merge, save memory.

They join the rewrite pipeline as built-in rules when this module is
imported (the ``symbolic.scan`` package imports it).
"""

import sys

import numpy

from symbolic.graph.basic import Constant, Variable
from symbolic.graph.replace import clone_replace
from symbolic.graph.traversal import io_toposort
from symbolic.ops.dot import Dot, dot
from symbolic.ops.elemwise import DimShuffle, Elemwise
from symbolic.ops.subtensor import Subtensor
from symbolic.ops.subtensor_utils import constant_int, fill_entries
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.pipeline import register_rules_module
from symbolic.rewriting.rules.helpers import fit
from symbolic.scan.op import Scan, _inner_dependencies
from symbolic.scan.rebuild import rebuild_scan
from symbolic.scan.utils import equal_computations

_CANON = ("canonicalize", "scan")
_SPECIALIZE = ("specialize", "scan")


def _rebuild(node, outputs, extra_seqs=(), extra_non_seqs=(), keep_last=None):
    """Apply a new Scan with ``outputs`` as inner outputs to ``node``'s inputs.

    Returns the new node's outputs, in the old order.
    """
    old, _ = rebuild_scan(
        node,
        outputs,
        extra_seqs=extra_seqs,
        extra_non_seqs=extra_non_seqs,
        keep_last=keep_last,
    )
    return old


def _invariants(op):
    """Inner variables computed only from non-sequences (and constants)."""
    _, _, _, inner_ns = op.inner_groups()
    invariant = set(inner_ns)
    constant = set()
    nodes = io_toposort(op.inputs, op.outputs)
    for apply in nodes:
        if getattr(apply.op, "has_side_effects", False) or isinstance(apply.op, Scan):
            continue
        ins = apply.inputs
        if not all(
            v in invariant or v in constant or isinstance(v, Constant) for v in ins
        ):
            continue
        if any(v in invariant for v in ins):
            invariant.update(apply.outputs)
        else:
            constant.update(apply.outputs)
    return invariant, nodes


def _filled_bases(nodes):
    """Constant fills (``zeros_like(x)``, ``alloc(0, ...)``) that the step
    increments in place: they stay in the step, where the increments
    overwrite them and the rules that join blocks written into zeros see
    them (a non-sequence would be copied every step instead)."""
    from symbolic.ops.basic import Alloc
    from symbolic.ops.scalar.basic import Second
    from symbolic.ops.subtensor import IncSubtensor

    def constant(var):
        # A constant, or a view or cast of constants (a ``zeros_like`` as
        # built, before constant folding).
        while var.owner is not None and len(var.owner.inputs) == 1:
            var = var.owner.inputs[0]
        return isinstance(var, Constant)

    def constant_fill(var):
        owner = var.owner
        if owner is None:
            return False
        if isinstance(owner.op, Alloc):
            return constant(owner.inputs[0])
        return (
            isinstance(owner.op, Elemwise)
            and isinstance(owner.op.scalar_op, Second)
            and constant(owner.inputs[1])
        )

    return {
        apply.inputs[0]
        for apply in nodes
        if isinstance(apply.op, IncSubtensor) and constant_fill(apply.inputs[0])
    }


@node_rewriter([Scan], tags=_CANON)
def scan_push_out_invariants(fgraph, node):
    """Step work on non-sequences only -> computed once before the loop.

    ``scan(step using f(W))`` -> ``scan(step using W_f)`` with ``W_f = f(W)``
    a new non-sequence.  Applies to nodes whose inputs are non-sequences,
    constants or other such nodes' outputs, without side effects.
    """
    op = node.op
    invariant, nodes = _invariants(op)
    invariant -= _filled_bases(nodes)
    frontier = []
    seen = set()
    consumers = [
        v
        for apply in nodes
        if not set(apply.outputs) <= invariant
        for v in apply.inputs
    ]
    for var in consumers + list(op.outputs):
        if var in invariant and var.owner is not None and var not in seen:
            seen.add(var)
            frontier.append(var)
    if not frontier:
        return None
    _, _, _, inner_ns = op.inner_groups()
    _, _, _, _, outer_ns = op.outer_groups(node.inputs)
    outer_values = clone_replace(frontier, list(zip(inner_ns, outer_ns)), strict=False)
    placeholders = []
    for var in frontier:
        p = var.type()
        p.name = var.name
        placeholders.append(p)
    outputs = clone_replace(op.outputs, list(zip(frontier, placeholders)), strict=False)
    return _rebuild(node, outputs, extra_non_seqs=list(zip(placeholders, outer_values)))


@node_rewriter([Scan], tags=_CANON)
def scan_push_out_sequence_dot(fgraph, node):
    """``dot(x[t], W)`` in the step -> ``dot(x, W)[t]``, one product for all steps.

    ``x`` is a sequence and ``W`` a non-sequence; the product over the whole
    sequence becomes a new sequence (one large matrix product instead of one
    small product per step).
    """
    op = node.op
    inner_seqs, _, _, inner_ns = op.inner_groups()
    _, outer_seqs, _, _, outer_ns = op.outer_groups(node.inputs)
    seq_of = dict(zip(inner_seqs, outer_seqs))
    ns_of = dict(zip(inner_ns, outer_ns))
    found = []
    for apply in io_toposort(op.inputs, op.outputs):
        if not isinstance(apply.op, Dot):
            continue
        a, b = apply.inputs
        if a in seq_of and b in ns_of and a.ndim in (1, 2) and b.ndim == 2:
            found.append((apply.outputs[0], dot(seq_of[a], ns_of[b])))
    if not found:
        return None
    extra = []
    replace = []
    for inner_out, outer_seq in found:
        p = outer_seq[0].type()
        if p.type != inner_out.type:
            continue
        p.name = inner_out.name
        replace.append((inner_out, p))
        extra.append((p, outer_seq))
    if not replace:
        return None
    outputs = clone_replace(op.outputs, replace, strict=False)
    return _rebuild(node, outputs, extra_seqs=extra)


@node_rewriter([Scan], tags=_CANON)
def scan_push_out_sequence_add(fgraph, node):
    """``x[t] + b`` in the step, ``b`` loop-invariant -> ``(x + b)[t]``.

    One addition over the whole sequence before the loop replaces one per
    step (an LSTM's bias joins its input projection this way).  Conditions:
    ``x`` is a sequence read only by this addition, the sum has ``x[t]``'s
    type, and the other terms are computed from non-sequences alone.
    """
    from symbolic.ops.scalar.basic import Add

    op = node.op
    inner_seqs, _, _, inner_ns = op.inner_groups()
    _, outer_seqs, _, _, outer_ns = op.outer_groups(node.inputs)
    seq_of = dict(zip(inner_seqs, outer_seqs))
    invariant, nodes = _invariants(op)
    clients = {}
    for apply in nodes:
        for var in apply.inputs:
            clients.setdefault(var, []).append(apply)

    def is_add(var):
        owner = var.owner
        return (
            owner is not None
            and isinstance(owner.op, Elemwise)
            and isinstance(owner.op.scalar_op, Add)
        )

    def leaves(var):
        # The terms of a tree of additions whose inner sums have no other use.
        found = []
        for term in var.owner.inputs:
            inner_sum = (
                is_add(term)
                and len(clients.get(term, ())) == 1
                and term not in op.outputs
                and term.type == var.type
            )
            found.extend(leaves(term) if inner_sum else [term])
        return found

    for apply in nodes:
        out = apply.outputs[0]
        if not is_add(out):
            continue
        terms_all = leaves(out)
        seqs = [v for v in terms_all if v in seq_of]
        terms = [v for v in terms_all if v in invariant]
        if len(seqs) != 1 or not terms or seqs[0].type != out.type:
            continue
        if len(clients[seqs[0]]) != 1 or seqs[0] in op.outputs:
            continue
        (seq,) = seqs
        others = [v for v in terms_all if v is not seq and v not in terms]
        outer_terms = clone_replace(terms, list(zip(inner_ns, outer_ns)), strict=False)
        total = seq_of[seq]
        for term in outer_terms:
            total = total + term.dimshuffle("x", *range(term.ndim))
        if total.type != seq_of[seq].type:
            continue
        placeholder = seq.type()
        placeholder.name = seq.name
        summed = placeholder
        for var in others:
            summed = summed + var
        if summed.type != out.type:
            continue
        outputs = clone_replace(op.outputs, [(out, summed)], strict=False)
        return _rebuild(node, outputs, extra_seqs=[(placeholder, total)])
    return None


@node_rewriter([Scan], tags=_CANON)
def scan_shape_only_sequences(fgraph, node):
    """A sequence the step reads only for its shape -> that shape, invariant.

    The gradient of a slice of ``z`` writes into ``zeros_like(z)``: the
    backward step of an LSTM reads the forward loop's pre-activations only
    through ``second(z[t], 0)``, for their shape.  Each such ``second(x[t],
    v)`` becomes ``second(zeros, v)``, ``zeros`` one ``alloc`` of
    ``x.shape[1:]`` (passed as non-sequences); the sequence then goes, and
    the forward loop need not keep ``z``: a buffer of the whole sequence.
    """
    from symbolic.ops.basic import alloc
    from symbolic.ops.math import second
    from symbolic.ops.scalar.basic import Second
    from symbolic.types.tensor import TensorType

    op = node.op
    inner_seqs, _, _, _ = op.inner_groups()
    _, outer_seqs, _, _, _ = op.outer_groups(node.inputs)
    clients = {}
    for apply in io_toposort(op.inputs, op.outputs):
        for position, var in enumerate(apply.inputs):
            clients.setdefault(var, []).append((apply, position))

    def shape_only(apply, position):
        return (
            position == 0
            and isinstance(apply.op, Elemwise)
            and isinstance(apply.op.scalar_op, Second)
        )

    replacements, extra_non_seqs = [], []
    for seq, outer in zip(inner_seqs, outer_seqs):
        uses = clients.get(seq)
        if not uses or seq in op.outputs or seq.ndim == 0:
            continue
        if not all(shape_only(apply, position) for apply, position in uses):
            continue
        dims = [
            TensorType("int64", ())(f"{seq.name or 'seq'}_dim{d}")
            for d in range(seq.ndim)
        ]
        zeros = alloc(numpy.asarray(0, dtype=seq.dtype), *dims)
        if zeros.type != seq.type:
            continue  # a broadcastable axis the dims cannot show
        kept = []
        for apply, _ in uses:
            out = apply.outputs[0]
            filled = second(zeros, apply.inputs[1])
            if filled.type != out.type:
                break
            kept.append((out, filled))
        else:
            replacements += kept
            extra_non_seqs += [(dim, outer.shape[d + 1]) for d, dim in enumerate(dims)]
    if not replacements:
        return None
    outputs = clone_replace(op.outputs, replacements, strict=False)
    return _rebuild(node, outputs, extra_non_seqs=extra_non_seqs)


@node_rewriter([Scan], tags=_CANON)
def scan_merge_identical(fgraph, node):
    """Two equal Scan ops on the same inputs -> one loop computing both."""
    for client in _same_input_scans(fgraph, node):
        if client.op == node.op:
            return dict(zip(client.outputs, node.outputs))
    return None


@node_rewriter([Scan], tags=(*_CANON, "fast_compile"))
def scan_merge_collected(fgraph, node):
    """A loop equal to another but for collected outputs -> the wider loop.

    ``scan(states, nits)`` and ``scan(states, nits + extra)`` on the same
    inputs -> the second alone (the gradient's forward loop collects extra
    intermediates this way).
    """
    for client in _same_input_scans(fgraph, node):
        for small, big in ((node, client), (client, node)):
            mapping = _collected_subset(small.op, big.op)
            if mapping is not None:
                return {small.outputs[i]: big.outputs[j] for i, j in mapping}
    return None


def _same_input_scans(fgraph, node):
    """Other Scan nodes of ``fgraph`` whose outer inputs are ``node``'s."""
    found = []
    for client, _ in fgraph.clients.get(node.inputs[0], []):
        if client == "output" or client is node:
            continue
        if (
            isinstance(client.op, Scan)
            and client.inputs == node.inputs
            and client in fgraph.apply_nodes
        ):
            found.append(client)
    return found


def _collected_subset(small, big):
    """Map ``small``'s outputs to ``big``'s when ``big`` only collects more.

    Returns ``[(small index, big index)]`` or None.
    """
    a, b = dict(small.info), dict(big.info)
    if small.n_nit_sot >= big.n_nit_sot:
        return None
    for info in (a, b):
        info.pop("n_nit_sot")
        info.pop("keep_last")
    if a != b or any(small.keep_last) or any(big.keep_last):
        return None
    n_states = small.n_states
    n_rest = len(small.outputs) - n_states - small.n_nit_sot
    pairs = [(k, k) for k in range(n_states)]
    pairs += [
        (len(small.outputs) - n_rest + i, len(big.outputs) - n_rest + i)
        for i in range(n_rest)
    ]
    if not equal_computations(
        [small.outputs[i] for i, _ in pairs],
        [big.outputs[j] for _, j in pairs],
        small.inputs,
        big.inputs,
    ):
        return None
    for i in range(n_states, n_states + small.n_nit_sot):
        match = next(
            (
                j
                for j in range(n_states, n_states + big.n_nit_sot)
                if equal_computations(
                    [small.outputs[i]], [big.outputs[j]], small.inputs, big.inputs
                )
            ),
            None,
        )
        if match is None:
            return None
        pairs.append((i, match))
    # Outer outputs follow the inner layout, less the condition.
    n_out = len(small.outputs) - int(small.as_while)
    shift = big.n_nit_sot - small.n_nit_sot
    return [
        (i, j if i < n_states + small.n_nit_sot else i + shift)
        for i, j in pairs
        if i < n_out
    ]


def _last_only_index(apply):
    """Whether ``apply`` is ``x[-1]`` (a Subtensor taking the last row)."""
    if apply == "output" or not isinstance(apply.op, Subtensor):
        return False
    entries = fill_entries(apply.op.idx_list, apply.inputs[1:])
    if len(entries) != 1 or isinstance(entries[0], slice):
        return False
    return _as_int(entries[0]) == -1


def _as_int(part):
    if isinstance(part, Variable):
        return constant_int(part)
    return part


def _tail_slice_start(apply):
    """The constant ``start`` of ``x[start:]``, else None."""
    if apply == "output" or not isinstance(apply.op, Subtensor):
        return None
    entries = fill_entries(apply.op.idx_list, apply.inputs[1:])
    if len(entries) != 1 or not isinstance(entries[0], slice):
        return None
    s = entries[0]
    if s.stop is not None or s.step is not None:
        return None
    start = _as_int(s.start) if s.start is not None else 0
    return start


def _last_row_uses(fgraph, var, skip):
    """The ``x[-1]`` nodes reading ``var`` (directly or through ``x[skip:]``).

    Returns None when some other use needs more than the last row.
    """
    uses = []
    for client, _ in fgraph.clients.get(var, []):
        if _last_only_index(client):
            uses.append(client)
            continue
        if _tail_slice_start(client) == skip and skip > 0:
            for inner, _ in fgraph.clients.get(client.outputs[0], []):
                if not _last_only_index(inner):
                    return None
                uses.append(inner)
            continue
        return None
    return uses


@node_rewriter([Scan], tags=_SPECIALIZE)
def scan_save_mem(fgraph, node):
    """A state or collected output used only as ``out[-1]`` keeps only its last rows.

    ``raw = scan(...); raw[L:][-1]`` -> ``scan_keep_last(...)[-1]``: the loop
    writes into a small circular buffer instead of one row per step.
    """
    op = node.op
    if op.as_while:
        return None
    keep = list(op.keep_last)
    changed = {}
    for k in range(op.n_states + op.n_nit_sot):
        if keep[k]:
            continue
        skip = op.state_length(k) if k < op.n_states else 0
        uses = _last_row_uses(fgraph, node.outputs[k], skip)
        if uses:
            keep[k] = True
            changed[k] = uses
    if not changed:
        return None
    new_outs = _rebuild(node, op.outputs, keep_last=keep)
    result = {}
    for k, new in enumerate(new_outs):
        if k in changed:
            for use in changed[k]:
                result[use.outputs[0]] = new[-1]
        else:
            result[node.outputs[k]] = new
    return result


def _unused(fgraph, var):
    return not fgraph.clients.get(var)


@node_rewriter([Scan], tags=_CANON)
def scan_remove_unused_outputs(fgraph, node):
    """Collected outputs nobody reads, and states only they read -> dropped.

    A nit-sot whose outer output has no client is removed with the inner
    work feeding it only; a mit-sot or sit-sot goes too when its outer
    output is unused and its past values feed no kept inner output but its
    own.  Shared-variable outputs stay.
    """
    op = node.op
    for other in _same_input_scans(fgraph, node):
        if _collected_subset(op, other.op) or _collected_subset(other.op, op):
            return None  # merge first, or the wider loop loses its extra rows
    n_states, n_nit = op.n_states, op.n_nit_sot
    drop_nits = {j for j in range(n_nit) if _unused(fgraph, node.outputs[n_states + j])}
    deps = _inner_dependencies(op)
    _, inner_states, _, _ = op.inner_groups()
    drop_states = set()

    def dropped(j):
        if j < n_states:
            return j in drop_states
        return j - n_states in drop_nits

    changed = True
    while changed:
        changed = False
        for k in range(n_states):
            if k in drop_states or not _unused(fgraph, node.outputs[k]):
                continue
            readers = set()
            for v in inner_states[k]:
                readers |= deps[v]
            if {j for j in readers if not dropped(j)} <= {k}:
                drop_states.add(k)
                changed = True
    if not drop_nits and not drop_states:
        return None
    if len(drop_states) == n_states and len(drop_nits) == n_nit:
        if not op.n_shared_outs:
            return None
    old, _ = rebuild_scan(node, drop_states=drop_states, drop_nits=drop_nits)
    return {o: n for o, n in zip(node.outputs, old) if n is not None}


@node_rewriter([Scan], tags=_CANON)
def scan_push_out_add(fgraph, node):
    """A sum over steps used only at the end -> one sum after the loop.

    ``acc_t = acc_{t-1} + dot(a_t, b_t) + g_t`` with only ``acc[-1]`` used ->
    the loop collects ``a_t`` (or the matrix it transposes), ``b_t`` and
    ``g_t`` (vectors and scalars only) as outputs, and after the loop
    ``acc[-1] = acc_0 + dot(A, B) + sum(G)`` over the stacked
    ``(steps * rows, columns)`` operands.  Operands that are sequences are
    read from the outer sequence directly.  Terms of other forms stay in
    the loop.  Sit-sot accumulators of a ``for`` loop only.
    """
    from symbolic.ops import cast
    from symbolic.scan.pushout import (
        accumulator_terms,
        classify_term,
        inner_clients,
        is_transpose,
        outer_dot_sum,
        outer_sum,
    )

    op = node.op
    if op.as_while:
        return None
    inner_seqs, inner_states, _, _ = op.inner_groups()
    n_steps, outer_seqs, inits, _, _ = op.outer_groups(node.inputs)
    per_step = set(inner_seqs)
    for taps in inner_states:
        per_step.update(taps)
    clients = inner_clients(op)
    plans = {}
    for k in range(op.n_mit_sot, op.n_states):
        acc = inner_states[k][0]
        terms = accumulator_terms(op, acc, op.outputs[k], clients)
        if not terms:
            continue
        uses = _last_row_uses(fgraph, node.outputs[k], 1)
        if not uses:
            continue
        pushed, kept = [], []
        for term in terms:
            kind = classify_term(term, acc, per_step)
            (pushed if kind else kept).append(kind or term)
        if pushed:
            plans[k] = (pushed, kept, uses)
    if not plans:
        return None

    seq_of = dict(zip(inner_seqs, outer_seqs))
    new_nits = []

    def stacked(var):
        if var in seq_of:
            return lambda: seq_of[var][:n_steps]
        if var not in new_nits:
            new_nits.append(var)
        return new_nits.index(var)

    outputs = list(op.outputs)
    drop_states = set()
    recipes = {}
    for k, (pushed, kept, _) in plans.items():
        acc = inner_states[k][0]
        if kept:
            outputs[k] = _sum_like(acc, kept)
        else:
            drop_states.add(k)
        parts = []
        for kind in pushed:
            if kind[0] == "dot":
                _, a, b = kind
                left = a.owner.inputs[0] if is_transpose(a) else a
                parts.append(("dot", stacked(left), a, stacked(b)))
            else:
                parts.append(("sum", stacked(kind[1])))
        recipes[k] = parts
    old, added = rebuild_scan(node, outputs, drop_states=drop_states, new_nits=new_nits)

    def outer(ref):
        return ref() if callable(ref) else added[ref]

    result = {o: n for o, n in zip(node.outputs, old) if n is not None}
    for k, parts in recipes.items():
        init = inits[k]
        total = init if k in drop_states else old[k][-1]
        for part in parts:
            if part[0] == "dot":
                value = outer_dot_sum(outer(part[1]), part[2], outer(part[3]), init)
            else:
                value = outer_sum(outer(part[1]), init)
            total = total + value
        if total.dtype != init.dtype:
            total = cast(total, init.dtype)
        for use in plans[k][2]:
            result[use.outputs[0]] = total
    return result


def _sum_like(acc, kept):
    total = acc
    for term in kept:
        total = total + term
    return total


@node_rewriter([Scan], tags=_CANON)
def scan_collected_sequence(fgraph, node):
    """A collected output that is a sequence's slice -> that sequence.

    ``scan(step returning x[t])`` collects ``x[:n_steps]`` row by row; the
    outer output becomes ``x[:n_steps]`` and the loop stops copying it.
    """
    op = node.op
    if op.as_while:
        return None
    inner_seqs, _, _, _ = op.inner_groups()
    n_steps, outer_seqs, _, _, _ = op.outer_groups(node.inputs)
    seq_of = dict(zip(inner_seqs, outer_seqs))
    found = {}
    for j in range(op.n_nit_sot):
        inner = op.outputs[op.n_states + j]
        if inner in seq_of and not op.keep_last[op.n_states + j]:
            found[j] = seq_of[inner][:n_steps]
    if not found:
        return None
    old, _ = rebuild_scan(node, drop_nits=set(found))
    result = {o: n for o, n in zip(node.outputs, old) if n is not None}
    for j, value in found.items():
        result[node.outputs[op.n_states + j]] = value
    return result


def _through_identity_dimshuffles(var):
    """The variable under a chain of DimShuffles that together change nothing.

    A gradient graph wraps values in pairs such as ``DimShuffle{1}`` of
    ``DimShuffle{x,0}``; their composition keeps every dim in place.
    """
    base, chain = var, []
    while base.owner is not None and isinstance(base.owner.op, DimShuffle):
        chain.append(base.owner.op)
        base = base.owner.inputs[0]
    dims = list(range(base.ndim))
    for ds in reversed(chain):
        dims = ["x" if k == "x" else dims[k] for k in ds.new_order]
    return base if dims == list(range(base.ndim)) else var


@node_rewriter([Scan], tags=_CANON)
def scan_sum_of_collected(fgraph, node):
    """A collected ``sum(v, axis)`` of a collected ``v`` -> summed after the loop.

    ``scan(step returning v, v.sum(axis=a))`` collects both; the sums are
    ``V.sum(axis=a + 1)`` of the collected ``V``: one reduction over all
    steps in place of one small one per step (an LSTM's bias gradient).
    """
    from symbolic.ops.math import Sum

    op = node.op
    if op.as_while:
        return None
    first = op.n_states
    collected = {
        op.outputs[first + j]: node.outputs[first + j]
        for j in range(op.n_nit_sot)
        if not op.keep_last[first + j]
    }
    found = {}
    for j in range(op.n_nit_sot):
        inner = op.outputs[first + j]
        owner = _through_identity_dimshuffles(inner).owner
        if op.keep_last[first + j] or owner is None or not isinstance(owner.op, Sum):
            continue
        (v,) = owner.inputs
        if v not in collected or v is inner:
            continue
        axes = owner.op.axis
        axes = range(v.ndim) if axes is None else axes
        props = owner.op._props_dict()
        props["axis"] = tuple(a + 1 for a in axes)
        total = type(owner.op)(**props)(collected[v])
        found[j] = fit(total, node.outputs[first + j])
    if not found:
        return None
    old, _ = rebuild_scan(node, drop_nits=set(found))
    result = {o: n for o, n in zip(node.outputs, old) if n is not None}
    for j, value in found.items():
        result[node.outputs[first + j]] = value
    return result


def _through_copies(var):
    """``var`` without identity copies (Blocks names variables with them) or
    DimShuffles that together change nothing."""
    from symbolic.ops.scalar.basic import Identity

    while True:
        owner = var.owner
        if (
            owner is not None
            and isinstance(owner.op, Elemwise)
            and isinstance(owner.op.scalar_op, Identity)
            and owner.inputs[0].type == var.type
        ):
            var = owner.inputs[0]
            continue
        base = _through_identity_dimshuffles(var)
        if base is var:
            return var
        var = base


@node_rewriter([Scan], tags=_CANON)
def scan_collected_copies(fgraph, node):
    """Collected outputs that copy a sequence or another collected output -> reused.

    ``scan(step returning x_t)`` for a sequence ``x`` collects ``x[:n]`` a
    second time, and two collected outputs computed alike (same ops on the
    same inputs) hold the same steps: the loop keeps one, the others become
    the outer sequence's first ``n`` steps or the kept output.  (A gradient
    loop summing ``dot(h_t.T, dz_t)`` after it collects both ``h``, a
    sequence, and ``dz``, which it already returns.)  Copies through
    identities and no-op DimShuffles count.
    """
    op = node.op
    if op.as_while:
        return None
    inner_seqs, _, _, _ = op.inner_groups()
    n_steps, outer_seqs, _, _, _ = op.outer_groups(node.inputs)
    seq_of = dict(zip(inner_seqs, outer_seqs))
    first = op.n_states
    kept = {}
    from_seq, duplicate = {}, {}
    for j in range(op.n_nit_sot):
        if op.keep_last[first + j]:
            continue
        inner = op.outputs[first + j]
        base = _through_copies(inner)
        if base.type != inner.type:
            continue
        same = [k for b, k in kept.items() if equal_computations([base], [b])]
        if base in seq_of:
            from_seq[j] = seq_of[base]
        elif same:
            duplicate[j] = same[0]
        else:
            kept[base] = j
    if not from_seq and not duplicate:
        return None
    drop = set(from_seq) | set(duplicate)
    old, _ = rebuild_scan(node, drop_nits=drop)
    result = {o: n for o, n in zip(node.outputs, old) if n is not None}
    for j, outer_seq in from_seq.items():
        out = node.outputs[first + j]
        result[out] = fit(outer_seq[:n_steps], out)
    for j, k in duplicate.items():
        result[node.outputs[first + j]] = old[first + k]
    return result


register_rules_module(sys.modules[__name__])

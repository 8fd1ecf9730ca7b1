"""Scan rules: hoist loop-invariant and per-sequence work, merge, save memory."""

from symbolic.graph.basic import Constant, Variable
from symbolic.graph.replace import clone_replace
from symbolic.graph.traversal import ancestors, io_toposort
from symbolic.ops.dot import Dot, dot
from symbolic.ops.subtensor import Subtensor
from symbolic.ops.subtensor_utils import constant_int, fill_entries
from symbolic.rewriting.core import node_rewriter
from symbolic.scan_module.scan_op import Scan

_CANON = ("canonicalize", "scan")
_SPECIALIZE = ("specialize", "scan")


def _rebuild(node, outputs, extra_seqs=(), extra_non_seqs=(), keep_last=None):
    """Apply a new Scan with ``outputs`` as inner outputs to ``node``'s inputs.

    ``extra_seqs`` / ``extra_non_seqs`` are ``(inner, outer)`` pairs to add;
    sequences and non-sequences the new inner graph no longer uses are
    dropped.  Returns the new node's outputs.
    """
    op = node.op
    inner_seqs, inner_states, inner_shared, inner_ns = op.inner_groups()
    n_steps, seqs, inits, shared, non_seqs = op.outer_groups(node.inputs)
    used = set(ancestors(outputs))
    seq_pairs = [
        p for p in list(zip(inner_seqs, seqs)) + list(extra_seqs) if p[0] in used
    ]
    ns_pairs = [
        p for p in list(zip(inner_ns, non_seqs)) + list(extra_non_seqs) if p[0] in used
    ]
    info = dict(op.info)
    info["n_seqs"] = len(seq_pairs)
    info["n_non_seqs"] = len(ns_pairs)
    if keep_last is not None:
        info["keep_last"] = tuple(keep_last)
    inner_inputs = [p[0] for p in seq_pairs]
    for taps in inner_states:
        inner_inputs += list(taps)
    inner_inputs += list(inner_shared) + [p[0] for p in ns_pairs]
    new_op = Scan(inner_inputs, list(outputs), info)
    outer = [n_steps, *(p[1] for p in seq_pairs), *inits, *shared]
    outer += [p[1] for p in ns_pairs]
    return new_op(*outer, return_list=True)


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


@node_rewriter([Scan], tags=_CANON)
def scan_push_out_invariants(fgraph, node):
    """Step work on non-sequences only -> computed once before the loop.

    ``scan(step using f(W))`` -> ``scan(step using W_f)`` with ``W_f = f(W)``
    a new non-sequence.  Applies to nodes whose inputs are non-sequences,
    constants or other such nodes' outputs, without side effects.
    """
    op = node.op
    invariant, nodes = _invariants(op)
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
def scan_merge_identical(fgraph, node):
    """Two equal Scan ops on the same inputs -> one loop computing both."""
    for client, _ in fgraph.clients.get(node.inputs[0], []):
        if client == "output" or client is node:
            continue
        if (
            isinstance(client.op, Scan)
            and client.inputs == node.inputs
            and client.op == node.op
            and client in fgraph.apply_nodes
        ):
            return dict(zip(client.outputs, node.outputs))
    return None


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

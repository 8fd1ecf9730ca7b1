"""Rebuilding a Scan node with a changed layout, for the scan rewrites.

A rewrite describes the new loop by the inner outputs it keeps (in the old
layout), the states and collected outputs it drops, the collected outputs
it adds, and the sequences / non-sequences it adds; inputs the new inner
graph no longer reads are dropped.
"""

from symbolic.graph.traversal import ancestors
from symbolic.scan.op import Scan


def rebuild_scan(
    node,
    outputs=None,
    extra_seqs=(),
    extra_non_seqs=(),
    keep_last=None,
    drop_states=(),
    drop_nits=(),
    new_nits=(),
):
    """Apply a new Scan derived from ``node``'s op to ``node``'s inputs.

    Parameters
    ----------
    node : Apply
        A Scan node.
    outputs : list of Variable, optional
        New inner outputs in the old layout (default: the op's own).
    extra_seqs, extra_non_seqs : sequence of (inner, outer) pairs
        Inputs to add.
    keep_last : sequence of bool, optional
        Per mit-sot, sit-sot and nit-sot of the old layout.
    drop_states, drop_nits : collection of int
        Indices (among the states, among the nit-sots) to remove; no kept
        inner output may read a dropped state.
    new_nits : list of Variable
        Inner outputs to collect every step, after the kept nit-sots.

    Returns
    -------
    old : list
        For each output of ``node``, its counterpart (None when dropped).
    added : list of Variable
        The outer outputs of ``new_nits``.
    """
    op = node.op
    inner_seqs, inner_states, inner_shared, inner_ns = op.inner_groups()
    n_steps, seqs, inits, shared, non_seqs = op.outer_groups(node.inputs)
    outputs = list(op.outputs if outputs is None else outputs)
    keep = list(op.keep_last if keep_last is None else keep_last)
    n_states, n_nit = op.n_states, op.n_nit_sot
    states = [k for k in range(n_states) if k not in drop_states]
    nits = [j for j in range(n_nit) if j not in drop_nits]
    mit = [k for k in states if k < op.n_mit_sot]
    sit = [k for k in states if k >= op.n_mit_sot]
    inner_outs = [outputs[k] for k in states]
    inner_outs += [outputs[n_states + j] for j in nits] + list(new_nits)
    inner_outs += outputs[n_states + n_nit :]
    used = set(ancestors(inner_outs))
    for k in drop_states:
        if any(v in used for v in inner_states[k]):
            raise ValueError(f"{op}: state {k} is still read by the step")
    seq_pairs = [
        p for p in list(zip(inner_seqs, seqs)) + list(extra_seqs) if p[0] in used
    ]
    ns_pairs = [
        p for p in list(zip(inner_ns, non_seqs)) + list(extra_non_seqs) if p[0] in used
    ]
    info = dict(op.info)
    info.update(
        n_seqs=len(seq_pairs),
        n_non_seqs=len(ns_pairs),
        n_mit_sot=len(mit),
        mit_sot_taps=tuple(op.mit_sot_taps[k] for k in mit),
        n_sit_sot=len(sit),
        n_nit_sot=len(nits) + len(new_nits),
        keep_last=tuple(
            [keep[k] for k in states]
            + [keep[n_states + j] for j in nits]
            + [False] * len(new_nits)
        ),
    )
    inner_inputs = [p[0] for p in seq_pairs]
    for k in states:
        inner_inputs += list(inner_states[k])
    inner_inputs += list(inner_shared) + [p[0] for p in ns_pairs]
    new_op = Scan(inner_inputs, inner_outs, info)
    outer = [n_steps, *(p[1] for p in seq_pairs), *(inits[k] for k in states)]
    outer += [*shared, *(p[1] for p in ns_pairs)]
    new = new_op(*outer, return_list=True)
    old = [None] * len(node.outputs)
    pos = 0
    for k in states:
        old[k] = new[pos]
        pos += 1
    for j in nits:
        old[n_states + j] = new[pos]
        pos += 1
    added = new[pos : pos + len(new_nits)]
    pos += len(new_nits)
    for i in range(op.n_shared_outs):
        old[n_states + n_nit + i] = new[pos + i]
    return old, added

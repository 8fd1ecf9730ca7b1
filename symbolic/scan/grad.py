"""Gradient of a Scan: backpropagation through time as a backward scan.

The backward loop visits the forward steps from the last to the first
(only the last ``truncate_gradient`` of them when that is set).  Each step
recomputes the forward step's inner graph from its inputs, which the forward
loop stored (sequence slices and the state buffers), and backpropagates into
it with ``known_grads``:

* the gradient reaching a state's value at step ``t`` is the outer gradient
  of that buffer row plus what later steps sent back through their taps; a
  carry of the last ``L`` positions' pending gradients travels with the loop;
* gradients of sequence slices come out one per step;
* gradients of non-sequences are summed in accumulators.

The step's per-step matrix products (widened to the sums they feed, e.g.
an LSTM's gate pre-activations) are not recomputed: the forward loop also
collects them and the backward step reads them as sequences.  The rewrites
then fold the loss's forward loop into that one and move the accumulated
weight gradients out of the loop as single products (scan/rewriting.py).
"""

from symbolic.gradient.grad import grad
from symbolic.graph.replace import clone_replace
from symbolic.graph.traversal import io_toposort
from symbolic.types import dtypes as dt
from symbolic.types.null import DisconnectedType, is_disconnected, is_undefined


def _ops():
    import symbolic.ops

    return symbolic.ops


def _disconnected():
    return DisconnectedType()()


def _as_type(value, like_type):
    """Cast ``value`` to ``like_type``'s dtype and broadcast pattern."""
    ops = _ops()
    if value.type == like_type:
        return value
    if value.dtype != like_type.dtype:
        value = ops.cast(value, like_type.dtype)
    if value.broadcastable != like_type.broadcastable:
        value = ops.patternbroadcast(value, like_type.broadcastable)
    return value


def _usable(g):
    return g is not None and not is_disconnected(g) and not is_undefined(g)


def scan_L_op(op, inputs, outputs, output_grads):
    """Return the gradients of a Scan node's outer inputs."""
    from symbolic.scan.basic import scan

    ops = _ops()
    if op.as_while:
        raise NotImplementedError(
            f"{op}: gradients through a scan that stops with `until` are not supported"
        )
    if any(op.keep_last):
        raise NotImplementedError(
            f"{op}: gradients of a scan keeping only its last step; differentiate "
            "before compiling"
        )
    n_steps, seqs, inits, shared, non_seqs = op.outer_groups(inputs)
    n_states, n_nit = op.n_states, op.n_nit_sot
    state_grads = [g if _usable(g) else None for g in output_grads[:n_states]]
    nit_grads = [
        g if _usable(g) and dt.is_float(out.dtype) else None
        for g, out in zip(
            output_grads[n_states : n_states + n_nit],
            outputs[n_states : n_states + n_nit],
        )
    ]
    result = [_disconnected() for _ in inputs]
    if all(g is None for g in state_grads + nit_grads):
        return result

    inner_seqs, inner_states, inner_shared, inner_non_seqs = op.inner_groups()
    float_states = [k for k in range(n_states) if dt.is_float(outputs[k].dtype)]
    diff_non_seqs = [i for i, v in enumerate(non_seqs) if dt.is_float(v.dtype)]
    diff_seqs = [i for i, v in enumerate(seqs) if dt.is_float(v.dtype)]

    saved, saved_outer, outputs = _save_intermediates(op, inputs, outputs)

    n = n_steps
    truncate = op.truncate_gradient
    k_steps = n if truncate == -1 else ops.minimum(n, truncate)

    # Sequences of the backward loop (each cut to the forward steps, read
    # from the end by go_backwards).
    bw_seqs = [s[:n] for s in seqs]
    for k in range(n_states):
        length = op.state_length(k)
        raw = outputs[k]
        for tap in op.state_taps(k):
            bw_seqs.append(raw[length + tap : length + tap + n])
    n_saved = len(saved)
    bw_seqs += [v[:n] for v in saved_outer]
    grad_seq_pos = []
    for k, g in enumerate(state_grads):
        if g is not None:
            length = op.state_length(k)
            grad_seq_pos.append(("state", k))
            bw_seqs.append(g[length : length + n])
    for j, g in enumerate(nit_grads):
        if g is not None:
            grad_seq_pos.append(("nit", j))
            bw_seqs.append(g[:n])

    carry_inits = []
    for k in float_states:
        length = op.state_length(k)
        init = inits[k]
        if k < op.n_mit_sot:
            carry_inits.append(ops.zeros_like(init[:length]))
        else:
            carry_inits.append(ops.zeros_like(init))
    acc_inits = [ops.zeros_like(non_seqs[i]) for i in diff_non_seqs]
    n_seq_in = len(bw_seqs)
    n_carry = len(carry_inits)
    n_acc = len(acc_inits)

    def step(*args):
        seq_args = args[:n_seq_in]
        carries = args[n_seq_in : n_seq_in + n_carry]
        accs = args[n_seq_in + n_carry : n_seq_in + n_carry + n_acc]
        ns_args = args[n_seq_in + n_carry + n_acc :]
        pos = len(seqs)
        replace = dict(zip(inner_seqs, seq_args[:pos]))
        tap_vars = []
        for k in range(n_states):
            taps_k = list(seq_args[pos : pos + len(inner_states[k])])
            pos += len(inner_states[k])
            replace.update(zip(inner_states[k], taps_k))
            tap_vars.append(taps_k)
        saved_slices = seq_args[pos : pos + n_saved]
        pos += n_saved
        grad_slices = dict(zip(grad_seq_pos, seq_args[pos:]))
        replace.update(zip(inner_shared, shared))
        replace.update(zip(inner_non_seqs, ns_args))
        fwd = clone_replace(
            op.outputs[: n_states + n_nit] + saved,
            list(replace.items()),
            strict=False,
        )
        saved_clones = fwd[n_states + n_nit :]
        fwd = fwd[: n_states + n_nit]
        # Seed identity copies: a known gradient stops at its variable, and an
        # output may also feed other outputs (or be another output).
        fwd = [ops.tensor_copy(v) for v in fwd]
        known = {}
        carry_of = dict(zip(float_states, carries))
        for k in float_states:
            total = grad_slices.get(("state", k))
            carry = carry_of[k]
            pending = carry if k >= op.n_mit_sot else carry[-1]
            total = pending if total is None else total + pending
            known[fwd[k]] = _as_type(total, fwd[k].type)
        for j in range(n_nit):
            g = grad_slices.get(("nit", j))
            if g is not None:
                known[fwd[n_states + j]] = _as_type(g, fwd[n_states + j].type)
        wrt_seqs = [seq_args[i] for i in diff_seqs]
        wrt_taps = [v for k in float_states for v in tap_vars[k]]
        wrt_ns = [ns_args[i] for i in diff_non_seqs]
        wrt = wrt_seqs + wrt_taps + wrt_ns
        grads = grad(
            None,
            wrt,
            known_grads=known,
            disconnected_inputs="ignore",
            return_disconnected="zero",
        )
        if saved:
            # Read the values the forward loop collected instead of
            # recomputing them; the derivative structure stays the step's.
            # The step's arguments stay themselves: a clone of an outer
            # non-sequence would no longer stop scan's free-variable search,
            # and its whole outer graph would be recomputed on every step.
            keep = [(v, v) for v in args]
            grads = clone_replace(
                grads, list(zip(saved_clones, saved_slices)) + keep, strict=False
            )
        g_seqs = grads[: len(wrt_seqs)]
        g_taps = grads[len(wrt_seqs) : len(wrt_seqs) + len(wrt_taps)]
        g_ns = grads[len(wrt_seqs) + len(wrt_taps) :]
        new_carries = []
        pos = 0
        for k, carry in zip(float_states, carries):
            taps = op.state_taps(k)
            contrib = dict(zip(taps, g_taps[pos : pos + len(taps)]))
            pos += len(taps)
            if k >= op.n_mit_sot:
                new_carries.append(_as_type(contrib[-1], carry.type))
                continue
            length = op.state_length(k)
            rows = []
            for j in range(length):
                row = contrib.get(j - length)
                if j >= 1:
                    row = carry[j - 1] if row is None else row + carry[j - 1]
                if row is None:
                    row = ops.zeros_like(carry[0])
                rows.append(_as_type(row, carry[0].type))
            new_carries.append(ops.stack(rows))
        new_accs = [_as_type(acc + g, acc.type) for acc, g in zip(accs, g_ns)]
        return (
            new_carries
            + new_accs
            + [_as_type(g, v.type) for g, v in zip(g_seqs, wrt_seqs)]
        )

    bw_outs, _ = scan(
        step,
        sequences=bw_seqs,
        outputs_info=carry_inits + acc_inits + [None] * len(diff_seqs),
        non_sequences=list(non_seqs),
        n_steps=k_steps,
        go_backwards=True,
        mode=op.mode,
        name=f"grad_of_{op.name or 'scan_fn'}",
        return_list=True,
    )

    def last(out):
        # `out` is raw[1:] of a sit-sot; its buffer's last row exists even
        # when no step ran (it is then the initial value).
        raw = out.owner.inputs[0] if out.owner is not None else out
        return raw[-1]

    offset = 1 + len(seqs)
    for c, k in enumerate(float_states):
        carry = last(bw_outs[c])
        if truncate != -1:
            carry = ops.switch(ops.ge(truncate, n), carry, ops.zeros_like(carry))
        length = op.state_length(k)
        direct = state_grads[k]
        if k < op.n_mit_sot:
            head = carry if direct is None else carry + direct[:length]
            g = ops.inc_subtensor(ops.zeros_like(inits[k])[:length], head)
        else:
            g = carry if direct is None else carry + direct[0]
        result[offset + k] = _as_type(g, inits[k].type)
    base = 1 + len(seqs) + n_states + len(shared)
    for a, i in enumerate(diff_non_seqs):
        result[base + i] = last(bw_outs[n_carry + a])
    for b, i in enumerate(diff_seqs):
        per_step = bw_outs[n_carry + n_acc + b][::-1]
        zeros = ops.zeros_like(seqs[i])
        result[1 + i] = ops.inc_subtensor(zeros[n - k_steps : n], per_step)
    return result


def _is_activation(apply):
    """Whether ``apply`` is an elementwise sigmoid, tanh or exp of a float."""
    from symbolic.ops.elemwise import Elemwise

    if not isinstance(apply.op, Elemwise) or not apply.outputs[0].dtype.startswith(
        "float"
    ):
        return False
    return getattr(apply.op.scalar_op, "primitive", None) in ("sigmoid", "tanh", "exp")


def _save_intermediates(op, inputs, outputs):
    """Have the forward loop also collect what the backward step would recompute.

    The saved variables are per-step matrix products of the step, each
    widened to the largest sum of same-typed terms it is the sole input of
    (an LSTM's gate pre-activations): the backward step reads them as
    sequences instead of redoing the products.  Returns the inner variables,
    their collected outer values and the outer outputs to use for the other
    forward values: those of a copy of the forward node that also collects
    them (the scan merge rewrite folds the original into it).
    """
    from symbolic.ops.dot import Dot
    from symbolic.scan.op import Scan
    from symbolic.scan.pushout import inner_clients, is_add

    n_kept = op.n_states + op.n_nit_sot
    inner_seqs, inner_states, _, _ = op.inner_groups()
    per_step = set(inner_seqs)
    for taps in inner_states:
        per_step.update(taps)
    clients = inner_clients(op)
    nodes = io_toposort(op.inputs, op.outputs)
    varying = set(per_step)
    saved = []
    for apply in nodes:
        if any(v in varying for v in apply.inputs):
            varying.update(apply.outputs)
        if not isinstance(apply.op, Dot) or apply.outputs[0] not in varying:
            continue
        var = apply.outputs[0]
        while True:
            users = clients.get(var, [])
            if len(users) != 1 or var in op.outputs:
                break
            (user,) = users
            if not is_add(user.outputs[0]) or user.outputs[0].type != var.type:
                break
            var = user.outputs[0]
        if var not in op.outputs and var not in saved and var.ndim >= 1:
            saved.append(var)
    for apply in nodes:
        # Transcendental activations too: their derivatives are written in
        # their outputs (sigmoid' = y (1 - y), tanh' = 1 - y^2), so the
        # backward step reads them and computes no exp or tanh at all.
        var = apply.outputs[0]
        if (
            len(apply.outputs) == 1
            and var in varying
            and var.ndim >= 1
            and var not in op.outputs
            and var not in saved
            and _is_activation(apply)
        ):
            saved.append(var)
    if not saved:
        return [], [], outputs
    info = dict(op.info)
    info["n_nit_sot"] = op.n_nit_sot + len(saved)
    info["keep_last"] = tuple(op.keep_last) + (False,) * len(saved)
    new_op = Scan(
        op.inputs,
        op.outputs[:n_kept] + saved + op.outputs[n_kept:],
        info,
    )
    new = new_op(*inputs, return_list=True)
    saved_outer = new[n_kept : n_kept + len(saved)]
    return saved, saved_outer, new[:n_kept] + new[n_kept + len(saved) :]


def scan_R_op(op, inputs, eval_points):
    """Forward-mode derivative of a Scan node: a loop over the tangent equations.

    The tangent loop reads the forward loop's inputs and stored states as
    sequences and carries one tangent per floating-point state (with the
    state's taps); its step is the ``Rop`` of the forward step.  Loops that
    stop with ``until``, keep only their last step or update shared
    variables are not supported.
    """
    from symbolic.gradient.grad import Rop
    from symbolic.scan.basic import scan

    ops = _ops()
    if op.as_while or any(op.keep_last) or op.n_shared_outs:
        raise NotImplementedError(
            f"{op}: R_op through a scan with `until`, a last-step-only buffer or "
            "shared-variable updates is not supported"
        )
    outputs = op(*inputs, return_list=True)
    n, seqs, inits, _, non_seqs = op.outer_groups(inputs)
    _, e_seqs, e_inits, _, e_ns = op.outer_groups(eval_points)
    inner_seqs, inner_states, _, inner_ns = op.inner_groups()
    n_states, n_nit = op.n_states, op.n_nit_sot
    float_states = [k for k in range(n_states) if dt.is_float(outputs[k].dtype)]
    float_nits = [j for j in range(n_nit) if dt.is_float(outputs[n_states + j].dtype)]
    seq_t = [i for i, e in enumerate(e_seqs) if e is not None]
    ns_t = [i for i, e in enumerate(e_ns) if e is not None]

    t_seqs = [s[:n] for s in seqs]
    for k in range(n_states):
        length = op.state_length(k)
        for tap in op.state_taps(k):
            t_seqs.append(outputs[k][length + tap : length + tap + n])
    t_seqs += [e_seqs[i][:n] for i in seq_t]
    outputs_info = []
    for k in float_states:
        init, e = inits[k], e_inits[k]
        value = ops.zeros_like(init) if e is None else _as_type(e, init.type)
        if k < op.n_mit_sot:
            outputs_info.append({"initial": value, "taps": list(op.state_taps(k))})
        else:
            outputs_info.append(value)
    outputs_info += [None] * len(float_nits)

    def step(*args):
        pos = len(seqs)
        replace = dict(zip(inner_seqs, args[:pos]))
        tap_values = {}
        for k in range(n_states):
            m = len(inner_states[k])
            tap_values[k] = list(args[pos : pos + m])
            replace.update(zip(inner_states[k], tap_values[k]))
            pos += m
        evs = list(args[pos : pos + len(seq_t)])
        pos += len(seq_t)
        wrt = [args[i] for i in seq_t]
        for k in float_states:
            m = len(inner_states[k])
            wrt += tap_values[k]
            evs += list(args[pos : pos + m])
            pos += m
        ns_values = args[pos : pos + len(non_seqs)]
        pos += len(non_seqs)
        wrt += [ns_values[i] for i in ns_t]
        evs += list(args[pos : pos + len(ns_t)])
        replace.update(zip(inner_ns, ns_values))
        fwd = clone_replace(
            op.outputs[: n_states + n_nit], list(replace.items()), strict=False
        )
        wanted = [fwd[k] for k in float_states]
        wanted += [fwd[n_states + j] for j in float_nits]
        if not wrt:
            return [ops.zeros_like(v) for v in wanted]
        tangents = Rop(
            wanted,
            wrt,
            evs,
            disconnected_outputs="ignore",
            return_disconnected="zero",
        )
        return [_as_type(t, v.type) for t, v in zip(tangents, wanted)]

    t_outs, _ = scan(
        step,
        sequences=t_seqs,
        outputs_info=outputs_info,
        non_sequences=list(non_seqs) + [e_ns[i] for i in ns_t],
        n_steps=n,
        mode=op.mode,
        name=f"rop_of_{op.name or 'scan_fn'}",
        return_list=True,
    )
    result = [None] * len(outputs)
    for c, k in enumerate(float_states):
        out = t_outs[c]
        # The builder returns raw[L:]; the forward output is the raw buffer.
        result[k] = out.owner.inputs[0] if out.owner is not None else out
    for c, j in enumerate(float_nits):
        result[n_states + j] = t_outs[len(float_states) + c]
    return result

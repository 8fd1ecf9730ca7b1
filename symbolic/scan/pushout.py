"""Sums over steps taken out of the loop (the "push out add" rewrite's parts).

An accumulator ``acc_t = acc_{t-1} + g_t`` whose only use is its final value
equals ``acc_0 + sum_t g_t``.  When ``g_t`` is a product ``dot(a_t, b_t)`` of
per-step matrices, the sum is one product of the stacked operands, reshaped
to ``(steps * rows, columns)``: one large matrix product after the loop in
place of one small product per step.
"""

from symbolic.graph.traversal import ancestors, io_toposort
from symbolic.ops.dot import Dot, dot
from symbolic.ops.elemwise import DimShuffle, Elemwise
from symbolic.ops.scalar.basic import Add


def is_add(var):
    """Whether ``var`` is the output of an elementwise addition."""
    node = var.owner
    return (
        node is not None
        and isinstance(node.op, Elemwise)
        and isinstance(node.op.scalar_op, Add)
    )


def is_transpose(var):
    """Whether ``var`` is ``m.T`` for a matrix ``m``."""
    node = var.owner
    return (
        node is not None
        and isinstance(node.op, DimShuffle)
        and tuple(node.op.new_order) == (1, 0)
    )


def accumulator_terms(op, acc, out, inner_clients):
    """The addends of ``out = acc + ...``, or None when ``out`` is no such sum.

    The sum may be a tree of additions whose inner nodes are used nowhere
    else; ``acc`` must be read only by that tree, exactly once.
    """
    if not is_add(out) or out.type != acc.type or acc in op.outputs:
        return None
    leaves, tree = [], set()
    pending = [out]
    while pending:
        var = pending.pop()
        inner_sum = var is out or (
            is_add(var)
            and len(inner_clients.get(var, [])) == 1
            and var not in op.outputs
            and var.type == out.type
        )
        if inner_sum:
            tree.add(var.owner)
            pending.extend(var.owner.inputs)
        else:
            leaves.append(var)
    if leaves.count(acc) != 1 or not set(inner_clients.get(acc, [])) <= tree:
        return None
    return [v for v in leaves if v is not acc]


def classify_term(term, like, per_step):
    """How a summed term leaves the loop: ``("dot", a, b)``, ``("sum", g)`` or None.

    ``like`` is the accumulator (the term must not broadcast against it);
    ``per_step`` holds the inner variables that change from step to step;
    a term must depend on one of them (else it is loop-invariant and left to
    the invariant rewrite).
    """
    if not any(v in per_step for v in ancestors([term])):
        return None
    if term.broadcastable != like.broadcastable:
        return None
    node = term.owner
    if node is not None and isinstance(node.op, Dot):
        a, b = node.inputs
        if a.ndim == 2 and b.ndim == 2:
            return ("dot", a, b)
    if term.ndim <= 1:
        return ("sum", term)
    return None


def outer_dot_sum(stacked_a, a, stacked_b, init):
    """``sum_t dot(a_t, b_t)`` from the stacked per-step operands.

    ``stacked_a`` holds ``a_t`` (or, when ``a`` is a transpose, the matrix
    it transposes) for every step; ``init`` is the accumulator's initial
    value, which gives the result's shape even when no step ran.
    """
    rows, cols = init.shape[0], init.shape[1]
    if is_transpose(a):
        left = stacked_a.reshape((-1, rows)).T
    else:
        left = stacked_a.dimshuffle(1, 0, 2).reshape((rows, -1))
    right = stacked_b.reshape((-1, cols))
    return dot(left, right)


def outer_sum(stacked, init):
    """``sum_t g_t`` from the stacked ``g_t``, shaped like ``init``."""
    shape = tuple(init.shape[i] for i in range(init.ndim))
    return stacked.reshape((-1, *shape)).sum(axis=0)


def inner_clients(op):
    """``{inner variable: [inner nodes reading it]}`` of a Scan op."""
    clients = {}
    for apply in io_toposort(op.inputs, op.outputs):
        for v in apply.inputs:
            clients.setdefault(v, []).append(apply)
    return clients

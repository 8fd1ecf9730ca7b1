"""Stabilize: rewrite expressions that overflow or lose precision into stable forms.

``log(sigmoid(x)) -> -softplus(-x)``, ``log(1 - sigmoid(x)) -> -softplus(x)``,
``log(1 + x) -> log1p(x)``, ``log1p(exp(x)) -> softplus(x)``,
``exp(x) - 1 -> expm1(x)`` and ``log(sum(exp(x))) -> m + log(sum(exp(x - m)))``
with ``m`` the maximum.
"""

from symbolic.ops import math
from symbolic.ops.elemwise import DimShuffle, Elemwise
from symbolic.ops.math import Max, Sum
from symbolic.ops.nnet.sigm import ScalarSigmoid, softplus
from symbolic.ops.scalar import basic as sb
from symbolic.ops.scalar import math as sm
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.rules.helpers import (
    all_broadcastable,
    fit,
    is_constant,
    is_float,
    scalar_op_of,
)

_STAB = ("stabilize",)


def _neg_of(x):
    """``-x``, unwrapping an existing negation."""
    if scalar_op_of(x, sb.Neg):
        return x.owner.inputs[0]
    return math.neg(x)


def _is_one(var):
    return all_broadcastable(var) and is_constant(var, 1)


@node_rewriter([Elemwise], tags=(*_STAB, "softplus"))
def local_log_sigmoid(fgraph, node):
    """log(sigmoid(x)) -> -softplus(-x); log(1 - sigmoid(x)) -> -softplus(x).

    Both are finite for every finite ``x``; the originals give ``-inf``
    once the sigmoid rounds to 0 or 1.
    """
    if not isinstance(node.op.scalar_op, sm.Log):
        return None
    (arg,) = node.inputs
    out = node.outputs[0]
    if scalar_op_of(arg, ScalarSigmoid):
        (x,) = arg.owner.inputs
        return [fit(math.neg(softplus(_neg_of(x))), out)]
    if scalar_op_of(arg, sb.Sub):
        one, s = arg.owner.inputs
        if _is_one(one) and scalar_op_of(s, ScalarSigmoid):
            return [fit(math.neg(softplus(s.owner.inputs[0])), out)]
    return None


@node_rewriter([Elemwise], tags=(*_STAB, "log1p"))
def local_log1p(fgraph, node):
    """log(1 + x) -> log1p(x); log(1 - x) -> log1p(-x).

    Conditions: float output; ``1`` a constant broadcastable everywhere;
    the sigmoid forms are left to :func:`local_log_sigmoid`.
    """
    if not isinstance(node.op.scalar_op, sm.Log) or not is_float(node.outputs[0]):
        return None
    (arg,) = node.inputs
    out = node.outputs[0]
    if scalar_op_of(arg, sb.Add):
        terms = list(arg.owner.inputs)
        ones = [t for t in terms if _is_one(t)]
        if not ones:
            return None
        terms.remove(ones[0])
        rest = terms[0] if len(terms) == 1 else math.add(*terms)
        return [fit(math.log1p(fit(rest, arg)), out)]
    if scalar_op_of(arg, sb.Sub):
        one, x = arg.owner.inputs
        if _is_one(one) and not scalar_op_of(x, ScalarSigmoid):
            return [fit(math.log1p(fit(_neg_of(x), arg)), out)]
    return None


@node_rewriter([Elemwise], tags=(*_STAB, "softplus"))
def local_log1p_exp_to_softplus(fgraph, node):
    """log1p(exp(x)) -> softplus(x) (``log(1 + exp(x))`` gets here via log1p).

    ``exp`` overflows from ``x`` about 710 on; softplus is ``x`` there.
    """
    if not isinstance(node.op.scalar_op, sm.Log1p):
        return None
    (arg,) = node.inputs
    out = node.outputs[0]
    if not scalar_op_of(arg, sm.Exp) or arg.broadcastable != out.broadcastable:
        return None
    return [fit(softplus(arg.owner.inputs[0]), out)]


@node_rewriter([Elemwise], tags=(*_STAB, "expm1"))
def local_expm1(fgraph, node):
    """exp(x) - 1 -> expm1(x), also written exp(x) + (-1)."""
    op = node.op.scalar_op
    out = node.outputs[0]
    if isinstance(op, sb.Sub):
        e, one = node.inputs
        if not _is_one(one):
            return None
    elif isinstance(op, sb.Add) and len(node.inputs) == 2:
        e, minus_one = node.inputs
        if not scalar_op_of(e, sm.Exp):
            minus_one, e = node.inputs
        if not (all_broadcastable(minus_one) and is_constant(minus_one, -1)):
            return None
    else:
        return None
    if not scalar_op_of(e, sm.Exp) or e.broadcastable != out.broadcastable:
        return None
    return [fit(math.expm1(e.owner.inputs[0]), out)]


def _is_max_shifted(x):
    """Whether ``x`` is already ``y - switch(isinf(m), 0, m)`` with m a Max."""
    if not scalar_op_of(x, sb.Sub):
        return False
    shift = x.owner.inputs[1]
    while shift.owner is not None and isinstance(shift.owner.op, DimShuffle):
        shift = shift.owner.inputs[0]
    if not scalar_op_of(shift, sb.Switch):
        return False
    m = shift.owner.inputs[2]
    return m.owner is not None and isinstance(m.owner.op, Max)


@node_rewriter([Elemwise], tags=(*_STAB, "logsumexp"))
def local_logsumexp(fgraph, node):
    """log(sum(exp(x), axes)) -> m + log(sum(exp(x - m), axes)), m = max(x, axes).

    The shift keeps every ``exp`` at most 1, so large ``x`` cannot
    overflow.  An infinite maximum is replaced by 0, which keeps the
    all ``-inf`` (and any ``+inf``) rows exact.
    """
    if not isinstance(node.op.scalar_op, sm.Log):
        return None
    (total,) = node.inputs
    if total.owner is None or not isinstance(total.owner.op, Sum):
        return None
    (e,) = total.owner.inputs
    if not scalar_op_of(e, sm.Exp) or not is_float(e):
        return None
    (x,) = e.owner.inputs
    if _is_max_shifted(x):
        return None
    x = fit(x, e)
    axis = total.owner.op.axis
    axes = tuple(range(x.ndim)) if axis is None else axis
    m = math.max(x, axis=axes)
    m = math.switch(math.isinf(m), math.cast(0, m.dtype), m)
    pattern = []
    kept = 0
    for i in range(x.ndim):
        if i in axes:
            pattern.append("x")
        else:
            pattern.append(kept)
            kept += 1
    m_wide = DimShuffle(m.broadcastable, pattern)(m)
    shifted = total.owner.op(math.exp(x - m_wide))
    return [fit(m + math.log(shifted), node.outputs[0])]

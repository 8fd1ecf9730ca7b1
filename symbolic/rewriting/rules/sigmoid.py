"""Recognise the logistic function written by hand, so it can be stabilized.

``1 / (1 + exp(-x)) -> sigmoid(x)``, ``exp(x) / (1 + exp(x)) -> sigmoid(x)``,
``exp(x) * sigmoid(-x) -> sigmoid(x)`` and ``a - a * sigmoid(x) -> a *
sigmoid(-x)``.  They run with the algebra canonicalization, so the
gradients of hand-written cross-entropies (which divide by ``sigmoid``, by
``1 - sigmoid`` and by ``(1 + exp(-x)) ** 2``) reach a form where those
divisions cancel (the cancellation takes ``1 - sigmoid(x)`` and
``sigmoid(-x)`` for the same factor); the stabilize phase then turns
``log(sigmoid(x))`` into ``-softplus(-x)``.

``1 - sigmoid(x)`` itself is left alone, as Theano did: the sigmoid's own
gradient ``s * (1 - s)`` would otherwise compute a second sigmoid.
"""

from symbolic.ops import math
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.nnet.sigm import ScalarSigmoid, sigmoid
from symbolic.ops.scalar import basic as sb
from symbolic.ops.scalar import math as sm
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.rules.algebra import _const_like, _gather, _product
from symbolic.rewriting.rules.helpers import (
    all_broadcastable,
    fit,
    is_constant,
    is_float,
    same_expr,
    scalar_op_of,
)

_CANON = ("canonicalize", "sigmoid")


def _neg_of(x):
    """``-x``, unwrapping an existing negation."""
    if scalar_op_of(x, sb.Neg):
        return x.owner.inputs[0]
    return math.neg(x)


def _one_plus_exp(var):
    """``z`` when ``var`` is ``1 + exp(z)`` (in either order), else None."""
    if not scalar_op_of(var, sb.Add) or len(var.owner.inputs) != 2:
        return None
    a, b = var.owner.inputs
    for one, e in ((a, b), (b, a)):
        if all_broadcastable(one) and is_constant(one, 1) and scalar_op_of(e, sm.Exp):
            if e.broadcastable == var.broadcastable:
                return e.owner.inputs[0]
    return None


def _pair_exp_sigmoid(num):
    """Replace one ``exp(z) * sigmoid(-z)`` pair of ``num`` by ``sigmoid(z)``."""
    for i, e in enumerate(num):
        if not scalar_op_of(e, sm.Exp):
            continue
        (z,) = e.owner.inputs
        for j, s in enumerate(num):
            if j == i or not scalar_op_of(s, ScalarSigmoid):
                continue
            w = s.owner.inputs[0]
            minus_z = z.owner.inputs[0] if scalar_op_of(z, sb.Neg) else None
            if (minus_z is not None and same_expr(w, minus_z)) or (
                scalar_op_of(w, sb.Neg) and same_expr(w.owner.inputs[0], z)
            ):
                if e.broadcastable != s.broadcastable:
                    continue
                rest = [f for k, f in enumerate(num) if k not in (i, j)]
                return rest + [sigmoid(z)]
    return None


@node_rewriter([Elemwise], tags=_CANON)
def local_sigmoid_in_product(fgraph, node):
    """Products and quotients that spell the logistic function use ``sigmoid``.

    In ``[-](n1 * ...) / (d1 * ...)``: a divisor ``1 + exp(z)`` becomes a
    factor ``sigmoid(-z)``, and a pair ``exp(z) * sigmoid(-z)`` becomes
    ``sigmoid(z)``; so ``1 / (1 + exp(-x))`` and ``exp(x) / (1 + exp(x))``
    are ``sigmoid(x)`` and ``exp(-x) / (1 + exp(-x)) ** 2`` (the gradient of
    the first) is ``sigmoid(-x) * sigmoid(x)``.  Conditions: float output;
    a divisor is replaced only where it has the output's broadcastable
    pattern, so no shape is lost.
    """
    if not isinstance(node.op.scalar_op, (sb.Mul, sb.TrueDiv)):
        return None
    out = node.outputs[0]
    if not is_float(out):
        return None
    f = _gather(fgraph, out, out.dtype)
    changed = False
    num, den = list(f.num), []
    for d in f.den:
        z = _one_plus_exp(d)
        if z is not None and d.broadcastable == out.broadcastable:
            num.append(sigmoid(_neg_of(z)))
            changed = True
        else:
            den.append(d)
    while True:
        paired = _pair_exp_sigmoid(num)
        if paired is None:
            break
        num = paired
        changed = True
    if not changed:
        return None
    cn = _product(f.num_consts, out.dtype)
    if f.negative:
        cn = -cn
    cd = _product(f.den_consts, out.dtype)
    if cn != 1 or not num:
        num.append(_const_like(cn, out))
    if cd != 1:
        den.append(_const_like(cd, out))
    result = num[0] if len(num) == 1 else math.mul(*num)
    if den:
        result = math.true_div(result, den[0] if len(den) == 1 else math.mul(*den))
    return [fit(result, out)]


def _mul_factors(var):
    if scalar_op_of(var, sb.Mul):
        return list(var.owner.inputs)
    return [var]


def _extra_sigmoid(small, big):
    """``z`` when the factors ``big`` are those of ``small`` plus ``sigmoid(z)``."""
    if len(big) != len(small) + 1:
        return None
    rest = list(big)
    for factor in small:
        for i, candidate in enumerate(rest):
            if same_expr(factor, candidate):
                del rest[i]
                break
        else:
            return None
    (extra,) = rest
    if not scalar_op_of(extra, ScalarSigmoid):
        return None
    return extra.owner.inputs[0]


@node_rewriter([Elemwise], tags=_CANON)
def local_sub_times_sigmoid(fgraph, node):
    """a - a * sigmoid(z) -> a * sigmoid(-z); a * sigmoid(z) - a -> -(a * sigmoid(-z)).

    ``a`` may be a product; this is the shape of the derivative of
    ``exp(x) / (1 + exp(x))`` (``s - s * s``).  Conditions: float output of
    the operands' broadcastable pattern.
    """
    if not isinstance(node.op.scalar_op, sb.Sub):
        return None
    out = node.outputs[0]
    u, v = node.inputs
    if not is_float(out) or u.broadcastable != v.broadcastable:
        return None
    fu, fv = _mul_factors(u), _mul_factors(v)
    z = _extra_sigmoid(fu, fv)
    if z is not None:
        return [fit(math.mul(*fu, sigmoid(_neg_of(z))), out)]
    z = _extra_sigmoid(fv, fu)
    if z is not None:
        return [fit(math.neg(math.mul(*fv, sigmoid(_neg_of(z)))), out)]
    return None

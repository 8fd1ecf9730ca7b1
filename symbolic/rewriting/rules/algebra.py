"""Canonical algebra on elementwise arithmetic.

Sums are flattened with their constants merged, products and quotients are
brought to one ``[-](n1 * n2 ...) / (d1 * d2 ...)`` with common factors
cancelled, constant powers become ``sqr``/``sqrt``/``inv``, and inverse
pairs (``--x``, ``exp(log x)``, ``log(exp x)``, ``x - x``) disappear.

Only nodes with a single client are folded into a parent, so no value is
computed twice; every result is :func:`fit` to the replaced variable's type.
"""

import numpy

from symbolic.ops import math
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.scalar import basic as sb
from symbolic.ops.scalar import math as sm
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.rules.helpers import (
    all_broadcastable,
    constant_value,
    fill_like,
    fit,
    index_of_same,
    is_constant,
    is_float,
    scalar_op_of,
    single_client,
)
from symbolic.types.tensor import as_tensor_variable

_CANON = ("canonicalize", "algebra")


def _const_like(value, out):
    """A constant of ``out``'s dtype and ndim, broadcastable everywhere."""
    data = numpy.asarray(value, dtype=out.dtype).reshape((1,) * out.ndim)
    return as_tensor_variable(data)


def _scalar(node, cls):
    return isinstance(node.op.scalar_op, cls)


# Sums ---------------------------------------------------------------------------------
@node_rewriter([Elemwise], tags=_CANON)
def local_add_canonize(fgraph, node):
    """add(add(a, b), c, 1, 2) -> add(a, b, c, 3); add(x, 0) -> x.

    Nested sums of the same dtype with a single client are flattened, the
    size-1 constants are summed into one, and a zero constant is dropped.
    A two-term ``add(a, neg(b))`` becomes ``sub(a, b)``.
    """
    if not _scalar(node, sb.Add):
        return None
    out = node.outputs[0]
    terms, consts = [], []
    changed = False
    todo = list(reversed(node.inputs))
    while todo:
        term = todo.pop()
        value = constant_value(term)
        if value is not None and all_broadcastable(term):
            consts.append(value)
            continue
        if (
            term is not out
            and scalar_op_of(term, sb.Add)
            and term.dtype == out.dtype
            and single_client(fgraph, term)
        ):
            todo.extend(reversed(term.owner.inputs))
            changed = True
            continue
        terms.append(term)
    if not terms:
        return None
    total = numpy.asarray(0, dtype=out.dtype)
    for value in consts:
        total = total + numpy.asarray(value, dtype=out.dtype)
    total = numpy.asarray(total, dtype=out.dtype)
    if len(consts) > 1 or (consts and total == 0):
        changed = True
    if consts and total != 0:
        terms.append(_const_like(total, out))
    if len(terms) == 2 and not changed:
        a, b = terms
        if scalar_op_of(b, sb.Neg):
            return [fit(math.sub(a, b.owner.inputs[0]), out)]
        if scalar_op_of(a, sb.Neg):
            return [fit(math.sub(b, a.owner.inputs[0]), out)]
    if not changed:
        return None
    result = terms[0] if len(terms) == 1 else math.add(*terms)
    return [fit(result, out)]


@node_rewriter([Elemwise], tags=_CANON)
def local_sub_canonize(fgraph, node):
    """x - x -> zeros; x - 0 -> x; 0 - x -> -x; a - (-b) -> a + b."""
    if not _scalar(node, sb.Sub):
        return None
    out = node.outputs[0]
    a, b = node.inputs
    if a is b:
        return [fit(fill_like(a, 0, out.dtype), out)]
    if is_constant(b, 0) and all_broadcastable(b):
        return [fit(a, out)]
    if is_constant(a, 0) and all_broadcastable(a):
        return [fit(math.neg(b), out)]
    if scalar_op_of(b, sb.Neg):
        return [fit(math.add(a, b.owner.inputs[0]), out)]
    return None


@node_rewriter([Elemwise], tags=_CANON)
def local_neg_canonize(fgraph, node):
    """--x -> x; -(a - b) -> b - a (when the difference has no other client)."""
    if not _scalar(node, sb.Neg):
        return None
    out = node.outputs[0]
    (x,) = node.inputs
    if scalar_op_of(x, sb.Neg):
        return [fit(x.owner.inputs[0], out)]
    if scalar_op_of(x, sb.Sub) and single_client(fgraph, x):
        a, b = x.owner.inputs
        return [fit(math.sub(b, a), out)]
    return None


# Products and quotients -------------------------------------------------------------
class _Factors:
    """A product split into numerator, denominator, size-1 constants and a sign."""

    def __init__(self):
        self.num = []
        self.den = []
        self.num_consts = []
        self.den_consts = []
        self.negative = False
        self.nested = False


def _gather(fgraph, top, dtype):
    """Split ``top`` (a mul or true_div output) into :class:`_Factors`.

    Single-client mul, true_div and neg nodes of ``dtype`` below the top are
    opened; doing so (other than a product directly under a quotient) marks
    the expression as not canonical.
    """
    factors = _Factors()
    top_is_mul = scalar_op_of(top, sb.Mul) is not None
    # (variable, in numerator, depth, parent is a true_div)
    todo = [(top, True, 0, False)]
    while todo:
        var, in_num, depth, under_div = todo.pop()
        op = None
        if depth == 0 or (var.dtype == dtype and single_client(fgraph, var)):
            op = scalar_op_of(var, sb.Mul, sb.TrueDiv, sb.Neg)
        if depth > 0 and op is None:
            value = constant_value(var)
            if value is not None and all_broadcastable(var):
                (factors.num_consts if in_num else factors.den_consts).append(value)
                continue
        if op is None:
            (factors.num if in_num else factors.den).append(var)
            continue
        if depth > 0 and not (
            isinstance(op, sb.Mul) and under_div and depth == 1 and not top_is_mul
        ):
            factors.nested = True
        inputs = var.owner.inputs
        if isinstance(op, sb.Neg):
            factors.negative = not factors.negative
            todo.append((inputs[0], in_num, depth + 1, False))
        elif isinstance(op, sb.TrueDiv):
            todo.append((inputs[1], not in_num, depth + 1, True))
            todo.append((inputs[0], in_num, depth + 1, True))
        else:
            for inp in reversed(inputs):
                todo.append((inp, in_num, depth + 1, False))
    return factors


def _is_power_of_two(value):
    mantissa, _ = numpy.frexp(numpy.abs(value))
    return value != 0 and mantissa == 0.5


def _product(values, dtype):
    total = numpy.asarray(1, dtype=dtype)
    for value in values:
        total = numpy.asarray(total * numpy.asarray(value, dtype=dtype), dtype=dtype)
    return total


@node_rewriter([Elemwise], tags=_CANON)
def local_mul_div_canonize(fgraph, node):
    """Bring a float product/quotient to ``[-](n1 * ... * c) / (d1 * ...)``.

    Nested single-client products, quotients and negations are opened;
    factors present in both the numerator and the denominator cancel
    (``(g / s) * (s * t) -> g * t``); size-1 constants are multiplied into
    one (a power-of-two divisor becomes a multiplication, which is exact);
    ``x * 1 -> x``, ``x * -1 -> -x``, ``x / 1 -> x``.

    Conditions: float output.  A cancelled factor that fixed the output's
    shape is kept as ``second(factor, result)``.
    """
    if not _scalar(node, (sb.Mul, sb.TrueDiv)):
        return None
    out = node.outputs[0]
    if not is_float(out):
        return None
    f = _gather(fgraph, out, out.dtype)
    cancelled = []
    for d in list(f.den):
        i = index_of_same(d, f.num)
        if i is not None:
            del f.num[i]
            f.den.remove(d)
            cancelled.append(d)
    cn = _product(f.num_consts, out.dtype)
    cd = _product(f.den_consts, out.dtype)
    if f.den_consts and _is_power_of_two(cd):
        cn = numpy.asarray(cn / cd, dtype=out.dtype)
        cd = numpy.asarray(1, dtype=out.dtype)
    # The constants the rebuilt expression will hold; any other count means
    # constants were merged, folded or dropped.
    emitted = (int(abs(cn) != 1 or not f.num), int(cd != 1))
    changed = bool(f.nested or cancelled)
    if (len(f.num_consts), len(f.den_consts)) != emitted:
        changed = True
    if not changed:
        return None
    if f.negative:
        cn = numpy.asarray(-cn, dtype=out.dtype)
    negative = False
    num = list(f.num)
    if cn == -1:
        negative = True
    elif cn != 1:
        num.append(_const_like(cn, out))
    den = list(f.den)
    if cd != 1:
        den.append(_const_like(cd, out))
    if not num:
        num = [_const_like(1, out)]
    result = num[0] if len(num) == 1 else math.mul(*num)
    if den:
        result = math.true_div(result, den[0] if len(den) == 1 else math.mul(*den))
    if negative:
        result = math.neg(result)
    for factor in cancelled:
        lost = any(
            o_b != r_b and not fb
            for o_b, r_b, fb in zip(
                out.broadcastable, result.broadcastable, factor.broadcastable
            )
        )
        if lost:
            result = math.second(factor, result)
    return [fit(result, out)]


# Powers, exp and log ----------------------------------------------------------------
_POWERS = {
    1.0: lambda x: x,
    2.0: math.sqr,
    0.5: math.sqrt,
    -1.0: math.inv,
    -2.0: lambda x: math.inv(math.sqr(x)),
    -0.5: lambda x: math.inv(math.sqrt(x)),
}


@node_rewriter([Elemwise], tags=_CANON)
def local_pow_canonize(fgraph, node):
    """x ** c for a constant c in {0, 1, 2, 0.5, -1, -2, -0.5} -> ones, x, sqr(x), ...

    Conditions: float output; ``x`` is first cast to the output dtype, so
    the arithmetic happens at the precision ``pow`` would have used.
    """
    if not _scalar(node, sb.Pow):
        return None
    out = node.outputs[0]
    x, exponent = node.inputs
    value = constant_value(exponent)
    if value is None or not all_broadcastable(exponent) or not is_float(out):
        return None
    value = float(value)
    if value == 0:
        return [fit(fill_like(x, 1, out.dtype), out)]
    make = _POWERS.get(value)
    if make is None:
        return None
    return [fit(make(math.cast(x, out.dtype)), out)]


@node_rewriter([Elemwise], tags=_CANON)
def local_exp_log(fgraph, node):
    """exp(log(x)) -> x and log(exp(x)) -> x.

    ``exp(log(x))`` is NaN for negative ``x``; like Theano, the rewrite
    assumes the graph is used on its domain.
    """
    inverse = {sm.Exp: sm.Log, sm.Log: sm.Exp}.get(type(node.op.scalar_op))
    if inverse is None:
        return None
    (x,) = node.inputs
    if scalar_op_of(x, inverse) is None:
        return None
    return [fit(x.owner.inputs[0], node.outputs[0])]


@node_rewriter([Elemwise], tags=_CANON)
def local_useless_elemwise(fgraph, node):
    """identity(x) -> x; a one-input add or mul -> its input."""
    op = node.op.scalar_op
    if isinstance(op, sb.Identity) or (
        isinstance(op, (sb.Add, sb.Mul)) and len(node.inputs) == 1
    ):
        return [fit(node.inputs[0], node.outputs[0])]
    return None


def _divisors(term):
    """The factors ``term`` divides by, looking through a negation."""
    if scalar_op_of(term, sb.Neg):
        term = term.owner.inputs[0]
    if not scalar_op_of(term, sb.TrueDiv):
        return []
    d = term.owner.inputs[1]
    if scalar_op_of(d, sb.Mul):
        return list(d.owner.inputs)
    return [d]


@node_rewriter([Elemwise], tags=_CANON)
def local_distribute_cancel(fgraph, node):
    """(a / s + b) * s * t -> a * t + b * s * t when a divisor cancels.

    A product is distributed over a sum (or difference) only when one of
    the sum's terms divides by another factor of the product, so the
    distribution removes a division; this is how ``log(sigmoid)``-style
    gradients lose their ``1 / sigmoid(x)``.  Conditions: float output; the
    sum has no other client and the product's dtype.
    """
    if not isinstance(node.op.scalar_op, sb.Mul):
        return None
    out = node.outputs[0]
    if not is_float(out):
        return None
    for i, s in enumerate(node.inputs):
        op = scalar_op_of(s, sb.Add, sb.Sub)
        if op is None or s.dtype != out.dtype or not single_client(fgraph, s):
            continue
        others = node.inputs[:i] + node.inputs[i + 1 :]
        if not any(
            index_of_same(d, others) is not None
            for t in s.owner.inputs
            for d in _divisors(t)
        ):
            continue
        terms = [math.mul(t, *others) for t in s.owner.inputs]
        result = math.sub(*terms) if isinstance(op, sb.Sub) else math.add(*terms)
        return [fit(result, out)]
    return None

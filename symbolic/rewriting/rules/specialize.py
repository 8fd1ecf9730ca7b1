"""Specialize: cheaper forms of integer powers and sums of products.

These run after canonicalize (which already turns ``x**2`` into ``sqr``
and ``-1 * x`` into ``neg``), on forms that are faster to run but not more
canonical.
"""

from symbolic.ops import math
from symbolic.ops.dot import dot
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.math import Sum
from symbolic.ops.reshaping import flatten
from symbolic.ops.scalar import basic as sb
from symbolic.ops.scalar import math as sm
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.rules.helpers import (
    all_broadcastable,
    constant_value,
    fit,
    is_float,
    scalar_op_of,
    single_client,
)

_TAGS = ("specialize",)

#: The largest integer exponent unrolled into multiplications.
MAX_UNROLLED_POWER = 16


def _power_by_squaring(x, n):
    """``x ** n`` for an integer ``n >= 1`` as a product of repeated squares."""
    result = None
    square = x
    while n:
        if n & 1:
            result = square if result is None else math.mul(result, square)
        n >>= 1
        if n:
            square = math.sqr(square)
    return result


@node_rewriter([Elemwise], tags=_TAGS)
def local_pow_specialize(fgraph, node):
    """x ** n -> products of sqr(x) for an integer constant 3 <= |n| <= 16.

    ``x ** 3 -> sqr(x) * x``; ``x ** -4 -> inv(sqr(sqr(x)))``. Conditions:
    float output; ``x`` is first cast to the output dtype.
    """
    if not isinstance(node.op.scalar_op, sb.Pow):
        return None
    out = node.outputs[0]
    x, exponent = node.inputs
    value = constant_value(exponent)
    if value is None or not all_broadcastable(exponent) or not is_float(out):
        return None
    value = float(value)
    if value != int(value) or not 3 <= abs(value) <= MAX_UNROLLED_POWER:
        return None
    result = _power_by_squaring(math.cast(x, out.dtype), int(abs(value)))
    if value < 0:
        result = math.inv(result)
    return [fit(result, out)]


def _accumulates_exactly(node, x):
    """Whether the Sum adds in ``x``'s own float dtype, as a BLAS dot does."""
    op = node.op
    out = node.outputs[0]
    if out.dtype != x.dtype:
        return False
    if x.dtype == "float64":
        return op.acc_dtype in (None, "float64")
    return x.dtype == "float32" and op.acc_dtype == "float32"


@node_rewriter([Sum], tags=_TAGS)
def local_sum_sqr_to_dot(fgraph, node):
    """sum(sqr(x)) -> dot(x.flatten(), x.flatten()); sum(a * b) likewise.

    One BLAS pass, no temporary of the input's size: the L2 penalty of a
    weight matrix. Conditions: a sum over every axis of a single-client
    ``sqr`` (or two-factor ``mul`` of operands with the same broadcastable
    pattern and no broadcastable dim) that accumulates in the inputs' own
    float dtype.
    """
    (x,) = node.inputs
    if node.op.axis is not None and len(node.op.axis) != x.ndim:
        return None
    if x.ndim == 0 or not single_client(fgraph, x):
        return None
    if scalar_op_of(x, sm.Sqr):
        a = b = x.owner.inputs[0]
    elif scalar_op_of(x, sb.Mul) and len(x.owner.inputs) == 2:
        a, b = x.owner.inputs
    else:
        return None
    if a.dtype != x.dtype or b.dtype != x.dtype:
        return None
    if any(a.broadcastable) or any(b.broadcastable):
        return None
    if not _accumulates_exactly(node, a):
        return None
    flat_a = flatten(a) if a.ndim != 1 else a
    flat_b = flat_a if b is a else (flatten(b) if b.ndim != 1 else b)
    return [fit(dot(flat_a, flat_b), node.outputs[0])]

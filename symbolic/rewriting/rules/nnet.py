"""Stabilize softmax and its categorical cross-entropy.

``log(softmax(x)) -> logsoftmax(x)``; ``crossentropy_categorical_1hot(
softmax(x), y)`` becomes the fused ``CrossentropySoftmaxArgmax1HotWithBias``
whose loss is computed from the logits; the gradients of both patterns are
rewritten to the forms that stay finite (``softmax - onehot`` and
``g - sum(g) softmax``).
"""

from symbolic.ops import math
from symbolic.ops.basic import alloc
from symbolic.ops.elemwise import DimShuffle, Elemwise
from symbolic.ops.math import Argmax
from symbolic.ops.nnet.basic import (
    LogSoftmax,
    Softmax,
    SoftmaxGrad,
    SoftmaxWithBias,
    logsoftmax_op,
)
from symbolic.ops.nnet.crossentropy import (
    CrossentropyCategorical1Hot,
    CrossentropyCategorical1HotGrad,
    CrossentropySoftmaxArgmax1HotWithBias,
    crossentropy_softmax_1hot_with_bias_dx,
    crossentropy_softmax_argmax_1hot_with_bias,
)
from symbolic.ops.scalar import basic as sb
from symbolic.ops.scalar import math as sm
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.rules.helpers import fit, scalar_op_of
from symbolic.rewriting.shape_feature import shape_feature

_STAB = ("stabilize", "nnet")


def _logits(var):
    """``(x, b)`` when ``var`` is softmax(x) (b None) or softmax_with_bias(x, b)."""
    owner = var.owner
    if owner is None:
        return None
    if isinstance(owner.op, Softmax):
        return owner.inputs[0], None
    if isinstance(owner.op, SoftmaxWithBias):
        return tuple(owner.inputs)
    return None


@node_rewriter([Elemwise], tags=_STAB)
def local_log_softmax(fgraph, node):
    """log(softmax(x)) -> logsoftmax(x); log(softmax_with_bias(x, b)) likewise."""
    if not isinstance(node.op.scalar_op, sm.Log):
        return None
    found = _logits(node.inputs[0])
    if found is None:
        return None
    x, b = found
    logits = x if b is None else x + b
    return [fit(logsoftmax_op(logits), node.outputs[0])]


def _divide_out(var, factor):
    """``var * factor`` when ``var`` is ``[-]n / (factor [* d ...])``, else None."""
    if scalar_op_of(var, sb.Neg):
        inner = _divide_out(var.owner.inputs[0], factor)
        return None if inner is None else math.neg(inner)
    if not scalar_op_of(var, sb.TrueDiv):
        return None
    n, d = var.owner.inputs
    if d is factor:
        return n
    if scalar_op_of(d, sb.Mul) and factor in d.owner.inputs:
        rest = list(d.owner.inputs)
        rest.remove(factor)
        return math.true_div(n, rest[0] if len(rest) == 1 else math.mul(*rest))
    return None


@node_rewriter([SoftmaxGrad], tags=_STAB)
def local_softmax_grad_of_log(fgraph, node):
    """softmax_grad(g / sm, sm) -> g - sum(g, axis=1) sm: the gradient of log(sm).

    The original divides by probabilities that underflow to 0 (``0 / 0``);
    the rewritten form is the log-softmax gradient.
    """
    dy, s = node.inputs
    if _logits(s) is None:
        return None
    g = _divide_out(dy, s)
    if g is None or g.ndim != 2:
        return None
    g = math.cast(g, s.dtype)
    result = g - math.sum(g, axis=1, keepdims=True) * s
    return [fit(result, node.outputs[0])]


def _row_bias(x):
    """``(m, b)`` when ``x`` is ``m + b[None, :]`` (one dtype), else None.

    The fused op adds the bias itself, in the same pass as the softmax.
    """
    if x.ndim != 2 or not scalar_op_of(x, sb.Add) or len(x.owner.inputs) != 2:
        return None
    for k, term in enumerate(x.owner.inputs):
        other = x.owner.inputs[1 - k]
        owner = term.owner
        if owner is None or not isinstance(owner.op, DimShuffle):
            continue
        if tuple(owner.op.new_order) != ("x", 0):
            continue
        if term.dtype != x.dtype or other.type != x.type:
            continue
        return other, owner.inputs[0]
    return None


@node_rewriter([CrossentropyCategorical1Hot], tags=_STAB)
def local_crossentropy_to_crossentropy_with_softmax(fgraph, node):
    """crossentropy_categorical_1hot(softmax(x [+ b]), y) -> the fused stable op.

    The loss becomes ``log(sum(exp(r - max r))) + max r - r[y]`` from the
    logits ``r``; the softmax variable is replaced by the fused op's own
    softmax output, so it is computed once.  Logits ``m + b[None, :]`` give
    the fused op ``m`` and the bias ``b``.
    """
    s, y = node.inputs
    found = _logits(s)
    if found is None:
        return None
    x, b = found
    if b is None:
        found = _row_bias(x)
        if found is not None:
            x, b = found
    if b is None:
        n_classes = shape_feature(fgraph).shape_entry(x, 1)
        b = alloc(math.cast(0, x.dtype), n_classes)
    nll, softmax_out, _ = crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    replacements = {node.outputs[0]: fit(nll, node.outputs[0])}
    replacements[s] = fit(softmax_out, s)
    return replacements


@node_rewriter([SoftmaxGrad], tags=_STAB)
def local_crossentropy_grad(fgraph, node):
    """softmax_grad(crossentropy_categorical_1hot_grad(gy, sm, y), sm) -> dx.

    ``dx = gy[:, None] (sm - onehot(y))`` is the fused gradient; the
    original divides by ``sm[i, y[i]]``, which underflows.
    """
    dy, s = node.inputs
    owner = dy.owner
    if owner is None or not isinstance(owner.op, CrossentropyCategorical1HotGrad):
        return None
    gy, coding, y = owner.inputs
    if coding is not s:
        return None
    dx = crossentropy_softmax_1hot_with_bias_dx(gy, s, y)
    return [fit(dx, node.outputs[0])]


@node_rewriter([Argmax], tags=("specialize", "nnet"))
def local_argmax_of_softmax(fgraph, node):
    """argmax(softmax(x), axis=1) -> argmax(x), or the fused op's own argmax.

    Softmax keeps the order within each row, so its argmax is that of the
    logits.  When the softmax is the output of the fused cross-entropy op
    (an error rate next to its cost), that op's argmax output is taken and
    nothing is computed again; a plain softmax gives way to its input.
    """
    if type(node.op) is not Argmax or node.op.axis != (1,):
        return None
    (s,) = node.inputs
    owner = s.owner
    if owner is None or s.ndim != 2:
        return None
    if isinstance(owner.op, CrossentropySoftmaxArgmax1HotWithBias):
        if s is not owner.outputs[1]:
            return None
        return [fit(owner.outputs[2], node.outputs[0])]
    if isinstance(owner.op, Softmax):
        return [Argmax(axis=(1,))(owner.inputs[0])]
    return None


__all__ = ["LogSoftmax"]

"""Softmax, log-softmax, rectifiers and the binary cross-entropies.

Theano 1.0's ``Softmax`` and ``LogSoftmax`` work on the rows of a matrix.  A
vector input is padded to a one-row matrix inside ``make_node`` (with
Theano's warning), so the output is a row of shape ``(1, n)``.
"""

import warnings

import numpy

from symbolic.graph.basic import Apply, Variable
from symbolic.graph.op import Op
from symbolic.ops.basic import shape_padleft
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.math import (
    abs,
    cast,
    exp,
    expm1,
    log,
    max,
    minimum,
    patternbroadcast,
    sum,
    switch,
)
from symbolic.ops.nnet.sigm import sigmoid
from symbolic.ops.scalar import expr as E
from symbolic.ops.scalar.basic import BinaryScalarOp, _cast_expr, _float_zeros
from symbolic.types import dtypes as dt
from symbolic.types.tensor import as_tensor_variable

__all__ = [
    "LogSoftmax",
    "ScalarSigmoidBinaryCrossentropy",
    "Softmax",
    "SoftmaxGrad",
    "SoftmaxWithBias",
    "binary_crossentropy",
    "elu",
    "logsoftmax",
    "logsoftmax_op",
    "relu",
    "selu",
    "sigmoid_binary_crossentropy",
    "softmax",
    "softmax_grad",
    "softmax_graph",
    "softmax_op",
    "softmax_with_bias",
]

_VECTOR_WARNING = (
    "If x is a vector, {op} will not automatically pad x anymore in next "
    "releases. If you need it, please do it manually. The vector case is gonna "
    "be supported soon and the output will be a vector."
)


def _name(var):
    return var.name if var.name is not None else str(var)


def _as_float_rows(op, x, label="x"):
    """Check that ``x`` is a 1-d or 2-d float tensor; pad a vector to one row."""
    x = as_tensor_variable(x)
    if x.ndim not in (1, 2) or not dt.is_float(x.dtype):
        raise ValueError(
            f"{op}: {label} ({_name(x)}) must be a 1-d or 2-d tensor of floats, "
            f"got {x.type}"
        )
    if x.ndim == 1:
        warnings.warn(_VECTOR_WARNING.format(op=op), stacklevel=4)
        x = shape_padleft(x)
    return x


def _to_type(g, x):
    """Return ``g`` with ``x``'s dtype and broadcastable pattern."""
    if g.dtype != x.dtype:
        g = cast(g, x.dtype)
    return patternbroadcast(g, x.broadcastable)


def _softmax_rows(x):
    """Row-wise softmax of a 2-d array, shifted by the row max for stability."""
    if x.size == 0:
        return numpy.array(x, copy=True)
    e = numpy.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Softmax(Op):
    """Row-wise softmax: ``sm[i, j] = exp(x[i, j]) / sum_k exp(x[i, k])``.

    Computed as ``exp(x - max_k x[i, k])`` normalized, so large logits never
    overflow.  A vector input is padded to one row (output shape ``(1, n)``).

    Notes
    -----
    Gradient: ``softmax_grad(gz, sm) = (gz - sum_k gz[i, k] sm[i, k]) * sm``.
    The Jacobian is symmetric, so R_op applies the same map to the
    evaluation point.  Not in place.
    """

    __props__ = ()

    def make_node(self, x):
        x = _as_float_rows(self, x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = _softmax_rows(x).astype(x.dtype, copy=False)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def L_op(self, inputs, outputs, grads):
        return [softmax_grad(grads[0], outputs[0])]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [softmax_grad(eval_points[0], self(*inputs))]


softmax_op = Softmax()


class SoftmaxGrad(Op):
    """The softmax gradient: ``dx = (dy - sum_k dy[i, k] sm[i, k]) * sm`` per row.

    Inputs are the output gradient ``dy`` and the softmax ``sm``; vectors are
    padded to one row.  The output has ``sm``'s type.

    Notes
    -----
    Gradient, with ``t = g - sum_k g[i, k] sm[i, k]``: ``g_dy = t * sm`` and
    ``g_sm = t * dy - g * sum_k dy[i, k] sm[i, k]``.  Not in place.
    """

    __props__ = ()

    def make_node(self, dy, sm):
        dy = _as_float_rows(self, dy, "dy")
        sm = _as_float_rows(self, sm, "sm")
        return Apply(self, [dy, sm], [sm.type()])

    def perform(self, node, inputs, output_storage):
        dy, sm = inputs
        if dy.shape != sm.shape:
            dyv, smv = node.inputs
            raise ValueError(
                f"{self}: {_name(dyv)} has shape {dy.shape} but {_name(smv)} has "
                f"shape {sm.shape}"
            )
        dy_sm = dy * sm
        dx = dy_sm - dy_sm.sum(axis=1, keepdims=True) * sm
        output_storage[0][0] = numpy.asarray(dx, dtype=sm.dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[1]]

    def L_op(self, inputs, outputs, grads):
        dy, sm = inputs
        (g,) = grads
        t = g - sum(g * sm, axis=1, keepdims=True)
        g_dy = t * sm
        g_sm = t * dy - g * sum(dy * sm, axis=1, keepdims=True)
        return [_to_type(g_dy, dy), _to_type(g_sm, sm)]


softmax_grad = SoftmaxGrad()


class SoftmaxWithBias(Op):
    """``softmax(x + b)`` for a float matrix ``x`` and a bias vector ``b`` per column.

    Notes
    -----
    Gradient: ``dx = softmax_grad(gz, sm)`` and ``db = sum(dx, axis=0)``.
    Not in place.
    """

    __props__ = ()

    def make_node(self, x, b):
        x = as_tensor_variable(x)
        b = as_tensor_variable(b)
        if x.ndim != 2 or not dt.is_float(x.dtype):
            raise ValueError(
                f"{self}: x ({_name(x)}) must be a 2-d tensor of floats, got {x.type}"
            )
        if b.ndim != 1 or not dt.is_float(b.dtype):
            raise ValueError(
                f"{self}: b ({_name(b)}) must be a 1-d tensor of floats, got {b.type}"
            )
        return Apply(self, [x, b], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, b = inputs
        if b.shape[0] != x.shape[1]:
            xv, bv = node.inputs
            raise ValueError(
                f"{self}: {_name(bv)} has {b.shape[0]} entries but {_name(xv)} has "
                f"{x.shape[1]} columns (shape {x.shape})"
            )
        output_storage[0][0] = _softmax_rows(x + b).astype(x.dtype, copy=False)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def L_op(self, inputs, outputs, grads):
        x, b = inputs
        dx = softmax_grad(grads[0], outputs[0])
        return [_to_type(dx, x), _to_type(sum(dx, axis=0), b)]

    def R_op(self, inputs, eval_points):
        ex, eb = eval_points
        if ex is None and eb is None:
            return [None]
        x, b = inputs
        direction = ex if eb is None else (eb if ex is None else ex + eb)
        return [softmax_grad(direction, self(x, b))]


softmax_with_bias = SoftmaxWithBias()


class LogSoftmax(Op):
    """Row-wise log-softmax: ``x[i, j] - log(sum_k exp(x[i, k]))``.

    Computed from ``x - max_k x[i, k]``, so it stays finite for logits in the
    thousands.  A vector input is padded to one row.

    Notes
    -----
    Gradient: ``gz - sum_k gz[i, k] * softmax(x)``.  R_op:
    ``v - sum_k v[i, k] softmax(x)[i, k]`` (the Jacobian is not symmetric;
    Theano 1.0 used the gradient formula here).  Not in place.
    """

    __props__ = ()

    def make_node(self, x):
        x = _as_float_rows(self, x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        if x.size == 0:
            output_storage[0][0] = numpy.array(x, copy=True)
            return
        shifted = x - x.max(axis=1, keepdims=True)
        out = shifted - numpy.log(numpy.exp(shifted).sum(axis=1, keepdims=True))
        output_storage[0][0] = out.astype(x.dtype, copy=False)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def L_op(self, inputs, outputs, grads):
        (x,) = inputs
        (gz,) = grads
        return [_to_type(gz - sum(gz, axis=1, keepdims=True) * softmax_op(x), x)]

    def R_op(self, inputs, eval_points):
        (v,) = eval_points
        if v is None:
            return [None]
        (x,) = inputs
        return [v - sum(v * softmax_op(x), axis=1, keepdims=True)]


logsoftmax_op = LogSoftmax()


def softmax(c):
    """Return the row-wise softmax of matrix ``c`` (a vector gives a ``(1, n)`` row).

    Examples
    --------
    >>> from symbolic.types.tensor import matrix
    >>> softmax(matrix('x')).owner.op
    Softmax
    """
    c = as_tensor_variable(c)
    if c.broadcastable[-1]:
        warnings.warn(
            "The softmax is applied on a dimension of shape 1, which does not "
            "have a semantic meaning.",
            stacklevel=2,
        )
    return softmax_op(c)


def logsoftmax(c):
    """Return the row-wise log-softmax of matrix ``c``, computed stably."""
    return logsoftmax_op(c)


def softmax_graph(c):
    """Softmax over the last axis built from elementwise ops and reductions.

    The row max is subtracted first, so large logits do not overflow; the
    shift cancels in the gradient.
    """
    c = as_tensor_variable(c)
    e = exp(c - max(c, axis=-1, keepdims=True))
    return e / sum(e, axis=-1, keepdims=True)


# Rectifiers -------------------------------------------------------------------------
def relu(x, alpha=0):
    """Rectified linear unit: ``max(x, 0)``, or slope ``alpha`` where ``x < 0``.

    Built as Theano does, from ``abs`` (one fused elemwise): ``0.5 (x + |x|)``
    for ``alpha == 0``, else ``0.5 (1 + alpha) x + 0.5 (1 - alpha) |x|``.  The
    gradient at 0 is ``(1 + alpha) / 2``.

    Parameters
    ----------
    x : tensor-like
    alpha : scalar or tensor-like
        The slope for negative inputs (0: plain rectifier).
    """
    x = as_tensor_variable(x)
    if not isinstance(alpha, Variable) and numpy.ndim(alpha) == 0 and alpha == 0:
        return 0.5 * (x + abs(x))
    # Symbolic 1 and 0.5 keep a numpy-scalar alpha from upcasting to float64.
    alpha = as_tensor_variable(alpha)
    f1 = 0.5 * (1 + alpha)
    f2 = 0.5 * (1 - alpha)
    return f1 * x + f2 * abs(x)


def elu(x, alpha=1):
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha (exp(x) - 1)``.

    ``expm1`` is evaluated at ``min(x, 0)``, so large positive inputs never
    produce ``inf * 0`` in the gradient.
    """
    x = as_tensor_variable(x)
    return switch(x > 0, x, alpha * expm1(minimum(x, 0)))


def selu(x):
    """Scaled exponential linear unit: ``scale * elu(x, alpha)``.

    ``alpha = 1.6732632423543772`` and ``scale = 1.0507009873554805``
    (Klambauer et al., 2017).
    """
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


# Binary cross-entropies -------------------------------------------------------------
def binary_crossentropy(output, target):
    """Elementwise ``-(target log(output) + (1 - target) log(1 - output))``.

    ``output`` holds probabilities; use :func:`sigmoid_binary_crossentropy`
    with logits for a stable loss.
    """
    output = as_tensor_variable(output)
    target = as_tensor_variable(target)
    return -(target * log(output) + (1.0 - target) * log(1.0 - output))


class ScalarSigmoidBinaryCrossentropy(BinaryScalarOp):
    """``binary_crossentropy(sigmoid(x), t)`` from the logit ``x``, computed stably.

    ``softplus(-|x|) + x ((x > 0) - t)``: finite and accurate for every
    finite ``x``.

    Notes
    -----
    Gradient: ``gz (sigmoid(x) - t)`` wrt ``x`` and ``-gz x`` wrt ``t``.
    """

    name = "sigmoid_binary_crossentropy"

    def output_types(self, in_dtypes):
        return (dt.float_of(dt.upcast(*in_dtypes)),)

    def impl(self, x, t):
        out_dtype = numpy.dtype(dt.float_of(numpy.result_type(x, t)))
        x = numpy.asarray(x).astype(out_dtype, copy=False)
        t = numpy.asarray(t).astype(out_dtype, copy=False)
        typed = out_dtype.type
        with numpy.errstate(all="ignore"):
            out = numpy.logaddexp(typed(0), -numpy.abs(x)) + x * (
                (x > 0).astype(out_dtype) - t
            )
        return numpy.asarray(out, dtype=out_dtype)

    def expression(self, args, in_dtypes, out_dtypes):
        out = out_dtypes[0]
        x, t = (_cast_expr(a, out) for a in args)
        positive = E.call(
            "select",
            out,
            E.call("gt", "bool", x, E.const(0.0, out)),
            E.const(1.0, out),
            E.const(0.0, out),
        )
        soft = E.call("softplus", out, E.call("neg", out, E.call("abs", out, x)))
        return (
            E.call(
                "add", out, soft, E.call("mul", out, x, E.call("sub", out, positive, t))
            ),
        )

    def L_op(self, inputs, outputs, grads):
        x, t = inputs
        (gz,) = grads
        gx = gz * (sigmoid(x) - t) if not dt.is_discrete(x.dtype) else _float_zeros(x)
        gt = -gz * x if not dt.is_discrete(t.dtype) else _float_zeros(t)
        return [gx, gt]


_sigmoid_binary_crossentropy = Elemwise(
    ScalarSigmoidBinaryCrossentropy(), name="sigmoid_binary_crossentropy"
)


def sigmoid_binary_crossentropy(output, target):
    """Binary cross-entropy of the logits ``output`` against probabilities ``target``.

    Equal to ``binary_crossentropy(sigmoid(output), target)`` but stable: the
    loss and its gradient ``sigmoid(output) - target`` stay finite for any
    finite logit.
    """
    return _sigmoid_binary_crossentropy(output, target)

"""Sigmoid-shaped activations: sigmoid, ultra_fast_sigmoid, hard_sigmoid, softplus.

Each is an Elemwise over a scalar op that states its math once in the shared
expression form.  ``sigmoid`` and ``softplus`` are exact and numerically
stable for every finite input: no overflow for ``|x|`` in the thousands, in
float32 as in float64.
"""

import numpy

from symbolic.ops.elemwise import Elemwise
from symbolic.ops.inplace import inplace_twin
from symbolic.ops.math import clip
from symbolic.ops.scalar import expr as E
from symbolic.ops.scalar.basic import _cast_expr
from symbolic.ops.scalar.math import FloatUnaryOp
from symbolic.types import dtypes as dt
from symbolic.types.tensor import as_tensor_variable, constant

__all__ = [
    "ScalarSigmoid",
    "ScalarSoftplus",
    "UltraFastScalarSigmoid",
    "hard_sigmoid",
    "scalar_sigmoid",
    "scalar_softplus",
    "sigmoid",
    "sigmoid_inplace",
    "softplus",
    "softplus_inplace",
    "ultra_fast_scalar_sigmoid",
    "ultra_fast_sigmoid",
]


class ScalarSigmoid(FloatUnaryOp):
    """The logistic function ``1 / (1 + exp(-x))``.

    Computed as ``exp(x) / (1 + exp(x))`` for negative ``x``, so it never
    overflows.  Integer inputs give float32 (int8, int16) or float64.

    Notes
    -----
    Gradient: ``gz * y * (1 - y)`` with ``y = sigmoid(x)``, which is finite
    (it underflows to 0) for large ``|x|``.
    """

    name = "scalar_sigmoid"
    primitive = "sigmoid"

    def impl(self, x):
        x = numpy.asarray(x)
        return numpy.asarray(E.PRIMITIVES["sigmoid"](x)).astype(
            dt.float_of(x.dtype), copy=False
        )

    def dfdx(self, x, z):
        return z * (1.0 - z)


class ScalarSoftplus(FloatUnaryOp):
    """``log(1 + exp(x))``, computed as ``max(x, 0) + log1p(exp(-|x|))``.

    Notes
    -----
    Gradient: ``gz * sigmoid(x)``.
    """

    name = "scalar_softplus"
    primitive = "softplus"

    def impl(self, x):
        x = numpy.asarray(x)
        out_dtype = dt.float_of(x.dtype)
        x = x.astype(out_dtype, copy=False)
        with numpy.errstate(all="ignore"):
            return numpy.asarray(numpy.logaddexp(x.dtype.type(0), x))

    def dfdx(self, x, z):
        return sigmoid(x)


# Theano's piecewise-linear tanh approximation, in units of x / 2.
_UFS_KNOT1 = 1.7
_UFS_KNOT2 = 3.0
_UFS_OFFSET = 0.935409070603099
_UFS_SLOPE = 0.0458812946797165
_UFS_TOP = 0.99505475368673


class UltraFastScalarSigmoid(FloatUnaryOp):
    """A fast piecewise approximation of the sigmoid (Theano's), within about 0.01.

    With ``h = x / 2`` and ``a = |h|``, ``t = 1.5 a / (1 + a)`` for ``a < 1.7``,
    ``0.935409 + 0.045881 (a - 1.7)`` for ``a < 3``, ``0.995055`` beyond;
    the result is ``(sign(h) t + 1) / 2``.

    Notes
    -----
    Gradient: ``gz * y * (1 - y)`` with ``y`` this op's output, as in Theano.
    """

    name = "ultra_fast_scalar_sigmoid"
    primitive = None

    def impl(self, x):
        x = numpy.asarray(x)
        out_dtype = numpy.dtype(dt.float_of(x.dtype))
        typed = out_dtype.type
        h = typed(0.5) * x.astype(out_dtype)
        a = numpy.abs(h)
        with numpy.errstate(all="ignore"):
            t = numpy.where(
                a < typed(_UFS_KNOT1),
                typed(1.5) * a / (typed(1) + a),
                numpy.where(
                    a < typed(_UFS_KNOT2),
                    typed(_UFS_OFFSET) + typed(_UFS_SLOPE) * (a - typed(_UFS_KNOT1)),
                    typed(_UFS_TOP),
                ),
            )
        t = numpy.where(h >= 0, t, -t)
        return numpy.asarray(typed(0.5) * (t + typed(1))).astype(out_dtype, copy=False)

    def expression(self, args, in_dtypes, out_dtypes):
        out = out_dtypes[0]

        def c(value):
            return E.const(value, out)

        h = E.call("mul", out, c(0.5), _cast_expr(args[0], out))
        a = E.call("abs", out, h)
        inner = E.call(
            "div", out, E.call("mul", out, c(1.5), a), E.call("add", out, c(1.0), a)
        )
        middle = E.call(
            "add",
            out,
            c(_UFS_OFFSET),
            E.call("mul", out, c(_UFS_SLOPE), E.call("sub", out, a, c(_UFS_KNOT1))),
        )
        t = E.call(
            "select",
            out,
            E.call("lt", "bool", a, c(_UFS_KNOT1)),
            inner,
            E.call(
                "select",
                out,
                E.call("lt", "bool", a, c(_UFS_KNOT2)),
                middle,
                c(_UFS_TOP),
            ),
        )
        signed = E.call(
            "select", out, E.call("ge", "bool", h, c(0.0)), t, E.call("neg", out, t)
        )
        return (E.call("mul", out, c(0.5), E.call("add", out, signed, c(1.0))),)

    def dfdx(self, x, z):
        return z * (1.0 - z)


scalar_sigmoid = ScalarSigmoid()
scalar_softplus = ScalarSoftplus()
ultra_fast_scalar_sigmoid = UltraFastScalarSigmoid()

#: ``sigmoid(x)``: the elementwise logistic function (an Elemwise instance).
sigmoid = Elemwise(scalar_sigmoid, name="sigmoid")
#: ``softplus(x)``: elementwise ``log(1 + exp(x))`` (an Elemwise instance).
softplus = Elemwise(scalar_softplus, name="softplus")
#: ``sigmoid_inplace(x)``, ``softplus_inplace(x)``: the same, written over
#: ``x`` (see :mod:`symbolic.ops.inplace`).
sigmoid_inplace = inplace_twin("sigmoid", sigmoid)
softplus_inplace = inplace_twin("softplus", softplus)
#: ``ultra_fast_sigmoid(x)``: the piecewise approximation (an Elemwise instance).
ultra_fast_sigmoid = Elemwise(ultra_fast_scalar_sigmoid, name="ultra_fast_sigmoid")


def hard_sigmoid(x):
    """Return ``clip(0.2 x + 0.5, 0, 1)``, computed in ``x``'s float dtype.

    The gradient is 0.2 inside ``(-2.5, 2.5)`` and 0 outside.

    Examples
    --------
    >>> from symbolic.types.tensor import fvector
    >>> hard_sigmoid(fvector()).dtype
    'float32'
    """
    x = as_tensor_variable(x)
    out_dtype = dt.float_of(x.dtype)
    slope = constant(0.2, dtype=out_dtype)
    shift = constant(0.5, dtype=out_dtype)
    return clip(x * slope + shift, 0, 1)

"""Unary float functions (exp, log, trig, special functions, rounding).

Each op states its derivative as ``dfdx(x, z)`` (z is the output), in tensor
ops; integer inputs are upgraded to float (int8/int16 to float32, wider to
float64) as Theano does.
"""

import numpy

from symbolic.ops.scalar import expr as E
from symbolic.ops.scalar.basic import (
    _T,
    BinaryScalarOp,
    UnaryScalarOp,
    _cast_expr,
    _float_zeros,
    upcast_out,
    upgrade_to_float,
)
from symbolic.types import dtypes as dt


class FloatUnaryOp(UnaryScalarOp):
    """A float function of one argument with a derivative ``dfdx(x, z)``."""

    output_types_preference = staticmethod(upgrade_to_float)

    def dfdx(self, x, z):
        raise NotImplementedError(f"{type(self).__name__} has no derivative")

    def impl(self, x):
        out_dtype = dt.float_of(numpy.asarray(x).dtype)
        with numpy.errstate(all="ignore"):
            return numpy.asarray(E.PRIMITIVES[self.primitive](x)).astype(
                out_dtype, copy=False
            )

    def L_op(self, inputs, outputs, grads):
        (x,) = inputs
        (z,) = outputs
        (gz,) = grads
        if dt.is_discrete(x.dtype):
            return [_float_zeros(x)]
        return [gz * self.dfdx(x, z)]


def _unary(cls_name, name, primitive, dfdx, doc):
    """Create a FloatUnaryOp subclass (a module-level class, so it pickles)."""
    cls = type(
        cls_name,
        (FloatUnaryOp,),
        {
            "name": name,
            "primitive": primitive,
            "dfdx": dfdx,
            "__doc__": doc,
            "__module__": __name__,
        },
    )
    return cls


def _d_exp(self, x, z):
    return z


def _d_exp2(self, x, z):
    return z * numpy.log(2.0)


def _d_log(self, x, z):
    return 1.0 / x


def _d_log2(self, x, z):
    return 1.0 / (x * numpy.log(2.0))


def _d_log10(self, x, z):
    return 1.0 / (x * numpy.log(10.0))


def _d_log1p(self, x, z):
    return 1.0 / (1.0 + x)


def _d_expm1(self, x, z):
    return z + 1.0


def _d_sqrt(self, x, z):
    return 0.5 / z


def _d_sin(self, x, z):
    return _T().cos(x)


def _d_cos(self, x, z):
    return -_T().sin(x)


def _d_tan(self, x, z):
    return 1.0 + z * z


def _d_arcsin(self, x, z):
    return 1.0 / _T().sqrt(1.0 - x * x)


def _d_arccos(self, x, z):
    return -1.0 / _T().sqrt(1.0 - x * x)


def _d_arctan(self, x, z):
    return 1.0 / (1.0 + x * x)


def _d_sinh(self, x, z):
    return _T().cosh(x)


def _d_cosh(self, x, z):
    return _T().sinh(x)


def _d_tanh(self, x, z):
    return 1.0 - z * z


def _d_arcsinh(self, x, z):
    return 1.0 / _T().sqrt(x * x + 1.0)


def _d_arccosh(self, x, z):
    return 1.0 / _T().sqrt(x * x - 1.0)


def _d_arctanh(self, x, z):
    return 1.0 / (1.0 - x * x)


def _d_erf(self, x, z):
    return (2.0 / numpy.sqrt(numpy.pi)) * _T().exp(-x * x)


def _d_erfc(self, x, z):
    return (-2.0 / numpy.sqrt(numpy.pi)) * _T().exp(-x * x)


def _d_erfinv(self, x, z):
    return (numpy.sqrt(numpy.pi) / 2.0) * _T().exp(z * z)


def _d_erfcinv(self, x, z):
    return (-numpy.sqrt(numpy.pi) / 2.0) * _T().exp(z * z)


def _d_gamma(self, x, z):
    return z * _T().psi(x)


def _d_gammaln(self, x, z):
    return _T().psi(x)


def _d_psi(self, x, z):
    return _T().tri_gamma(x)


def _d_zero(self, x, z):
    return _T().zeros_like(x)


Exp = _unary("Exp", "exp", "exp", _d_exp, "``e^x``; derivative ``e^x``.")
Exp2 = _unary("Exp2", "exp2", "exp2", _d_exp2, "``2^x``.")
Log = _unary("Log", "log", "log", _d_log, "Natural log; derivative ``1/x``.")
Log2 = _unary("Log2", "log2", "log2", _d_log2, "Base-2 log.")
Log10 = _unary("Log10", "log10", "log10", _d_log10, "Base-10 log.")
Log1p = _unary("Log1p", "log1p", "log1p", _d_log1p, "``log(1 + x)``, accurate near 0.")
Expm1 = _unary("Expm1", "expm1", "expm1", _d_expm1, "``e^x - 1``, accurate near 0.")
Sqrt = _unary(
    "Sqrt", "sqrt", "sqrt", _d_sqrt, "Square root; derivative ``1/(2 sqrt x)``."
)
Sin = _unary("Sin", "sin", "sin", _d_sin, "Sine.")
Cos = _unary("Cos", "cos", "cos", _d_cos, "Cosine.")
Tan = _unary("Tan", "tan", "tan", _d_tan, "Tangent.")
ArcSin = _unary("ArcSin", "arcsin", "asin", _d_arcsin, "Inverse sine.")
ArcCos = _unary("ArcCos", "arccos", "acos", _d_arccos, "Inverse cosine.")
ArcTan = _unary("ArcTan", "arctan", "atan", _d_arctan, "Inverse tangent.")
Sinh = _unary("Sinh", "sinh", "sinh", _d_sinh, "Hyperbolic sine.")
Cosh = _unary("Cosh", "cosh", "cosh", _d_cosh, "Hyperbolic cosine.")
Tanh = _unary(
    "Tanh", "tanh", "tanh", _d_tanh, "Hyperbolic tangent; derivative ``1 - z^2``."
)
ArcSinh = _unary("ArcSinh", "arcsinh", "asinh", _d_arcsinh, "Inverse hyperbolic sine.")
ArcCosh = _unary(
    "ArcCosh", "arccosh", "acosh", _d_arccosh, "Inverse hyperbolic cosine."
)
ArcTanh = _unary(
    "ArcTanh", "arctanh", "atanh", _d_arctanh, "Inverse hyperbolic tangent."
)
Erf = _unary("Erf", "erf", "erf", _d_erf, "Error function.")
Erfc = _unary("Erfc", "erfc", "erfc", _d_erfc, "Complementary error function.")
Erfinv = _unary("Erfinv", "erfinv", "erfinv", _d_erfinv, "Inverse error function.")
Erfcinv = _unary("Erfcinv", "erfcinv", "erfcinv", _d_erfcinv, "Inverse of erfc.")
Gamma = _unary("Gamma", "gamma", "gamma", _d_gamma, "The gamma function.")
GammaLn = _unary("GammaLn", "gammaln", "lgamma", _d_gammaln, "``log |gamma(x)|``.")
Psi = _unary("Psi", "psi", "digamma", _d_psi, "The digamma function.")


class TriGamma(FloatUnaryOp):
    """The trigamma function (derivative of psi); no gradient of its own."""

    name = "tri_gamma"

    def impl(self, x):
        import scipy.special

        out_dtype = dt.float_of(numpy.asarray(x).dtype)
        return numpy.asarray(scipy.special.polygamma(1, x)).astype(out_dtype)

    def expression(self, args, in_dtypes, out_dtypes):
        raise NotImplementedError("tri_gamma has no expression form")


class _Rounding(UnaryScalarOp):
    """Rounding: keeps integer dtypes, zero gradient."""

    output_types_preference = staticmethod(upgrade_to_float)

    def impl(self, x):
        x = numpy.asarray(x)
        return E.PRIMITIVES[self.primitive](x).astype(dt.float_of(x.dtype))

    def L_op(self, inputs, outputs, grads):
        return [_float_zeros(inputs[0])]


class Floor(_Rounding):
    name, primitive = "floor", "floor"


class Ceil(_Rounding):
    name, primitive = "ceil", "ceil"


class Trunc(_Rounding):
    name, primitive = "trunc", "trunc"


class RoundHalfToEven(_Rounding):
    name, primitive = "round_half_to_even", "round_half_even"


class RoundHalfAwayFromZero(_Rounding):
    name, primitive = "round_half_away_from_zero", "round_half_away"


class Sqr(UnaryScalarOp):
    """``x * x``; keeps integer dtypes; derivative ``2x``."""

    name = "sqr"
    output_types_preference = staticmethod(upcast_out)

    def expression(self, args, in_dtypes, out_dtypes):
        x = _cast_expr(args[0], out_dtypes[0])
        return (E.call("mul", out_dtypes[0], x, x),)

    def impl(self, x):
        return numpy.multiply(x, x)

    def L_op(self, inputs, outputs, grads):
        (x,) = inputs
        if dt.is_discrete(outputs[0].dtype):
            return [_float_zeros(x)]
        return [grads[0] * x * 2]


class Inv(FloatUnaryOp):
    """``1 / x``; derivative ``-1/x^2``."""

    name = "inv"

    def expression(self, args, in_dtypes, out_dtypes):
        out = out_dtypes[0]
        return (E.call("div", out, E.const(1.0, out), _cast_expr(args[0], out)),)

    def impl(self, x):
        x = numpy.asarray(x)
        with numpy.errstate(all="ignore"):
            return (1.0 / x).astype(dt.float_of(x.dtype))

    def dfdx(self, x, z):
        return -(z * z)


class ArcTan2(BinaryScalarOp):
    """``atan2(y, x)``; gradients ``x/(x^2+y^2)`` and ``-y/(x^2+y^2)``."""

    name = "arctan2"
    primitive = "atan2"
    output_types_preference = staticmethod(upgrade_to_float)

    def impl(self, y, x):
        out = dt.float_of(dt.upcast(numpy.asarray(y).dtype, numpy.asarray(x).dtype))
        return numpy.arctan2(y, x).astype(out)

    def L_op(self, inputs, outputs, grads):
        y, x = inputs
        (gz,) = grads
        denom = x * x + y * y
        return [
            gz * x / denom if not dt.is_discrete(y.dtype) else _float_zeros(y),
            -gz * y / denom if not dt.is_discrete(x.dtype) else _float_zeros(x),
        ]


__all__ = [
    name
    for name, value in list(globals().items())
    if isinstance(value, type) and issubclass(value, UnaryScalarOp | BinaryScalarOp)
]

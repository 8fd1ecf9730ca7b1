"""Scalar ops: the element functions that Elemwise maps over tensors.

Each scalar op states its output dtypes (``output_types``), its numpy
implementation (``impl``, applied to whole arrays), its math in the shared
expression form (``expression``) and its derivative (``L_op``).  ``L_op``
works on *tensor* variables: Elemwise calls it with its own inputs, outputs
and output gradients and sums the result over broadcast dimensions.
"""

import numpy

from symbolic.graph.op import Op
from symbolic.ops.scalar import expr as E
from symbolic.types import dtypes as dt
from symbolic.types.tensor import ops_namespace


def _T():
    # Gradients of scalar ops are built from the tensor ops they sit under
    # (Elemwise differentiates through them): the namespace symbolic.ops
    # installs on the tensor types.
    return ops_namespace()


# Output dtype rules --------------------------------------------------------------
def upcast_out(*dtypes):
    return (dt.upcast(*dtypes),)


def upgrade_to_float(*dtypes):
    return (dt.float_of(dt.upcast(*dtypes)),)


def upcast_out_nobool(*dtypes):
    out = dt.upcast(*dtypes)
    if out == "bool":
        raise TypeError("this operation does not accept bool inputs")
    return (out,)


def same_out(dtype, *rest):
    return (dtype,)


def bool_out(*dtypes):
    return ("bool",)


def int_out(*dtypes):
    out = dt.upcast(*dtypes)
    if out not in dt.discrete_dtypes:
        raise TypeError(f"this operation needs integer or bool inputs, got {dtypes}")
    return (out,)


def float_out_true_div(*dtypes):
    out = dt.upcast(*dtypes)
    if out in dt.discrete_dtypes:
        from symbolic.config import config

        return (config.floatX,)
    return (out,)


class ScalarOp(Op):
    """Base of scalar ops.

    Attributes
    ----------
    nin : int
        Number of inputs (-1: any number, e.g. add and mul).
    nout : int
    name : str
        Lowercase name shown in ``Elemwise{name,...}``.
    output_types_preference : callable
        ``(*input_dtypes) -> tuple of output dtypes``.
    """

    nin = 1
    nout = 1
    name = None
    output_types_preference = staticmethod(upcast_out)
    __props__ = ()
    #: Commutative and associative (lets rewrites flatten trees).
    commutative = False
    associative = False

    def output_types(self, in_dtypes):
        if self.nin >= 0 and len(in_dtypes) != self.nin:
            raise TypeError(f"{self} takes {self.nin} inputs, got {len(in_dtypes)}")
        return tuple(self.output_types_preference(*in_dtypes))

    def impl(self, *inputs):
        """Compute the outputs from numpy arrays (or scalars)."""
        raise NotImplementedError(f"{type(self).__name__}.impl")

    def expression(self, args, in_dtypes, out_dtypes):
        """Return the output Expr(s) given argument Exprs (see ``expr``)."""
        raise NotImplementedError(f"{type(self).__name__}.expression")

    def L_op(self, inputs, outputs, output_grads):
        raise NotImplementedError(f"{type(self).__name__} has no gradient")

    def __str__(self):
        if self.__props__:
            return (
                f"{type(self).__name__}{{"
                + ", ".join(str(getattr(self, p)) for p in self.__props__)
                + "}"
            )
        return self.name or type(self).__name__.lower()

    def __eq__(self, other):
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self):
        return hash((type(self), self._props()))


class _Prim(ScalarOp):
    """A scalar op that is one primitive of the expression form applied to its args."""

    primitive = None

    def expression(self, args, in_dtypes, out_dtypes):
        out = out_dtypes[0]
        cast_args = [_cast_expr(a, out) for a in args]
        return (E.call(self.primitive, out, *cast_args),)

    def impl(self, *inputs):
        return E.PRIMITIVES[self.primitive](*inputs)

    @property
    def fast_impl(self):
        """The numpy function to call directly when ``impl`` is the primitive's."""
        if type(self).impl is _Prim.impl and self.primitive is not None:
            return E.PRIMITIVES[self.primitive]
        return None


def _cast_expr(expr, dtype):
    if expr.dtype == dtype:
        return expr
    return E.call("cast", dtype, expr)


class UnaryScalarOp(_Prim):
    nin = 1


class BinaryScalarOp(_Prim):
    nin = 2


def _float_zeros(x):
    T = _T()
    return T.zeros_like(
        x, dtype=dt.float_of(x.dtype) if dt.is_discrete(x.dtype) else x.dtype
    )


def _no_grad_for_discrete(inputs, outputs, grads):
    """Return zero grads when the output is discrete (the op is piecewise constant)."""
    if outputs[0].dtype in dt.discrete_dtypes:
        return [_float_zeros(x) for x in inputs]
    return None


# Arithmetic ----------------------------------------------------------------------
class Add(_Prim):
    """``x + y + ...``; gradient: the output gradient for every input."""

    nin = -1
    name = "add"
    primitive = "add"
    commutative = associative = True

    def expression(self, args, in_dtypes, out_dtypes):
        out = out_dtypes[0]
        result = _cast_expr(args[0], out)
        for a in args[1:]:
            result = E.call("add", out, result, _cast_expr(a, out))
        return (result,)

    fast_impl = staticmethod(numpy.add)

    def impl(self, *inputs):
        result = inputs[0]
        for x in inputs[1:]:
            result = numpy.add(result, x)
        return result

    def L_op(self, inputs, outputs, grads):
        zeros = _no_grad_for_discrete(inputs, outputs, grads)
        if zeros is not None:
            return zeros
        return [grads[0]] * len(inputs)


class Mul(_Prim):
    """``x * y * ...``; gradient wrt one factor is the product of the others."""

    nin = -1
    name = "mul"
    primitive = "mul"
    commutative = associative = True

    def expression(self, args, in_dtypes, out_dtypes):
        out = out_dtypes[0]
        result = _cast_expr(args[0], out)
        for a in args[1:]:
            result = E.call("mul", out, result, _cast_expr(a, out))
        return (result,)

    fast_impl = staticmethod(numpy.multiply)

    def impl(self, *inputs):
        result = inputs[0]
        for x in inputs[1:]:
            result = numpy.multiply(result, x)
        return result

    def L_op(self, inputs, outputs, grads):
        zeros = _no_grad_for_discrete(inputs, outputs, grads)
        if zeros is not None:
            return zeros
        (gz,) = grads
        T = _T()
        result = []
        for i in range(len(inputs)):
            others = [x for j, x in enumerate(inputs) if j != i]
            result.append(T.mul(gz, *others) if others else gz)
        return result


class Sub(BinaryScalarOp):
    """``x - y``; gradients ``gz`` and ``-gz``."""

    name = "sub"
    primitive = "sub"
    output_types_preference = staticmethod(upcast_out_nobool)

    def L_op(self, inputs, outputs, grads):
        zeros = _no_grad_for_discrete(inputs, outputs, grads)
        if zeros is not None:
            return zeros
        (gz,) = grads
        return [gz, -gz]


class TrueDiv(BinaryScalarOp):
    """``x / y`` (int / int gives floatX); gradients ``gz / y`` and ``-gz x / y^2``."""

    name = "true_div"
    primitive = "div"
    output_types_preference = staticmethod(float_out_true_div)

    def impl(self, x, y):
        return numpy.true_divide(x, y)

    def L_op(self, inputs, outputs, grads):
        x, y = inputs
        (gz,) = grads
        gx = gz / y if not dt.is_discrete(x.dtype) else _float_zeros(x)
        gy = -gz * x / (y * y) if not dt.is_discrete(y.dtype) else _float_zeros(y)
        return [gx, gy]


class IntDiv(BinaryScalarOp):
    """``x // y`` (floor division); not differentiable (zero gradient)."""

    name = "int_div"
    primitive = "floordiv"

    def L_op(self, inputs, outputs, grads):
        return [_float_zeros(x) for x in inputs]


class Mod(BinaryScalarOp):
    """``x % y`` with Python's sign convention; gradient ``gz`` wrt x."""

    name = "mod"
    primitive = "mod"

    def L_op(self, inputs, outputs, grads):
        zeros = _no_grad_for_discrete(inputs, outputs, grads)
        if zeros is not None:
            return zeros
        x, y = inputs
        (gz,) = grads
        return [gz, -gz * _T().int_div(x, y)]


class Pow(BinaryScalarOp):
    """``x ** y``; gradients ``gz y x^(y-1)`` and ``gz log(x) x^y``."""

    name = "pow"
    primitive = "pow"

    def impl(self, x, y):
        if (
            numpy.asarray(x).dtype.kind in "iub"
            and numpy.asarray(y).dtype.kind in "iub"
        ):
            return numpy.power(x, y)
        return numpy.power(x, y)

    def L_op(self, inputs, outputs, grads):
        zeros = _no_grad_for_discrete(inputs, outputs, grads)
        if zeros is not None:
            return zeros
        x, y = inputs
        (z,) = outputs
        (gz,) = grads
        T = _T()
        gx = (
            gz * y * T.pow(x, y - 1) if not dt.is_discrete(x.dtype) else _float_zeros(x)
        )
        gy = gz * T.log(x) * z if not dt.is_discrete(y.dtype) else _float_zeros(y)
        return [gx, gy]


class Neg(UnaryScalarOp):
    """``-x``; gradient ``-gz``."""

    name = "neg"
    primitive = "neg"
    output_types_preference = staticmethod(upcast_out_nobool)

    def L_op(self, inputs, outputs, grads):
        zeros = _no_grad_for_discrete(inputs, outputs, grads)
        if zeros is not None:
            return zeros
        return [-grads[0]]


class Abs(UnaryScalarOp):
    """``|x|``; gradient ``gz sgn(x)``."""

    name = "abs_"
    primitive = "abs"

    def L_op(self, inputs, outputs, grads):
        zeros = _no_grad_for_discrete(inputs, outputs, grads)
        if zeros is not None:
            return zeros
        return [grads[0] * _T().sgn(inputs[0])]


class Sgn(UnaryScalarOp):
    """The sign of x (-1, 0 or 1); zero gradient."""

    name = "sgn"
    primitive = "sign"

    def L_op(self, inputs, outputs, grads):
        return [_float_zeros(inputs[0])]


class Maximum(BinaryScalarOp):
    """Elementwise max; the gradient goes to the larger input (to x on ties)."""

    name = "maximum"
    primitive = "max"

    def L_op(self, inputs, outputs, grads):
        zeros = _no_grad_for_discrete(inputs, outputs, grads)
        if zeros is not None:
            return zeros
        x, y = inputs
        (gz,) = grads
        T = _T()
        x_wins = T.ge(x, y)
        return [gz * T.cast(x_wins, gz.dtype), gz * T.cast(T.invert(x_wins), gz.dtype)]


class Minimum(BinaryScalarOp):
    """Elementwise min; the gradient goes to the smaller input (to x on ties)."""

    name = "minimum"
    primitive = "min"

    def L_op(self, inputs, outputs, grads):
        zeros = _no_grad_for_discrete(inputs, outputs, grads)
        if zeros is not None:
            return zeros
        x, y = inputs
        (gz,) = grads
        T = _T()
        x_wins = T.le(x, y)
        return [gz * T.cast(x_wins, gz.dtype), gz * T.cast(T.invert(x_wins), gz.dtype)]


# Comparisons and logic -------------------------------------------------------------
class _Compare(BinaryScalarOp):
    output_types_preference = staticmethod(bool_out)

    def expression(self, args, in_dtypes, out_dtypes):
        common = dt.upcast(*in_dtypes)
        return (E.call(self.primitive, "bool", *[_cast_expr(a, common) for a in args]),)

    def L_op(self, inputs, outputs, grads):
        return [_float_zeros(x) for x in inputs]


class LT(_Compare):
    name, primitive = "lt", "lt"


class GT(_Compare):
    name, primitive = "gt", "gt"


class LE(_Compare):
    name, primitive = "le", "le"


class GE(_Compare):
    name, primitive = "ge", "ge"


class EQ(_Compare):
    name, primitive = "eq", "eq"


class NEQ(_Compare):
    name, primitive = "neq", "ne"


class _Predicate(UnaryScalarOp):
    output_types_preference = staticmethod(bool_out)

    def expression(self, args, in_dtypes, out_dtypes):
        if in_dtypes[0] in dt.discrete_dtypes:
            return (E.const(False, "bool"),)
        return (E.call(self.primitive, "bool", args[0]),)

    def impl(self, x):
        x = numpy.asarray(x)
        if x.dtype.kind in "biu":
            return numpy.zeros(x.shape, dtype=bool)
        return E.PRIMITIVES[self.primitive](x)

    def L_op(self, inputs, outputs, grads):
        return [_float_zeros(inputs[0])]


class IsNan(_Predicate):
    name, primitive = "isnan", "isnan"


class IsInf(_Predicate):
    name, primitive = "isinf", "isinf"


class _Bitwise(BinaryScalarOp):
    """Bitwise on integers, logical on bools; zero gradient."""

    output_types_preference = staticmethod(int_out)

    def L_op(self, inputs, outputs, grads):
        return [_float_zeros(x) for x in inputs]


class AND(_Bitwise):
    name, primitive = "and_", "band"


class OR(_Bitwise):
    name, primitive = "or_", "bor"


class XOR(_Bitwise):
    name, primitive = "xor", "bxor"


class Invert(UnaryScalarOp):
    """Bitwise not (logical not for bool)."""

    name, primitive = "invert", "bnot"
    output_types_preference = staticmethod(int_out)

    def L_op(self, inputs, outputs, grads):
        return [_float_zeros(inputs[0])]


# Selection and identity ---------------------------------------------------------------
class Switch(ScalarOp):
    """``cond ? ift : iff`` (both branches evaluated); gradient masked by cond."""

    nin = 3
    name = "switch"

    def output_types(self, in_dtypes):
        return (dt.upcast(in_dtypes[1], in_dtypes[2]),)

    def impl(self, cond, ift, iff):
        return numpy.where(cond, ift, iff)

    def expression(self, args, in_dtypes, out_dtypes):
        out = out_dtypes[0]
        cond = (
            args[0]
            if in_dtypes[0] == "bool"
            else E.call("ne", "bool", args[0], E.const(0, in_dtypes[0]))
        )
        return (
            E.call(
                "select", out, cond, _cast_expr(args[1], out), _cast_expr(args[2], out)
            ),
        )

    def L_op(self, inputs, outputs, grads):
        cond, ift, iff = inputs
        (gz,) = grads
        T = _T()
        zeros = T.zeros_like(gz)
        gift = (
            T.switch(cond, gz, zeros)
            if not dt.is_discrete(ift.dtype)
            else _float_zeros(ift)
        )
        giff = (
            T.switch(cond, zeros, gz)
            if not dt.is_discrete(iff.dtype)
            else _float_zeros(iff)
        )
        return [_float_zeros(cond), gift, giff]


class Identity(UnaryScalarOp):
    """``x``; the scalar op of ``tensor_copy`` and ``Variable.copy()``."""

    name = "identity"
    output_types_preference = staticmethod(same_out)

    def expression(self, args, in_dtypes, out_dtypes):
        return (args[0],)

    def impl(self, x):
        return numpy.array(x, copy=True)

    def L_op(self, inputs, outputs, grads):
        zeros = _no_grad_for_discrete(inputs, outputs, grads)
        if zeros is not None:
            return zeros
        return [grads[0]]


class Second(BinaryScalarOp):
    """``second(x, y) = y`` broadcast to x's shape (Theano's ``fill``)."""

    name = "second"

    def output_types(self, in_dtypes):
        return (in_dtypes[1],)

    def expression(self, args, in_dtypes, out_dtypes):
        return (args[1],)

    def impl(self, x, y):
        return numpy.broadcast_to(
            y, numpy.broadcast_shapes(numpy.shape(x), numpy.shape(y))
        ).copy()

    def L_op(self, inputs, outputs, grads):
        x, y = inputs
        if dt.is_discrete(y.dtype):
            return [_float_zeros(x), _float_zeros(y)]
        return [
            _float_zeros(x) if dt.is_discrete(x.dtype) else _T().zeros_like(x),
            grads[0],
        ]


class Cast(UnaryScalarOp):
    """Convert to ``o_type``; gradient cast back to the input dtype."""

    __props__ = ("o_type",)

    def __init__(self, o_type):
        self.o_type = str(numpy.dtype(o_type))
        self.name = f"convert_to_{self.o_type}"

    def output_types(self, in_dtypes):
        return (self.o_type,)

    def expression(self, args, in_dtypes, out_dtypes):
        if self.o_type == "bool":
            return (E.call("ne", "bool", args[0], E.const(0, in_dtypes[0])),)
        return (E.call("cast", self.o_type, args[0]),)

    def impl(self, x):
        return numpy.asarray(x).astype(self.o_type)

    def L_op(self, inputs, outputs, grads):
        (x,) = inputs
        if dt.is_discrete(x.dtype) or dt.is_discrete(self.o_type):
            return [_float_zeros(x)]
        return [_T().cast(grads[0], x.dtype)]

    def __str__(self):
        return f"Cast{{{self.o_type}}}"


class Clip(ScalarOp):
    """``min(max(x, lo), hi)``; the gradient flows where ``lo <= x <= hi``."""

    nin = 3
    name = "clip"

    def output_types(self, in_dtypes):
        return (dt.upcast(*in_dtypes),)

    def impl(self, x, lo, hi):
        return numpy.minimum(numpy.maximum(x, lo), hi)

    def expression(self, args, in_dtypes, out_dtypes):
        out = out_dtypes[0]
        x, lo, hi = (_cast_expr(a, out) for a in args)
        return (E.call("min", out, E.call("max", out, x, lo), hi),)

    def L_op(self, inputs, outputs, grads):
        zeros = _no_grad_for_discrete(inputs, outputs, grads)
        if zeros is not None:
            return zeros
        x, lo, hi = inputs
        (gz,) = grads
        T = _T()
        inside = T.and_(T.ge(x, lo), T.le(x, hi))
        below = T.lt(x, lo)
        above = T.gt(x, hi)
        gx = gz * T.cast(inside, gz.dtype)
        glo = gz * T.cast(below, gz.dtype)
        ghi = gz * T.cast(above, gz.dtype)
        return [
            gx if not dt.is_discrete(x.dtype) else _float_zeros(x),
            glo if not dt.is_discrete(lo.dtype) else _float_zeros(lo),
            ghi if not dt.is_discrete(hi.dtype) else _float_zeros(hi),
        ]


identity = Identity()

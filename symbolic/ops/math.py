"""Elementwise functions and reductions users call (add, exp, sum, mean, ...)."""

import numpy

from symbolic.config import config
from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.elemwise import CAReduce, Elemwise, expand_reduced
from symbolic.ops.scalar import basic as sb
from symbolic.ops.scalar import math as sm
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable


def _elemwise(scalar_op, name, doc):
    """Return the user function applying ``scalar_op`` elementwise."""
    op = Elemwise(scalar_op, name=f"Elemwise{{{name},no_inplace}}")

    def apply(*inputs):
        return op(*inputs)

    apply.__name__ = name
    apply.__qualname__ = name
    apply.__doc__ = doc
    apply.op = op
    return apply


# Arithmetic ------------------------------------------------------------------------
add = _elemwise(sb.Add(), "add", "Elementwise sum of the inputs.")
mul = _elemwise(sb.Mul(), "mul", "Elementwise product of the inputs.")
sub = _elemwise(sb.Sub(), "sub", "Elementwise ``a - b``.")
true_div = _elemwise(
    sb.TrueDiv(), "true_div", "Elementwise ``a / b`` (int/int gives floatX)."
)
int_div = _elemwise(sb.IntDiv(), "int_div", "Elementwise floor division ``a // b``.")
floor_div = int_div
mod = _elemwise(sb.Mod(), "mod", "Elementwise ``a % b``.")
pow = _elemwise(sb.Pow(), "pow", "Elementwise ``a ** b``.")
neg = _elemwise(sb.Neg(), "neg", "Elementwise ``-a``.")
abs_ = _elemwise(sb.Abs(), "abs_", "Elementwise absolute value.")
abs = abs_
sgn = _elemwise(sb.Sgn(), "sgn", "Elementwise sign (-1, 0, 1).")
sign = sgn
maximum = _elemwise(sb.Maximum(), "maximum", "Elementwise maximum.")
minimum = _elemwise(sb.Minimum(), "minimum", "Elementwise minimum.")

# Comparisons and logic -------------------------------------------------------------
lt = _elemwise(sb.LT(), "lt", "Elementwise ``a < b`` (bool).")
gt = _elemwise(sb.GT(), "gt", "Elementwise ``a > b`` (bool).")
le = _elemwise(sb.LE(), "le", "Elementwise ``a <= b`` (bool).")
ge = _elemwise(sb.GE(), "ge", "Elementwise ``a >= b`` (bool).")
eq = _elemwise(sb.EQ(), "eq", "Elementwise ``a == b`` (bool).")
neq = _elemwise(sb.NEQ(), "neq", "Elementwise ``a != b`` (bool).")
less, greater, less_equal, greater_equal = lt, gt, le, ge
equal, not_equal = eq, neq
isnan = _elemwise(sb.IsNan(), "isnan", "Elementwise NaN test (False for ints).")
isinf = _elemwise(sb.IsInf(), "isinf", "Elementwise infinity test (False for ints).")
and_ = _elemwise(sb.AND(), "and_", "Bitwise and (logical for bool).")
or_ = _elemwise(sb.OR(), "or_", "Bitwise or (logical for bool).")
xor = _elemwise(sb.XOR(), "xor", "Bitwise xor (logical for bool).")
invert = _elemwise(sb.Invert(), "invert", "Bitwise not (logical for bool).")
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = and_, or_, xor, invert

# Float functions ----------------------------------------------------------------------
exp = _elemwise(sm.Exp(), "exp", "Elementwise ``e^x``.")
exp2 = _elemwise(sm.Exp2(), "exp2", "Elementwise ``2^x``.")
log = _elemwise(sm.Log(), "log", "Elementwise natural logarithm.")
log2 = _elemwise(sm.Log2(), "log2", "Elementwise base-2 logarithm.")
log10 = _elemwise(sm.Log10(), "log10", "Elementwise base-10 logarithm.")
log1p = _elemwise(sm.Log1p(), "log1p", "Elementwise ``log(1 + x)``.")
expm1 = _elemwise(sm.Expm1(), "expm1", "Elementwise ``e^x - 1``.")
sqrt = _elemwise(sm.Sqrt(), "sqrt", "Elementwise square root.")
sqr = _elemwise(sm.Sqr(), "sqr", "Elementwise square (keeps integer dtypes).")
square = sqr
inv = _elemwise(sm.Inv(), "inv", "Elementwise ``1 / x``.")
sin = _elemwise(sm.Sin(), "sin", "Elementwise sine.")
cos = _elemwise(sm.Cos(), "cos", "Elementwise cosine.")
tan = _elemwise(sm.Tan(), "tan", "Elementwise tangent.")
arcsin = _elemwise(sm.ArcSin(), "arcsin", "Elementwise inverse sine.")
arccos = _elemwise(sm.ArcCos(), "arccos", "Elementwise inverse cosine.")
arctan = _elemwise(sm.ArcTan(), "arctan", "Elementwise inverse tangent.")
arctan2 = _elemwise(sm.ArcTan2(), "arctan2", "Elementwise ``atan2(y, x)``.")
sinh = _elemwise(sm.Sinh(), "sinh", "Elementwise hyperbolic sine.")
cosh = _elemwise(sm.Cosh(), "cosh", "Elementwise hyperbolic cosine.")
tanh = _elemwise(sm.Tanh(), "tanh", "Elementwise hyperbolic tangent.")
arcsinh = _elemwise(sm.ArcSinh(), "arcsinh", "Elementwise inverse hyperbolic sine.")
arccosh = _elemwise(sm.ArcCosh(), "arccosh", "Elementwise inverse hyperbolic cosine.")
arctanh = _elemwise(sm.ArcTanh(), "arctanh", "Elementwise inverse hyperbolic tangent.")
erf = _elemwise(sm.Erf(), "erf", "Elementwise error function.")
erfc = _elemwise(sm.Erfc(), "erfc", "Elementwise complementary error function.")
erfinv = _elemwise(sm.Erfinv(), "erfinv", "Elementwise inverse error function.")
erfcinv = _elemwise(sm.Erfcinv(), "erfcinv", "Elementwise inverse of erfc.")
gamma = _elemwise(sm.Gamma(), "gamma", "Elementwise gamma function.")
gammaln = _elemwise(sm.GammaLn(), "gammaln", "Elementwise log-gamma.")
psi = _elemwise(sm.Psi(), "psi", "Elementwise digamma.")
tri_gamma = _elemwise(sm.TriGamma(), "tri_gamma", "Elementwise trigamma.")
floor = _elemwise(sm.Floor(), "floor", "Elementwise floor.")
ceil = _elemwise(sm.Ceil(), "ceil", "Elementwise ceiling.")
trunc = _elemwise(sm.Trunc(), "trunc", "Elementwise truncation toward zero.")
round_half_to_even = _elemwise(
    sm.RoundHalfToEven(), "round_half_to_even", "Round, halves to even."
)
round_half_away_from_zero = _elemwise(
    sm.RoundHalfAwayFromZero(),
    "round_half_away_from_zero",
    "Round, halves away from zero.",
)
_switch = _elemwise(sb.Switch(), "switch", "")
_clip = _elemwise(sb.Clip(), "clip", "")
second = _elemwise(sb.Second(), "second", "``y`` broadcast to the shape of ``x``.")
fill = second
identity = Elemwise(sb.Identity())


def tensor_copy(x):
    """Return ``Elemwise{identity}(x)``: a new variable with x's value."""
    return identity(x)


def switch(cond, ift, iff):
    """Elementwise ``ift if cond else iff``; both branches are computed."""
    return _switch(cond, ift, iff)


where = switch


def clip(x, min, max):
    """Clip ``x`` into ``[min, max]``; the gradient flows inside the interval."""
    return _clip(x, min, max)


def round(a, mode=None):
    """Round elementwise; ``mode`` is 'half_away_from_zero' or 'half_to_even'."""
    if mode is None:
        mode = "half_to_even"
    if mode == "half_away_from_zero":
        return round_half_away_from_zero(a)
    if mode == "half_to_even":
        return round_half_to_even(a)
    raise ValueError(f"round: unknown mode {mode!r}")


def cast(x, dtype):
    """Return ``x`` converted to ``dtype`` (the identity when it already has it)."""
    if dtype == "floatX":
        dtype = config.floatX
    x = as_tensor_variable(x)
    dtype = str(numpy.dtype(dtype))
    if x.dtype == dtype:
        return x
    return _cast_ops(dtype)(x)


_CAST_OPS = {}


def _cast_ops(dtype):
    if dtype not in _CAST_OPS:
        _CAST_OPS[dtype] = Elemwise(sb.Cast(dtype), name=f"Elemwise{{Cast{{{dtype}}}}}")
    return _CAST_OPS[dtype]


def conj(x):
    x = as_tensor_variable(x)
    if x.dtype.startswith("complex"):
        raise NotImplementedError("complex conjugate")
    return x


def patternbroadcast(x, broadcastable):
    """Return ``x`` with the given broadcastable flags (checked at run time)."""
    from symbolic.ops.basic import Rebroadcast

    x = as_tensor_variable(x)
    broadcastable = tuple(bool(b) for b in broadcastable)
    if x.broadcastable == broadcastable:
        return x
    return Rebroadcast(*enumerate(broadcastable))(x)


def zeros_like(model, dtype=None, opt=False):
    """Return zeros with ``model``'s shape and broadcast pattern."""
    model = as_tensor_variable(model)
    dtype = dtype or model.dtype
    return fill(model, as_tensor_variable(numpy.asarray(0, dtype=dtype)))


def ones_like(model, dtype=None, opt=False):
    """Return ones with ``model``'s shape and broadcast pattern."""
    model = as_tensor_variable(model)
    dtype = dtype or model.dtype
    return fill(model, as_tensor_variable(numpy.asarray(1, dtype=dtype)))


# Reductions ------------------------------------------------------------------------
def _normalize_axis(axis, ndim):
    if axis is None:
        return None
    if isinstance(axis, (int, numpy.integer)):
        axis = [axis]
    elif hasattr(axis, "type"):
        from symbolic.ops.basic import get_scalar_constant_value

        value = get_scalar_constant_value(axis)
        axis = [int(v) for v in numpy.atleast_1d(value)]
    result = []
    for a in axis:
        a = int(a)
        if a < 0:
            a += ndim
        if not 0 <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a {ndim}-d tensor")
        result.append(a)
    return tuple(sorted(set(result)))


def _sum_dtype(dtype):
    if dtype in ("bool", "int8", "int16", "int32"):
        return "int64"
    if dtype in ("uint8", "uint16", "uint32"):
        return "uint64"
    return dtype


class Sum(CAReduce):
    """Sum over ``axis``; gradient: the output gradient broadcast back.

    Output dtype: small ints give int64, unsigned give uint64, floats keep
    theirs; ``acc_dtype`` is the accumulator (float64 for float32 input).
    """

    __props__ = ("axis", "dtype", "acc_dtype")
    ufunc = numpy.add
    identity = 0

    def __init__(self, axis=None, dtype=None, acc_dtype=None):
        super().__init__(sb.Add(), axis)
        self.dtype = dtype
        self.acc_dtype = acc_dtype

    def _output_dtype(self, dtype):
        return self.dtype or _sum_dtype(dtype)

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        axes = self._axes(x.ndim)
        acc = self.acc_dtype or _acc_dtype(x.dtype)
        # Over no axes the sum is a copy, never the input itself (no view_map).
        out = numpy.sum(x, axis=axes, dtype=acc) if axes else numpy.array(x)
        output_storage[0][0] = numpy.asarray(out, dtype=node.outputs[0].dtype)

    def L_op(self, inputs, outputs, grads):
        (x,) = inputs
        (gz,) = grads
        if dt.is_discrete(x.dtype):
            return [zeros_like(x, dtype=dt.float_of(x.dtype))]
        gx = fill(x, self._expand(as_tensor_variable(gz), x))
        return [cast(gx, x.dtype)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0])]

    def __str__(self):
        if self.axis is None:
            return (
                f"Sum{{acc_dtype={self.acc_dtype or 'default'}}}"
                if self.acc_dtype
                else "Sum"
            )
        return f"Sum{{axis=[{', '.join(map(str, self.axis))}]}}"


def _acc_dtype(dtype):
    if dtype in ("float16", "float32"):
        return "float64"
    return _sum_dtype(dtype)


class Prod(CAReduce):
    """Product over ``axis``; the gradient handles zeros in the input."""

    __props__ = ("axis", "dtype", "acc_dtype", "no_zeros_in_input")
    ufunc = numpy.multiply
    identity = 1

    def __init__(self, axis=None, dtype=None, acc_dtype=None, no_zeros_in_input=False):
        super().__init__(sb.Mul(), axis)
        self.dtype = dtype
        self.acc_dtype = acc_dtype
        self.no_zeros_in_input = no_zeros_in_input

    def _output_dtype(self, dtype):
        return self.dtype or _sum_dtype(dtype)

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        axes = self._axes(x.ndim)
        out = numpy.prod(x, axis=axes, dtype=self.acc_dtype or _acc_dtype(x.dtype))
        output_storage[0][0] = numpy.asarray(out, dtype=node.outputs[0].dtype)

    def L_op(self, inputs, outputs, grads):
        (x,) = inputs
        (z,) = outputs
        (gz,) = grads
        if dt.is_discrete(x.dtype):
            return [zeros_like(x, dtype=dt.float_of(x.dtype))]
        gz_x = self._expand(as_tensor_variable(gz), x)
        z_x = self._expand(z, x)
        if self.no_zeros_in_input:
            return [cast(gz_x * z_x / x, x.dtype)]
        # Exact for inputs with zeros: product of the others, computed where x == 0.
        is_zero = eq(x, 0)
        num_zeros = self._expand(Sum(self.axis)(cast(is_zero, "int64")), x)
        safe_x = switch(is_zero, ones_like(x), x)
        prod_nonzero = self._expand(
            Prod(self.axis, acc_dtype=self.acc_dtype)(safe_x), x
        )
        where_no_zero = prod_nonzero / safe_x
        grad = switch(
            eq(num_zeros, 0),
            where_no_zero,
            switch(and_(eq(num_zeros, 1), is_zero), prod_nonzero, zeros_like(x)),
        )
        return [cast(gz_x * grad, x.dtype)]


class Max(CAReduce):
    """Maximum over ``axis``; the gradient goes to the positions of the maximum."""

    __props__ = ("axis",)
    ufunc = numpy.maximum

    def __init__(self, axis=None):
        super().__init__(sb.Maximum(), axis)

    def L_op(self, inputs, outputs, grads):
        (x,) = inputs
        (z,) = outputs
        (gz,) = grads
        if dt.is_discrete(x.dtype):
            return [zeros_like(x, dtype=dt.float_of(x.dtype))]
        mask = eq(x, self._expand(z, x))
        return [cast(mask, x.dtype) * self._expand(as_tensor_variable(gz), x)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        (x,) = inputs
        z = self(x)
        mask = cast(eq(x, self._expand(z, x)), x.dtype)
        return [Sum(self.axis)(mask * eval_points[0]) / Sum(self.axis)(mask)]


class Min(Max):
    """Minimum over ``axis``; the gradient goes to the positions of the minimum."""

    ufunc = numpy.minimum

    def __init__(self, axis=None):
        CAReduce.__init__(self, sb.Minimum(), axis)


class All(CAReduce):
    """Logical and over ``axis`` (bool output)."""

    __props__ = ("axis",)
    ufunc = numpy.logical_and
    identity = True

    def __init__(self, axis=None):
        super().__init__(sb.AND(), axis)

    def _output_dtype(self, dtype):
        return "bool"

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = numpy.asarray(numpy.all(x, axis=self._axes(x.ndim)))

    def L_op(self, inputs, outputs, grads):
        return [zeros_like(inputs[0], dtype=config.floatX)]


class Any(All):
    """Logical or over ``axis`` (bool output)."""

    ufunc = numpy.logical_or
    identity = False

    def __init__(self, axis=None):
        CAReduce.__init__(self, sb.OR(), axis)

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = numpy.asarray(numpy.any(x, axis=self._axes(x.ndim)))


class Argmax(Op):
    """Index (int64) of the maximum along ``axis`` (None: of the flattened input)."""

    __props__ = ("axis",)
    _fn = staticmethod(numpy.argmax)

    def __init__(self, axis=None):
        self.axis = None if axis is None else tuple(axis)

    def make_node(self, x):
        x = as_tensor_variable(x)
        axes = self.axis if self.axis is not None else tuple(range(x.ndim))
        bcast = tuple(b for i, b in enumerate(x.broadcastable) if i not in axes)
        return Apply(self, [x], [TensorType("int64", bcast)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        axes = self.axis if self.axis is not None else tuple(range(x.ndim))
        if len(axes) == 1:
            # One axis (an error rate's argmax over classes, every batch):
            # numpy takes it as it is, with no transposed copy.
            out = self._fn(x, axis=axes[0])
            output_storage[0][0] = numpy.asarray(out, dtype="int64")
            return
        keep = [i for i in range(x.ndim) if i not in axes]
        moved = numpy.transpose(x, keep + list(axes))
        # The reduced length spelled out: -1 is ambiguous when a kept axis is
        # empty, and numpy gives an empty result there.
        reduced = int(numpy.prod([x.shape[i] for i in axes], dtype="int64"))
        flat = moved.reshape(moved.shape[: len(keep)] + (reduced,))
        output_storage[0][0] = numpy.asarray(self._fn(flat, axis=-1), dtype="int64")

    def infer_shape(self, fgraph, node, shapes):
        axes = self.axis if self.axis is not None else tuple(range(len(shapes[0])))
        return [tuple(s for i, s in enumerate(shapes[0]) if i not in axes)]

    def L_op(self, inputs, outputs, grads):
        return [zeros_like(inputs[0], dtype=dt.float_of(inputs[0].dtype))]

    def connection_pattern(self, node):
        return [[False]]


class Argmin(Argmax):
    """Index (int64) of the minimum along ``axis``."""

    _fn = staticmethod(numpy.argmin)


def _keep(out, x, axis, keepdims):
    if not keepdims:
        return out
    return expand_reduced(out, x.ndim, range(x.ndim) if axis is None else axis)


def sum(input, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    """Sum over ``axis`` (None: all); see :class:`Sum` for dtypes."""
    x = as_tensor_variable(input)
    axis = _normalize_axis(axis, x.ndim)
    out = Sum(axis, dtype=dtype, acc_dtype=acc_dtype)(x)
    return _keep(out, x, axis, keepdims)


def prod(
    input,
    axis=None,
    dtype=None,
    keepdims=False,
    acc_dtype=None,
    no_zeros_in_input=False,
):
    """Product over ``axis``."""
    x = as_tensor_variable(input)
    axis = _normalize_axis(axis, x.ndim)
    out = Prod(
        axis, dtype=dtype, acc_dtype=acc_dtype, no_zeros_in_input=no_zeros_in_input
    )(x)
    return _keep(out, x, axis, keepdims)


def max(x, axis=None, keepdims=False):
    """Maximum over ``axis``."""
    x = as_tensor_variable(x)
    axis = _normalize_axis(axis, x.ndim)
    return _keep(Max(axis)(x), x, axis, keepdims)


def min(x, axis=None, keepdims=False):
    """Minimum over ``axis``."""
    x = as_tensor_variable(x)
    axis = _normalize_axis(axis, x.ndim)
    return _keep(Min(axis)(x), x, axis, keepdims)


def argmax(x, axis=None, keepdims=False):
    """Indices of the maxima along ``axis`` (int64)."""
    x = as_tensor_variable(x)
    axis = _normalize_axis(axis, x.ndim)
    return _keep(Argmax(axis)(x), x, axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    """Indices of the minima along ``axis`` (int64)."""
    x = as_tensor_variable(x)
    axis = _normalize_axis(axis, x.ndim)
    return _keep(Argmin(axis)(x), x, axis, keepdims)


def max_and_argmax(x, axis=None, keepdims=False):
    return max(x, axis, keepdims), argmax(x, axis, keepdims)


def all(x, axis=None, keepdims=False):
    """Logical and over ``axis``; non-bool input is compared with 0 first."""
    x = as_tensor_variable(x)
    axis = _normalize_axis(axis, x.ndim)
    return _keep(All(axis)(x), x, axis, keepdims)


def any(x, axis=None, keepdims=False):
    """Logical or over ``axis``."""
    x = as_tensor_variable(x)
    axis = _normalize_axis(axis, x.ndim)
    return _keep(Any(axis)(x), x, axis, keepdims)


def _count(x, axis):
    from symbolic.ops.basic import shape

    shp = shape(x)
    if axis is None:
        axis = range(x.ndim)
    count = None
    for a in axis:
        dim = shp[a]
        count = dim if count is None else count * dim
    return count


def mean(input, axis=None, dtype=None, op=False, keepdims=False, acc_dtype=None):
    """Arithmetic mean over ``axis``; integer input gives float64."""
    x = as_tensor_variable(input)
    axis = _normalize_axis(axis, x.ndim)
    sum_dtype = dtype
    if sum_dtype is None and x.dtype in dt.discrete_dtypes:
        sum_dtype = "float64"
    s = sum(x, axis=axis, dtype=sum_dtype, acc_dtype=acc_dtype)
    count = _count(x, axis)
    out = s if count is None else true_div(s, cast(count, s.dtype))
    if dtype is not None and out.dtype != dtype:
        out = cast(out, dtype)
    out.name = "mean"
    return _keep(out, x, axis, keepdims)


def var(input, axis=None, ddof=0, keepdims=False, corrected=False):
    """Variance over ``axis`` (population variance unless ``ddof`` is set)."""
    x = as_tensor_variable(input)
    axis_n = _normalize_axis(axis, x.ndim)
    centered = x - mean(x, axis=axis_n, keepdims=True)
    sq = sqr(centered)
    if ddof:
        count = _count(x, axis_n)
        v = sum(sq, axis=axis_n) / cast(count - ddof, sq.dtype)
    else:
        v = mean(sq, axis=axis_n)
    if corrected:
        count = _count(x, axis_n)
        v = v - sqr(sum(centered, axis=axis_n)) / cast(count, sq.dtype) ** 2
    return _keep(v, x, axis_n, keepdims)


def std(input, axis=None, ddof=0, keepdims=False, corrected=False):
    """Standard deviation over ``axis``."""
    return sqrt(
        var(input, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected)
    )

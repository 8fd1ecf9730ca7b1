"""Render scalar expression trees as LLVM IR (llvmlite ``ir``), numpy semantics.

The rules are those of the C renderer (:mod:`symbolic.backends.c.scalar_c`):
a primitive computes in the dtype numpy picks for its argument dtypes and
converts to the node's dtype; integer arithmetic wraps; floor division and
modulo follow numpy's sign rules and give 0 for a zero divisor; ``max`` and
``min`` propagate nan; bools are bytes holding 0 or 1.  Math functions are
LLVM intrinsics or libm calls resolved in the running process.  Primitives
without a libm counterpart (erfinv, erfcinv, digamma) raise
:class:`~symbolic.backends.kernel_support.Unsupported`.
"""

import numpy
from llvmlite import ir

from symbolic.backends.kernel_support import (
    FLOATS,
    SIGNED,
    Unsupported,
    check_integer_power,
    compute_dtype,
)
from symbolic.backends.llvm import integer_ir

IR_TYPES = {
    "bool": ir.IntType(8),
    "int8": ir.IntType(8),
    "int16": ir.IntType(16),
    "int32": ir.IntType(32),
    "int64": ir.IntType(64),
    "uint8": ir.IntType(8),
    "uint16": ir.IntType(16),
    "uint32": ir.IntType(32),
    "uint64": ir.IntType(64),
    "float32": ir.FloatType(),
    "float64": ir.DoubleType(),
}
_INTRINSICS = {
    "exp": "llvm.exp",
    "exp2": "llvm.exp2",
    "log": "llvm.log",
    "log2": "llvm.log2",
    "log10": "llvm.log10",
    "sqrt": "llvm.sqrt",
    "sin": "llvm.sin",
    "cos": "llvm.cos",
    "floor": "llvm.floor",
    "ceil": "llvm.ceil",
    "trunc": "llvm.trunc",
    "round_half_even": "llvm.rint",
}
_LIBM = {
    "log1p": "log1p",
    "expm1": "expm1",
    "tan": "tan",
    "asin": "asin",
    "acos": "acos",
    "atan": "atan",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "asinh": "asinh",
    "acosh": "acosh",
    "atanh": "atanh",
}
_DOUBLE_LIBM = {"erf": "erf", "erfc": "erfc", "gamma": "tgamma", "lgamma": "lgamma"}
_ORDERED = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "=="}


def _checked(dtype):
    if dtype not in IR_TYPES:
        raise Unsupported(f"dtype {dtype} has no LLVM rendering")
    return dtype


class IRRenderer:
    """Emit the instructions computing expressions at ``builder``'s position.

    Parameters
    ----------
    builder : llvmlite.ir.IRBuilder
    args : dict
        Input position -> (IR value, dtype).
    """

    def __init__(self, builder, args):
        self.b = builder
        self.module = builder.module
        self.args = dict(args)
        self.values = {}

    def render(self, expr):
        """Return the IR value of ``expr`` (in its dtype's IR type)."""
        value = self.values.get(expr)
        if value is not None:
            return value
        dtype = _checked(expr.dtype)
        if expr.op == "arg":
            if expr.value not in self.args:
                raise Unsupported(f"expression refers to missing input {expr.value}")
            arg, arg_dtype = self.args[expr.value]
            value = self.convert(arg, arg_dtype, dtype)
        elif expr.op == "const":
            value = self.constant(expr.value, dtype)
        else:
            values = [self.render(a) for a in expr.args]
            dtypes = tuple(_checked(a.dtype) for a in expr.args)
            value = self._primitive(expr, values, dtypes)
        self.values[expr] = value
        return value

    # -- helpers -----------------------------------------------------------
    def constant(self, value, dtype):
        try:
            value = numpy.asarray(value, dtype=dtype)[()]
        except (OverflowError, ValueError, TypeError) as exc:
            raise Unsupported(f"constant {value!r} as {dtype}: {exc}") from None
        if dtype in FLOATS:
            return ir.Constant(IR_TYPES[dtype], float(value))
        return ir.Constant(IR_TYPES[dtype], int(value) % (1 << IR_TYPES[dtype].width))

    def truth(self, value, dtype):
        """An i1 that is true where ``value`` is nonzero (nan counts as true)."""
        if dtype in FLOATS:
            return self.b.fcmp_unordered("!=", value, ir.Constant(value.type, 0.0))
        return self.b.icmp_unsigned("!=", value, ir.Constant(value.type, 0))

    def as_bool(self, bit):
        return self.b.zext(bit, IR_TYPES["bool"])

    def convert(self, value, src, dst):
        b = self.b
        if src == dst:
            return value
        target = IR_TYPES[dst]
        if dst == "bool":
            return self.as_bool(self.truth(value, src))
        if src in FLOATS and dst in FLOATS:
            return (
                b.fpext(value, target) if dst == "float64" else b.fptrunc(value, target)
            )
        if src in FLOATS:
            if dst in ("int32", "int64"):
                return b.fptosi(value, target)
            if dst == "uint64":
                return b.fptoui(value, target)
            return b.trunc(b.fptosi(value, ir.IntType(64)), target)
        signed = src in SIGNED
        if dst in FLOATS:
            return b.sitofp(value, target) if signed else b.uitofp(value, target)
        width, new = value.type.width, target.width
        if new < width:
            return b.trunc(value, target)
        if new > width:
            return b.sext(value, target) if signed else b.zext(value, target)
        return value

    def intrinsic(self, name, dtype, *values):
        ty = IR_TYPES[dtype]
        fnty = ir.FunctionType(ty, [ty] * len(values))
        fn = self.module.declare_intrinsic(name, [ty], fnty)
        return self.b.call(fn, list(values))

    def libm(self, name, dtype, *values):
        if dtype == "float32":
            name += "f"
        fn = self.module.globals.get(name)
        if fn is None:
            ty = IR_TYPES[dtype]
            fn = ir.Function(self.module, ir.FunctionType(ty, [ty] * len(values)), name)
        return self.b.call(fn, list(values))

    def select(self, cond, a, b):
        return self.b.select(cond, a, b)

    # -- primitives --------------------------------------------------------
    def _primitive(self, expr, values, dtypes):
        emitter = EMITTERS.get(expr.op)
        if emitter is None:
            reason = UNSUPPORTED.get(expr.op, "unknown primitive")
            raise Unsupported(f"primitive {expr.op!r} has no LLVM rendering: {reason}")
        return emitter(self, expr, values, dtypes)


# Emitters: ``emitter(renderer, expr, values, dtypes) -> IR value``, where
# ``values`` are the arguments' IR values and ``dtypes`` their dtypes.  Most
# primitives compute in numpy's dtype for their arguments (compute_dtype):
# ``_computed`` wraps an emitter of that form, ``emit(renderer, ct, args,
# expr)`` on arguments already converted to ``ct``.


def _emit_cast(r, expr, values, dtypes):
    return r.convert(values[0], dtypes[0], expr.dtype)


def _emit_compare(r, expr, values, dtypes):
    b, op = r.b, expr.op
    common = _checked(numpy.result_type(*dtypes).name)
    x, y = (r.convert(v, d, common) for v, d in zip(values, dtypes))
    if common in FLOATS:
        if op == "ne":
            bit = b.fcmp_unordered("!=", x, y)
        else:
            bit = b.fcmp_ordered(_ORDERED[op], x, y)
    elif op == "ne":
        bit = b.icmp_unsigned("!=", x, y)
    elif common in SIGNED:
        bit = b.icmp_signed(_ORDERED[op], x, y)
    else:
        bit = b.icmp_unsigned(_ORDERED[op], x, y)
    return r.as_bool(bit)


def _emit_logical(r, expr, values, dtypes):
    b = r.b
    if expr.op == "lnot":
        return r.as_bool(b.not_(r.truth(values[0], dtypes[0])))
    x, y = (r.truth(v, d) for v, d in zip(values, dtypes))
    return r.as_bool(b.and_(x, y) if expr.op == "land" else b.or_(x, y))


def _emit_isnan(r, expr, values, dtypes):
    x = values[0]
    if dtypes[0] not in FLOATS:
        return ir.Constant(IR_TYPES["bool"], 0)
    return r.as_bool(r.b.fcmp_unordered("uno", x, x))


def _emit_isinf(r, expr, values, dtypes):
    x = values[0]
    if dtypes[0] not in FLOATS:
        return ir.Constant(IR_TYPES["bool"], 0)
    absx = r.intrinsic("llvm.fabs", dtypes[0], x)
    return r.as_bool(r.b.fcmp_ordered("==", absx, ir.Constant(x.type, float("inf"))))


def _emit_select(r, expr, values, dtypes):
    ct = compute_dtype(expr.op, dtypes)
    cond = r.truth(values[0], dtypes[0])
    x = r.convert(values[1], dtypes[1], ct)
    y = r.convert(values[2], dtypes[2], ct)
    return r.convert(r.b.select(cond, x, y), ct, expr.dtype)


def _computed(emit):
    """An emitter running ``emit`` in numpy's compute dtype, then converting."""

    def emitter(r, expr, values, dtypes):
        ct = compute_dtype(expr.op, dtypes)
        args = [r.convert(v, d, ct) for v, d in zip(values, dtypes)]
        return r.convert(emit(r, ct, args, expr), ct, expr.dtype)

    emitter.__name__ = emit.__name__
    return emitter


def _zero(ct):
    return ir.Constant(IR_TYPES[ct], 0.0 if ct in FLOATS else 0)


def _arith(r, ct, args, expr):
    b, op = r.b, expr.op
    x, y = args
    if ct == "bool":
        return b.or_(x, y) if op == "add" else b.and_(x, y)
    if ct in FLOATS:
        return {"add": b.fadd, "sub": b.fsub, "mul": b.fmul}[op](x, y)
    return {"add": b.add, "sub": b.sub, "mul": b.mul}[op](x, y)


def _div(r, ct, args, expr):
    return r.b.fdiv(*args)


def _divmod(r, ct, args, expr):
    if ct in FLOATS:
        return integer_ir.float_divmod(r, expr.op, ct, *args)
    return integer_ir.int_divmod(r, expr.op, ct, *args)


def _pow(r, ct, args, expr):
    x, y = args
    if ct in FLOATS:
        if _const_value(expr.args[1]) == 2:
            return r.b.fmul(x, x)
        return r.intrinsic("llvm.pow", ct, x, y)
    check_integer_power(expr)
    return integer_ir.int_pow(r, ct, x, y)


def _atan2(r, ct, args, expr):
    return r.libm("atan2", ct, *args)


def _neg(r, ct, args, expr):
    return r.b.fneg(args[0]) if ct in FLOATS else r.b.sub(_zero(ct), args[0])


def _abs(r, ct, args, expr):
    b, x, zero = r.b, args[0], _zero(ct)
    if ct in FLOATS:
        return r.intrinsic("llvm.fabs", ct, x)
    if ct in SIGNED:
        return b.select(b.icmp_signed("<", x, zero), b.sub(zero, x), x)
    return x


def _sign(r, ct, args, expr):
    b, x, zero = r.b, args[0], _zero(ct)
    ty = IR_TYPES[ct]
    if ct in FLOATS:
        one = ir.Constant(ty, 1.0)
        inner = b.select(b.fcmp_ordered("==", x, zero), zero, x)
        neg = b.select(b.fcmp_ordered("<", x, zero), b.fneg(one), inner)
        return b.select(b.fcmp_ordered(">", x, zero), one, neg)
    if ct in SIGNED:
        pos = b.zext(b.icmp_signed(">", x, zero), ty)
        return b.sub(pos, b.zext(b.icmp_signed("<", x, zero), ty))
    return b.zext(b.icmp_unsigned(">", x, zero), ty)


def _extremum(r, ct, args, expr):
    b = r.b
    x, y = args
    cmp = ">=" if expr.op == "max" else "<="
    if ct in FLOATS:
        keep = b.or_(b.fcmp_ordered(cmp, x, y), b.fcmp_unordered("uno", x, x))
    elif ct in SIGNED:
        keep = b.icmp_signed(cmp, x, y)
    else:
        keep = b.icmp_unsigned(cmp, x, y)
    return b.select(keep, x, y)


def _bitwise(r, ct, args, expr):
    b = r.b
    return {"band": b.and_, "bor": b.or_, "bxor": b.xor}[expr.op](*args)


def _bnot(r, ct, args, expr):
    if ct == "bool":
        return r.b.xor(args[0], ir.Constant(IR_TYPES[ct], 1))
    return r.b.not_(args[0])


def _round_half_away(r, ct, args, expr):
    if ct not in FLOATS:
        return args[0]
    b, x = r.b, args[0]
    half = ir.Constant(IR_TYPES[ct], 0.5)
    up = r.intrinsic("llvm.floor", ct, b.fadd(x, half))
    down = r.intrinsic("llvm.ceil", ct, b.fsub(x, half))
    return b.select(b.fcmp_ordered(">=", x, _zero(ct)), up, down)


def _float_only(emit):
    """``emit`` for float compute dtypes; integer rounding is the identity."""

    def checked(r, ct, args, expr):
        if ct not in FLOATS:
            if expr.op in ("floor", "ceil", "trunc", "round_half_even"):
                return args[0]
            raise Unsupported(f"{expr.op} computing in {ct}")
        return emit(r, ct, args, expr)

    checked.__name__ = emit.__name__
    return checked


def _intrinsic(r, ct, args, expr):
    return r.intrinsic(_INTRINSICS[expr.op], ct, args[0])


def _libm(r, ct, args, expr):
    return r.libm(_LIBM[expr.op], ct, args[0])


def _double_libm(r, ct, args, expr):
    b = r.b
    wide = r.convert(args[0], ct, "float64")
    result = r.libm(_DOUBLE_LIBM[expr.op], "float64", wide)
    if expr.op == "lgamma":  # scipy's gammaln(-inf) is -inf
        minus_inf = ir.Constant(result.type, float("-inf"))
        is_minus_inf = b.fcmp_ordered("==", wide, minus_inf)
        result = b.select(is_minus_inf, minus_inf, result)
    return r.convert(result, "float64", ct)


def _logistic(r, ct, args, expr):
    b, x = r.b, args[0]
    ty = IR_TYPES[ct]
    one = ir.Constant(ty, 1.0)
    zero = ir.Constant(ty, 0.0)
    absx = r.intrinsic("llvm.fabs", ct, x)
    e = r.intrinsic("llvm.exp", ct, b.fneg(absx))
    if expr.op == "sigmoid":
        numerator = b.select(b.fcmp_ordered(">=", x, zero), one, e)
        return b.fdiv(numerator, b.fadd(one, e))
    positive = b.select(b.fcmp_ordered(">", x, zero), x, zero)
    result = b.fadd(positive, r.libm("log1p", ct, e))
    return b.select(b.fcmp_unordered("uno", x, x), x, result)


#: Primitives this backend does not render, with the reason: their nodes keep
#: the Python thunk.
UNSUPPORTED = dict.fromkeys(
    ("erfinv", "erfcinv", "digamma"),
    "no libm counterpart to call (the C backend has its own in vecmath.h)",
)

#: ``{primitive: emitter}``: how the LLVM backend renders each scalar primitive.
EMITTERS = {
    "cast": _emit_cast,
    **dict.fromkeys((*_ORDERED, "ne"), _emit_compare),
    **dict.fromkeys(("land", "lor", "lnot"), _emit_logical),
    "isnan": _emit_isnan,
    "isinf": _emit_isinf,
    "select": _emit_select,
    **dict.fromkeys(("add", "sub", "mul"), _computed(_arith)),
    "div": _computed(_div),
    "floordiv": _computed(_divmod),
    "mod": _computed(_divmod),
    "pow": _computed(_pow),
    "atan2": _computed(_atan2),
    "neg": _computed(_neg),
    "abs": _computed(_abs),
    "sign": _computed(_sign),
    **dict.fromkeys(("max", "min"), _computed(_extremum)),
    **dict.fromkeys(("band", "bor", "bxor"), _computed(_bitwise)),
    "bnot": _computed(_bnot),
    "round_half_away": _computed(_round_half_away),
    **dict.fromkeys(_INTRINSICS, _computed(_float_only(_intrinsic))),
    **dict.fromkeys(_LIBM, _computed(_float_only(_libm))),
    **dict.fromkeys(_DOUBLE_LIBM, _computed(_float_only(_double_libm))),
    **dict.fromkeys(("sigmoid", "softplus"), _computed(_float_only(_logistic))),
}


def _const_value(expr):
    while expr.op == "cast":
        expr = expr.args[0]
    return expr.value if expr.op == "const" else None

"""Render scalar expression trees as LLVM IR (llvmlite ``ir``), numpy semantics.

The rules are those of the C renderer (:mod:`symbolic.backends.c.scalar_c`):
a primitive computes in the dtype numpy picks for its argument dtypes and
converts to the node's dtype; integer arithmetic wraps; floor division and
modulo follow numpy's sign rules and give 0 for a zero divisor; ``max`` and
``min`` propagate nan; bools are bytes holding 0 or 1.  Math functions are
LLVM intrinsics or libm calls resolved in the running process.  Primitives
without a libm counterpart (erfinv, erfcinv, digamma) raise
:class:`~symbolic.backends.c.scalar_c.Unsupported`.
"""

import numpy
from llvmlite import ir

from symbolic.backends.c.scalar_c import (
    FLOATS,
    SIGNED,
    Unsupported,
    check_integer_power,
    compute_dtype,
)

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
        op, b = expr.op, self.b
        if op == "cast":
            return self.convert(values[0], dtypes[0], expr.dtype)
        if op in _ORDERED or op == "ne":
            common = _checked(numpy.result_type(*dtypes).name)
            x, y = (self.convert(v, d, common) for v, d in zip(values, dtypes))
            if common in FLOATS:
                bit = (
                    b.fcmp_unordered("!=", x, y)
                    if op == "ne"
                    else b.fcmp_ordered(_ORDERED[op], x, y)
                )
            elif op == "ne":
                bit = b.icmp_unsigned("!=", x, y)
            elif common in SIGNED:
                bit = b.icmp_signed(_ORDERED[op], x, y)
            else:
                bit = b.icmp_unsigned(_ORDERED[op], x, y)
            return self.as_bool(bit)
        if op in ("land", "lor"):
            x, y = (self.truth(v, d) for v, d in zip(values, dtypes))
            return self.as_bool(b.and_(x, y) if op == "land" else b.or_(x, y))
        if op == "lnot":
            return self.as_bool(b.not_(self.truth(values[0], dtypes[0])))
        if op in ("isnan", "isinf"):
            x = values[0]
            if dtypes[0] not in FLOATS:
                return ir.Constant(IR_TYPES["bool"], 0)
            if op == "isnan":
                return self.as_bool(b.fcmp_unordered("uno", x, x))
            absx = self.intrinsic("llvm.fabs", dtypes[0], x)
            return self.as_bool(
                b.fcmp_ordered("==", absx, ir.Constant(x.type, float("inf")))
            )
        ct = compute_dtype(op, dtypes)
        if op == "select":
            cond = self.truth(values[0], dtypes[0])
            x = self.convert(values[1], dtypes[1], ct)
            y = self.convert(values[2], dtypes[2], ct)
            return self.convert(b.select(cond, x, y), ct, expr.dtype)
        args = [self.convert(v, d, ct) for v, d in zip(values, dtypes)]
        result = self._in_compute_dtype(op, ct, args, expr)
        return self.convert(result, ct, expr.dtype)

    def _in_compute_dtype(self, op, ct, args, expr):
        from symbolic.backends.llvm import integer_ir

        b = self.b
        isfloat = ct in FLOATS
        ty = IR_TYPES[ct]
        zero = ir.Constant(ty, 0.0 if isfloat else 0)
        if op in ("add", "sub", "mul"):
            x, y = args
            if ct == "bool":
                return b.or_(x, y) if op == "add" else b.and_(x, y)
            if isfloat:
                return {"add": b.fadd, "sub": b.fsub, "mul": b.fmul}[op](x, y)
            return {"add": b.add, "sub": b.sub, "mul": b.mul}[op](x, y)
        if op == "div":
            return b.fdiv(*args)
        if op in ("floordiv", "mod"):
            if isfloat:
                return integer_ir.float_divmod(self, op, ct, *args)
            return integer_ir.int_divmod(self, op, ct, *args)
        if op == "pow":
            x, y = args
            if isfloat:
                if _const_value(expr.args[1]) == 2:
                    return b.fmul(x, x)
                return self.intrinsic("llvm.pow", ct, x, y)
            check_integer_power(expr)
            return integer_ir.int_pow(self, ct, x, y)
        if op == "atan2":
            return self.libm("atan2", ct, *args)
        if op == "neg":
            return b.fneg(args[0]) if isfloat else b.sub(zero, args[0])
        if op == "abs":
            x = args[0]
            if isfloat:
                return self.intrinsic("llvm.fabs", ct, x)
            if ct in SIGNED:
                return b.select(b.icmp_signed("<", x, zero), b.sub(zero, x), x)
            return x
        if op == "sign":
            x = args[0]
            one = ir.Constant(ty, 1.0 if isfloat else 1)
            if isfloat:
                inner = b.select(b.fcmp_ordered("==", x, zero), zero, x)
                neg = b.select(b.fcmp_ordered("<", x, zero), b.fneg(one), inner)
                return b.select(b.fcmp_ordered(">", x, zero), one, neg)
            pos = b.zext(b.icmp_signed(">", x, zero), ty) if ct in SIGNED else None
            if ct in SIGNED:
                return b.sub(pos, b.zext(b.icmp_signed("<", x, zero), ty))
            return b.zext(b.icmp_unsigned(">", x, zero), ty)
        if op in ("max", "min"):
            x, y = args
            cmp = ">=" if op == "max" else "<="
            if isfloat:
                keep = b.or_(b.fcmp_ordered(cmp, x, y), b.fcmp_unordered("uno", x, x))
            elif ct in SIGNED:
                keep = b.icmp_signed(cmp, x, y)
            else:
                keep = b.icmp_unsigned(cmp, x, y)
            return b.select(keep, x, y)
        if op in ("band", "bor", "bxor"):
            return {"band": b.and_, "bor": b.or_, "bxor": b.xor}[op](*args)
        if op == "bnot":
            if ct == "bool":
                return b.xor(args[0], ir.Constant(ty, 1))
            return b.not_(args[0])
        if op == "round_half_away":
            if not isfloat:
                return args[0]
            x = args[0]
            half = ir.Constant(ty, 0.5)
            up = self.intrinsic("llvm.floor", ct, b.fadd(x, half))
            down = self.intrinsic("llvm.ceil", ct, b.fsub(x, half))
            return b.select(b.fcmp_ordered(">=", x, zero), up, down)
        if op in _INTRINSICS and not isfloat:
            if op in ("floor", "ceil", "trunc", "round_half_even"):
                return args[0]
            raise Unsupported(f"{op} computing in {ct}")
        if not isfloat:
            raise Unsupported(f"{op} computing in {ct}")
        if op in _INTRINSICS:
            return self.intrinsic(_INTRINSICS[op], ct, args[0])
        if op in _LIBM:
            return self.libm(_LIBM[op], ct, args[0])
        if op in _DOUBLE_LIBM:
            wide = self.convert(args[0], ct, "float64")
            result = self.libm(_DOUBLE_LIBM[op], "float64", wide)
            if op == "lgamma":  # scipy's gammaln(-inf) is -inf
                minus_inf = ir.Constant(result.type, float("-inf"))
                is_minus_inf = b.fcmp_ordered("==", wide, minus_inf)
                result = b.select(is_minus_inf, minus_inf, result)
            return self.convert(result, "float64", ct)
        if op in ("sigmoid", "softplus"):
            return self._logistic(op, ct, args[0])
        raise Unsupported(f"primitive {op!r} has no LLVM rendering")

    def _logistic(self, op, ct, x):
        b = self.b
        ty = IR_TYPES[ct]
        one = ir.Constant(ty, 1.0)
        zero = ir.Constant(ty, 0.0)
        absx = self.intrinsic("llvm.fabs", ct, x)
        e = self.intrinsic("llvm.exp", ct, b.fneg(absx))
        if op == "sigmoid":
            numerator = b.select(b.fcmp_ordered(">=", x, zero), one, e)
            return b.fdiv(numerator, b.fadd(one, e))
        positive = b.select(b.fcmp_ordered(">", x, zero), x, zero)
        result = b.fadd(positive, self.libm("log1p", ct, e))
        return b.select(b.fcmp_unordered("uno", x, x), x, result)


def _const_value(expr):
    while expr.op == "cast":
        expr = expr.args[0]
    return expr.value if expr.op == "const" else None

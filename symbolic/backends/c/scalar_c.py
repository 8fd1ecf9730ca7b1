"""Render scalar expression trees (:mod:`symbolic.ops.scalar.expr`) as C.

Every node becomes one ``const`` local of the C type of its dtype, so shared
subtrees are computed once.  The rendered code has numpy's semantics, the
ones :func:`~symbolic.ops.scalar.expr.evaluate` defines: a primitive computes
in the dtype numpy would pick for its argument dtypes and the result is then
converted to the node's dtype.  Integer arithmetic wraps (it is done on
unsigned types, so it is never undefined behaviour in C), floor division
and modulo follow numpy's sign rules and return 0 for a zero divisor,
``max``/``min`` propagate nan, and comparisons produce 0/1 bytes.

What cannot be rendered (complex and float16 arithmetic, an unknown
primitive) raises :class:`Unsupported`, and the node keeps its Python thunk.
"""

import numpy

from symbolic.backends.kernel_support import (
    FLOATS,
    SIGNED,
    UNSIGNED,
    Unsupported,
    check_integer_power,
    compute_dtype,
)

C_TYPES = {
    "bool": "uint8_t",
    "int8": "int8_t",
    "int16": "int16_t",
    "int32": "int32_t",
    "int64": "int64_t",
    "uint8": "uint8_t",
    "uint16": "uint16_t",
    "uint32": "uint32_t",
    "uint64": "uint64_t",
    "float32": "float",
    "float64": "double",
}

# Functions with a vectorizable version in vecmath.h (float32 adds "f").
_VECMATH = {
    "exp": "vm_exp",
    "log": "vm_log",
    "tanh": "vm_tanh",
    "sigmoid": "vm_sigmoid",
    "softplus": "vm_softplus",
}
# libm functions (float32 uses the "f" variant, as numpy's float32 loops do).
_LIBM = {
    "exp2": "exp2",
    "log2": "log2",
    "log10": "log10",
    "log1p": "log1p",
    "expm1": "expm1",
    "sqrt": "sqrt",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "asin": "asin",
    "acos": "acos",
    "atan": "atan",
    "sinh": "sinh",
    "cosh": "cosh",
    "asinh": "asinh",
    "acosh": "acosh",
    "atanh": "atanh",
    "floor": "floor",
    "ceil": "ceil",
    "trunc": "trunc",
    "round_half_even": "rint",
}
# scipy.special functions: scipy computes their float32 loops in double.
_DOUBLE_ONLY = {
    "erf": "erf",
    "erfc": "erfc",
    "gamma": "tgamma",
    "lgamma": "vm_lgamma",
    "digamma": "vm_digamma",
    "erfinv": "vm_erfinv",
    "erfcinv": "vm_erfcinv",
}
_COMPARE = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
_BITWISE = {"band": "&", "bor": "|", "bxor": "^"}
# Rough cost of one element of each primitive, in simple-op units.
_COST = {"div": 4, "floordiv": 8, "mod": 8, "pow": 20, **dict.fromkeys(_VECMATH, 15)}


def _checked(dtype, what):
    """Return ``dtype`` if C renders it; ``what`` (or its result) names the value."""
    if dtype not in C_TYPES:
        if callable(what):
            what = what()
        raise Unsupported(f"{what}: dtype {dtype} has no C rendering")
    return dtype


def _unsigned_of(dtype):
    """The unsigned C type integer arithmetic on ``dtype`` wraps in."""
    return "uint64_t" if dtype in ("int64", "uint64") else "uint32_t"


def convert(code, src, dst):
    """C code converting ``code`` of dtype ``src`` to dtype ``dst`` as numpy does."""
    if src == dst:
        return code
    ctype = C_TYPES[dst]
    if dst == "bool":
        return f"(uint8_t)(({code}) != 0)"
    if src in FLOATS and dst in ("int8", "int16", "uint8", "uint16", "uint32"):
        # Through a wide integer: a narrowing integer conversion wraps, where a
        # direct float conversion would saturate when vectorized.
        return f"({ctype})(int64_t)({code})"
    return f"({ctype})({code})"


def literal(value, dtype):
    """A C literal for ``value`` in ``dtype``."""
    try:
        value = numpy.asarray(value, dtype=dtype)[()]
    except (OverflowError, ValueError, TypeError) as exc:
        raise Unsupported(f"constant {value!r} as {dtype}: {exc}") from None
    ctype = C_TYPES[dtype]
    if dtype == "bool":
        return f"(uint8_t){int(value)}"
    if dtype in FLOATS:
        number = float(value)
        if number != number:
            text = "NAN"
        elif number in (float("inf"), float("-inf")):
            text = "INFINITY" if number > 0 else "-INFINITY"
        else:
            text = number.hex() + ("f" if dtype == "float32" else "")
        return f"(({ctype}){text})"
    number = int(value)
    if dtype in UNSIGNED:
        return f"(({ctype}){number}ULL)"
    if number == numpy.iinfo(dtype).min:
        return f"(({ctype})({number + 1}LL - 1))"
    return f"(({ctype}){number}LL)"


def _const_value(expr):
    while expr.op == "cast":
        expr = expr.args[0]
    return expr.value if expr.op == "const" else None


class CRenderer:
    """Accumulate the C statements that compute a set of expressions.

    Parameters
    ----------
    args : dict
        Input position -> (C name, dtype) of the kernel's loaded inputs.
    prefix : str
        Prefix of the generated local names.
    """

    def __init__(self, args, prefix="v"):
        self.args = dict(args)
        self.prefix = prefix
        self.lines = []
        self.names = {}
        self.helpers = set()
        self.used_args = set()
        self.cost = 0

    def render(self, expr):
        """Emit statements for ``expr``; return the name of the local holding it."""
        name = self.names.get(expr)
        if name is not None:
            return name
        # repr only on failure: it walks the whole subtree.
        dtype = _checked(expr.dtype, expr.__repr__)
        if expr.op == "arg":
            if expr.value not in self.args:
                raise Unsupported(f"expression refers to missing input {expr.value}")
            arg_name, arg_dtype = self.args[expr.value]
            self.used_args.add(expr.value)
            code = convert(arg_name, arg_dtype, dtype)
            if code == arg_name:
                self.names[expr] = arg_name
                return arg_name
        elif expr.op == "const":
            code = literal(expr.value, dtype)
        else:
            names = [self.render(a) for a in expr.args]
            dtypes = tuple(_checked(a.dtype, a.__repr__) for a in expr.args)
            code = self._primitive(expr, names, dtypes)
            self.cost += _COST.get(expr.op, 1)
        name = f"{self.prefix}{len(self.lines)}"
        self.lines.append(f"const {C_TYPES[dtype]} {name} = {code};")
        self.names[expr] = name
        return name

    # -- primitives ------------------------------------------------------
    def _primitive(self, expr, names, dtypes):
        emitter = EMITTERS.get(expr.op)
        if emitter is None:
            raise Unsupported(f"primitive {expr.op!r} has no C rendering")
        return emitter(self, expr, names, dtypes)


# Emitters: ``emitter(renderer, expr, names, dtypes) -> C expression``, where
# ``names`` are the locals holding the arguments and ``dtypes`` their dtypes.
# Most primitives compute in numpy's dtype for their arguments
# (:func:`compute_dtype`): ``_computed`` wraps an emitter of that form,
# ``emit(renderer, ct, args, expr)`` on arguments already converted to ``ct``.


def _emit_cast(renderer, expr, names, dtypes):
    return convert(names[0], dtypes[0], expr.dtype)


def _emit_compare(renderer, expr, names, dtypes):
    common = _checked(numpy.result_type(*dtypes).name, expr.op)
    a, b = (convert(n, d, common) for n, d in zip(names, dtypes))
    return f"(uint8_t)({a} {_COMPARE[expr.op]} {b})"


def _emit_logical(renderer, expr, names, dtypes):
    if expr.op == "lnot":
        return f"(uint8_t)({names[0]} == 0)"
    truth = [f"({n} != 0)" for n in names]
    return f"(uint8_t)({truth[0]} {'&' if expr.op == 'land' else '|'} {truth[1]})"


def _emit_isnan(renderer, expr, names, dtypes):
    if dtypes[0] not in FLOATS:
        return "(uint8_t)0"
    return f"(uint8_t)({names[0]} != {names[0]})"


def _emit_isinf(renderer, expr, names, dtypes):
    if dtypes[0] not in FLOATS:
        return "(uint8_t)0"
    return f"(uint8_t)({_fn('fabs', dtypes[0])}({names[0]}) == INFINITY)"


def _emit_select(renderer, expr, names, dtypes):
    ct = compute_dtype(expr.op, dtypes)
    cond = f"({names[0]} != 0)"
    a = convert(names[1], dtypes[1], ct)
    b = convert(names[2], dtypes[2], ct)
    return convert(f"({cond} ? {a} : {b})", ct, expr.dtype)


def _computed(emit):
    """An emitter running ``emit`` in numpy's compute dtype, then converting."""

    def emitter(renderer, expr, names, dtypes):
        ct = compute_dtype(expr.op, dtypes)
        args = [convert(n, d, ct) for n, d in zip(names, dtypes)]
        return convert(emit(renderer, ct, args, expr), ct, expr.dtype)

    emitter.__name__ = emit.__name__
    return emitter


def _arith(renderer, ct, args, expr):
    a, b = args
    if ct in FLOATS:
        return f"({a} {_ARITH[expr.op]} {b})"
    if ct == "bool":
        return f"(uint8_t)({a} {'|' if expr.op == 'add' else '&'} {b})"
    unsigned = _unsigned_of(ct)
    return f"({C_TYPES[ct]})(({unsigned}){a} {_ARITH[expr.op]} ({unsigned}){b})"


def _div(renderer, ct, args, expr):
    return f"({args[0]} / {args[1]})"


def _helper_call(renderer, ct, args, expr):
    """floordiv, mod and integer pow: a helper function per dtype."""
    helper = f"vm_{expr.op}_{ct}"
    renderer.helpers.add(helper)
    return f"{helper}({args[0]}, {args[1]})"


def _pow(renderer, ct, args, expr):
    if ct in FLOATS:
        if _const_value(expr.args[1]) == 2:
            return f"({args[0]} * {args[0]})"
        return f"{_fn('pow', ct)}({args[0]}, {args[1]})"
    check_integer_power(expr)
    return _helper_call(renderer, ct, args, expr)


def _atan2(renderer, ct, args, expr):
    return f"{_fn('atan2', ct)}({args[0]}, {args[1]})"


def _neg(renderer, ct, args, expr):
    if ct in FLOATS:
        return f"(-{args[0]})"
    return f"({C_TYPES[ct]})(0 - ({_unsigned_of(ct)}){args[0]})"


def _abs(renderer, ct, args, expr):
    x = args[0]
    if ct in FLOATS:
        return f"{_fn('fabs', ct)}({x})"
    if ct in SIGNED:
        return f"({x} < 0 ? ({C_TYPES[ct]})(0 - ({_unsigned_of(ct)}){x}) : {x})"
    return x


def _sign(renderer, ct, args, expr):
    x = args[0]
    ctype = C_TYPES[ct]
    if ct in FLOATS:
        one, zero = f"({ctype})1", f"({ctype})0"
        inner = f"({x} == 0 ? {zero} : {x})"
        return f"({x} > 0 ? {one} : ({x} < 0 ? -{one} : {inner}))"
    if ct in SIGNED:
        return f"({ctype})(({x} > 0) - ({x} < 0))"
    return f"({ctype})({x} > 0)"


def _extremum(renderer, ct, args, expr):
    a, b = args
    cmp = ">=" if expr.op == "max" else "<="
    if ct in FLOATS:
        return f"(({a} {cmp} {b} || {a} != {a}) ? {a} : {b})"
    return f"({a} {cmp} {b} ? {a} : {b})"


def _bitwise(renderer, ct, args, expr):
    return f"({C_TYPES[ct]})({args[0]} {_BITWISE[expr.op]} {args[1]})"


def _bnot(renderer, ct, args, expr):
    if ct == "bool":
        return f"(uint8_t)(!{args[0]})"
    return f"({C_TYPES[ct]})(~{args[0]})"


def _round_half_away(renderer, ct, args, expr):
    if ct not in FLOATS:
        return args[0]
    x = args[0]
    half = literal(0.5, ct)
    return (
        f"({x} >= 0 ? {_fn('floor', ct)}({x} + {half}) "
        f": {_fn('ceil', ct)}({x} - {half}))"
    )


def _libm(renderer, ct, args, expr):
    op = expr.op
    if ct not in FLOATS:  # rounding of integers is the identity in numpy
        if op in ("floor", "ceil", "trunc", "round_half_even"):
            return args[0]
        raise Unsupported(f"{op} computing in {ct}")
    return f"{_fn(_LIBM[op], ct)}({args[0]})"


def _vecmath(renderer, ct, args, expr):
    _need_float(expr.op, ct)
    suffix = "f" if ct == "float32" else ""
    return f"{_VECMATH[expr.op]}{suffix}({args[0]})"


def _double_only(renderer, ct, args, expr):
    _need_float(expr.op, ct)
    function = _DOUBLE_ONLY[expr.op]
    if ct == "float32":
        return f"(float){function}((double){args[0]})"
    return f"{function}({args[0]})"


def _need_float(op, ct):
    if ct not in FLOATS:
        raise Unsupported(f"{op} computing in {ct}")


_ARITH = {"add": "+", "sub": "-", "mul": "*"}

#: Primitives this backend does not render, with the reason (none today).
UNSUPPORTED = {}

#: ``{primitive: emitter}``: how the C backend renders each scalar primitive.
EMITTERS = {
    "cast": _emit_cast,
    **dict.fromkeys(_COMPARE, _emit_compare),
    **dict.fromkeys(("land", "lor", "lnot"), _emit_logical),
    "isnan": _emit_isnan,
    "isinf": _emit_isinf,
    "select": _emit_select,
    **dict.fromkeys(_ARITH, _computed(_arith)),
    "div": _computed(_div),
    "floordiv": _computed(_helper_call),
    "mod": _computed(_helper_call),
    "pow": _computed(_pow),
    "atan2": _computed(_atan2),
    "neg": _computed(_neg),
    "abs": _computed(_abs),
    "sign": _computed(_sign),
    **dict.fromkeys(("max", "min"), _computed(_extremum)),
    **dict.fromkeys(_BITWISE, _computed(_bitwise)),
    "bnot": _computed(_bnot),
    "round_half_away": _computed(_round_half_away),
    **dict.fromkeys(_LIBM, _computed(_libm)),
    **dict.fromkeys(_VECMATH, _computed(_vecmath)),
    **dict.fromkeys(_DOUBLE_ONLY, _computed(_double_only)),
}


def _fn(name, dtype):
    """The libm function ``name`` for ``dtype`` (float32 takes the ``f`` variant)."""
    return name + "f" if dtype == "float32" else name


_SIGNED_HELPERS = """
static inline {T} vm_floordiv_{d}({T} a, {T} b) {{
    if (b == 0) return 0;
    if (b == -1) return ({T})(0 - ({U})a);
    {T} q = ({T})(a / b);
    return ({T})(q - ((a % b != 0) & ((a < 0) != (b < 0))));
}}
static inline {T} vm_mod_{d}({T} a, {T} b) {{
    if (b == 0 || b == -1) return 0;
    {T} r = ({T})(a % b);
    return (r != 0 && ((r < 0) != (b < 0))) ? ({T})(r + b) : r;
}}
"""
_UNSIGNED_HELPERS = """
static inline {T} vm_floordiv_{d}({T} a, {T} b) {{ return b == 0 ? 0 : ({T})(a / b); }}
static inline {T} vm_mod_{d}({T} a, {T} b) {{ return b == 0 ? 0 : ({T})(a % b); }}
"""
# Only rendered for exponents that cannot be negative (check_integer_power).
_POW_HELPER = """
static inline {T} vm_pow_{d}({T} a, {T} b) {{
    if (b < 0) return 0;
    {U} base = ({U})a, result = 1, e = ({U})b;
    while (e) {{
        if (e & 1) result *= base;
        base *= base;
        e >>= 1;
    }}
    return ({T})result;
}}
"""
_FLOAT_HELPERS = """
static inline {T} vm_floordiv_{d}({T} a, {T} b) {{
    if (b == 0) return a / b;
    {T} mod = fmod{f}(a, b);
    {T} div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;
    if (div == 0) return copysign{f}(0, a / b);
    {T} fl = floor{f}(div);
    return div - fl > ({T})0.5 ? fl + 1 : fl;
}}
static inline {T} vm_mod_{d}({T} a, {T} b) {{
    {T} mod = fmod{f}(a, b);
    if (b == 0) return mod;
    if (mod == 0) return copysign{f}(0, b);
    return ((b < 0) != (mod < 0)) ? mod + b : mod;
}}
"""


def helper_source(names):
    """Return the C definitions of the helper functions named in ``names``."""
    parts = []
    for dtype in C_TYPES:
        wanted = {n for n in names if n.endswith("_" + dtype)}
        if not wanted:
            continue
        fields = {"T": C_TYPES[dtype], "U": _unsigned_of(dtype), "d": dtype}
        if dtype in FLOATS:
            fields["f"] = "f" if dtype == "float32" else ""
            parts.append(_FLOAT_HELPERS.format(**fields))
            continue
        if wanted & {f"vm_floordiv_{dtype}", f"vm_mod_{dtype}"}:
            template = _SIGNED_HELPERS if dtype in SIGNED else _UNSIGNED_HELPERS
            parts.append(template.format(**fields))
        if f"vm_pow_{dtype}" in wanted:
            parts.append(_POW_HELPER.format(**fields))
    return "".join(parts)

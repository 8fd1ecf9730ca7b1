"""The expression form in which scalar ops state their math.

A scalar op's ``expression(args, in_dtypes, out_dtypes)`` returns one
:class:`Expr` per output, built from the primitives in :data:`PRIMITIVES`.
The expression is semantics, not an implementation detail: the C, CUDA and
LLVM emitters render it, and :func:`evaluate` runs it with numpy so tests can
check it against the op's ``impl``.

Every node carries the dtype it computes in, so emitters never guess.
"""

import numpy


class Expr:
    """One node of a scalar expression: ``op`` applied to ``args`` in ``dtype``.

    ``op`` is ``'arg'`` (``value`` is the input position), ``'const'``
    (``value`` is the number), or a name in :data:`PRIMITIVES`.
    """

    __slots__ = ("_hash", "args", "dtype", "op", "value")

    def __init__(self, op, args=(), dtype=None, value=None):
        if op not in ("arg", "const") and op not in PRIMITIVES:
            raise ValueError(f"unknown scalar primitive {op!r}")
        self.op = op
        self.args = tuple(args)
        self.dtype = dtype
        self.value = value
        self._hash = None

    def __repr__(self):
        if self.op == "arg":
            return f"${self.value}"
        if self.op == "const":
            return repr(self.value)
        return f"{self.op}:{self.dtype}({', '.join(map(repr, self.args))})"

    def __eq__(self, other):
        return isinstance(other, Expr) and (
            self.op,
            self.args,
            self.dtype,
            self.value,
        ) == (other.op, other.args, other.dtype, other.value)

    def __hash__(self):
        # Remembered: kernels hash every subtree of their expressions, so
        # recomputing would make that quadratic in the expression size.
        if self._hash is None:
            self._hash = hash((self.op, self.args, self.dtype, self.value))
        return self._hash


def arg(index, dtype):
    return Expr("arg", (), dtype, index)


def const(value, dtype):
    return Expr("const", (), dtype, value)


def call(op, dtype, *args):
    return Expr(op, args, dtype)


def _round_half_away(x):
    return numpy.where(x >= 0, numpy.floor(x + 0.5), numpy.ceil(x - 0.5))


def _sign(x):
    return numpy.sign(x)


def _int_floor_div(a, b):
    return numpy.floor_divide(a, b)


def _sigmoid(x):
    """The logistic function without overflow, float32 computed in float64.

    Plain numpy (not scipy's expit) so running a sigmoid in Python does not
    import scipy.special.
    """
    x = numpy.asarray(x)
    wide = x if x.dtype == numpy.float64 else x.astype(numpy.float64)
    with numpy.errstate(all="ignore"):
        e = numpy.exp(-numpy.abs(wide))
        result = numpy.where(wide >= 0, 1 / (1 + e), e / (1 + e))
    return result.astype(x.dtype) if x.dtype.kind == "f" else result


class _Primitives(dict):
    """The primitive table; the scipy.special entries are filled on first use.

    Importing scipy.special takes ~0.2 s, most of ``import symbolic``, and a
    graph run by a compiled backend never calls these references.
    """

    def __init__(self, table, special):
        super().__init__(table)
        self._special = special

    def __missing__(self, name):
        if name not in self._special:
            raise KeyError(name)
        import scipy.special

        for key, attr in self._special.items():
            self[key] = getattr(scipy.special, attr)
        return self[name]

    def __contains__(self, name):
        return dict.__contains__(self, name) or name in self._special

    def get(self, name, default=None):
        return self[name] if name in self else default


#: Primitive name -> numpy implementation (the reference the emitters must match).
PRIMITIVES = {
    "add": numpy.add,
    "sub": numpy.subtract,
    "mul": numpy.multiply,
    "div": numpy.true_divide,
    "floordiv": _int_floor_div,
    "mod": numpy.mod,
    "pow": numpy.power,
    "neg": numpy.negative,
    "abs": numpy.abs,
    "sign": _sign,
    "exp": numpy.exp,
    "exp2": numpy.exp2,
    "log": numpy.log,
    "log2": numpy.log2,
    "log10": numpy.log10,
    "log1p": numpy.log1p,
    "expm1": numpy.expm1,
    "sqrt": numpy.sqrt,
    "sin": numpy.sin,
    "cos": numpy.cos,
    "tan": numpy.tan,
    "asin": numpy.arcsin,
    "acos": numpy.arccos,
    "atan": numpy.arctan,
    "atan2": numpy.arctan2,
    "sinh": numpy.sinh,
    "cosh": numpy.cosh,
    "tanh": numpy.tanh,
    "asinh": numpy.arcsinh,
    "acosh": numpy.arccosh,
    "atanh": numpy.arctanh,
    "floor": numpy.floor,
    "ceil": numpy.ceil,
    "trunc": numpy.trunc,
    "round_half_even": numpy.round,
    "round_half_away": _round_half_away,
    "max": numpy.maximum,
    "min": numpy.minimum,
    "select": numpy.where,
    "lt": numpy.less,
    "le": numpy.less_equal,
    "gt": numpy.greater,
    "ge": numpy.greater_equal,
    "eq": numpy.equal,
    "ne": numpy.not_equal,
    "land": numpy.logical_and,
    "lor": numpy.logical_or,
    "lnot": numpy.logical_not,
    "band": numpy.bitwise_and,
    "bor": numpy.bitwise_or,
    "bxor": numpy.bitwise_xor,
    "bnot": numpy.invert,
    "isnan": numpy.isnan,
    "isinf": numpy.isinf,
    "cast": None,
    "softplus": lambda x: numpy.logaddexp(0, x),
    "sigmoid": _sigmoid,
}
PRIMITIVES = _Primitives(
    PRIMITIVES,
    special={
        "erf": "erf",
        "erfc": "erfc",
        "erfinv": "erfinv",
        "erfcinv": "erfcinv",
        "gamma": "gamma",
        "lgamma": "gammaln",
        "digamma": "psi",
    },
)


def primitive_names():
    """Return the names of every primitive, sorted (scipy.special ones too)."""
    return sorted(set(PRIMITIVES) | set(PRIMITIVES._special))


def evaluate(expr, values):
    """Evaluate ``expr`` with numpy on the input arrays ``values``."""
    if expr.op == "arg":
        return numpy.asarray(values[expr.value])
    if expr.op == "const":
        return numpy.asarray(expr.value, dtype=expr.dtype)
    args = [evaluate(a, values) for a in expr.args]
    if expr.op == "cast":
        return numpy.asarray(args[0]).astype(expr.dtype)
    with numpy.errstate(all="ignore"):
        result = PRIMITIVES[expr.op](*args)
    return numpy.asarray(result).astype(expr.dtype, copy=False)

"""Structured elementwise functions: applied to a sparse matrix's stored entries only.

``structured_exp(x)`` keeps ``x``'s structure and stores ``exp`` of each
stored value; the entries ``x`` does not store stay absent (not ``exp(0)``).
The gradient is structured the same way: the output gradient read at
``x``'s stored entries times the derivative there.
"""

import numpy
import scipy.special

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.sparse.basic import FORMATS
from symbolic.types import dtypes as dt
from symbolic.types.sparse import SparseType, as_sparse_variable


def _sigmoid(v, _):
    return scipy.special.expit(v)


#: name: (value of the stored data, derivative there, float result). The
#: functions take the data and the op's parameter.
FUNCTIONS = {
    "sigmoid": (_sigmoid, lambda v, p: _sigmoid(v, p) * (1 - _sigmoid(v, p)), True),
    "exp": (lambda v, p: numpy.exp(v), lambda v, p: numpy.exp(v), True),
    "log": (lambda v, p: numpy.log(v), lambda v, p: 1 / v, True),
    "expm1": (lambda v, p: numpy.expm1(v), lambda v, p: numpy.exp(v), True),
    "log1p": (lambda v, p: numpy.log1p(v), lambda v, p: 1 / (1 + v), True),
    "sqrt": (lambda v, p: numpy.sqrt(v), lambda v, p: 0.5 / numpy.sqrt(v), True),
    "tanh": (lambda v, p: numpy.tanh(v), lambda v, p: 1 - numpy.tanh(v) ** 2, True),
    "sin": (lambda v, p: numpy.sin(v), lambda v, p: numpy.cos(v), True),
    "sqr": (lambda v, p: v * v, lambda v, p: 2 * v, False),
    "abs": (lambda v, p: numpy.abs(v), lambda v, p: numpy.sign(v), False),
    "pow": (lambda v, p: v**p, lambda v, p: p * v ** (p - 1), False),
    "minimum": (lambda v, p: numpy.minimum(v, p), lambda v, p: v < p, False),
    "maximum": (lambda v, p: numpy.maximum(v, p), lambda v, p: v > p, False),
    "add": (lambda v, p: v + p, lambda v, p: numpy.ones_like(v), False),
    "tan": (lambda v, p: numpy.tan(v), lambda v, p: 1 + numpy.tan(v) ** 2, True),
    "arcsin": (
        lambda v, p: numpy.arcsin(v),
        lambda v, p: 1 / numpy.sqrt(1 - v * v),
        True,
    ),
    "arctan": (lambda v, p: numpy.arctan(v), lambda v, p: 1 / (1 + v * v), True),
    "sinh": (lambda v, p: numpy.sinh(v), lambda v, p: numpy.cosh(v), True),
    "arcsinh": (
        lambda v, p: numpy.arcsinh(v),
        lambda v, p: 1 / numpy.sqrt(v * v + 1),
        True,
    ),
    "arctanh": (lambda v, p: numpy.arctanh(v), lambda v, p: 1 / (1 - v * v), True),
    "deg2rad": (
        lambda v, p: numpy.deg2rad(v),
        lambda v, p: numpy.pi / 180 + 0 * v,
        True,
    ),
    "rad2deg": (
        lambda v, p: numpy.rad2deg(v),
        lambda v, p: 180 / numpy.pi + 0 * v,
        True,
    ),
    # Piecewise constant: zero gradient.
    "sgn": (lambda v, p: numpy.sign(v), lambda v, p: 0 * v, False),
    "ceil": (lambda v, p: numpy.ceil(v), lambda v, p: 0 * v, False),
    "floor": (lambda v, p: numpy.floor(v), lambda v, p: 0 * v, False),
    "trunc": (lambda v, p: numpy.trunc(v), lambda v, p: 0 * v, False),
    "rint": (lambda v, p: numpy.rint(v), lambda v, p: 0 * v, False),
}


def _values_at(matrix, rows, cols):
    """The entries of a dense or sparse ``matrix`` at ``(rows, cols)`` (1-d)."""
    if hasattr(matrix, "tocsr"):
        return numpy.asarray(matrix.tocsr()[rows, cols]).ravel()
    return numpy.asarray(matrix)[rows, cols]


class StructuredUnary(Op):
    """``fn`` applied to the stored entries of a sparse matrix (see module docstring).

    Parameters
    ----------
    fn : str
        A key of :data:`FUNCTIONS`.
    param : float or None
        The exponent of ``pow``, the bound of ``minimum``/``maximum``, the
        addend of ``add``.
    """

    __props__ = ("fn", "param")

    def __init__(self, fn, param=None):
        if fn not in FUNCTIONS:
            raise ValueError(
                f"unknown structured function {fn!r}; expected one of "
                f"{sorted(FUNCTIONS)}"
            )
        self.fn = fn
        self.param = param

    def make_node(self, x):
        x = as_sparse_variable(x)
        dtype = dt.float_of(x.dtype) if FUNCTIONS[self.fn][2] else x.dtype
        return Apply(self, [x], [SparseType(x.format, dtype)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        out = x.copy()
        dtype = node.outputs[0].type.dtype
        out.data = numpy.asarray(FUNCTIONS[self.fn][0](x.data, self.param), dtype=dtype)
        output_storage[0][0] = FORMATS[x.format](out)

    def grad(self, inputs, output_grads):
        (x,) = inputs
        return [StructuredUnaryGrad(self.fn, self.param)(x, output_grads[0])]

    def __str__(self):
        if self.param is None:
            return f"Structured{{{self.fn}}}"
        return f"Structured{{{self.fn}, {self.param}}}"


class StructuredUnaryGrad(Op):
    """Gradient of :class:`StructuredUnary`: ``gz`` at ``x``'s entries times ``fn'``."""

    __props__ = ("fn", "param")

    def __init__(self, fn, param=None):
        self.fn = fn
        self.param = param

    def make_node(self, x, gz):
        x = as_sparse_variable(x)
        from symbolic.types.sparse import is_sparse_variable
        from symbolic.types.tensor import as_tensor_variable

        if not is_sparse_variable(gz):
            gz = as_tensor_variable(gz)
        return Apply(self, [x, gz], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, gz = inputs
        coo = x.tocoo()
        slope = FUNCTIONS[self.fn][1](coo.data, self.param)
        values = (_values_at(gz, coo.row, coo.col) * slope).astype(x.dtype)
        out = x.copy()
        # x.tocoo() lists the entries in x's own storage order.
        out.data = values
        output_storage[0][0] = FORMATS[x.format](out)


def _structured(fn):
    def apply(x):
        return StructuredUnary(fn)(x)

    apply.__name__ = f"structured_{fn}"
    apply.__doc__ = (
        f"Return ``{fn}`` of the stored entries of sparse ``x`` (structured)."
    )
    return apply


structured_sigmoid = _structured("sigmoid")
structured_exp = _structured("exp")
structured_log = _structured("log")
structured_expm1 = _structured("expm1")
structured_log1p = _structured("log1p")
structured_sqrt = _structured("sqrt")
structured_tanh = _structured("tanh")
structured_sin = _structured("sin")
structured_sqr = _structured("sqr")
structured_abs = _structured("abs")

# Theano's zero-preserving elementwise functions of sparse matrices: each
# maps 0 to 0, so applying it to the stored entries is applying it everywhere.
sin = _structured("sin")
tan = _structured("tan")
arcsin = _structured("arcsin")
arctan = _structured("arctan")
sinh = _structured("sinh")
arcsinh = _structured("arcsinh")
tanh = _structured("tanh")
arctanh = _structured("arctanh")
sqrt = _structured("sqrt")
sqr = _structured("sqr")
log1p = _structured("log1p")
expm1 = _structured("expm1")
abs_ = _structured("abs")
sgn = _structured("sgn")
ceil = _structured("ceil")
floor = _structured("floor")
trunc = _structured("trunc")
rint = _structured("rint")
deg2rad = _structured("deg2rad")
rad2deg = _structured("rad2deg")


def _constant_number(value, what):
    from symbolic.graph.basic import Constant, Variable

    if isinstance(value, Constant):
        value = value.data
    if isinstance(value, Variable):
        raise TypeError(
            f"{what}: the second operand must be a constant number, got the "
            f"symbolic {value}"
        )
    array = numpy.asarray(value)
    if array.ndim != 0:
        raise TypeError(f"{what}: expected a scalar, got shape {array.shape}")
    return array.item()


def structured_pow(x, y):
    """Return the stored entries of sparse ``x`` raised to the constant ``y``."""
    return StructuredUnary("pow", _constant_number(y, "structured_pow"))(x)


def structured_minimum(x, y):
    """Return ``minimum(v, y)`` of each stored entry ``v`` of sparse ``x``."""
    return StructuredUnary("minimum", _constant_number(y, "structured_minimum"))(x)


def structured_maximum(x, y):
    """Return ``maximum(v, y)`` of each stored entry ``v`` of sparse ``x``."""
    return StructuredUnary("maximum", _constant_number(y, "structured_maximum"))(x)


def structured_add(x, y):
    """Return ``v + y`` for each stored entry ``v`` of sparse ``x`` (``y`` constant)."""
    return StructuredUnary("add", _constant_number(y, "structured_add"))(x)


__all__ = [
    "StructuredUnary",
    "StructuredUnaryGrad",
    "abs_",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctanh",
    "ceil",
    "deg2rad",
    "expm1",
    "floor",
    "log1p",
    "rad2deg",
    "rint",
    "sgn",
    "sin",
    "sinh",
    "sqr",
    "sqrt",
    "structured_abs",
    "structured_add",
    "structured_exp",
    "structured_expm1",
    "structured_log",
    "structured_log1p",
    "structured_maximum",
    "structured_minimum",
    "structured_pow",
    "structured_sigmoid",
    "structured_sin",
    "structured_sqr",
    "structured_sqrt",
    "structured_tanh",
    "tan",
    "tanh",
    "trunc",
]

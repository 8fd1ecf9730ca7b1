"""Specialize products into BLAS calls: Dot22, Gemm, Gemv and Ger.

A sum of scaled terms in which a matrix product appears, such as the SGD
update ``W - lr * (dot(x.T, g) + c * W)``, is read as
``sum_k coef_k * term_k`` and rebuilt as ``gemm(W, -lr, x.T, g, 1 - lr*c)``,
which a backend runs as one BLAS call (in place once the in-place phase
allows it). Only single-client intermediates of the output's dtype are
opened, so no value is computed twice.
"""

import numpy

from symbolic.graph.basic import Constant
from symbolic.ops import math
from symbolic.ops.blas import Dot22, dot22, gemm_no_inplace, gemv_no_inplace, ger
from symbolic.ops.dot import Dot
from symbolic.ops.elemwise import DimShuffle, Elemwise
from symbolic.ops.scalar import basic as sb
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.rules.helpers import fit, single_client
from symbolic.types.tensor import as_tensor_variable

_TAGS = ("specialize", "blas")
_BLAS_DTYPES = ("float32", "float64")


@node_rewriter([Dot], tags=_TAGS)
def local_dot_to_dot22(fgraph, node):
    """dot(x, y) -> Dot22(x, y) for two matrices of one float dtype."""
    x, y = node.inputs
    out = node.outputs[0]
    if x.ndim != 2 or y.ndim != 2 or x.dtype != y.dtype or x.dtype != out.dtype:
        return None
    if x.dtype not in _BLAS_DTYPES:
        return None
    return [fit(dot22(x, y), out)]


# Reading a sum of scaled terms ------------------------------------------------------
class _Term:
    """``sign * prod(factors) * var`` with 0-d ``factors``."""

    __slots__ = ("factors", "sign", "var")

    def __init__(self, sign, factors, var):
        self.sign = sign
        self.factors = factors
        self.var = var

    def scaled(self, sign, factors):
        return _Term(self.sign * sign, factors + self.factors, self.var)


def _as_scalar(var):
    """The 0-d value of an all-broadcastable ``var`` (looking through DimShuffle)."""
    if var.ndim == 0:
        return var
    if isinstance(var, Constant):
        return as_tensor_variable(numpy.asarray(var.data).reshape(()))
    owner = var.owner
    if (
        owner is not None
        and isinstance(owner.op, DimShuffle)
        and owner.inputs[0].ndim == 0
    ):
        return owner.inputs[0]
    return DimShuffle(var.broadcastable, ())(var)


def _scalar_op(var):
    owner = var.owner
    if owner is None or type(owner.op) is not Elemwise:
        return None
    return owner.op.scalar_op


def _read_terms(fgraph, var, dtype, top):
    """Split ``var`` into a list of :class:`_Term` (itself when it cannot)."""
    op = _scalar_op(var) if var.dtype == dtype else None
    if op is None or not (top or single_client(fgraph, var)):
        return [_Term(1, (), var)]
    inputs = var.owner.inputs
    if isinstance(op, sb.Add):
        return [t for x in inputs for t in _read_terms(fgraph, x, dtype, False)]
    if isinstance(op, sb.Sub):
        a, b = inputs
        return _read_terms(fgraph, a, dtype, False) + [
            t.scaled(-1, ()) for t in _read_terms(fgraph, b, dtype, False)
        ]
    if isinstance(op, sb.Neg):
        return [t.scaled(-1, ()) for t in _read_terms(fgraph, inputs[0], dtype, False)]
    if isinstance(op, sb.Mul):
        full = [x for x in inputs if not all(x.broadcastable)]
        if len(full) == 1 and full[0].broadcastable == var.broadcastable:
            scalars = tuple(_as_scalar(x) for x in inputs if all(x.broadcastable))
            inner = _read_terms(fgraph, full[0], dtype, False)
            return [t.scaled(1, scalars) for t in inner]
    return [_Term(1, (), var)]


def _absorbed_by_client(fgraph, var):
    """Whether the single client of ``var`` reads it as part of its own sum.

    Mirrors what :func:`_read_terms` opens, so only the top of an expression
    is rewritten.
    """
    clients = fgraph.clients.get(var, ())
    if len(clients) != 1 or clients[0][0] == "output":
        return False
    client = clients[0][0].outputs[0]
    op = _scalar_op(client)
    if client.dtype != var.dtype:
        return False
    if isinstance(op, (sb.Add, sb.Sub, sb.Neg)):
        return True
    if isinstance(op, sb.Mul):
        full = [x for x in client.owner.inputs if not all(x.broadcastable)]
        return full == [var] and var.broadcastable == client.broadcastable
    return False


def _coefficient(terms, dtype):
    """The 0-d sum of the terms' scales (folded when every factor is constant)."""
    if all(isinstance(f, Constant) for t in terms for f in t.factors):
        total = numpy.asarray(0, dtype=dtype)
        for t in terms:
            value = numpy.asarray(t.sign, dtype=dtype)
            for f in t.factors:
                value = numpy.asarray(value * numpy.asarray(f.data, dtype=dtype))
            total = numpy.asarray(total + value, dtype=dtype)
        return as_tensor_variable(total)
    parts = []
    for t in terms:
        scale = t.factors[0] if t.factors else None
        for f in t.factors[1:]:
            scale = math.mul(scale, f)
        if scale is None:
            scale = as_tensor_variable(numpy.asarray(t.sign, dtype=dtype))
        elif t.sign < 0:
            scale = math.neg(scale)
        parts.append(scale)
    total = parts[0] if len(parts) == 1 else math.add(*parts)
    return total if total.dtype == dtype else math.cast(total, dtype)


def _is_one(coef):
    return isinstance(coef, Constant) and numpy.all(coef.data == 1)


def _product(var, out, fgraph):
    """Return ``(kind, operands)`` when ``var`` is a single-use BLAS-able product."""
    owner = var.owner
    if owner is None or not isinstance(owner.op, (Dot, Dot22)):
        return None
    if not single_client(fgraph, var) or var.broadcastable != out.broadcastable:
        return None
    x, y = owner.inputs
    if x.dtype != out.dtype or y.dtype != out.dtype:
        return None
    if x.ndim == 2 and y.ndim == 2:
        return "mm", (x, y)
    if x.ndim == 2 and y.ndim == 1:
        return "mv", (x, y)
    if x.ndim == 1 and y.ndim == 2:
        return "mv", (y.T, x)
    return None


def _outer_vectors(x, y):
    """``(u, v)`` when ``x, y`` are ``u[:, None]`` and ``v[None, :]``."""
    for var, order in ((x, (0, "x")), (y, ("x", 0))):
        owner = var.owner
        if owner is None or not isinstance(owner.op, DimShuffle):
            return None
        if owner.op.new_order != order:
            return None
    return x.owner.inputs[0], y.owner.inputs[0]


def _merge_terms(terms):
    """Group terms by variable, keeping first-seen order."""
    groups = {}
    for t in terms:
        groups.setdefault(t.var, []).append(t)
    return list(groups.items())


@node_rewriter([Elemwise], tags=_TAGS)
def local_gemm(fgraph, node):
    """b*z + a*dot(x, y) + ... -> gemm(z, a, x, y, b) + ... (and gemv, ger).

    The expression is any single-client tree of add, sub, neg and scaling
    (by all-broadcastable factors) over a float matrix or vector. Each
    single-client ``dot`` of the output's type becomes a BLAS update of an
    accumulator: a term of the output's exact type (``z``) or another product.
    ``A + a*outer(u, v)`` becomes ``ger``. Terms that repeat a variable have
    their scales summed. Other terms are added back unchanged.
    """
    op = node.op.scalar_op
    if not isinstance(op, (sb.Add, sb.Sub, sb.Neg, sb.Mul)):
        return None
    out = node.outputs[0]
    if out.ndim not in (1, 2) or out.dtype not in _BLAS_DTYPES:
        return None
    if _absorbed_by_client(fgraph, out):
        return None
    dtype = out.dtype
    grouped = _merge_terms(_read_terms(fgraph, out, dtype, True))
    products, accumulators, rest = [], [], []
    for var, terms in grouped:
        product = _product(var, out, fgraph) if len(terms) == 1 else None
        if product is not None:
            products.append((product, terms))
        elif var.type == out.type:
            accumulators.append((var, terms))
        else:
            rest.extend(terms)
    if not products or (not accumulators and len(products) < 2):
        return None
    if accumulators:
        z_var, z_terms = accumulators.pop(0)
        result, z_coef = z_var, _coefficient(z_terms, dtype)
    else:
        _, z_terms = products.pop(0)
        result, z_coef = z_terms[0].var, _coefficient(z_terms, dtype)
    for (kind, (x, y)), terms in products:
        coef = _coefficient(terms, dtype)
        if kind == "mv":
            result = gemv_no_inplace(result, coef, x, y, z_coef)
        else:
            vectors = _outer_vectors(x, y)
            if vectors is not None and _is_one(z_coef):
                result = ger(result, coef, *vectors)
            else:
                result = gemm_no_inplace(result, coef, x, y, z_coef)
        z_coef = as_tensor_variable(numpy.asarray(1, dtype=dtype))
    leftovers = [t for _, terms in accumulators for t in terms] + rest
    for t in leftovers:
        term = t.var
        if t.factors or t.sign < 0:
            term = math.mul(_coefficient([_Term(t.sign, t.factors, None)], dtype), term)
        result = math.add(result, term)
    return [fit(result, out)]

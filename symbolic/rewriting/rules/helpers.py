"""Helpers shared by the rule modules (no rules are defined here).

Every replacement goes through :func:`fit`, so a rewrite never changes a
variable's dtype or broadcastable pattern.
"""

import numpy

from symbolic.graph.basic import Constant
from symbolic.ops.basic import Rebroadcast
from symbolic.ops.elemwise import DimShuffle, Elemwise
from symbolic.ops.math import cast, patternbroadcast
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable


def fit(new, old):
    """Return ``new`` converted to ``old``'s exact type, or None if it cannot be.

    A different dtype is cast; a different broadcastable pattern is fixed by
    a Rebroadcast (a flag set to True is checked at run time).
    """
    if new is None:
        return None
    new = as_tensor_variable(new)
    if not isinstance(old.type, TensorType) or new.ndim != old.ndim:
        return None
    if new.dtype != old.dtype:
        new = cast(new, old.dtype)
    if new.broadcastable != old.broadcastable:
        new = patternbroadcast(new, old.broadcastable)
    assert new.type == old.type, (new.type, old.type)
    return new


def scalar_op_of(var, *classes):
    """Return ``var``'s scalar op when ``var`` is an Elemwise output of ``classes``."""
    node = var.owner
    if node is None or not isinstance(node.op, Elemwise):
        return None
    op = node.op.scalar_op
    return op if isinstance(op, classes) else None


def is_op(var, *classes):
    """Whether ``var`` is the output of a node whose op is one of ``classes``."""
    return var.owner is not None and isinstance(var.owner.op, classes)


def constant_value(var):
    """Return the value of a size-1 constant (possibly under a DimShuffle), else None.

    Only such constants broadcast against anything, so they can be moved or
    merged freely inside elementwise expressions.
    """
    while var.owner is not None and isinstance(var.owner.op, (DimShuffle, Rebroadcast)):
        var = var.owner.inputs[0]
    if isinstance(var, Constant) and isinstance(var.data, numpy.ndarray):
        if var.data.size == 1:
            return var.data.reshape(())
    return None


def is_constant(var, value):
    """Whether ``var`` is a size-1 constant equal to ``value``."""
    found = constant_value(var)
    return found is not None and found == value


def all_broadcastable(var):
    return all(var.broadcastable)


def n_clients(fgraph, var):
    return len(fgraph.clients.get(var, ()))


def single_client(fgraph, var):
    """Whether ``var`` feeds exactly one consumer (and is not a graph output)."""
    clients = fgraph.clients.get(var, ())
    return len(clients) == 1 and clients[0][0] != "output"


def typed_constant(value, dtype):
    """A 0-d constant of ``dtype``."""
    return as_tensor_variable(numpy.asarray(value, dtype=dtype))


def fill_like(model, value, dtype):
    """``value`` (a Python number) broadcast to ``model``'s shape, of ``dtype``."""
    from symbolic.ops.math import second

    return second(model, typed_constant(value, dtype))


def is_float(var):
    return dt.is_float(var.dtype)


def _sigmoid_form(var):
    """``(sign, z)`` when ``var`` is ``sigmoid(z)`` (+1), or ``1 - sigmoid(z)``
    or ``sigmoid(-z)`` (-1); else None."""
    from symbolic.ops.nnet.sigm import ScalarSigmoid
    from symbolic.ops.scalar import basic as sb

    sign = 1
    if scalar_op_of(var, sb.Sub):
        one, var = var.owner.inputs
        if not (all_broadcastable(one) and is_constant(one, 1)):
            return None
        sign = -1
    if not scalar_op_of(var, ScalarSigmoid):
        return None
    (z,) = var.owner.inputs
    if scalar_op_of(z, sb.Neg):
        return -sign, z.owner.inputs[0]
    return sign, z


def same_expr(a, b, depth=6):
    """Whether ``a`` and ``b`` compute the same value by the same expression.

    Structural equality, so that two copies of ``1 - sigmoid(x)`` (one built by
    the user with an int ``1``, one by ``grad`` with ``1.0``) cancel before
    the merge pass has unified them.  Equal ops over pairwise equal inputs;
    constants by value; and ``1 - sigmoid(x)`` equals ``sigmoid(-x)`` (of
    the same type).  Only ``depth`` levels are compared.
    """
    if a is b:
        return True
    if depth > 0 and a.type == b.type:
        sa, sb_ = _sigmoid_form(a), _sigmoid_form(b)
        if sa is not None and sb_ is not None and sa[0] == sb_[0]:
            return same_expr(sa[1], sb_[1], depth - 1)
    if isinstance(a, Constant) and isinstance(b, Constant):
        if a.broadcastable != b.broadcastable:
            return False
        x, y = numpy.asarray(a.data), numpy.asarray(b.data)
        return x.shape == y.shape and bool(numpy.all(x == y))
    if depth == 0 or a.owner is None or b.owner is None:
        return False
    if a.type != b.type or a.index != b.index or a.owner.op != b.owner.op:
        return False
    if len(a.owner.inputs) != len(b.owner.inputs):
        return False
    if getattr(a.owner.op, "has_side_effects", False):
        return False
    return all(
        same_expr(x, y, depth - 1) for x, y in zip(a.owner.inputs, b.owner.inputs)
    )


def index_of_same(var, candidates):
    """Index of the first of ``candidates`` that :func:`same_expr` ``var``, or None."""
    for i, candidate in enumerate(candidates):
        if same_expr(var, candidate):
            return i
    return None

"""Gradient-shaped sums: blocks written into zeros and added become one join.

The gradient of a step that splits one product into gates (an LSTM's
``z[:, k*n:(k+1)*n]``) adds one ``inc_subtensor`` into zeros per gate; the
rule here turns that sum back into the join of the gate gradients.  It
carries the ``scan`` tag because scan gradients are where it pays.
"""

import numpy

from symbolic.graph.basic import Constant, Variable
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.subtensor import IncSubtensor
from symbolic.ops.subtensor_utils import constant_int, fill_entries
from symbolic.rewriting.core import node_rewriter

_CANON = ("canonicalize", "scan")


def _as_int(part):
    if isinstance(part, Variable):
        return constant_int(part)
    return part


def _zeros_model(var):
    """The variable ``var = zeros_like(model)`` copies the shape of, else None."""
    from symbolic.ops.scalar.basic import Second

    node = var.owner
    if node is None or not isinstance(node.op, Elemwise):
        return None
    if not isinstance(node.op.scalar_op, Second):
        return None
    fill_value = node.inputs[1]
    if not isinstance(fill_value, Constant) or numpy.any(fill_value.data != 0):
        return None
    return node.inputs[0]


def _block_of(var):
    """``(model, axis, start, stop, y)`` when ``var = inc(zeros_like(model)[s], y)``.

    ``s`` slices one axis with constant bounds (stop None meaning the end)
    and takes every other axis whole; ``y`` fills the slice exactly.
    """
    node = var.owner
    if node is None or not isinstance(node.op, IncSubtensor):
        return None
    x, y = node.inputs[:2]
    model = _zeros_model(x)
    if model is None or y.ndim != x.ndim:
        return None
    entries = fill_entries(node.op.idx_list, node.inputs[2:])
    if len(entries) != x.ndim:
        entries = entries + [slice(None)] * (x.ndim - len(entries))
    cut = None
    for axis, entry in enumerate(entries):
        if not isinstance(entry, slice) or entry.step is not None:
            return None
        if entry.start is None and entry.stop is None:
            continue
        if cut is not None:
            return None
        start = 0 if entry.start is None else _as_int(entry.start)
        stop = None if entry.stop is None else _as_int(entry.stop)
        if start is None or start < 0 or (entry.stop is not None and stop is None):
            return None
        cut = (axis, start, stop)
    if cut is None or any(
        by and not bx for by, bx in zip(y.broadcastable, x.broadcastable)
    ):
        return None
    if y.broadcastable != x.broadcastable or y.dtype != x.dtype:
        return None
    return (model, *cut, y)


@node_rewriter([Elemwise], tags=_CANON)
def local_add_of_disjoint_inc_subtensors(fgraph, node):
    """Blocks written into zeros and added -> one join of the blocks.

    ``inc(zeros_like(z)[:, :a], p) + inc(zeros_like(z)[:, a:b], q) +
    inc(zeros_like(z)[:, b:], r)`` -> ``join(1, p, q, r)`` when the constant
    slices of one axis tile it from 0 to the end.  This is the gradient of a
    step that splits one product into gates (an LSTM's ``z[:, k*n:(k+1)*n]``).
    A last block with a constant end is followed by the zeros past it (an
    empty piece when the model ends there).
    """
    from symbolic.ops.join_split import join
    from symbolic.ops.scalar.basic import Add

    if not isinstance(node.op.scalar_op, Add) or len(node.inputs) < 2:
        return None
    if not all(
        isinstance(getattr(v.owner, "op", None), IncSubtensor) for v in node.inputs
    ):
        return None
    blocks = [_block_of(v) for v in node.inputs]
    if any(b is None for b in blocks):
        return None
    if len({(b[0], b[1]) for b in blocks}) != 1:
        return None
    blocks.sort(key=lambda b: b[2])
    position = 0
    for i, (_, _, start, stop, _) in enumerate(blocks):
        if start != position or (stop is None and i != len(blocks) - 1):
            return None
        position = stop
    model, axis = blocks[0][:2]
    pieces = [b[4] for b in blocks]
    if position is not None:
        tail = _zeros_after(fgraph, model, axis, position)
        if tail is not None:
            if _read_by_an_add(fgraph, node.outputs[0]):
                # A partial sum: wait for the whole sum, once flattened.
                return None
            pieces.append(tail)
    out = node.outputs[0]
    result = join(axis, *pieces)
    if result.type != out.type:
        return None
    return [result]


def _read_by_an_add(fgraph, var):
    from symbolic.ops.scalar.basic import Add

    return any(
        client != "output"
        and isinstance(client.op, Elemwise)
        and isinstance(client.op.scalar_op, Add)
        for client, _ in fgraph.clients.get(var, ())
    )


def _zeros_after(fgraph, model, axis, stop):
    """Zeros filling ``model`` past ``stop`` on ``axis``; None when provably empty.

    A last block written as ``z[:, b:4 * n]`` rather than ``z[:, b:]`` ends
    at a constant; when ``z`` may be longer, the rest stays zeros.
    """
    from symbolic.ops.basic import alloc
    from symbolic.rewriting.shape_feature import shape_feature

    shape = list(shape_feature(fgraph).shape_of(model))
    if constant_int(shape[axis]) == stop:
        return None
    shape[axis] = shape[axis] - stop
    return alloc(numpy.zeros((), dtype=model.dtype), *shape)

"""Scan rules for the compiled backend: products moved into the loop step.

The rules in :mod:`symbolic.scan.rewriting` hoist per-step products out of
a loop, which pays when each step's product goes to BLAS.  The C runtime
instead packs a loop's fixed operand once and keeps each step's product in
cache; the rule here brings a sequence's input projection back into the
step when the C linker asks for it (tag ``in_loop_products``).  It joins
the pipeline when the ``symbolic.scan`` package is imported.
"""

import sys

import numpy

from symbolic.graph.basic import Constant, Variable
from symbolic.graph.replace import clone_replace
from symbolic.ops.dot import Dot, dot
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.subtensor import Subtensor
from symbolic.ops.subtensor_utils import constant_int, fill_entries
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.pipeline import register_rules_module
from symbolic.rewriting.rules.c_backend import IN_LOOP_PRODUCTS
from symbolic.rewriting.rules.helpers import fit
from symbolic.scan.op import Scan
from symbolic.scan.rebuild import rebuild_scan


def _sequence_product(fgraph, var):
    """``(X, W, bias)`` when ``var`` is ``dot(X, W)`` or ``dot(X, W) + bias``.

    ``var`` is a float32 3-d tensor made as ``dot`` makes a product of a
    3-d operand: rows ``R`` times a matrix ``W``, reshaped to 3-d with
    ``W.shape[1]`` columns.  Step ``t`` of it is then ``dot(X[t], W)`` for
    ``X = R.reshape((var.shape[0], var.shape[1], R.shape[1]))``; when ``R``
    is itself a 3-d tensor reshaped to rows that way, ``X`` is that
    tensor.  ``bias`` (or None) is broadcast over the first two axes.  The
    nodes between ``var`` and the 2-d product may feed nothing else.
    """
    from symbolic.ops.blas import Dot22
    from symbolic.ops.reshaping import Reshape
    from symbolic.ops.scalar.basic import Add
    from symbolic.rewriting.shape_feature import shape_feature

    def only_client(v, apply):
        return [c for c, _ in fgraph.clients.get(v, ())] == [apply]

    if var.ndim != 3 or var.dtype != "float32" or var.owner is None:
        return None
    product, bias = var, None
    owner = var.owner
    if isinstance(owner.op, Elemwise) and isinstance(owner.op.scalar_op, Add):
        if len(owner.inputs) != 2:
            return None
        for term, other in (owner.inputs, owner.inputs[::-1]):
            if other.broadcastable[:2] == (True, True) and term.type == var.type:
                product, bias = term, other
                break
        else:
            return None
        if not only_client(product, owner):
            return None
    reshaped = product.owner
    if reshaped is None or not isinstance(reshaped.op, Reshape):
        return None
    rows_product = reshaped.inputs[0]
    if rows_product.owner is None or not only_client(rows_product, reshaped):
        return None
    if not isinstance(rows_product.owner.op, (Dot, Dot22)):
        return None
    rows, W = rows_product.owner.inputs
    if rows.ndim != 2 or W.ndim != 2:
        return None
    if rows.dtype != var.dtype or W.dtype != var.dtype:
        return None
    if isinstance(W, Constant):
        # A loop whose fixed operands are all constants packs none of them.
        return None
    product_shape = _shape_vector(reshaped.inputs[1], 3)
    shapes = shape_feature(fgraph)
    if product_shape is None or not _same_length(
        product_shape[2], shapes.shape_of(W)[1]
    ):
        return None
    if rows.owner is not None and isinstance(rows.owner.op, Reshape):
        X = rows.owner.inputs[0]
        rows_shape = _shape_vector(rows.owner.inputs[1], 2)
        if (
            X.ndim == 3
            and rows_shape is not None
            and _same_length(rows_shape[1], shapes.shape_of(X)[2])
            and _same_length(product_shape[1], shapes.shape_of(X)[1])
        ):
            return X, W, bias
    steps = rows.reshape((product_shape[0], product_shape[1], rows.shape[1]), ndim=3)
    return steps, W, bias


def _shape_vector(vector, ndim):
    """The ``ndim`` entries of a Reshape's shape argument, or None if unknown."""
    from symbolic.ops.basic import MakeVector

    if isinstance(vector, Constant):
        values = numpy.asarray(vector.data).ravel()
        return list(values) if values.size == ndim else None
    if vector.owner is not None and isinstance(vector.owner.op, MakeVector):
        return list(vector.owner.inputs) if len(vector.owner.inputs) == ndim else None
    return None


def _same_length(entry, length):
    """Whether a shape-argument entry provably equals the axis length ``length``."""
    from symbolic.rewriting.shape_feature import same_entry

    if not isinstance(entry, Variable):
        entry_value = int(entry)
    elif isinstance(entry, Constant):
        entry_value = int(entry.data)
    else:
        return same_entry(entry, length)
    return isinstance(length, Constant) and int(length.data) == entry_value


def _under_leading_prefix(fgraph, var):
    """``(base, node)`` when ``var`` is ``base[:k]`` (a Subtensor taking the
    first steps and nothing else) and only that slice reads ``base``; else
    ``(var, None)``.  A scan whose length is not provably the sequence's
    gets its sequences cut that way."""
    from symbolic.ops.subtensor_utils import is_full_slice

    owner = var.owner
    if owner is None or type(owner.op) is not Subtensor:
        return var, None
    entries = fill_entries(owner.op.idx_list, owner.inputs[1:])
    first = entries[0] if entries else None
    if not isinstance(first, slice) or first.step is not None:
        return var, None
    if first.start is not None and constant_int(first.start) != 0:
        return var, None
    if not all(isinstance(e, slice) and is_full_slice(e) for e in entries[1:]):
        return var, None
    base = owner.inputs[0]
    if [c for c, _ in fgraph.clients.get(base, ())] != [owner]:
        return var, None
    return base, owner


@node_rewriter([Scan], tags=("specialize", "scan", IN_LOOP_PRODUCTS))
def scan_pull_in_sequence_dot(fgraph, node):
    """Sequence ``dot(X, W) [+ b]`` -> ``dot(X[t], W) [+ b]`` in the step.

    The reverse of :func:`scan_push_out_sequence_dot`, for the C runtime's
    packed products: in the loop, ``W`` is packed once and each step's
    product stays in cache for the step's next product and gates, where the
    product over the whole sequence writes it to memory and the loop reads
    it back.  An LSTM's input projection, hoisted by the rewrites above or
    written outside the loop as a Blocks ``Linear`` brick does, comes back
    in.  Only float32 sequences read by this loop alone qualify (see
    :func:`_sequence_product`).  Opt-in: the C linker requires it when its
    runtime has a packed-product kernel.
    """
    op = node.op
    inner_seqs, _, _, _ = op.inner_groups()
    _, outer_seqs, _, _, _ = op.outer_groups(node.inputs)
    replace, extra_seqs, extra_non_seqs = [], [], []
    for inner, outer in zip(inner_seqs, outer_seqs):
        if [c for c, _ in fgraph.clients.get(outer, ())] != [node]:
            continue
        product, prefix = _under_leading_prefix(fgraph, outer)
        found = _sequence_product(fgraph, product)
        if found is None:
            continue
        X, W, bias = found
        if prefix is not None:
            # The loop reads the first steps of the product: the same
            # steps of X.
            X = prefix.op(X, *prefix.inputs[1:])
        x_t, w = X[0].type(), W.type()
        step_value = dot(x_t, w)
        extra_seqs.append((x_t, X))
        extra_non_seqs.append((w, W))
        if bias is not None:
            row = bias.dimshuffle(1, 2)
            b = row.type()
            step_value = step_value + b
            extra_non_seqs.append((b, row))
        step_value = fit(step_value, inner)
        if step_value is None:
            return None
        replace.append((inner, step_value))
    if not replace:
        return None
    outputs = clone_replace(op.outputs, replace, strict=False)
    old, _ = rebuild_scan(
        node, outputs, extra_seqs=extra_seqs, extra_non_seqs=extra_non_seqs
    )
    return old


# Opt-in: only modes whose linker requires it (or that include it) run it.
scan_pull_in_sequence_dot.opt_in = True


register_rules_module(sys.modules[__name__])

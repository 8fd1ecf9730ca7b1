"""Shape rules: shape computations from ``infer_shape``; useless fills and allocs.

They ask the graph's :class:`~symbolic.rewriting.shape_feature.ShapeFeature`
(attached on first use), so ``x.shape[i]`` of a computed ``x`` becomes an
expression of the graph inputs' shapes and no longer needs ``x``.
"""

from symbolic.ops import math
from symbolic.ops.basic import Alloc, MakeVector, Shape, Shape_i
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.scalar import basic as sb
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.rules.helpers import fit, scalar_op_of, single_client
from symbolic.rewriting.shape_feature import same_entry, shape_feature

_CANON = ("canonicalize", "shape")


@node_rewriter([Shape_i], tags=_CANON)
def local_shape_i_of_computed(fgraph, node):
    """Shape_i{i}(op(...)) -> entry i of the shape ``op.infer_shape`` gives.

    Conditions: the measured variable has an owner whose op infers shapes.
    """
    (x,) = node.inputs
    if x.owner is None:
        return None
    entry = shape_feature(fgraph).shape_entry(x, node.op.i)
    owner = entry.owner
    if owner is not None and owner.op == node.op and owner.inputs[0] is x:
        return None
    return [fit(entry, node.outputs[0])]


@node_rewriter([Shape], tags=_CANON)
def local_shape_to_shape_i(fgraph, node):
    """Shape(op(...)) -> make_vector(inferred entries), for a computed tensor.

    Conditions: the tensor has an owner and at least two dims (a one-entry
    make_vector would be broadcastable, unlike the shape vector).
    """
    (x,) = node.inputs
    if x.owner is None or x.ndim < 2:
        return None
    entries = shape_feature(fgraph).shape_of(x)
    return [fit(MakeVector("int64")(*entries), node.outputs[0])]


@node_rewriter([Elemwise], tags=_CANON)
def local_useless_fill(fgraph, node):
    """second(x, y) -> y when y already has the output's broadcast pattern.

    Then every non-broadcastable output dim comes from ``y`` too (elementwise
    shapes must agree), so the fill changes nothing.
    """
    if not isinstance(node.op.scalar_op, sb.Second):
        return None
    y = node.inputs[1]
    out = node.outputs[0]
    if y.broadcastable == out.broadcastable:
        return [fit(y, out)]
    return None


@node_rewriter([Elemwise], tags=_CANON)
def local_fill_sink(fgraph, node):
    """f(second(a, b), c) -> second(a, f(b, c)) for an elementwise ``f``.

    Moving fills toward the outputs lets :func:`local_useless_fill` drop
    them once the expression carries the shape by itself.  Conditions: the
    fill has no other client; ``f`` has one output.
    """
    op = node.op.scalar_op
    if isinstance(op, sb.Second) or len(node.outputs) != 1:
        return None
    models = []
    inputs = []
    for inp in node.inputs:
        if scalar_op_of(inp, sb.Second) and single_client(fgraph, inp):
            model, value = inp.owner.inputs
            models.append(model)
            inputs.append(value)
        else:
            inputs.append(inp)
    if not models:
        return None
    result = type(node.op)(op, name=node.op.name)(*inputs)
    for model in models:
        result = math.second(model, result)
    return [fit(result, node.outputs[0])]


@node_rewriter([Elemwise], tags=("specialize", "shape"))
def local_fill_to_alloc(fgraph, node):
    """second(x, v) -> alloc(v, *shape(x)) for a ``v`` broadcast along every dim.

    A fill of one value is a broadcast copy: the C runtime's Alloc does it
    in one numpy copy, where the elemwise kernel gathered the value chunk by
    chunk (a gradient of ``mean`` fills a whole scan output this way).  Late
    (specialize) so the canonical rules still see the fills they match.
    """
    if not isinstance(node.op.scalar_op, sb.Second):
        return None
    model, value = node.inputs
    if not all(value.broadcastable):
        return None
    shape = shape_feature(fgraph).shape_of(model)
    return [fit(Alloc()(value, *shape), node.outputs[0])]


@node_rewriter([Alloc], tags=_CANON)
def local_useless_alloc(fgraph, node):
    """alloc(v, *shape) -> v when v already has that type and shape."""
    value, *shape = node.inputs
    out = node.outputs[0]
    if value.type != out.type:
        return None
    known = shape_feature(fgraph).shape_of(value)
    if all(same_entry(a, b) for a, b in zip(known, shape)):
        return [value]
    return None

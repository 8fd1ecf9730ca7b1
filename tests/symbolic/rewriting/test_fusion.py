"""Elemwise fusion: graphs before and after, and the same numbers."""

import numpy

import symbolic
import symbolic.tensor as T
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.scalar.composite import Composite
from symbolic.rewriting.rules.fusion import MAX_FUSED_INPUTS

FUSED = symbolic.Mode(linker="py", optimizer="fast_run").excluding("inplace")
RAW = symbolic.Mode(linker="py", optimizer=None)
RNG = numpy.random.RandomState(3)


def _nodes(f):
    return f.maker.fgraph.toposort()


def _composites(f):
    return [
        n
        for n in _nodes(f)
        if isinstance(n.op, Elemwise) and isinstance(n.op.scalar_op, Composite)
    ]


def _same_numbers(inputs, outputs, values):
    fused = symbolic.function(inputs, outputs, mode=FUSED)
    raw = symbolic.function(inputs, outputs, mode=RAW)
    for got, want in zip(fused(*values), raw(*values)):
        numpy.testing.assert_allclose(got, want, rtol=1e-12)
    return fused


def test_a_chain_becomes_one_node():
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    out = T.tanh(x * y + 0.5) * T.nnet.sigmoid(y) - T.exp(x)
    values = [RNG.randn(3, 4), RNG.randn(3, 4)]
    raw = symbolic.function([x, y], out, mode=RAW)
    assert sum(isinstance(n.op, Elemwise) for n in _nodes(raw)) >= 6
    f = _same_numbers([x, y], [out], values)
    (node,) = _nodes(f)
    assert str(node.op.scalar_op).startswith("Composite{")
    assert {"tanh", "mul", "exp"} <= set(str(node.op.scalar_op)[10:-1].split(","))


def test_fusion_across_broadcasting_inputs():
    x = T.dmatrix("x")
    b = T.dvector("b")
    out = T.exp(x + b) * 2 + b
    f = _same_numbers([x, b], [out], [RNG.randn(3, 4), RNG.randn(4)])
    assert len(_composites(f)) == 1
    # Only the implicit DimShuffle of b stays outside.
    assert len(_nodes(f)) == 2


def test_broadcast_intermediates_are_not_fused_into_a_larger_loop():
    """exp(b) on a row stays its own node: fusing would compute it per row."""
    x = T.dmatrix("x")
    b = T.drow("b")
    out = x * T.exp(b * 3)
    f = _same_numbers([x, b], [out], [RNG.randn(5, 4), RNG.randn(1, 4)])
    broadcastables = {n.outputs[0].broadcastable for n in _composites(f)}
    assert (True, False) in broadcastables


def test_a_value_used_elsewhere_becomes_an_extra_output():
    x = T.dvector("x")
    e = T.exp(x) * 2
    out = [e, T.tanh(e) + 1]
    f = _same_numbers([x], out, [RNG.randn(5)])
    (node,) = _nodes(f)
    assert len(node.outputs) == 2


def test_no_fusion_through_a_reduction_cycle():
    """e feeds both sum(e) and e / sum(e): fusing e into the division would loop."""
    x = T.dvector("x")
    e = T.exp(x) + 1
    out = e / e.sum()
    f = _same_numbers([x], [out], [RNG.randn(6)])
    assert len(_composites(f)) <= 1
    ops = [type(n.op).__name__ for n in _nodes(f)]
    assert "Sum" in ops


def test_the_number_of_inputs_is_capped():
    xs = [T.dvector(f"x{i}") for i in range(MAX_FUSED_INPUTS + 8)]
    total = xs[0]
    for x in xs[1:]:
        total = T.tanh(total) + x
    values = [RNG.randn(3) for _ in xs]
    f = _same_numbers(xs, [total], values)
    composites = _composites(f)
    assert len(composites) >= 2
    assert all(len(n.inputs) <= MAX_FUSED_INPUTS for n in composites)


def test_identical_fusions_share_one_op_and_excluding_fusion_works():
    x = T.dvector("x")
    y = T.dvector("y")
    f1 = symbolic.function([x], T.exp(x) * 2 + 1, mode=FUSED)
    f2 = symbolic.function([y], T.exp(y) * 2 + 1, mode=FUSED)
    (n1,) = _nodes(f1)
    (n2,) = _nodes(f2)
    assert n1.op == n2.op and hash(n1.op) == hash(n2.op)
    plain = symbolic.function([x], T.exp(x) * 2 + 1, mode=FUSED.excluding("fusion"))
    assert not _composites(plain)


def test_mixed_dtypes_keep_intermediate_precision():
    x = T.fvector("x")
    i = T.bvector("i")
    out = T.exp(x) * (i * 3)
    values = [RNG.randn(4).astype("float32"), numpy.array([1, 2, 50, -3], "int8")]
    f = symbolic.function([x, i], out, mode=FUSED)
    raw = symbolic.function([x, i], out, mode=RAW)
    assert len(_composites(f)) == 1
    got = f(*values)
    assert got.dtype == raw(*values).dtype
    numpy.testing.assert_allclose(got, raw(*values), rtol=1e-6)


def test_consumers_of_a_shared_value_join_its_node():
    """A value read by several elementwise consumers: one node computes all.

    The LSTM backward step's shape: one fused node whose outputs feed three
    small consumers and a Join; the consumers join the node, which keeps the
    shared value as an output where something else still reads it.
    """
    x, y, z, w = (T.dmatrix(n) for n in "xyzw")
    shared_value = T.exp(x) * y
    outs = [shared_value + z, shared_value * w, T.tanh(shared_value) - z]
    joined = T.concatenate([outs[0], outs[1]], axis=1)
    values = [RNG.randn(3, 4) for _ in range(4)]
    f = _same_numbers([x, y, z, w], [joined, outs[2], shared_value], values)
    assert len(_composites(f)) == 1
    assert sum(isinstance(n.op, Elemwise) for n in _nodes(f)) == 1


def test_a_consumer_that_also_reads_a_later_value_stays_apart():
    """Fusing ``tanh(e) * dot(e, W)`` into ``e``'s node would need the dot
    inside the loop: the product stays its own node, with the same numbers."""
    x, W = T.dmatrix("x"), T.dmatrix("W")
    e = T.exp(x) * 2
    out = T.tanh(e) * T.dot(e, W)
    f = _same_numbers([x, W], [out], [RNG.randn(4, 4), RNG.randn(4, 4)])
    assert len([n for n in _nodes(f) if isinstance(n.op, Elemwise)]) == 2


def test_a_consumer_may_read_a_later_value_computed_apart():
    """A masked LSTM step's shape: consumers of the fused node also read
    ``1 - mask``, a value of another broadcastable pattern placed after the
    node but not computed from it.  They still join the node."""
    x, y, z = (T.dmatrix(n) for n in "xyz")
    m = T.dvector("m")
    e = T.exp(x) * y
    joined = T.concatenate([e * 2, T.tanh(e)], axis=1)
    keep = 1 - m.dimshuffle(0, "x")
    values = [RNG.randn(3, 4) for _ in range(3)] + [RNG.rand(3).round()]
    f = _same_numbers([x, y, z, m], [joined, (e + z) * keep, e * keep], values)
    full = [
        n
        for n in _nodes(f)
        if isinstance(n.op, Elemwise) and n.outputs[0].broadcastable == (False, False)
    ]
    assert len(full) == 1

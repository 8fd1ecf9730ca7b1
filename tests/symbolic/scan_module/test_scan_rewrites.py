"""Scan rewrites: each changes the graph as stated and keeps the numbers."""

import numpy
from numpy.testing import assert_allclose

import symbolic
import symbolic.tensor as T
from symbolic.compile.mode import get_mode
from symbolic.graph.traversal import io_toposort
from symbolic.ops.dot import Dot
from symbolic.scan_module import scan
from symbolic.scan_module.scan_op import Scan

rng = numpy.random.RandomState(7)
FAST_RUN = get_mode("FAST_RUN")
NO_SCAN_REWRITES = FAST_RUN.excluding("scan")


def scan_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def inner_ops(op):
    return [n.op for n in io_toposort(op.inputs, op.outputs)]


def rnn(X, h0, W, U):
    return scan(
        lambda x, h: T.tanh(T.dot(x, W) + T.dot(h, U * 2)),
        sequences=X,
        outputs_info=h0,
    )[0]


def compile_both(inputs, outputs):
    before = symbolic.function(inputs, outputs, mode=NO_SCAN_REWRITES)
    after = symbolic.function(inputs, outputs, mode=FAST_RUN)
    return before, after


def test_invariant_work_moves_out_of_the_step():
    X, h0 = T.tensor3("X"), T.dmatrix("h0")
    W = symbolic.shared(rng.randn(3, 4), name="W")
    U = symbolic.shared(rng.randn(4, 4) * 0.3, name="U")
    hs = rnn(X, h0, W, U)
    before, after = compile_both([X, h0], hs)
    (node_before,) = scan_nodes(before)
    (node_after,) = scan_nodes(after)
    assert any(
        isinstance(op, symbolic.tensor.Elemwise) and "mul" in str(op)
        for op in inner_ops(node_before.op)
    )
    assert not any("mul" in str(op) for op in inner_ops(node_after.op))
    xv, hv = rng.randn(5, 2, 3), rng.randn(2, 4)
    assert_allclose(before(xv, hv), after(xv, hv), rtol=1e-12)


def test_sequence_dot_becomes_one_product_before_the_loop():
    X, h0 = T.tensor3("X"), T.dmatrix("h0")
    W = symbolic.shared(rng.randn(3, 4), name="W")
    U = symbolic.shared(rng.randn(4, 4) * 0.3, name="U")
    hs = rnn(X, h0, W, U)
    before, after = compile_both([X, h0], hs)
    dots_before = [
        op for op in inner_ops(scan_nodes(before)[0].op) if isinstance(op, Dot)
    ]
    dots_after = [
        op for op in inner_ops(scan_nodes(after)[0].op) if isinstance(op, Dot)
    ]
    assert len(dots_before) == 2 and len(dots_after) == 1
    # The per-step product became a sequence input of the loop.
    assert scan_nodes(after)[0].op.n_seqs == 1
    assert scan_nodes(after)[0].inputs[1].owner is not None
    xv, hv = rng.randn(6, 2, 3), rng.randn(2, 4)
    assert_allclose(before(xv, hv), after(xv, hv), rtol=1e-12)


def test_identical_scans_merge():
    x = T.dvector("x")
    zero = T.constant(numpy.float64(0))
    a, _ = scan(lambda v, acc: acc + v * 2, sequences=x, outputs_info=zero)
    b, _ = scan(lambda v, acc: acc + v * 2, sequences=x, outputs_info=zero)
    # The generic merge pass would merge them too (Scan ops compare by their
    # inner graphs); leave it out to see the scan rule alone.
    no_merge = ("merge", "merge_before_fusion", "merge_before_inplace")
    before = symbolic.function(
        [x], [a, b * 3], mode=FAST_RUN.excluding("scan", *no_merge)
    )
    after = symbolic.function([x], [a, b * 3], mode=FAST_RUN.excluding(*no_merge))
    assert len(scan_nodes(before)) == 2
    assert len(scan_nodes(after)) == 1
    xv = rng.randn(5)
    for u, v in zip(before(xv), after(xv)):
        assert_allclose(u, v)


def test_last_step_only_keeps_small_buffer():
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    hs, _ = scan(lambda v, h: T.tanh(h + v), sequences=x, outputs_info=h0)
    ys, _ = scan(lambda v: v * 2, sequences=x)
    before, after = compile_both([x, h0], [hs[-1], ys[-1]])
    assert all(not any(n.op.keep_last) for n in scan_nodes(before))
    assert all(all(n.op.keep_last) for n in scan_nodes(after))
    xv, hv = rng.randn(7, 3), rng.randn(3)
    for u, v in zip(before(xv, hv), after(xv, hv)):
        assert_allclose(u, v)


def test_mit_sot_last_step_with_circular_buffer():
    init = T.dvector("init")
    fib, _ = scan(
        lambda a, b, c: a + b - c * 0.5,
        outputs_info={"initial": init, "taps": [-3, -2, -1]},
        n_steps=10,
    )
    before, after = compile_both([init], fib[-1])
    assert any(n.op.keep_last[0] for n in scan_nodes(after))
    iv = numpy.array([1.0, 2.0, 3.0])
    assert_allclose(before(iv), after(iv))


def test_full_use_keeps_every_step():
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    hs, _ = scan(lambda v, h: h + v, sequences=x, outputs_info=h0)
    f = symbolic.function([x, h0], [hs, hs[-1]], mode=FAST_RUN)
    assert not any(scan_nodes(f)[0].op.keep_last)

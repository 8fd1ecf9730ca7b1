"""Scan rewrites: each changes the graph as stated and keeps the numbers."""

import numpy
from numpy.testing import assert_allclose

import symbolic
import symbolic.tensor as T
from symbolic.compile.mode import get_mode
from symbolic.graph.traversal import io_toposort
from symbolic.ops.dot import Dot
from symbolic.scan.op import Scan
from symbolic.scan_module import scan

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


IN_LOOP = FAST_RUN.including("in_loop_products")
NO_PULL_IN = FAST_RUN.excluding("scan_pull_in_sequence_dot")


def float32_rnn(inputs, h0, U):
    """A loop over precomputed inputs, as a Blocks recurrent brick runs them."""
    return scan(
        lambda p, h: T.tanh(p + T.dot(h, U)), sequences=inputs, outputs_info=h0
    )[0]


def float32_weights():
    W = symbolic.shared(rng.randn(3, 8).astype("float32"), name="W")
    U = symbolic.shared((rng.randn(8, 8) * 0.3).astype("float32"), name="U")
    b = symbolic.shared(rng.randn(8).astype("float32"), name="b")
    return W, U, b


def products_outside_loops(f):
    return [
        n
        for n in f.maker.fgraph.toposort()
        if "Dot" in type(n.op).__name__ or "Gemm" in type(n.op).__name__
    ]


def test_sequence_projection_moves_into_the_loop():
    X, h0 = T.ftensor3("X"), T.fmatrix("h0")
    W, U, b = float32_weights()
    hs = float32_rnn(T.dot(X, W) + b, h0, U)
    inside = symbolic.function([X, h0], hs, mode=IN_LOOP)
    outside = symbolic.function([X, h0], hs, mode=NO_PULL_IN)
    (loop,) = scan_nodes(inside)
    # The loop reads X itself and computes the projection in each step.
    assert loop.inputs[1] is inside.maker.fgraph.inputs[0]
    assert not products_outside_loops(inside)
    assert len([op for op in inner_ops(loop.op) if isinstance(op, Dot)]) == 2
    assert products_outside_loops(outside)
    xv = rng.randn(6, 5, 3).astype("float32")
    hv = rng.randn(5, 8).astype("float32")
    assert_allclose(inside(xv, hv), outside(xv, hv), rtol=1e-5, atol=1e-6)
    # Empty sequence: no step, and the same (empty) result.
    empty = numpy.zeros((0, 5, 3), "float32")
    assert inside(empty, hv).shape == outside(empty, hv).shape == (0, 5, 8)


def test_projected_rows_of_a_matrix_move_into_the_loop():
    # A lookup table's rows (steps * batch, k), projected and cut into
    # steps of 5 rows: step t reads rows 5t to 5t + 4.
    rows, h0 = T.fmatrix("rows"), T.fmatrix("h0")
    W, U, b = float32_weights()
    inputs = T.dot(rows, W).reshape((rows.shape[0] // 5, 5, W.shape[1])) + b
    hs = float32_rnn(inputs, h0, U)
    inside = symbolic.function([rows, h0], hs, mode=IN_LOOP)
    outside = symbolic.function([rows, h0], hs, mode=NO_PULL_IN)
    assert not products_outside_loops(inside)
    rv = rng.randn(30, 3).astype("float32")
    hv = rng.randn(5, 8).astype("float32")
    assert_allclose(inside(rv, hv), outside(rv, hv), rtol=1e-5, atol=1e-6)


def test_first_steps_of_a_projection_move_into_the_loop():
    # A loop shorter than its sequence reads the product's first steps.
    X, h0, n = T.ftensor3("X"), T.fmatrix("h0"), T.iscalar("n")
    W, U, b = float32_weights()
    hs = scan(
        lambda p, h: T.tanh(p + T.dot(h, U)),
        sequences=T.dot(X, W) + b,
        outputs_info=h0,
        n_steps=n,
    )[0]
    inside = symbolic.function([X, h0, n], hs, mode=IN_LOOP)
    outside = symbolic.function([X, h0, n], hs, mode=NO_PULL_IN)
    assert not products_outside_loops(inside)
    xv = rng.randn(6, 5, 3).astype("float32")
    hv = rng.randn(5, 8).astype("float32")
    for steps in (6, 4, 0):
        assert_allclose(
            inside(xv, hv, steps), outside(xv, hv, steps), rtol=1e-5, atol=1e-6
        )


def test_hand_written_step_keeps_its_product_and_gradients_agree():
    X, h0 = T.ftensor3("X"), T.fmatrix("h0")
    W, U, b = float32_weights()
    hs = scan(
        lambda x, h: T.tanh(T.dot(x, W) + b + T.dot(h, U)),
        sequences=X,
        outputs_info=h0,
    )[0]
    cost = (hs**2).mean()
    grads = symbolic.grad(cost, [W, U, b, h0])
    inside = symbolic.function([X, h0], [cost, *grads], mode=IN_LOOP)
    outside = symbolic.function([X, h0], [cost, *grads], mode=NO_PULL_IN)
    forward = [n for n in scan_nodes(inside) if n.op.name != "grad_of_scan_fn"]
    assert any(n.inputs[1] is inside.maker.fgraph.inputs[0] for n in forward)
    xv = rng.randn(7, 4, 3).astype("float32")
    hv = rng.randn(4, 8).astype("float32")
    for u, v in zip(inside(xv, hv), outside(xv, hv)):
        assert_allclose(u, v, rtol=1e-4, atol=1e-6)


def test_projection_used_elsewhere_stays_outside():
    X, h0 = T.ftensor3("X"), T.fmatrix("h0")
    W, U, b = float32_weights()
    projected = T.dot(X, W) + b
    hs = float32_rnn(projected, h0, U)
    f = symbolic.function([X, h0], [hs, projected.sum()], mode=IN_LOOP)
    (loop,) = scan_nodes(f)
    assert loop.inputs[1] is not f.maker.fgraph.inputs[0]
    xv = rng.randn(4, 2, 3).astype("float32")
    hv = rng.randn(2, 8).astype("float32")
    reference = symbolic.function([X, h0], [hs, projected.sum()], mode=NO_PULL_IN)
    for u, v in zip(f(xv, hv), reference(xv, hv)):
        assert_allclose(u, v, rtol=1e-5, atol=1e-5)


def test_rows_regrouped_by_the_reshapes_stay_outside():
    # dot(X.reshape(rows of 6 values), W6).reshape(...)[t] is no product of
    # X[t]: the rule must leave it.
    X, h0 = T.ftensor3("X"), T.fmatrix("h0")
    _, U, _ = float32_weights()
    W6 = symbolic.shared(rng.randn(6, 16).astype("float32"), name="W6")
    rows = X.reshape((X.shape[0] * X.shape[1] // 2, 6))
    inputs = T.dot(rows, W6).reshape((X.shape[0], X.shape[1], 8))
    hs = float32_rnn(inputs, h0, U)
    f = symbolic.function([X, h0], hs, mode=IN_LOOP)
    assert products_outside_loops(f)
    xv = rng.randn(4, 2, 3).astype("float32")
    hv = rng.randn(2, 8).astype("float32")
    reference = symbolic.function([X, h0], hs, mode=NO_PULL_IN)
    assert_allclose(f(xv, hv), reference(xv, hv), rtol=1e-5, atol=1e-6)


def test_float64_projection_stays_outside():
    X, h0 = T.dtensor3("X"), T.dmatrix("h0")
    W = symbolic.shared(rng.randn(3, 4), name="W")
    U = symbolic.shared(rng.randn(4, 4) * 0.3, name="U")
    hs = scan(
        lambda p, h: T.tanh(p + T.dot(h, U)),
        sequences=T.dot(X, W),
        outputs_info=h0,
    )[0]
    f = symbolic.function([X, h0], hs, mode=IN_LOOP)
    assert products_outside_loops(f)


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


def test_unused_collected_outputs_and_states_are_dropped():
    x = T.dmatrix("x")
    h0 = T.dvector("h0")

    def step(v, h, acc):
        h_new = T.tanh(h + v)
        return h_new, acc + h_new.sum(), T.exp(v)

    (hs, _accs, _ex), _ = scan(
        step, sequences=x, outputs_info=[h0, T.constant(numpy.float64(0)), None]
    )
    before, after = compile_both([x, h0], hs)
    (node_before,) = scan_nodes(before)
    (node_after,) = scan_nodes(after)
    assert node_before.op.n_sit_sot == 2 and node_before.op.n_nit_sot == 1
    assert node_after.op.n_sit_sot == 1 and node_after.op.n_nit_sot == 0
    assert not any("exp" in str(op) for op in inner_ops(node_after.op))
    xv, hv = rng.randn(6, 3), rng.randn(3)
    assert_allclose(before(xv, hv), after(xv, hv), rtol=1e-12)


def test_state_read_by_a_kept_output_stays():
    x = T.dmatrix("x")
    h0 = T.dvector("h0")

    def step(v, h):
        h_new = T.tanh(h + v)
        return h_new, h_new * 2

    (_hs, ys), _ = scan(step, sequences=x, outputs_info=[h0, None])
    f = symbolic.function([x, h0], ys, mode=FAST_RUN)
    (node,) = scan_nodes(f)
    assert node.op.n_sit_sot == 1
    xv, hv = rng.randn(4, 3), rng.randn(3)
    expected, h = [], hv
    for row in xv:
        h = numpy.tanh(h + row)
        expected.append(h * 2)
    assert_allclose(f(xv, hv), expected, rtol=1e-12)


def _grad_rnn(n_steps=5, n_in=3, n_hid=4, batch=2):
    X = T.tensor3("X")
    W = symbolic.shared(rng.randn(n_in, n_hid) * 0.5, name="W")
    U = symbolic.shared(rng.randn(n_hid, n_hid) * 0.5, name="U")
    b = symbolic.shared(rng.randn(n_hid) * 0.1, name="b")
    h0 = T.zeros((batch, n_hid))
    hs, _ = scan(
        lambda x, h: T.tanh(T.dot(x, W) + T.dot(h, U) + b),
        sequences=X,
        outputs_info=h0,
    )
    cost = (hs**2).sum()
    params = [W, U, b]
    xv = rng.randn(n_steps, batch, n_in)
    return X, cost, params, xv


def test_weight_gradient_sums_leave_the_loop():
    X, cost, params, xv = _grad_rnn()
    grads = symbolic.grad(cost, params)
    before, after = compile_both([X], grads)
    (bw_before,) = [n for n in scan_nodes(before) if "grad_of" in str(n.op)]
    (bw_after,) = [n for n in scan_nodes(after) if "grad_of" in str(n.op)]
    # W, U and b accumulate in the loop before; after, only the hidden state's
    # gradient is carried, and the sums are products over all steps.
    assert bw_before.op.n_sit_sot == 4
    assert bw_after.op.n_sit_sot == 1
    dots_inner = [op for op in inner_ops(bw_after.op) if isinstance(op, Dot)]
    assert len(dots_inner) == 1  # the carried dh = dz . U.T only
    for u, v in zip(before(xv), after(xv)):
        assert_allclose(u, v, rtol=1e-10, atol=1e-12)


def test_push_out_add_keeps_other_terms_and_zero_steps():
    x = T.dmatrix("x")
    M = T.dmatrix("M")

    def step(v, acc):
        return acc + T.dot(T.shape_padright(v), T.shape_padleft(v)) + M * v.sum()

    s, _ = scan(step, sequences=x, outputs_info=T.zeros_like(M))
    before, after = compile_both([x, M], s[-1])
    (node_after,) = scan_nodes(after)
    assert not any(isinstance(op, Dot) for op in inner_ops(node_after.op))
    xv, mv = rng.randn(5, 3), rng.randn(3, 3)
    expected = sum(numpy.outer(r, r) + mv * r.sum() for r in xv)
    assert_allclose(after(xv, mv), expected, rtol=1e-10)
    assert_allclose(before(xv, mv), after(xv, mv), rtol=1e-10)
    empty = numpy.zeros((0, 3))
    assert_allclose(after(empty, mv), numpy.zeros((3, 3)))


def _lstm_cost(n_in=3, n_hid=4, batch=2):
    X = T.tensor3("X")
    W = symbolic.shared(rng.randn(n_in, 4 * n_hid) * 0.5, name="W")
    U = symbolic.shared(rng.randn(n_hid, 4 * n_hid) * 0.5, name="U")
    b = symbolic.shared(rng.randn(4 * n_hid) * 0.1, name="b")
    zeros = numpy.zeros((batch, n_hid))

    def step(x, h, c):
        z = T.dot(x, W) + T.dot(h, U) + b
        i = T.nnet.sigmoid(z[:, :n_hid])
        f = T.nnet.sigmoid(z[:, n_hid : 2 * n_hid])
        o = T.nnet.sigmoid(z[:, 2 * n_hid : 3 * n_hid])
        g = T.tanh(z[:, 3 * n_hid :])
        c_new = f * c + i * g
        return o * T.tanh(c_new), c_new

    (hs, _), _ = scan(
        step, sequences=X, outputs_info=[T.constant(zeros), T.constant(zeros)]
    )
    return X, hs, [W, U, b]


def test_gradient_reads_saved_pre_activations():
    X, hs, params = _lstm_cost()
    cost = (hs**2).mean()
    grads = symbolic.grad(cost, params)
    before, after = compile_both([X], [cost, *grads])
    forward = [n for n in scan_nodes(after) if "grad_of" not in str(n.op)]
    (backward,) = [n for n in scan_nodes(after) if "grad_of" in str(n.op)]
    # The loss's loop and the gradient's (which also collects the four gate
    # activations and tanh(c)) are one.  It does not collect z itself: the
    # gradient of z's slices reads z only for its shape.
    assert len(forward) == 1
    assert forward[0].op.n_nit_sot == 5
    # No forward product is redone: the backward step has the dh product only.
    assert len([op for op in inner_ops(backward.op) if isinstance(op, Dot)]) == 1
    # Nor any activation: it reads the saved ones.
    primitives = {
        getattr(getattr(op, "scalar_op", None), "primitive", None)
        for op in inner_ops(backward.op)
    }
    assert not primitives & {"sigmoid", "tanh", "exp"}
    xv = rng.randn(6, 2, 3)
    for u, v in zip(before(xv), after(xv)):
        assert_allclose(u, v, rtol=1e-10, atol=1e-12)


def test_collected_sequence_slice_becomes_the_sequence():
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    (hs, xs), _ = scan(lambda v, h: (h + v, v), sequences=x, outputs_info=[h0, None])
    before, after = compile_both([x, h0], [hs, xs * 2])
    assert scan_nodes(before)[0].op.n_nit_sot == 1
    assert scan_nodes(after)[0].op.n_nit_sot == 0
    xv, hv = rng.randn(5, 3), rng.randn(3)
    for u, v in zip(before(xv, hv), after(xv, hv)):
        assert_allclose(u, v)


def test_verify_grad_lstm_through_rewritten_loops():
    n_in, n_hid, batch = 2, 3, 2

    def cost(X, W, U, b):
        zeros = T.zeros((batch, n_hid))

        def step(x, h, c):
            z = T.dot(x, W) + T.dot(h, U) + b
            i = T.nnet.sigmoid(z[:, :n_hid])
            f = T.nnet.sigmoid(z[:, n_hid : 2 * n_hid])
            o = T.nnet.sigmoid(z[:, 2 * n_hid : 3 * n_hid])
            g = T.tanh(z[:, 3 * n_hid :])
            c_new = f * c + i * g
            return o * T.tanh(c_new), c_new

        (hs, _), _ = scan(step, sequences=X, outputs_info=[zeros, zeros])
        return hs

    pt = [
        rng.randn(4, batch, n_in),
        rng.randn(n_in, 4 * n_hid) * 0.5,
        rng.randn(n_hid, 4 * n_hid) * 0.5,
        rng.randn(4 * n_hid) * 0.1,
    ]
    symbolic.gradient.verify_grad(cost, pt, rng=rng, mode=FAST_RUN)


def test_gate_gradient_blocks_become_one_join():
    z = T.dmatrix("z")
    n = 2
    gates = [T.nnet.sigmoid(z[:, k * n : (k + 1) * n]) for k in range(3)]
    gates.append(T.tanh(z[:, 3 * n :]))
    cost = sum((g * (k + 1)).sum() for k, g in enumerate(gates))
    gz = symbolic.grad(cost, z)
    rule_off = FAST_RUN.excluding("local_add_of_disjoint_inc_subtensors")
    before = symbolic.function([z], gz, mode=rule_off)
    after = symbolic.function([z], gz, mode=FAST_RUN)

    def op_names(f):
        return [type(node.op).__name__ for node in f.maker.fgraph.toposort()]

    assert "IncSubtensor" in op_names(before)
    assert "IncSubtensor" not in op_names(after)
    assert "Join" in op_names(after)
    zv = rng.randn(3, 4 * n)
    assert_allclose(before(zv), after(zv), rtol=1e-12)
    symbolic.gradient.verify_grad(
        lambda z: sum(
            (g * (k + 1)).sum()
            for k, g in enumerate(
                [T.nnet.sigmoid(z[:, k * n : (k + 1) * n]) for k in range(3)]
                + [T.tanh(z[:, 3 * n :])]
            )
        ),
        [zv],
        rng=rng,
        mode=FAST_RUN,
    )


def test_blocks_that_leave_a_gap_stay_increments():
    z = T.dmatrix("z")
    cost = T.nnet.sigmoid(z[:, :2]).sum() + T.tanh(z[:, 3:]).sum()
    f = symbolic.function([z], symbolic.grad(cost, z), mode=FAST_RUN)
    assert "Join" not in [type(n.op).__name__ for n in f.maker.fgraph.toposort()]
    zv = rng.randn(2, 5)
    s = 1 / (1 + numpy.exp(-zv[:, :2]))
    expected = numpy.zeros_like(zv)
    expected[:, :2] = s * (1 - s)
    expected[:, 3:] = 1 - numpy.tanh(zv[:, 3:]) ** 2
    assert_allclose(f(zv), expected, rtol=1e-12)


def test_invariant_bias_joins_the_input_projection():
    """``x[t] W + h U + b``: ``b`` is added to the projected sequence once."""
    X, hs, _ = _lstm_cost()
    before, after = compile_both([X], hs)
    (node,) = scan_nodes(after)

    def adds(node):
        return [
            op
            for op in inner_ops(node.op)
            if isinstance(op, symbolic.tensor.Elemwise) and str(op.scalar_op) == "add"
        ]

    # z's three-term sum lost its bias term; the bias is no input of the loop.
    assert len(adds(scan_nodes(before)[0])) == 3 and len(adds(node)) == 2
    assert all(v.ndim != 1 for v in node.inputs[1:])
    xv = rng.randn(6, 2, 3)
    assert_allclose(before(xv), after(xv), rtol=1e-10, atol=1e-12)


def test_sequence_read_elsewhere_keeps_its_bias_in_the_step():
    X, h0 = T.tensor3("X"), T.dmatrix("h0")
    b = symbolic.shared(rng.randn(4), name="b")
    hs, _ = scan(lambda x, h: T.tanh(x + b) * x + h, sequences=X, outputs_info=h0)
    before, after = compile_both([X, h0], hs)
    assert scan_nodes(after)[0].op.n_seqs == 1
    xv, hv = rng.randn(5, 2, 4), rng.randn(2, 4)
    assert_allclose(before(xv, hv), after(xv, hv), rtol=1e-12)


def test_per_step_sums_of_a_collected_output_leave_the_loop():
    """The bias gradient sums the collected gate gradients after the loop."""
    X, hs, (W, U, b) = _lstm_cost()
    cost = (hs**2).mean()
    grads = symbolic.grad(cost, [W, U, b])
    before, after = compile_both([X], grads)
    (backward,) = [n for n in scan_nodes(after) if "grad_of" in str(n.op)]
    sums = [op for op in inner_ops(backward.op) if type(op).__name__ == "Sum"]
    assert not sums
    xv = rng.randn(6, 2, 3)
    for u, v in zip(before(xv), after(xv)):
        assert_allclose(u, v, rtol=1e-10, atol=1e-12)


def test_sum_of_a_collected_output_in_one_loop():
    x = T.dtensor3("x")

    def step(v):
        t = T.tanh(v)
        return t, t.sum(axis=1)

    (vs, sums), _ = scan(step, sequences=x, outputs_info=None)
    before, after = compile_both([x], [vs, sums])
    assert scan_nodes(before)[0].op.n_nit_sot == 2
    assert scan_nodes(after)[0].op.n_nit_sot == 1
    xv = rng.randn(4, 3, 5)
    for u, v in zip(before(xv), after(xv)):
        assert_allclose(u, v, rtol=1e-12)


def test_a_sequence_read_only_for_its_shape_leaves_the_loop():
    """``zeros_like(z[t])`` in the step (a slice's gradient) needs z's shape
    only: the step gets that shape, and the loop no longer reads z."""
    Z, G = T.tensor3("Z"), T.tensor3("G")

    def step(z, g):
        return T.inc_subtensor(T.zeros_like(z)[:, 1:3], g) * 2

    out, _ = scan(step, sequences=[Z, G])
    before, after = compile_both([Z, G], out)
    assert scan_nodes(before)[0].op.n_seqs == 2
    (loop,) = scan_nodes(after)
    assert loop.op.n_seqs == 1
    assert Z not in loop.inputs
    zv, gv = rng.randn(4, 3, 5), rng.randn(4, 3, 2)
    assert_allclose(after(zv, gv), before(zv, gv))
    # The shape still comes from Z: a wrong one is still an error.
    try:
        after(rng.randn(4, 3, 2), gv)
    except ValueError:
        pass
    else:
        raise AssertionError("a slice past Z's width was accepted")


def test_a_collected_output_shape_comes_from_the_inputs():
    """The per-step shape of a collected output is inferred through the step
    from the outer inputs' shapes: asking for it runs no loop.  A step
    whose shape depends on a value keeps measuring the output."""
    X, h0, U = T.tensor3("X"), T.dmatrix("h0"), T.dmatrix("U")
    (_, zs), _ = scan(
        lambda x, h: [T.tanh(x + h), T.dot(h, U)],
        sequences=X,
        outputs_info=[h0, None],
    )
    f = symbolic.function([X, h0, U], zs.shape, mode=FAST_RUN)
    assert not scan_nodes(f)
    xv, hv, uv = rng.randn(5, 2, 3), rng.randn(2, 3), rng.randn(3, 4)
    assert tuple(f(xv, hv, uv)) == (5, 2, 4)
    v, n = T.dvector("v"), T.lscalar("n")
    filled, _ = scan(lambda x, n: T.alloc(x, n), sequences=v, non_sequences=n)
    g = symbolic.function([v, n], filled.shape, mode=FAST_RUN)
    assert scan_nodes(g)
    assert tuple(g(numpy.arange(3.0), 4)) == (3, 4)

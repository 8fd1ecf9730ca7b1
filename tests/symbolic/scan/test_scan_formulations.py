"""Two spellings of one LSTM get the same rewritten loops.

The hand-written form computes ``dot(x_t, W)`` inside the step, starts from
constant zeros and slices the last gate open-ended; the form a Blocks script
builds projects the whole sequence before the loop, starts from
``zeros((X.shape[1], n))``, slices every gate with both bounds, wraps
variables in identity copies and trains on a squared error.
"""

import numpy
from numpy.testing import assert_allclose

import symbolic
import symbolic.tensor as T
from symbolic.compile.mode import get_mode
from symbolic.graph.traversal import io_toposort
from symbolic.scan.op import Scan
from symbolic.scan_module import scan

rng = numpy.random.RandomState(5)
FAST_RUN = get_mode("FAST_RUN")
NEW_RULES = (
    "local_add_of_disjoint_inc_subtensors",
    "local_inc_subtensor_of_zeros_whole",
    "scan_collected_copies",
)
N_IN, N_HID, BATCH, SEQ = 3, 2, 2, 4


def scan_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def inner_op_names(op):
    return [type(n.op).__name__ for n in io_toposort(op.inputs, op.outputs)]


def compiled_step_op_names(f, node):
    """Op names of a loop's step as compiled (after the step's own rewrites)."""
    f(*values())
    step_graph = node.op._fn[3]
    return [type(n.op).__name__ for n in step_graph.toposort()]


def op_names(f):
    return [type(n.op).__name__ for n in f.maker.fgraph.toposort()]


def gates(z, closed):
    n = N_HID
    last = z[:, 3 * n : 4 * n] if closed else z[:, 3 * n :]
    return (
        T.nnet.sigmoid(z[:, :n]),
        T.nnet.sigmoid(z[:, n : 2 * n]),
        T.tanh(z[:, 2 * n : 3 * n]),
        T.nnet.sigmoid(last),
    )


def brick_form(X, Y, W, b, U):
    """Projection outside, symbolic zeros, closed slices, copies, squared error."""
    P = T.dot(X, W) + b
    zeros = T.zeros((X.shape[1], N_HID), dtype=X.dtype)

    def step(p, h, c):
        h, c = h.copy(), c.copy()
        i, f, g, o = gates(T.dot(h, U) + p.copy(), closed=True)
        c_new = f * c + i * g
        return (o * T.tanh(c_new)).copy(), c_new.copy()

    (hs, _), _ = scan(step, sequences=P, outputs_info=[zeros, zeros])
    return T.sqr(hs - Y).mean()


def hand_form(X, Y, W, b, U):
    zeros = T.constant(numpy.zeros((BATCH, N_HID), dtype=X.dtype))

    def step(x, h, c):
        i, f, g, o = gates(T.dot(x, W) + T.dot(h, U) + b, closed=False)
        c_new = f * c + i * g
        return o * T.tanh(c_new), c_new

    (hs, _), _ = scan(step, sequences=X, outputs_info=[zeros, zeros])
    return T.sqr(hs - Y).mean()


def values():
    return [
        rng.randn(SEQ, BATCH, N_IN),
        rng.randn(SEQ, BATCH, N_HID),
        rng.randn(N_IN, 4 * N_HID) * 0.5,
        rng.randn(4 * N_HID) * 0.1,
        rng.randn(N_HID, 4 * N_HID) * 0.5,
    ]


def training_step(form, mode, dtype="float64"):
    X, Y = T.tensor3("X", dtype=dtype), T.tensor3("Y", dtype=dtype)
    W, b, U = (
        T.matrix("W", dtype=dtype),
        T.vector("b", dtype=dtype),
        T.matrix("U", dtype=dtype),
    )
    cost = form(X, Y, W, b, U)
    grads = symbolic.grad(cost, [W, b, U])
    return symbolic.function([X, Y, W, b, U], [cost, *grads], mode=mode)


def test_brick_form_gets_the_hand_written_loops():
    hand = training_step(hand_form, FAST_RUN)
    brick = training_step(brick_form, FAST_RUN)
    before = training_step(brick_form, FAST_RUN.excluding(*NEW_RULES))
    shapes = [len(n.outputs) for n in scan_nodes(hand)]
    assert [len(n.outputs) for n in scan_nodes(brick)] == shapes
    assert [len(n.outputs) for n in scan_nodes(before)] != shapes
    # No zeros are written into outside the loops, and the gradient step
    # joins its gate blocks.
    assert "IncSubtensor" in op_names(before)
    assert "IncSubtensor" not in op_names(brick)
    backward = compiled_step_op_names(brick, scan_nodes(brick)[-1])
    assert "Join" in backward
    assert "IncSubtensor" not in backward
    hand_backward = compiled_step_op_names(hand, scan_nodes(hand)[-1])
    # The same products and join; the brick's closed last gate adds only the
    # bookkeeping of an empty block of zeros after it.
    for name in ("Dot22", "Join", "Gemm"):
        assert backward.count(name) == hand_backward.count(name)
    vals = values()
    raw = training_step(brick_form, FAST_RUN.excluding("scan"))
    for got, expected in zip(brick(*vals), raw(*vals)):
        assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_float32_forms_both_project_inside_the_forward_loop():
    # Where the C runtime packs products, the input projection runs in the
    # step in both spellings: the forward loop reads X itself.
    inside = FAST_RUN.including("in_loop_products")
    outside = FAST_RUN.excluding("scan_pull_in_sequence_dot")
    vals = [v.astype("float32") for v in values()]
    for form in (hand_form, brick_form):
        f = training_step(form, inside, "float32")
        X = f.maker.fgraph.inputs[0]
        forward = scan_nodes(f)[0]
        assert X in forward.inputs
        reference = training_step(form, outside, "float32")
        assert X not in scan_nodes(reference)[0].inputs
        for got, expected in zip(f(*vals), reference(*vals)):
            assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_masked_brick_form_fuses_its_backward_step():
    # A mask keeps finished sequences' states: the backward step reads
    # ``1 - mask`` (broadcast over the units) next to the gate gradients,
    # and all of its full-shape elementwise work is still one node.
    X, Y = T.dtensor3("X"), T.dtensor3("Y")
    M = T.dmatrix("M")
    W, b, U = T.dmatrix("W"), T.dvector("b"), T.dmatrix("U")
    P = T.dot(X, W) + b
    zeros = T.zeros((X.shape[1], N_HID), dtype=X.dtype)

    def step(p, m, h, c):
        i, f, g, o = gates(T.dot(h, U) + p, closed=True)
        c_new = f * c + i * g
        h_new = o * T.tanh(c_new)
        keep = m.dimshuffle(0, "x")
        return keep * h_new + (1 - keep) * h, keep * c_new + (1 - keep) * c

    (hs, _), _ = scan(step, sequences=[P, M], outputs_info=[zeros, zeros])
    cost = T.sqr(hs - Y).mean()
    grads = symbolic.grad(cost, [W, b, U])
    f = symbolic.function([X, Y, M, W, b, U], [cost, *grads], mode=FAST_RUN)
    vals = values()
    mask = numpy.ones((SEQ, BATCH))
    mask[2:, 1] = 0
    vals.insert(2, mask)
    got = f(*vals)
    backward = scan_nodes(f)[-1]
    step_graph = backward.op._fn[3]
    full = [
        n
        for n in step_graph.toposort()
        if type(n.op).__name__ == "Elemwise"
        and n.outputs[0].broadcastable == (False, False)
    ]
    assert len(full) == 1
    raw = symbolic.function(
        [X, Y, M, W, b, U], [cost, *grads], mode=FAST_RUN.excluding("scan")
    )
    for g, e in zip(got, raw(*vals)):
        assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def test_verify_grad_of_the_brick_form():
    vals = values()
    Y = vals.pop(1)

    def cost(X, W, b, U):
        return brick_form(X, T.constant(Y), W, b, U)

    symbolic.gradient.verify_grad(cost, vals, rng=rng, mode=FAST_RUN)


def test_closed_last_gate_on_a_wider_array_keeps_the_zeros_after_it():
    z = T.dmatrix("z")
    n = 2
    parts = [T.nnet.sigmoid(z[:, k * n : (k + 1) * n]) for k in range(3)]
    cost = sum((p * (k + 1)).sum() for k, p in enumerate(parts))
    gz = symbolic.grad(cost, z)
    f = symbolic.function([z], gz, mode=FAST_RUN)
    raw = symbolic.function([z], gz, mode=FAST_RUN.excluding(*NEW_RULES))
    assert "Join" in op_names(f)
    assert "IncSubtensor" not in op_names(f)
    for width in (3 * n, 3 * n + 2):
        zv = rng.randn(3, width)
        assert_allclose(f(zv), raw(zv), rtol=1e-12)


def test_collected_copies_of_a_sequence_and_of_an_output_are_reused():
    X = T.dtensor3("X")
    U = T.dmatrix("U")
    h0 = T.dmatrix("h0")

    def step(x, h):
        h_new = T.tanh(T.dot(h, U) + x)
        return h_new, x.copy(), (h_new * 2).copy(), h_new * 2

    outs, _ = scan(step, sequences=X, outputs_info=[h0, None, None, None])
    total = sum(o.sum() * (k + 1) for k, o in enumerate(outs))
    f = symbolic.function([X, U, h0], [total, *outs], mode=FAST_RUN)
    before = symbolic.function(
        [X, U, h0], [total, *outs], mode=FAST_RUN.excluding("scan_collected_copies")
    )
    (node,) = scan_nodes(f)
    (node_before,) = scan_nodes(before)
    assert node_before.op.n_nit_sot == 3
    assert node.op.n_nit_sot == 1
    xv, uv, hv = rng.randn(4, 2, 3), rng.randn(3, 3) * 0.5, rng.randn(2, 3)
    got = f(xv, uv, hv)
    for value, expected in zip(got, before(xv, uv, hv)):
        assert_allclose(value, expected, rtol=1e-12)
    # The two outputs now read from one collected buffer stay two arrays.
    assert not numpy.shares_memory(got[3], got[4])

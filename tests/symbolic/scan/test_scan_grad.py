"""Gradients through scan: verify_grad, and agreement with unrolled graphs."""

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
import symbolic.tensor as T
from symbolic.gradient import verify_grad
from symbolic.scan_module import map, scan, until

rng = numpy.random.RandomState(1234)


def randn(*shape, scale=1.0):
    return rng.randn(*shape) * scale


def test_verify_grad_plain_rnn():
    def rnn(X, h0, W, U):
        hs, _ = scan(
            lambda x, h, W, U: T.tanh(T.dot(x, W) + T.dot(h, U)),
            sequences=X,
            outputs_info=h0,
            non_sequences=[W, U],
        )
        return hs

    pt = [randn(5, 3), randn(4), randn(3, 4, scale=0.5), randn(4, 4, scale=0.5)]
    verify_grad(rnn, pt, rng=rng)


def test_verify_grad_lstm_like_step():
    n_in, n_hid = 3, 4

    def lstm(X, h0, c0, W, U, b):
        def step(x, h, c, W, U, b):
            z = T.dot(x, W) + T.dot(h, U) + b
            i = T.nnet.sigmoid(z[:, :n_hid])
            f = T.nnet.sigmoid(z[:, n_hid : 2 * n_hid])
            o = T.nnet.sigmoid(z[:, 2 * n_hid : 3 * n_hid])
            g = T.tanh(z[:, 3 * n_hid :])
            c_new = f * c + i * g
            return o * T.tanh(c_new), c_new

        (hs, cs), _ = scan(
            step, sequences=X, outputs_info=[h0, c0], non_sequences=[W, U, b]
        )
        return hs.sum() + (cs**2).sum()

    pt = [
        randn(4, 2, n_in),
        randn(2, n_hid),
        randn(2, n_hid),
        randn(n_in, 4 * n_hid, scale=0.5),
        randn(n_hid, 4 * n_hid, scale=0.5),
        randn(4 * n_hid, scale=0.1),
    ]
    verify_grad(lstm, pt, rng=rng)


def test_verify_grad_with_taps_and_go_backwards():
    def fn(init, X):
        out, _ = scan(
            lambda xm1, x, xp1, a, b: a * 0.5 + T.sin(b) * x + xm1 * xp1,
            sequences={"input": X, "taps": [-1, 0, 1]},
            outputs_info={"initial": init, "taps": [-2, -1]},
            go_backwards=True,
        )
        return out

    verify_grad(fn, [randn(3, 2), randn(7, 2)], rng=rng)


def test_verify_grad_truncate_gradient_covering_all_steps():
    def fn(X, h0, w):
        hs, _ = scan(
            lambda x, h, w: T.tanh(h * w + x),
            sequences=X,
            outputs_info=h0,
            non_sequences=w,
            truncate_gradient=5,
        )
        return hs

    verify_grad(fn, [randn(5, 2), randn(2), randn(2)], rng=rng)


def test_verify_grad_map_and_implicit_shared():
    w = symbolic.shared(randn(3), name="w")

    def fn(X, v):
        ys, _ = map(lambda x, v: T.exp(x * w) * v, X, non_sequences=v)
        return ys

    verify_grad(fn, [randn(4, 3), randn(3)], rng=rng)
    X = T.dmatrix("X")
    ys, _ = map(lambda x: (x * w) ** 2, X)
    gw = symbolic.grad(ys.sum(), w)
    xv = randn(4, 3)
    assert_allclose(
        gw.eval({X: xv}), (2 * xv**2 * w.get_value()).sum(axis=0), rtol=1e-10
    )


def test_grad_matches_unrolled_graph():
    X = T.dmatrix("X")
    h0 = T.dvector("h0")
    W = symbolic.shared(randn(3, 3, scale=0.5), name="W")

    def step(x, h):
        return T.tanh(T.dot(h, W) + x)

    hs, _ = scan(step, sequences=X, outputs_info=h0)
    h, unrolled = h0, []
    for t in range(4):
        h = step(X[t], h)
        unrolled.append(h)
    cost_scan = (hs**2).sum()
    cost_loop = (T.stack(unrolled) ** 2).sum()
    wrt = [X, h0, W]
    f = symbolic.function(
        [X, h0], symbolic.grad(cost_scan, wrt) + symbolic.grad(cost_loop, wrt)
    )
    got = f(randn(4, 3), randn(3))
    for a, b in zip(got[:3], got[3:]):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_truncate_gradient_matches_numpy_truncated_bptt():
    n, k = 6, 2
    x = T.dvector("x")
    a = T.dscalar("a")
    h0 = T.dscalar("h0")
    hs, _ = scan(
        lambda v, h, a: a * h + v,
        sequences=x,
        outputs_info=h0,
        non_sequences=a,
        truncate_gradient=k,
    )
    gx, ga, gh0 = symbolic.grad(hs.sum(), [x, a, h0])
    xv, av, h0v = randn(n), 0.7, 0.3
    got = symbolic.function([x, a, h0], [gx, ga, gh0])(xv, av, h0v)
    h = [h0v]
    for v in xv:
        h.append(av * h[-1] + v)
    expected_gx = numpy.zeros(n)
    expected_ga = 0.0
    carry = 0.0
    for t in range(n - 1, n - k - 1, -1):
        total = 1.0 + carry
        expected_gx[t] = total
        expected_ga += total * h[t]
        carry = av * total
    assert_allclose(got[0], expected_gx)
    assert_allclose(got[1], expected_ga)
    assert float(got[2]) == 0.0


def test_grad_of_initial_state_of_mit_sot():
    init = T.dvector("init")
    out, _ = scan(
        lambda a, b: a * 2 + b * 3,
        outputs_info={"initial": init, "taps": [-2, -1]},
        n_steps=3,
    )
    g = symbolic.grad(out[-1], init)
    # out: y2 = 2 y0 + 3 y1; y3 = 2 y1 + 3 y2; y4 = 2 y2 + 3 y3.
    # y4 = 11 y2 + 6 y1 = 22 y0 + 39 y1.
    assert_allclose(g.eval({init: numpy.array([1.0, 1.0])}), [22.0, 39.0])


def test_grad_through_until_is_refused():
    x = T.dscalar("x")
    out, _ = scan(
        lambda p: (p * x, until(p > 10)),
        outputs_info=T.constant(numpy.float64(1)),
        n_steps=5,
    )
    with pytest.raises(NotImplementedError, match="until"):
        symbolic.grad(out.sum(), x)


def test_backward_loop_reads_an_owned_non_sequence_without_recomputing_it():
    # The non-sequence is computed by another loop. The backward loop must
    # take it as an input; recomputing the producing loop on every backward
    # step gives the same numbers at many times the cost.
    from symbolic.graph.traversal import ancestors, io_toposort
    from symbolic.scan.op import Scan

    x = T.tensor3("x")
    h0 = T.matrix("h0")
    U = T.matrix("U")
    encoded, _ = scan(
        lambda x_t, h: T.tanh(x_t + h), sequences=x, outputs_info=T.zeros_like(x[0])
    )
    context = encoded.copy(name="context")

    def step(h, context, U):
        weights = T.nnet.softmax((context * h[None]).sum(axis=2).T).T
        return T.tanh(T.dot(h, U) + (weights[:, :, None] * context).sum(axis=0))

    hs, _ = scan(step, outputs_info=h0, non_sequences=[context, U], n_steps=4)
    gx = symbolic.grad(hs.sum(), x)
    backward = [
        v.owner
        for v in ancestors([gx])
        if v.owner is not None
        and isinstance(v.owner.op, Scan)
        and context in v.owner.inputs
        and (v.owner.op.name or "").startswith("grad_of")
    ]
    assert backward
    for node in backward:
        inner = io_toposort(node.op.inputs, node.op.outputs)
        assert not any(isinstance(n.op, Scan) for n in inner)
        assert x not in node.inputs

    value = [randn(3, 2, 4), randn(2, 4), randn(4, 4, scale=0.5)]
    verify_grad(
        lambda x, h0, U: scan(
            step,
            outputs_info=h0,
            non_sequences=[
                scan(
                    lambda x_t, h: T.tanh(x_t + h),
                    sequences=x,
                    outputs_info=T.zeros_like(x[0]),
                )[0].copy(),
                U,
            ],
            n_steps=3,
        )[0],
        value,
        rng=rng,
    )

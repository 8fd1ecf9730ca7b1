"""Options of the recurrent architectures: peepholes, gradient clipping,
truncated back-propagation, initial states, final outputs and the cell form."""

import pickle

import numpy
import pytest

import symbolic
from blocks.bricks import LSTM, GatedRecurrent, Linear, SimpleRecurrent, Tanh
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.roles import INITIAL_STATE, WEIGHT
from symbolic import tensor
from symbolic.gradient import verify_grad
from tests.helpers.brick_training import train_and_report

floatX = symbolic.config.floatX


def sigmoid(x):
    return 1 / (1 + numpy.exp(-x))


def initialized(brick, seed=1):
    brick.weights_init = IsotropicGaussian(0.5)
    brick.seed = seed
    brick.initialize()
    return brick


def test_lstm_without_peepholes_matches_numpy():
    lstm = initialized(LSTM(dim=3, peepholes=False))
    assert [p.name for p in lstm.parameters] == [
        "W_state",
        "initial_state",
        "initial_cells",
    ]
    rng = numpy.random.RandomState(0)
    x = rng.randn(4, 2, 12).astype(floatX)
    inputs = tensor.tensor3("x")
    states, cells = lstm.apply(inputs)
    h_out, c_out = symbolic.function([inputs], [states, cells])(x)
    W = lstm.W_state.get_value()
    h = numpy.zeros((2, 3))
    c = numpy.zeros((2, 3))
    for t in range(4):
        a = x[t] + h.dot(W)
        i, f, g, o = (a[:, k * 3 : (k + 1) * 3] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * numpy.tanh(g)
        h = sigmoid(o) * numpy.tanh(c)
        numpy.testing.assert_allclose(h_out[t], h, rtol=1e-5, atol=1e-6)
        numpy.testing.assert_allclose(c_out[t], c, rtol=1e-5, atol=1e-6)


def test_peepholes_stay_on_by_default():
    lstm = initialized(LSTM(dim=3))
    names = [p.name for p in lstm.parameters]
    assert names[:4] == ["W_state", "W_cell_to_in", "W_cell_to_forget", "W_cell_to_out"]


def numpy_clipped_gradients(x, W, clip, weights):
    """Hand back-propagation of h_t = tanh(x_t + h_{t-1} W), clipped pre-activations.

    The loss is sum_t sum(h_t * weights[t]).
    """
    steps = x.shape[0]
    hs = [numpy.zeros((x.shape[1], W.shape[0]))]
    for t in range(steps):
        hs.append(numpy.tanh(x[t] + hs[-1].dot(W)))
    dW = numpy.zeros_like(W)
    dx = numpy.zeros_like(x)
    dh = numpy.zeros_like(hs[0])
    for t in reversed(range(steps)):
        dh = dh + weights[t]
        da = dh * (1 - hs[t + 1] ** 2)
        da = numpy.clip(da, -clip, clip)
        dW += hs[t].T.dot(da)
        dx[t] = da
        dh = da.dot(W.T)
    return dx, dW


def test_gradient_clipping_matches_hand_unrolled_recurrence():
    clip = 0.05
    rnn = initialized(
        SimpleRecurrent(dim=3, activation=Tanh(), gradient_clipping=clip), seed=2
    )
    rng = numpy.random.RandomState(3)
    x = rng.randn(5, 2, 3).astype(floatX)
    weights = (rng.randn(5, 2, 3) * 3).astype(floatX)
    inputs = tensor.tensor3("x")
    loss = (rnn.apply(inputs) * weights).sum()
    dx, dW = symbolic.function([inputs], symbolic.grad(loss, [inputs, rnn.W]))(x)
    expected_dx, expected_dW = numpy_clipped_gradients(
        x, rnn.W.get_value(), clip, weights
    )
    numpy.testing.assert_allclose(dx, expected_dx, rtol=1e-5, atol=1e-7)
    numpy.testing.assert_allclose(dW, expected_dW, rtol=1e-5, atol=1e-7)
    # The clipping binds here: without it the gradient differs.
    unclipped_dx, _ = numpy_clipped_gradients(x, rnn.W.get_value(), numpy.inf, weights)
    assert not numpy.allclose(unclipped_dx, expected_dx)
    # The forward values are unchanged.
    plain = initialized(SimpleRecurrent(dim=3, activation=Tanh()), seed=2)
    numpy.testing.assert_allclose(
        symbolic.function([inputs], rnn.apply(inputs))(x),
        symbolic.function([inputs], plain.apply(inputs))(x),
    )


@pytest.mark.parametrize("brick_class", [LSTM, GatedRecurrent])
def test_gradient_clipping_bounds_gated_bricks(brick_class):
    clipped = initialized(brick_class(dim=2, gradient_clipping=1e-3), seed=4)
    free = initialized(brick_class(dim=2), seed=4)
    rng = numpy.random.RandomState(5)
    width = 8 if brick_class is LSTM else 2
    x = rng.randn(4, 3, width).astype(floatX) * 3
    inputs = tensor.tensor3("x")

    def gradient(brick):
        if brick_class is LSTM:
            out = brick.apply(inputs)[0]
        else:
            out = brick.apply(inputs, tensor.concatenate([inputs, inputs], axis=2))
        return symbolic.function([inputs], symbolic.grad(out.sum(), inputs))(x)

    small, large = gradient(clipped), gradient(free)
    assert abs(small).max() < abs(large).max()


def test_truncate_gradient_stops_back_propagation():
    rnn = initialized(SimpleRecurrent(dim=2, activation=Tanh(), truncate_gradient=2))
    full = initialized(SimpleRecurrent(dim=2, activation=Tanh()))
    inputs = tensor.tensor3("x")
    x = numpy.random.RandomState(6).randn(5, 1, 2).astype(floatX)

    def gradient(brick):
        cost = brick.apply(inputs)[-1].sum()
        return symbolic.function([inputs], symbolic.grad(cost, inputs))(x)

    truncated, complete = gradient(rnn), gradient(full)
    assert not truncated[:3].any()
    assert complete[:3].any()
    numpy.testing.assert_allclose(truncated[3:], complete[3:], rtol=1e-5)


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: SimpleRecurrent(dim=2, activation=Tanh(), **kw),
        lambda **kw: GatedRecurrent(dim=2, **kw),
        lambda **kw: LSTM(dim=2, **kw),
    ],
)
def test_initial_states_fixed_learned_or_given(make):
    fixed = initialized(make(learn_initial_states=False))
    learned = initialized(make())
    graph_inputs = tensor.tensor3("x")
    rng = numpy.random.RandomState(7)

    def call(brick, **kwargs):
        args = [graph_inputs]
        if isinstance(brick, GatedRecurrent):
            args.append(tensor.concatenate([graph_inputs, graph_inputs], axis=2))
        width = 8 if isinstance(brick, LSTM) else 2
        x = rng.randn(3, 2, width).astype(floatX)
        out = brick.apply(*args, **kwargs)
        out = out[0] if isinstance(out, list) else out
        return out, x

    out, x = call(fixed)
    assert not VariableFilter(roles=[INITIAL_STATE])(ComputationGraph(out).parameters)
    assert VariableFilter(roles=[INITIAL_STATE])(
        ComputationGraph(call(learned)[0]).parameters
    )
    f = symbolic.function([graph_inputs], out)
    g = symbolic.function([graph_inputs], call(learned)[0])
    numpy.testing.assert_allclose(f(x), g(x), rtol=1e-6)
    given = tensor.matrix("h0")
    out_given, _ = call(fixed, states=given)
    h0 = numpy.ones((2, 2), dtype=floatX)
    value = symbolic.function([graph_inputs, given], out_given)(x, h0)
    assert not numpy.allclose(value, f(x))


def test_only_return_final():
    lstm = initialized(LSTM(dim=2, only_return_final=True))
    inputs = tensor.tensor3("x")
    x = numpy.random.RandomState(8).randn(4, 3, 8).astype(floatX)
    final_states, _ = lstm.apply(inputs)
    assert final_states.ndim == 2
    every_states, _ = lstm.apply(inputs, only_return_final=False)
    last, every = symbolic.function([inputs], [final_states, every_states])(x)
    numpy.testing.assert_allclose(last, every[-1])


def test_one_cell_step_equals_one_scan_step():
    rng = numpy.random.RandomState(9)
    lstm = initialized(LSTM(dim=3))
    gru = initialized(GatedRecurrent(dim=3))
    x = tensor.tensor3("x")
    h0, c0 = tensor.matrix("h0"), tensor.matrix("c0")
    lstm_scan = lstm.apply(x, states=h0, cells=c0)
    lstm_cell = lstm.apply(x[0], states=h0, cells=c0, iterate=False)
    gates = tensor.tensor3("gates")
    gru_scan = gru.apply(x, gates, states=h0)
    gru_cell = gru.apply(x[0], gates[0], states=h0, iterate=False)
    h, c = (rng.randn(4, 3).astype(floatX) for _ in range(2))
    xv = rng.randn(2, 4, 12).astype(floatX)
    scan_h, scan_c, cell_h, cell_c = symbolic.function(
        [x, h0, c0], [lstm_scan[0][0], lstm_scan[1][0], *lstm_cell]
    )(xv, h, c)
    numpy.testing.assert_allclose(cell_h, scan_h, rtol=1e-6)
    numpy.testing.assert_allclose(cell_c, scan_c, rtol=1e-6)
    xg, gv = rng.randn(2, 4, 3).astype(floatX), rng.randn(2, 4, 6).astype(floatX)
    scan_step, cell_step = symbolic.function([x, gates, h0], [gru_scan[0], gru_cell])(
        xg, gv, h
    )
    numpy.testing.assert_allclose(cell_step, scan_step, rtol=1e-6)


def test_options_survive_pickling_and_bad_values_are_named():
    lstm = LSTM(
        dim=2,
        peepholes=False,
        gradient_clipping=1.0,
        truncate_gradient=3,
        learn_initial_states=False,
        only_return_final=True,
    )
    copy = pickle.loads(pickle.dumps(lstm))
    assert (copy.peepholes, copy.gradient_clipping, copy.truncate_gradient) == (
        False,
        1.0,
        3,
    )
    assert (copy.learn_initial_states, copy.only_return_final) == (False, True)
    with pytest.raises(ValueError, match="gradient_clipping must be positive"):
        GatedRecurrent(dim=2, gradient_clipping=0)


def test_gradients_by_finite_differences():
    lstm = initialized(LSTM(dim=2, peepholes=False, gradient_clipping=10.0))
    x = numpy.random.RandomState(10).randn(3, 2, 8).astype(floatX)
    verify_grad(lambda v: lstm.apply(v)[0], [x], rng=numpy.random.RandomState(11))


def test_training_with_options_lowers_cost():
    rng = numpy.random.RandomState(12)
    x, y = tensor.tensor3("x"), tensor.matrix("y")
    project = Linear(3, 8, weights_init=IsotropicGaussian(0.3), biases_init=Constant(0))
    lstm = LSTM(
        dim=2,
        peepholes=False,
        gradient_clipping=1.0,
        only_return_final=True,
        weights_init=IsotropicGaussian(0.3),
    )
    project.initialize()
    lstm.initialize()
    states, _ = lstm.apply(project.apply(x))
    cost = tensor.sqr(states - y).mean()
    assert VariableFilter(roles=[WEIGHT])(ComputationGraph(cost).parameters)
    data = {
        "x": rng.randn(5, 6, 3).astype(floatX),
        "y": (rng.rand(6, 2) - 0.5).astype(floatX),
    }
    before, after = train_and_report(cost, data, learning_rate=0.5, epochs=15)
    assert after < before

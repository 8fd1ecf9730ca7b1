"""Recurrent bricks against numpy loops."""

import logging

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import Brick, Identity, Linear, Logistic, Tanh, application
from blocks.bricks.recurrent import (
    LSTM,
    RECURRENTSTACK_SEPARATOR,
    BaseRecurrent,
    Bidirectional,
    GatedRecurrent,
    RecurrentStack,
    SimpleRecurrent,
    recurrent,
)
from blocks.bricks.recurrent.base import unknown_scan_input
from blocks.filter import VariableFilter, get_application_call
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian, Orthogonal
from blocks.roles import INITIAL_STATE, WEIGHT
from symbolic import tensor
from symbolic.gof.graph import is_same_graph

floatX = symbolic.config.floatX


def sigmoid(x):
    return 1 / (1 + numpy.exp(-x))


def keep(mask, new, old):
    """numpy version of the masked update: the old state where mask is 0."""
    if mask is None:
        return new
    return mask[:, None] * new + (1 - mask[:, None]) * old


def run_loop(step, sequences, states, masks=None, reverse=False):
    """Iterate `step(inputs..., states...) -> states` over axis 0 in numpy.

    Returns the list of state trajectories, each (T, batch, dim).
    """
    n_steps = sequences[0].shape[0]
    order = range(n_steps - 1, -1, -1) if reverse else range(n_steps)
    history = [[] for _ in states]
    for t in order:
        new = step(*[s[t] for s in sequences], *states)
        mask = None if masks is None else masks[t]
        states = [keep(mask, n, o) for n, o in zip(new, states, strict=True)]
        for h, s in zip(history, states, strict=True):
            h.append(s)
    return [numpy.array(h) for h in history]


def simple_step(W):
    return lambda x, h: [numpy.tanh(x + h.dot(W))]


def lstm_step(lstm):
    W, w_in, w_forget, w_out = (p.get_value() for p in lstm.parameters[:4])
    dim = lstm.dim

    def step(x, h, c):
        a = h.dot(W) + x
        i = sigmoid(a[:, :dim] + c * w_in)
        f = sigmoid(a[:, dim : 2 * dim] + c * w_forget)
        c_new = f * c + i * numpy.tanh(a[:, 2 * dim : 3 * dim])
        o = sigmoid(a[:, 3 * dim :] + c_new * w_out)
        return [o * numpy.tanh(c_new), c_new]

    return step


def gru_step(gru):
    U = gru.state_to_state.get_value()
    G = gru.state_to_gates.get_value()
    dim = gru.dim

    def step(x, gx, h):
        gates = sigmoid(h.dot(G) + gx)
        z, r = gates[:, :dim], gates[:, dim:]
        candidate = numpy.tanh((h * r).dot(U) + x)
        return [candidate * z + h * (1 - z)]

    return step


@pytest.fixture
def rng():
    return numpy.random.RandomState(1234)


def values(rng, *shape):
    return rng.uniform(-1, 1, size=shape).astype(floatX)


def binary_mask(rng, n_steps, batch):
    mask = (rng.uniform(size=(n_steps, batch)) > 0.3).astype(floatX)
    mask[0] = 1
    return mask


def test_simple_recurrent_one_step(rng):
    rnn = SimpleRecurrent(dim=3, activation=Tanh(), weights_init=Orthogonal())
    rnn.initialize()
    x, h, m = tensor.matrix("x"), tensor.matrix("h"), tensor.vector("m")
    f = symbolic.function([x, h, m], rnn.apply(x, h, mask=m, iterate=False))
    x_val, h_val = values(rng, 4, 3), values(rng, 4, 3)
    m_val = numpy.array([1, 0, 1, 0], dtype=floatX)
    W = rnn.W.get_value()
    expected = keep(m_val, numpy.tanh(x_val + h_val.dot(W)), h_val)
    assert_allclose(f(x_val, h_val, m_val), expected, rtol=1e-6)
    assert_allclose(f(x_val, h_val, m_val)[1], h_val[1])


def test_simple_recurrent_many_steps(rng):
    rnn = SimpleRecurrent(dim=3, activation=Tanh(), weights_init=Orthogonal())
    rnn.initialize()
    x, m, h0 = tensor.tensor3("x"), tensor.matrix("m"), tensor.matrix("h0")
    x_val, m_val = values(rng, 5, 2, 3), binary_mask(rng, 5, 2)
    h0_val = values(rng, 2, 3)
    step = simple_step(rnn.W.get_value())
    zeros = numpy.zeros((2, 3), dtype=floatX)

    plain = symbolic.function([x], rnn.apply(x))(x_val)
    assert_allclose(plain, run_loop(step, [x_val], [zeros])[0], rtol=1e-6)

    masked = symbolic.function([x, m], rnn.apply(x, mask=m))(x_val, m_val)
    assert_allclose(masked, run_loop(step, [x_val], [zeros], m_val)[0], rtol=1e-6)

    given = symbolic.function([x, m, h0], rnn.apply(x, h0, mask=m))
    expected = run_loop(step, [x_val], [h0_val], m_val)[0]
    assert_allclose(given(x_val, m_val, h0_val), expected, rtol=1e-6)

    with_initial = symbolic.function(
        [x, h0], rnn.apply(x, h0, return_initial_states=True)
    )(x_val, h0_val)
    assert with_initial.shape == (6, 2, 3)
    assert_allclose(with_initial[0], h0_val)
    assert_allclose(with_initial[1:], run_loop(step, [x_val], [h0_val])[0], rtol=1e-6)

    backward = symbolic.function([x], rnn.apply(x, reverse=True))(x_val)
    expected = run_loop(step, [x_val], [zeros], reverse=True)[0]
    # Scan stores the steps in the order it runs them.
    assert_allclose(backward, expected, rtol=1e-6)


def test_simple_recurrent_learned_initial_state(rng):
    rnn = SimpleRecurrent(dim=3, activation=Identity(), weights_init=Constant(0.5))
    rnn.initialize()
    initial = rnn.parameters[1]
    assert initial.name == "initial_state"
    assert_allclose(initial.get_value(), numpy.zeros(3))
    initial.set_value(numpy.array([1.0, 2.0, 3.0], dtype=floatX))
    x = tensor.tensor3("x")
    x_val = values(rng, 4, 2, 3)
    W = numpy.full((3, 3), 0.5)
    start = numpy.tile([1.0, 2.0, 3.0], (2, 1))
    expected = run_loop(lambda x_, h: [x_ + h.dot(W)], [x_val], [start])[0]
    assert_allclose(symbolic.function([x], rnn.apply(x))(x_val), expected, rtol=1e-6)
    # The learned state broadcasts to the batch; a given one replaces it.
    h0 = tensor.matrix("h0")
    f = symbolic.function([x, h0], rnn.apply(x, states=h0, return_initial_states=True))
    result = f(x_val, numpy.zeros((2, 3), dtype=floatX))
    assert_allclose(result[0], numpy.zeros((2, 3)))
    assert_allclose(result[1], x_val[0], rtol=1e-6)


def test_lstm(rng):
    lstm = LSTM(dim=3, weights_init=IsotropicGaussian(0.5))
    lstm.initialize()
    assert [p.name for p in lstm.parameters] == [
        "W_state",
        "W_cell_to_in",
        "W_cell_to_forget",
        "W_cell_to_out",
        "initial_state",
        "initial_cells",
    ]
    assert lstm.W_state.get_value().shape == (3, 12)
    assert lstm.get_dim("inputs") == 12
    assert lstm.get_dim("cells") == 3
    assert lstm.get_dim("mask") == 0
    step = lstm_step(lstm)

    # One step.
    x, h, c = tensor.matrix("x"), tensor.matrix("h"), tensor.matrix("c")
    states, cells = lstm.apply(x, h, c, iterate=False)
    x_val, h_val, c_val = values(rng, 2, 12), values(rng, 2, 3), values(rng, 2, 3)
    got = symbolic.function([x, h, c], [states, cells])(x_val, h_val, c_val)
    for g, e in zip(got, step(x_val, h_val, c_val), strict=True):
        assert_allclose(g, e, rtol=1e-6)

    # Many steps from the learned initial state and cells, with a mask.
    lstm.initial_state_.set_value(values(rng, 3))
    lstm.initial_cells.set_value(values(rng, 3))
    xs, m = tensor.tensor3("xs"), tensor.matrix("m")
    xs_val, m_val = values(rng, 6, 2, 12), binary_mask(rng, 6, 2)
    start = [
        numpy.tile(lstm.initial_state_.get_value(), (2, 1)),
        numpy.tile(lstm.initial_cells.get_value(), (2, 1)),
    ]
    got = symbolic.function([xs, m], lstm.apply(xs, mask=m))(xs_val, m_val)
    expected = run_loop(step, [xs_val], start, m_val)
    for g, e in zip(got, expected, strict=True):
        assert_allclose(g, e, rtol=1e-6)
    # Where the mask is 0 the state is carried over.
    t, b = numpy.argwhere(m_val == 0)[0]
    assert_allclose(got[0][t, b], got[0][t - 1, b])
    assert_allclose(got[1][t, b], got[1][t - 1, b])


def test_gated_recurrent(rng):
    gru = GatedRecurrent(dim=3, weights_init=IsotropicGaussian(0.5))
    gru.initialize()
    assert [p.name for p in gru.parameters] == [
        "state_to_state",
        "state_to_gates",
        "initial_state",
    ]
    assert gru.state_to_gates.get_value().shape == (3, 6)
    assert gru.get_dims(["inputs", "gate_inputs", "states", "mask"]) == [3, 6, 3, 0]
    step = gru_step(gru)

    x, gx, h = tensor.matrix("x"), tensor.matrix("gx"), tensor.matrix("h")
    x_val, gx_val, h_val = values(rng, 2, 3), values(rng, 2, 6), values(rng, 2, 3)
    one = gru.apply(x, gx, h, iterate=False)
    got = symbolic.function([x, gx, h], one)(x_val, gx_val, h_val)
    assert_allclose(got, step(x_val, gx_val, h_val)[0], rtol=1e-6)

    gru.parameters[2].set_value(values(rng, 3))
    xs, gxs, m = tensor.tensor3("xs"), tensor.tensor3("gxs"), tensor.matrix("m")
    xs_val, gxs_val = values(rng, 5, 2, 3), values(rng, 5, 2, 6)
    m_val = binary_mask(rng, 5, 2)
    start = [numpy.tile(gru.parameters[2].get_value(), (2, 1))]
    f = symbolic.function([xs, gxs, m], gru.apply(xs, gxs, mask=m))
    expected = run_loop(step, [xs_val, gxs_val], start, m_val)[0]
    assert_allclose(f(xs_val, gxs_val, m_val), expected, rtol=1e-6)
    f = symbolic.function(
        [xs, gxs], gru.apply(inputs=xs, gate_inputs=gxs, reverse=True)
    )
    expected = run_loop(step, [xs_val, gxs_val], start, reverse=True)[0]
    assert_allclose(f(xs_val, gxs_val), expected, rtol=1e-6)


def test_gradient_matches_finite_differences(rng):
    rnn = SimpleRecurrent(dim=2, activation=Tanh(), weights_init=Orthogonal())
    rnn.initialize()
    x, m = tensor.tensor3("x"), tensor.matrix("m")
    x_val, m_val = values(rng, 4, 3, 2), binary_mask(rng, 4, 3)
    cost = (rnn.apply(x, mask=m) ** 2).sum()
    grads = symbolic.grad(cost, [rnn.W, x])
    grad_W, grad_x = symbolic.function([x, m], grads)(x_val, m_val)

    zeros = numpy.zeros((3, 2))

    def numpy_cost(W, x_):
        return (run_loop(simple_step(W), [x_], [zeros], m_val)[0] ** 2).sum()

    W_val = rnn.W.get_value()
    eps = 1e-6
    numeric_W = numpy.zeros_like(W_val)
    for index in numpy.ndindex(*W_val.shape):
        plus, minus = W_val.copy(), W_val.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric_W[index] = (numpy_cost(plus, x_val) - numpy_cost(minus, x_val)) / (
            2 * eps
        )
    assert numpy.all(numpy.isfinite(grad_W))
    assert_allclose(grad_W, numeric_W, rtol=1e-4, atol=1e-7)
    for index in [(0, 0, 0), (2, 1, 1), (3, 2, 0)]:
        plus, minus = x_val.copy(), x_val.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric = (numpy_cost(W_val, plus) - numpy_cost(W_val, minus)) / (2 * eps)
        assert_allclose(grad_x[index], numeric, rtol=1e-4, atol=1e-7)


def test_lstm_gradient_is_finite_and_reaches_initial_state(rng):
    lstm = LSTM(dim=2, weights_init=IsotropicGaussian(0.3))
    lstm.initialize()
    x = tensor.tensor3("x")
    states, _ = lstm.apply(x)
    grads = symbolic.grad(states[-1].sum(), list(lstm.parameters))
    got = symbolic.function([x], grads)(values(rng, 3, 2, 8))
    assert all(numpy.all(numpy.isfinite(g)) for g in got)
    # The learned initial state and cells get a gradient.
    assert numpy.abs(got[4]).sum() > 0
    assert numpy.abs(got[5]).sum() > 0


def test_bidirectional(rng):
    prototype = SimpleRecurrent(dim=3, activation=Tanh())
    bidir = Bidirectional(prototype, weights_init=Orthogonal())
    bidir.initialize()
    forward, backward = bidir.children
    assert (forward.name, backward.name) == ("forward", "backward")
    assert bidir.apply.outputs == ["states"]
    assert bidir.get_dim("states") == 6
    assert bidir.get_dim("inputs") == 3
    x, m = tensor.tensor3("x"), tensor.matrix("m")
    x_val, m_val = values(rng, 5, 2, 3), binary_mask(rng, 5, 2)
    got = symbolic.function([x, m], bidir.apply(x, mask=m))(x_val, m_val)
    zeros = numpy.zeros((2, 3))
    expected_forward = run_loop(
        simple_step(forward.W.get_value()), [x_val], [zeros], m_val
    )[0]
    expected_backward = run_loop(
        simple_step(backward.W.get_value()), [x_val], [zeros], m_val, reverse=True
    )[0][::-1]
    assert got.shape == (5, 2, 6)
    assert_allclose(got[:, :, :3], expected_forward, rtol=1e-6)
    assert_allclose(got[:, :, 3:], expected_backward, rtol=1e-6)
    assert not numpy.allclose(forward.W.get_value(), backward.W.get_value())


def numpy_stack(stack, inputs, mask, skip_connections):
    """Run a RecurrentStack of LSTMs in numpy, layer after layer."""
    results = []
    below = None
    for level, transition in enumerate(stack.transitions):
        zeros = numpy.zeros((inputs[0].shape[1], transition.dim))
        if level == 0:
            layer_inputs = inputs[0]
        else:
            fork = stack.forks[level - 1].children[0]
            layer_inputs = below.dot(fork.W.get_value())
            if fork.use_bias:
                layer_inputs = layer_inputs + fork.b.get_value()
            if skip_connections:
                layer_inputs = layer_inputs + inputs[level]
        states, cells = run_loop(
            lstm_step(transition), [layer_inputs], [zeros, zeros], mask
        )
        results.extend([states, cells])
        below = states
    return results


@pytest.mark.parametrize("skip_connections", [False, True])
def test_recurrent_stack(rng, skip_connections):
    depth, dim = 3, 2
    stack = RecurrentStack(
        [LSTM(dim=dim) for _ in range(depth)],
        weights_init=IsotropicGaussian(0.5),
        biases_init=Constant(0.25),
        skip_connections=skip_connections,
    )
    stack.initialize()
    assert [t.name for t in stack.transitions] == ["lstm#0", "lstm#1", "lstm#2"]
    assert stack.apply.states == [
        "states",
        "cells",
        "states#1",
        "cells#1",
        "states#2",
        "cells#2",
    ]
    assert stack.apply.outputs == stack.apply.states
    if skip_connections:
        assert stack.apply.sequences == ["inputs", "inputs#1", "inputs#2", "mask"]
        assert not stack.forks[0].children[0].use_bias
    else:
        assert stack.apply.sequences == ["inputs", "mask"]
        assert stack.forks[0].children[0].use_bias
    assert stack.get_dim("inputs#2") == 4 * dim
    assert stack.get_dim("cells#1") == dim

    inputs = [tensor.tensor3(n) for n in stack.apply.sequences if n != "mask"]
    m = tensor.matrix("mask")
    input_values = [values(rng, 4, 2, 4 * dim) for _ in inputs]
    m_val = binary_mask(rng, 4, 2)
    expected = numpy_stack(stack, input_values, m_val, skip_connections)
    for low_memory in (False, True):
        outputs = stack.apply(*inputs, mask=m, low_memory=low_memory)
        got = symbolic.function([*inputs, m], outputs)(*input_values, m_val)
        assert len(got) == 2 * depth
        for g, e in zip(got, expected, strict=True):
            assert_allclose(g, e, rtol=1e-6)

    outputs = stack.apply(*inputs, mask=m, return_initial_states=True)
    got = symbolic.function([*inputs, m], outputs)(*input_values, m_val)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == (5, 2, dim)
        assert_allclose(g[0], numpy.zeros((2, dim)))
        assert_allclose(g[1:], e, rtol=1e-6)


def test_recurrent_stack_suffixes():
    assert RECURRENTSTACK_SEPARATOR == "#"
    assert RecurrentStack.suffix("states", 0) == "states"
    assert RecurrentStack.suffix("states", 2) == "states#2"
    assert RecurrentStack.suffix("mask", 3) == "mask"
    assert RecurrentStack.suffixes(["inputs", "mask", "cells"], 1) == [
        "inputs#1",
        "cells#1",
    ]
    assert RecurrentStack.split_suffix("states#12") == ("states", 12)
    assert RecurrentStack.split_suffix("states") == ("states", 0)
    assert RecurrentStack.split_suffix("a#b") == ("a#b", 0)
    # Only the last level suffix is split off.
    assert RecurrentStack.split_suffix("states#1#2") == ("states#1", 2)
    assert RecurrentStack.split_suffix("a#b#3") == ("a#b", 3)


class Accumulator(BaseRecurrent):
    """h_t = h_{t-1} * decay + x_t * scale, with `scale` a context."""

    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim

    @recurrent(
        sequences=["inputs"], states=["states"], contexts=["scale"], outputs=["states"]
    )
    def apply(self, inputs, states, scale):
        return states * 0.5 + inputs * scale

    def get_dim(self, name):
        if name in ("inputs", "states", "scale"):
            return self.dim
        return super().get_dim(name)


def test_contexts_and_default_initial_states(rng):
    brick = Accumulator(dim=2)
    x, scale = tensor.tensor3("x"), tensor.vector("scale")
    f = symbolic.function([x, scale], brick.apply(x, scale=scale))
    x_val, scale_val = values(rng, 4, 3, 2), values(rng, 2)
    expected = run_loop(
        lambda x_, h: [h * 0.5 + x_ * scale_val], [x_val], [numpy.zeros((3, 2))]
    )[0]
    assert_allclose(f(x_val, scale_val), expected, rtol=1e-6)
    # The context is a non-sequence of the scan.
    scan_op = ComputationGraph(brick.apply(x, scale=scale)).scans[0]
    assert scan_op is not None
    # BaseRecurrent's default initial states are zeros.
    batch = tensor.iscalar("batch")
    zeros = symbolic.function([batch], brick.initial_states(batch))(3)
    assert_allclose(zeros, numpy.zeros((3, 2)))
    assert brick.initial_states.outputs == ["states"]


class UndeclaredScale(BaseRecurrent):
    """Like Accumulator, but `scale` is not declared as a context."""

    @recurrent(sequences=["inputs"], states=["states"], contexts=[], outputs=["states"])
    def apply(self, inputs, states, scale=None):
        return states + inputs * scale

    def get_dim(self, name):
        return 2 if name in ("inputs", "states") else super().get_dim(name)


def test_undeclared_variable_input_is_reported(caplog):
    x, scale = tensor.tensor3("x"), tensor.vector("scale")
    with caplog.at_level(logging.WARNING, logger="blocks.bricks.recurrent.base"):
        UndeclaredScale().apply(x, scale=scale)
    assert "unknown input undeclaredscale_apply_scale" in caplog.text
    assert unknown_scan_input in caplog.text
    assert "Did you forget to declare it in `contexts`?" in caplog.text


class Counter(BaseRecurrent):
    """Outputs a running count; no sequences, so n_steps and batch_size."""

    @recurrent(
        sequences=[], states=["states"], contexts=[], outputs=["states", "twice"]
    )
    def apply(self, states):
        new = states + 1
        return new, 2 * new

    def get_dim(self, name):
        if name == "states":
            return 2
        return super().get_dim(name)


def test_no_sequences_and_outputs_that_are_not_states():
    brick = Counter()
    states, twice = brick.apply(n_steps=3, batch_size=2)
    got_states, got_twice = symbolic.function([], [states, twice])()
    expected = numpy.arange(1, 4)[:, None, None] * numpy.ones((3, 2, 2))
    assert_allclose(got_states, expected)
    assert_allclose(got_twice, 2 * expected)
    # An initialization scheme can give the initial state.
    states = brick.apply(n_steps=2, batch_size=3, states=Constant(5), as_list=True)[0]
    assert_allclose(
        states.eval(), numpy.array([6, 7])[:, None, None] * numpy.ones((2, 3, 2))
    )
    with pytest.raises(ValueError, match="n_steps"):
        brick.apply()


def test_computation_graph_finds_recurrent_parameters():
    x = tensor.tensor3("x")
    lstm = LSTM(dim=3, weights_init=Constant(0.1))
    linear = Linear(
        input_dim=2, output_dim=12, weights_init=Constant(1), biases_init=Constant(0)
    )
    states, _ = lstm.apply(linear.apply(x))
    cg = ComputationGraph(states)
    parameters = set(cg.parameters)
    assert set(lstm.parameters) <= parameters
    assert len(parameters) == 8
    weights = VariableFilter(roles=[WEIGHT], bricks=[lstm])(cg.variables)
    assert {w.name for w in weights} == {
        "W_state",
        "W_cell_to_in",
        "W_cell_to_forget",
        "W_cell_to_out",
    }
    initial = VariableFilter(roles=[INITIAL_STATE])(cg.variables)
    assert {v.name for v in initial} == {"initial_state", "initial_cells"}
    assert len(cg.scans) == 1


def test_saved_inner_graph():
    x = tensor.tensor3()
    rnn = SimpleRecurrent(dim=3, activation=Tanh())
    y = rnn.apply(x)
    call = get_application_call(y)
    assert call.inner_inputs
    assert call.inner_outputs
    inner = ComputationGraph(call.inner_outputs)
    # The inputs, the states and the output of the one-step call.
    assert len(VariableFilter(applications=[rnn.apply])(inner)) == 3
    assert is_same_graph(
        call.inner_outputs[0], rnn.apply(*call.inner_inputs, iterate=False)
    )
    # The scan's own inner graph is the step.
    cg = ComputationGraph(y)
    assert len(cg.scans) == 1
    assert any(v.name == "simplerecurrent_apply_states" for v in cg.scan_variables)


class Noisy(BaseRecurrent):
    """A step drawing random numbers: scan returns updates for the streams."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        from symbolic.sandbox.rng_mrg import MRG_RandomStreams

        self.theano_rng = MRG_RandomStreams(4)

    @recurrent(sequences=["inputs"], states=["states"], contexts=[], outputs=["states"])
    def apply(self, inputs, states):
        return states + inputs + self.theano_rng.uniform(states.shape)

    def get_dim(self, name):
        return 2 if name in ("inputs", "states") else super().get_dim(name)


def test_scan_updates_go_to_the_application_call():
    brick = Noisy()
    x = tensor.tensor3("x")
    y = brick.apply(x)
    call = get_application_call(y)
    assert len(call.updates) == 1
    cg = ComputationGraph(y)
    f = symbolic.function([x], y, updates=cg.updates)
    x_val = numpy.zeros((3, 2, 2), dtype=floatX)
    first, second = f(x_val), f(x_val)
    increments = numpy.diff(numpy.concatenate([numpy.zeros((1, 2, 2)), first]), axis=0)
    assert numpy.all((increments > 0) & (increments < 1))
    assert not numpy.allclose(first, second)


def test_initial_states_application_can_be_given():
    class Doubled(Brick):
        @application
        def make(self, name, batch_size, *args, **kwargs):
            return tensor.ones((batch_size, 3)) * 2

    rnn = SimpleRecurrent(dim=3, activation=Identity(), weights_init=Constant(0))
    rnn.initialize()
    maker = Doubled()
    x = tensor.tensor3("x")
    with pytest.warns(UserWarning, match="not one of its children"):
        h = rnn.apply(x, states=maker.make)
    x_val = numpy.ones((2, 1, 3), dtype=floatX)
    assert_allclose(symbolic.function([x], h)(x_val), numpy.ones((2, 1, 3)))
    assert isinstance(LSTM(dim=1).gate_activation, Logistic)
    assert isinstance(GatedRecurrent(dim=1).activation, Tanh)


def _brick_training_graph(kind, with_mask):
    """The GatedRecurrent or LSTM brick as a Blocks script trains it: a
    Linear projection of the whole sequence outside the loop, the brick's
    own initial states, optionally a mask, and a squared error.  Returns
    the inputs, the cost, the parameters and the recurrent weights' names."""
    xs, ys, m = tensor.tensor3("xs"), tensor.tensor3("ys"), tensor.matrix("m")
    dim = 3
    init = {"weights_init": IsotropicGaussian(0.5), "biases_init": Constant(0.1)}
    if kind == "gru":
        rnn = GatedRecurrent(dim=dim, weights_init=IsotropicGaussian(0.5))
        proj = Linear(2, 3 * dim, **init)
        projected = proj.apply(xs)
        kwargs = {"inputs": projected[:, :, :dim], "gate_inputs": projected[:, :, dim:]}
        recurrent_weights = ("state_to_state", "state_to_gates")
    else:
        rnn = LSTM(dim=dim, **init)
        proj = Linear(2, 4 * dim, **init)
        kwargs = {"inputs": proj.apply(xs)}
        recurrent_weights = ("W_state",)
    proj.initialize()
    rnn.initialize()
    if with_mask:
        kwargs["mask"] = m
    states = rnn.apply(**kwargs)
    hs = states if kind == "gru" else states[0]
    cost = tensor.sqr(hs - ys).mean()
    inputs = [xs, ys, m] if with_mask else [xs, ys]
    return inputs, cost, ComputationGraph(cost).parameters, recurrent_weights


def _sgd_step(inputs, cost, parameters, mode):
    grads = symbolic.grad(cost, parameters)
    updates = [(p, p - 0.1 * g) for p, g in zip(parameters, grads, strict=True)]
    return symbolic.function(inputs, cost, updates=updates, mode=mode)


def _update_products(f, weight):
    """Op names met walking up from ``weight``'s new value through
    elementwise ops and views (where an update applies its gradient)."""
    updated = [i.variable for i in f.maker.inputs if i.update is not None]
    new_values = dict(zip(updated, f.maker.fgraph.outputs[1:], strict=True))
    names, stack = [], [new_values[weight]]
    while stack:
        owner = stack.pop().owner
        if owner is None:
            continue
        names.append(type(owner.op).__name__)
        if names[-1] in ("Elemwise", "DimShuffle"):
            stack.extend(owner.inputs)
    return names


@pytest.mark.parametrize("kind", ["gru", "lstm"])
@pytest.mark.parametrize("with_mask", [False, True])
def test_brick_form_recurrent_weight_gradients_leave_the_loop(rng, kind, with_mask):
    """The recurrent weights' gradients of the GRU and LSTM bricks, written
    as a Blocks script does, are single products after the backward loop
    (not sums carried through it), as for a hand-written step; the update
    matches the graph without the loop rewrites."""
    from symbolic.compile.mode import get_mode

    if symbolic.config.mode not in ("FAST_RUN", "Mode"):
        pytest.skip("the loop rewrites run in FAST_RUN")
    fast = get_mode("FAST_RUN")
    inputs, cost, parameters, recurrent = _brick_training_graph(kind, with_mask)
    f = _sgd_step(inputs, cost, parameters, fast)
    for weight in (p for p in parameters if p.name in recurrent):
        names = _update_products(f, weight)
        assert {"Gemm", "Dot22"} & set(names), (weight.name, names)
    vals = [values(rng, 5, 2, 2), values(rng, 5, 2, 3)]
    if with_mask:
        vals.append(binary_mask(rng, 5, 2))
    saved = [p.get_value() for p in parameters]
    f(*vals)
    updated = [p.get_value() for p in parameters]
    for p, value in zip(parameters, saved, strict=True):
        p.set_value(value)
    _sgd_step(inputs, cost, parameters, fast.excluding("scan"))(*vals)
    for p, want in zip(parameters, updated, strict=True):
        assert_allclose(p.get_value(), want, rtol=1e-5, atol=1e-6, err_msg=p.name)

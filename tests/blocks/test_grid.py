"""LSTM2D against a nested-loop numpy implementation."""

import pickle

import numpy
import pytest

import symbolic
from blocks.bricks import Linear
from blocks.bricks.recurrent.grid import LSTM2D
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


def numpy_lstm2d(brick, x, mask=None, h0=None, c0=None):
    height, width, batch, _ = x.shape
    d = brick.dim
    get = lambda name: getattr(brick, name).get_value()  # noqa: E731
    peep = {}
    for name in (
        "W_cell_left_to_in",
        "W_cell_up_to_in",
        "W_cell_left_to_forget",
        "W_cell_up_to_forget",
        "W_cell_to_out",
    ):
        peep[name] = get(name) if brick.peepholes else numpy.zeros(d)
    if h0 is None:
        h0 = numpy.tile(get("initial_state_"), (batch, 1))
        c0 = numpy.tile(get("initial_cells"), (batch, 1))
    if mask is None:
        mask = numpy.ones((height, width, batch))
    H = numpy.zeros((height, width, batch, d))
    C = numpy.zeros((height, width, batch, d))
    for r in range(height):
        for c in range(width):
            h_left, c_left = (H[r, c - 1], C[r, c - 1]) if c else (h0, c0)
            h_up, c_up = (H[r - 1, c], C[r - 1, c]) if r else (h0, c0)
            a = x[r, c] + h_left.dot(get("W_left")) + h_up.dot(get("W_up"))
            i = sigmoid(
                a[:, :d]
                + peep["W_cell_left_to_in"] * c_left
                + peep["W_cell_up_to_in"] * c_up
            )
            f = sigmoid(
                a[:, d : 2 * d]
                + peep["W_cell_left_to_forget"] * c_left
                + peep["W_cell_up_to_forget"] * c_up
            )
            cell = f * (c_left + c_up) * 0.5 + i * numpy.tanh(a[:, 2 * d : 3 * d])
            o = sigmoid(a[:, 3 * d :] + peep["W_cell_to_out"] * cell)
            keep = mask[r, c][:, None]
            H[r, c] = o * numpy.tanh(cell) * keep
            C[r, c] = cell * keep
    return H, C


def make(seed=1, **kwargs):
    brick = LSTM2D(dim=2, weights_init=IsotropicGaussian(0.5), seed=seed, **kwargs)
    brick.initialize()
    if brick.learn_initial_states:
        rng = numpy.random.RandomState(seed)
        brick.initial_state_.set_value(rng.randn(2).astype(floatX) * 0.3)
        brick.initial_cells.set_value(rng.randn(2).astype(floatX) * 0.3)
    return brick


@pytest.mark.parametrize("peepholes", [True, False])
def test_matches_nested_loops(peepholes):
    brick = make(peepholes=peepholes)
    rng = numpy.random.RandomState(2)
    x = rng.randn(3, 4, 2, 8).astype(floatX)
    mask = numpy.ones((3, 4, 2), dtype=floatX)
    mask[:, 3, 1] = 0  # the second image is 3 columns wide
    mask[2, :, 0] = 0  # the first one 2 rows high
    inputs, mask_var = tensor.tensor4("x"), tensor.tensor3("mask")
    states, cells = brick.apply(inputs, mask_var)
    h, c = symbolic.function([inputs, mask_var], [states, cells])(x, mask)
    expected_h, expected_c = numpy_lstm2d(brick, x, mask)
    numpy.testing.assert_allclose(h, expected_h, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(c, expected_c, rtol=1e-5, atol=1e-6)


def test_reverse_and_given_states():
    brick = make(learn_initial_states=False)
    assert not any(p.name.startswith("initial") for p in brick.parameters)
    rng = numpy.random.RandomState(3)
    x = rng.randn(2, 3, 2, 8).astype(floatX)
    h0v, c0v = rng.randn(2, 2).astype(floatX), rng.randn(2, 2).astype(floatX)
    inputs, h0, c0 = tensor.tensor4("x"), tensor.matrix("h0"), tensor.matrix("c0")
    states, _ = brick.apply(inputs, states=h0, cells=c0, reverse=True)
    h = symbolic.function([inputs, h0, c0], states)(x, h0v, c0v)
    expected, _ = numpy_lstm2d(brick, x[::-1, ::-1], h0=h0v, c0=c0v)
    numpy.testing.assert_allclose(h, expected[::-1, ::-1], rtol=1e-5, atol=1e-6)


def test_gradients_by_finite_differences():
    brick = make(gradient_clipping=100.0)
    x = numpy.random.RandomState(4).randn(2, 2, 1, 8).astype(floatX)
    left = brick.W_left.get_value()

    def fun(inputs, w_left):
        states = brick.apply(inputs)[0]
        return symbolic.clone(states, replace={brick.W_left: w_left})

    verify_grad(fun, [x, left], rng=numpy.random.RandomState(5))


def test_roles_pickling_and_bad_inputs():
    brick = make()
    graph = ComputationGraph(brick.apply(tensor.tensor4("x"))[0])
    assert set(VariableFilter(roles=[WEIGHT])(graph.parameters)) == set(brick._weights)
    assert len(VariableFilter(roles=[INITIAL_STATE])(graph.parameters)) == 2
    copy = pickle.loads(pickle.dumps(brick))
    x = numpy.random.RandomState(6).randn(2, 2, 1, 8).astype(floatX)
    inputs = tensor.tensor4("x")
    numpy.testing.assert_allclose(
        symbolic.function([inputs], copy.apply(inputs)[0])(x),
        symbolic.function([inputs], brick.apply(inputs)[0])(x),
    )
    with pytest.raises(ValueError, match="inputs must be"):
        brick.apply(tensor.tensor3())
    with pytest.raises(ValueError, match="gradient_clipping must be positive"):
        LSTM2D(dim=2, gradient_clipping=-1)


def test_training_lowers_cost():
    rng = numpy.random.RandomState(7)
    x, y = tensor.tensor4("x"), tensor.matrix("y")
    project = Linear(3, 8, weights_init=IsotropicGaussian(0.3), biases_init=Constant(0))
    brick = LSTM2D(dim=2, weights_init=IsotropicGaussian(0.3))
    project.initialize()
    brick.initialize()
    states, _ = brick.apply(project.apply(x))
    cost = tensor.sqr(states[-1, -1] - y).mean()
    data = {
        "x": rng.randn(2, 3, 4, 3).astype(floatX),
        "y": (rng.rand(4, 2) - 0.5).astype(floatX),
    }
    before, after = train_and_report(cost, data, learning_rate=0.5, epochs=10)
    assert after < before

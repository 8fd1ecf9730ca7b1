"""Attention bricks against numpy references."""

import inspect

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import Identity, SimpleRecurrent, Tanh
from blocks.bricks.attention import (
    AbstractAttention,
    AbstractAttentionRecurrent,
    AttentionRecurrent,
    GenericSequenceAttention,
    SequenceContentAttention,
    ShallowEnergyComputer,
)
from blocks.initialization import Constant, IsotropicGaussian
from symbolic import tensor
from symbolic.gradient import verify_grad

floatX = symbolic.config.floatX


def numpy_weights(energies, mask=None):
    """Masked softmax over axis 0; an all-zero mask column gives zeros."""
    if mask is None:
        mask = numpy.ones_like(energies)
    weights = numpy.zeros_like(energies)
    for b in range(energies.shape[1]):
        real = mask[:, b] > 0
        if real.any():
            e = numpy.exp(energies[real, b] - energies[real, b].max())
            weights[real, b] = e / e.sum()
    return weights


def make_attention(state_dim=3, attended_dim=4, match_dim=5):
    attention = SequenceContentAttention(
        state_names=["states"],
        state_dims=[state_dim],
        attended_dim=attended_dim,
        match_dim=match_dim,
        weights_init=IsotropicGaussian(0.5),
        biases_init=IsotropicGaussian(0.5),
        seed=3,
    )
    attention.initialize()
    return attention


def numpy_content_attention(attention, states, attended, mask):
    """Weighted averages and (batch, time) weights, from the parameters."""
    W_state = attention.state_transformers.children[0].W.get_value()
    W_pre = attention.attended_transformer.W.get_value()
    b_pre = attention.attended_transformer.b.get_value()
    W_energy = attention.energy_computer.children[1].W.get_value()
    match = attended.dot(W_pre) + b_pre + states.dot(W_state)[None]
    energies = numpy.tanh(match).dot(W_energy)[..., 0]
    weights = numpy_weights(energies, mask)
    averages = (weights[..., None] * attended).sum(axis=0)
    return averages, weights.T


@pytest.fixture
def energies_and_mask():
    rng = numpy.random.RandomState(0)
    energies = rng.uniform(-3, 3, size=(5, 4)).astype(floatX)
    mask = numpy.array(
        [[1, 1, 0, 1], [1, 1, 0, 1], [1, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1]],
        dtype=floatX,
    )
    # Padding with energies far above the real ones must not matter.
    energies[3:, 0] = 500
    return energies, mask


def test_compute_weights_masked_softmax(energies_and_mask):
    energies, mask = energies_and_mask
    attention = make_attention()
    e, m = tensor.matrix("e"), tensor.matrix("m")
    weights = symbolic.function([e, m], attention.compute_weights(e, m))(energies, mask)
    assert numpy.isfinite(weights).all()
    assert_allclose(weights, numpy_weights(energies, mask), rtol=1e-6, atol=1e-12)
    # Each column sums to one, but the one that is all padding is zero.
    assert_allclose(weights.sum(axis=0), [1, 1, 0, 1], rtol=1e-6)
    assert (weights[mask == 0] == 0).all()


def test_compute_weights_without_mask(energies_and_mask):
    energies, _ = energies_and_mask
    attention = make_attention()
    e = tensor.matrix("e")
    weights = attention.compute_weights(e, None).eval({e: energies})
    assert_allclose(weights, numpy_weights(energies), rtol=1e-6, atol=1e-12)


def test_compute_weights_gradient(energies_and_mask):
    energies, mask = energies_and_mask
    energies = numpy.clip(energies, -3, 3).astype("float64")
    attention = make_attention()
    m = tensor.constant(mask.astype("float64"))
    target = numpy.random.RandomState(1).randn(*energies.shape)
    verify_grad(
        lambda e: (attention.compute_weights(e, m) * target).sum(),
        [energies],
        rng=numpy.random.RandomState(2),
    )


def test_compute_weighted_averages():
    rng = numpy.random.RandomState(1)
    weights = rng.uniform(size=(5, 2)).astype(floatX)
    attended = rng.randn(5, 2, 3).astype(floatX)
    w, a = tensor.matrix("w"), tensor.tensor3("a")
    result = (
        make_attention().compute_weighted_averages(w, a).eval({w: weights, a: attended})
    )
    assert_allclose(result, numpy.einsum("tb,tbd->bd", weights, attended), rtol=1e-6)


def test_sequence_content_attention_take_glimpses(energies_and_mask):
    _, mask = energies_and_mask
    rng = numpy.random.RandomState(2)
    attention = make_attention()
    states_value = rng.randn(4, 3).astype(floatX)
    attended_value = rng.randn(5, 4, 4).astype(floatX)
    states, attended, m = tensor.matrix("s"), tensor.tensor3("a"), tensor.matrix("m")
    averages, weights = attention.take_glimpses(
        attended, attended_mask=m, states=states
    )
    values = symbolic.function([states, attended, m], [averages, weights])(
        states_value, attended_value, mask
    )
    expected = numpy_content_attention(attention, states_value, attended_value, mask)
    for value, reference in zip(values, expected, strict=True):
        assert_allclose(value, reference, rtol=1e-6, atol=1e-12)
    # With a precomputed preprocessing, the same glimpses.
    preprocessed = attention.preprocess(attended)
    again = attention.take_glimpses(attended, preprocessed, m, states=states)
    assert_allclose(
        again[0].eval({states: states_value, attended: attended_value, m: mask}),
        values[0],
        rtol=1e-6,
    )
    assert attention.take_glimpses.inputs == [
        "attended",
        "preprocessed_attended",
        "attended_mask",
        "states",
    ]
    assert attention.get_dim("weighted_averages") == 4
    assert attention.get_dim("weights") == 0
    assert attention.get_dim("attended_mask") == 0


def test_take_glimpses_gradient():
    rng = numpy.random.RandomState(3)
    attention = make_attention()
    attended_value = rng.randn(4, 2, 4)
    mask = numpy.array([[1, 1], [1, 1], [1, 0], [0, 0]], dtype="float64")

    def averages(states, attended):
        glimpse, _ = attention.take_glimpses(
            attended, attended_mask=tensor.constant(mask), states=states
        )
        return glimpse.sum()

    verify_grad(averages, [rng.randn(2, 3), attended_value], rng=rng)


def test_shallow_energy_computer():
    computer = ShallowEnergyComputer(weights_init=IsotropicGaussian(1))
    computer.input_dim, computer.output_dim = 3, 1
    computer.initialize()
    x = tensor.matrix("x")
    value = numpy.random.RandomState(4).randn(2, 3).astype(floatX)
    W = computer.children[1].W.get_value()
    assert_allclose(computer.apply(x).eval({x: value}), numpy.tanh(value).dot(W))
    assert computer.input_dim == 3 and computer.output_dim == 1
    assert not computer.children[1].use_bias
    with_bias = ShallowEnergyComputer(use_bias=True)
    with_bias.input_dim, with_bias.output_dim = 3, 1
    with_bias.allocate()
    assert len(with_bias.children[1].parameters) == 2


def make_attention_recurrent(**kwargs):
    transition = SimpleRecurrent(dim=3, activation=Tanh(), name="transition")
    attention = SequenceContentAttention(
        state_names=transition.apply.states,
        attended_dim=4,
        match_dim=5,
        name="attention",
    )
    recurrent = AttentionRecurrent(
        transition,
        attention,
        weights_init=IsotropicGaussian(0.5),
        biases_init=Constant(0.1),
        seed=6,
        **kwargs,
    )
    recurrent.initialize()
    return recurrent


def test_attention_recurrent_against_numpy_loop():
    recurrent = make_attention_recurrent()
    rng = numpy.random.RandomState(5)
    inputs_value = rng.randn(6, 2, 3).astype(floatX)
    attended_value = rng.randn(4, 2, 4).astype(floatX)
    attended_mask_value = numpy.array([[1, 1], [1, 1], [1, 0], [1, 0]], dtype=floatX)
    mask_value = numpy.ones((6, 2), dtype=floatX)
    mask_value[4:, 1] = 0

    inputs, attended = tensor.tensor3("inputs"), tensor.tensor3("attended")
    attended_mask, mask = tensor.matrix("attended_mask"), tensor.matrix("mask")
    states, averages, weights = recurrent.apply(
        inputs=inputs, mask=mask, attended=attended, attended_mask=attended_mask
    )
    values = symbolic.function(
        [inputs, mask, attended, attended_mask], [states, averages, weights]
    )(inputs_value, mask_value, attended_value, attended_mask_value)

    W = recurrent.transition.W.get_value()
    W_distribute = recurrent.distribute.children[0].W.get_value()
    state = numpy.zeros((2, 3))
    expected = [[], [], []]
    for t in range(6):
        glimpse, step_weights = numpy_content_attention(
            recurrent.attention, state, attended_value, attended_mask_value
        )
        new = numpy.tanh(inputs_value[t] + glimpse.dot(W_distribute) + state.dot(W))
        m = mask_value[t][:, None]
        state = m * new + (1 - m) * state
        for store, value in zip(expected, (state, glimpse, step_weights), strict=True):
            store.append(value)
    for value, reference in zip(values, expected, strict=True):
        assert_allclose(value, numpy.array(reference), rtol=1e-5, atol=1e-10)


def test_attention_recurrent_interface():
    recurrent = make_attention_recurrent()
    assert recurrent.apply.sequences == ["inputs", "mask"] or set(
        recurrent.apply.sequences
    ) == {"inputs", "mask"}
    assert recurrent.apply.contexts == ["attended", "attended_mask"]
    assert recurrent.do_apply.contexts == [
        "attended",
        "attended_mask",
        "preprocessed_attended",
    ]
    assert recurrent.apply.states == ["states", "weighted_averages", "weights"]
    assert recurrent.take_glimpses.outputs == ["weighted_averages", "weights"]
    assert recurrent.compute_states.outputs == ["states"]
    assert recurrent.initial_states.outputs == recurrent.apply.states
    assert recurrent.get_dim("weighted_averages") == 4
    assert recurrent.get_dim("attended") == 4
    assert recurrent.get_dim("attended_mask") == 0
    assert recurrent.get_dim("preprocessed_attended") == 4
    assert recurrent.get_dim("states") == 3
    assert isinstance(recurrent, AbstractAttentionRecurrent)

    # One step by hand: glimpses, then states, match apply(iterate=False).
    rng = numpy.random.RandomState(6)
    attended_value = rng.randn(4, 2, 4).astype(floatX)
    states_value = rng.randn(2, 3).astype(floatX)
    inputs_value = rng.randn(2, 3).astype(floatX)
    attended, states, inputs = (
        tensor.tensor3("attended"),
        tensor.matrix("states"),
        tensor.matrix("inputs"),
    )
    glimpses = recurrent.take_glimpses(as_dict=True, attended=attended, states=states)
    next_states = recurrent.compute_states(
        inputs=inputs, states=states, attended=attended, **glimpses
    )
    initial = recurrent.initial_states(2, attended=attended, as_dict=True)
    step = recurrent.apply(
        inputs=inputs,
        states=states,
        attended=attended,
        weighted_averages=initial["weighted_averages"],
        weights=initial["weights"],
        iterate=False,
        as_list=True,
    )
    feed = {attended: attended_value, states: states_value, inputs: inputs_value}
    assert_allclose(next_states.eval(feed), step[0].eval(feed), rtol=1e-6)
    assert initial["weights"].eval({attended: attended_value}).shape == (2, 4)


def test_attention_recurrent_uses_transition_contexts():
    class WithContexts(SimpleRecurrent):
        from blocks.bricks.recurrent import recurrent as _recurrent

        @_recurrent(
            sequences=["inputs", "mask"],
            states=["states"],
            outputs=["states"],
            contexts=["source", "source_mask"],
        )
        def apply(self, inputs, states, source, source_mask=None, mask=None):
            return SimpleRecurrent.apply(self, inputs, states, mask=mask, iterate=False)

    transition = WithContexts(dim=3, activation=Identity())
    attention = SequenceContentAttention(state_names=["states"], match_dim=2)
    recurrent = AttentionRecurrent(transition, attention, add_contexts=False)
    assert recurrent.attended_name == "source"
    assert recurrent.attended_mask_name == "source_mask"
    assert recurrent.apply.contexts == ["source", "source_mask"]
    with pytest.raises(ValueError, match="add_contexts=False"):
        AttentionRecurrent(
            SimpleRecurrent(dim=3, activation=Identity()),
            SequenceContentAttention(state_names=["states"], match_dim=2),
            add_contexts=False,
        )


@pytest.mark.parametrize(
    ("cls", "params"),
    [
        (AbstractAttention, ["state_names", "state_dims", "attended_dim"]),
        (
            SequenceContentAttention,
            [
                "match_dim",
                "state_transformer",
                "attended_transformer",
                "energy_computer",
            ],
        ),
        (ShallowEnergyComputer, ["use_bias"]),
        (
            AttentionRecurrent,
            [
                "transition",
                "attention",
                "distribute",
                "add_contexts",
                "attended_name",
                "attended_mask_name",
            ],
        ),
    ],
)
def test_documented_signatures(cls, params):
    signature = inspect.signature(cls.__init__)
    assert list(signature.parameters)[1 : 1 + len(params)] == params
    assert "kwargs" in signature.parameters
    assert issubclass(SequenceContentAttention, GenericSequenceAttention)

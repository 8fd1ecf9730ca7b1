"""Sequence generator bricks against numpy references."""

import inspect

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import GatedRecurrent, Linear, SimpleRecurrent, Tanh
from blocks.bricks.attention import AttentionRecurrent, SequenceContentAttention
from blocks.bricks.sequence_generators import (
    AbstractEmitter,
    AbstractFeedback,
    AbstractReadout,
    BaseSequenceGenerator,
    FakeAttentionRecurrent,
    LookupFeedback,
    Readout,
    SequenceGenerator,
    SoftmaxEmitter,
    TrivialEmitter,
    TrivialFeedback,
)
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from symbolic import tensor

floatX = symbolic.config.floatX


def numpy_softmax(x):
    e = numpy.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_readout_merges_sources():
    readout = Readout(
        readout_dim=4,
        source_names=["states", "feedback"],
        weights_init=IsotropicGaussian(0.5),
        biases_init=IsotropicGaussian(0.5),
    )
    readout.source_dims = [3, 2]
    readout.initialize()
    rng = numpy.random.RandomState(0)
    states_value, feedback_value = rng.randn(5, 3), rng.randn(5, 2)
    states, feedback = tensor.matrix("states"), tensor.matrix("feedback")
    value = readout.readout(states=states, feedback=feedback, other=states).eval(
        {states: states_value, feedback: feedback_value}
    )
    W_states = readout.merge.children[0].W.get_value()
    W_feedback = readout.merge.children[1].W.get_value()
    (b,) = readout.post_merge.parameters
    expected = (
        states_value.dot(W_states) + feedback_value.dot(W_feedback) + b.get_value()
    )
    assert_allclose(value, expected, rtol=1e-6)
    # With the defaults the emitter and feedback are trivial.
    assert readout.emit(states).eval({states: states_value}) is not None
    assert_allclose(readout.feedback(states).eval({states: states_value}), states_value)
    assert readout.get_dim("readouts") == 4
    assert readout.get_dim("outputs") == 4
    assert readout.get_dim("feedback") == 4


def test_readout_merged_dim_and_arguments():
    with pytest.raises(ValueError, match="merge or merge_prototype"):
        Readout(
            readout_dim=2,
            source_names=["states"],
            merge=object(),
            merge_prototype=object(),
        )
    readout = Readout(
        readout_dim=2, source_names=["states"], merged_dim=7, post_merge=Linear()
    )
    readout.source_dims = [3]
    readout.push_allocation_config()
    assert readout.merge.output_dim == 7
    assert readout.post_merge.input_dim == 7
    assert readout.post_merge.output_dim == 2


def test_trivial_emitter_and_feedback():
    emitter = TrivialEmitter(readout_dim=3)
    feedback = TrivialFeedback(output_dim=3)
    readouts = tensor.tensor3("r")
    value = numpy.random.RandomState(1).randn(2, 4, 3).astype(floatX)
    assert_allclose(emitter.emit(readouts).eval({readouts: value}), value)
    cost = emitter.cost(readouts, readouts).eval({readouts: value})
    assert cost.shape == (2, 4) and not cost.any()
    assert emitter.initial_outputs(5).eval().shape == (5, 3)
    assert_allclose(feedback.feedback(readouts).eval({readouts: value}), value)
    assert emitter.get_dim("outputs") == 3 and feedback.get_dim("feedback") == 3


def test_softmax_emitter_probs_cost_and_sampling():
    emitter = SoftmaxEmitter(theano_seed=1234, initial_output=2)
    rng = numpy.random.RandomState(2)
    readouts_value = rng.randn(3, 4, 5).astype(floatX)
    outputs_value = rng.randint(5, size=(3, 4))
    readouts, outputs = tensor.tensor3("r"), tensor.lmatrix("y")
    probs = emitter.probs(readouts).eval({readouts: readouts_value})
    assert_allclose(probs, numpy_softmax(readouts_value), rtol=1e-6)
    cost = emitter.cost(readouts, outputs).eval(
        {readouts: readouts_value, outputs: outputs_value}
    )
    expected = -numpy.log(
        numpy.take_along_axis(probs, outputs_value[..., None], axis=-1)[..., 0]
    )
    assert_allclose(cost, expected, rtol=1e-6)
    initial = emitter.initial_outputs(4).eval()
    assert initial.dtype == numpy.int64 and (initial == 2).all()
    assert emitter.get_dim("outputs") == 0

    # Sampling: a readout that puts all mass on one class always emits it,
    # and a flat one emits every class in about the right proportion.
    matrix = tensor.matrix("m")
    sample = symbolic.function([matrix], emitter.emit(matrix))
    certain = numpy.full((6, 5), -50.0, dtype=floatX)
    certain[numpy.arange(6), [0, 1, 2, 3, 4, 0]] = 50
    assert sample(certain).tolist() == [0, 1, 2, 3, 4, 0]
    draws = sample(numpy.zeros((5000, 5), dtype=floatX))
    counts = numpy.bincount(draws, minlength=5) / 5000.0
    assert_allclose(counts, 0.2, atol=0.03)


def test_lookup_feedback():
    feedback = LookupFeedback(num_outputs=6, feedback_dim=3)
    feedback.weights_init = IsotropicGaussian(1)
    feedback.initialize()
    outputs = tensor.lmatrix("y")
    value = numpy.array([[0, 5], [3, 3]])
    W = feedback.lookup.W.get_value()
    assert_allclose(feedback.feedback(outputs).eval({outputs: value}), W[value])
    assert feedback.get_dim("feedback") == 3
    feedback.output_dim = 2
    with pytest.raises(ValueError, match="integer outputs"):
        feedback.feedback(outputs)


def make_language_model(seed=1, dim=4, vocab=5):
    """A SimpleRecurrent generator over integers, no attention."""
    transition = SimpleRecurrent(dim=dim, activation=Tanh(), name="transition")
    readout = Readout(
        readout_dim=vocab,
        source_names=["states"],
        emitter=SoftmaxEmitter(theano_seed=seed, name="emitter"),
        feedback_brick=LookupFeedback(vocab, dim),
        name="readout",
    )
    generator = SequenceGenerator(
        readout,
        transition,
        weights_init=IsotropicGaussian(0.5),
        biases_init=IsotropicGaussian(0.5),
        seed=seed,
        name="generator",
    )
    generator.initialize()
    return generator


def numpy_language_model_costs(generator, outputs, mask):
    """Per-step costs of the generator above, step by step in numpy."""
    transition = generator.transition.transition
    W = transition.W.get_value()
    state = numpy.tile(transition.parameters[1].get_value(), (outputs.shape[1], 1))
    embeddings = generator.readout.feedback_brick.lookup.W.get_value()
    fork = generator.fork.children[0]
    W_fork, b_fork = fork.W.get_value(), fork.b.get_value()
    W_readout = generator.readout.merge.children[0].W.get_value()
    b_readout = generator.readout.post_merge.parameters[0].get_value()
    costs = numpy.zeros(outputs.shape)
    for t in range(outputs.shape[0]):
        probs = numpy_softmax(state.dot(W_readout) + b_readout)
        costs[t] = -numpy.log(probs[numpy.arange(outputs.shape[1]), outputs[t]])
        new = numpy.tanh(embeddings[outputs[t]].dot(W_fork) + b_fork + state.dot(W))
        m = mask[t][:, None]
        state = m * new + (1 - m) * state
    return costs * mask


def test_cost_matrix_against_numpy_steps():
    generator = make_language_model()
    rng = numpy.random.RandomState(3)
    outputs_value = rng.randint(5, size=(6, 3))
    mask_value = numpy.ones((6, 3), dtype=floatX)
    mask_value[4:, 0] = 0
    mask_value[2:, 2] = 0
    outputs, mask = tensor.lmatrix("y"), tensor.matrix("mask")
    costs = generator.cost_matrix(outputs, mask)
    cost = generator.cost(outputs, mask)
    per_element = VariableFilter(name="per_sequence_element")(ComputationGraph(cost))
    values = symbolic.function([outputs, mask], [costs, cost, per_element[0]])(
        outputs_value, mask_value
    )
    expected = numpy_language_model_costs(generator, outputs_value, mask_value)
    assert_allclose(values[0], expected, rtol=1e-6)
    assert_allclose(values[1], expected.sum(axis=0).mean(), rtol=1e-6)
    assert_allclose(values[2], expected.sum() / mask_value.sum(), rtol=1e-6)
    # The final states are available for the next batch.
    finals = VariableFilter(name="states_final_value")(ComputationGraph(costs))
    assert finals


def test_cost_gradient_by_finite_differences():
    generator = make_language_model(dim=3, vocab=4)
    outputs_value = numpy.random.RandomState(4).randint(4, size=(4, 2))
    outputs = tensor.lmatrix("y")
    cost = generator.cost(outputs)
    parameters = ComputationGraph(cost).parameters
    gradients = symbolic.grad(cost, parameters)
    compute = symbolic.function([outputs], [cost, *gradients])
    _, *analytic = compute(outputs_value)
    rng = numpy.random.RandomState(5)
    eps = 1e-6
    for parameter, gradient in zip(parameters, analytic, strict=True):
        value = parameter.get_value()
        index = tuple(rng.randint(n) for n in value.shape)
        shifted = value.copy()
        shifted[index] += eps
        parameter.set_value(shifted)
        up = compute(outputs_value)[0]
        shifted[index] -= 2 * eps
        parameter.set_value(shifted)
        down = compute(outputs_value)[0]
        parameter.set_value(value)
        assert_allclose(gradient[index], (up - down) / (2 * eps), rtol=1e-4, atol=1e-7)


def generate_function(generator, n_steps=7, batch_size=3, **contexts):
    results = generator.generate(
        n_steps=n_steps, batch_size=batch_size, iterate=True, as_dict=True, **contexts
    )
    updates = ComputationGraph(list(results.values())).updates
    return results, updates


def test_generate_is_reproducible_and_priced_like_cost_matrix():
    samples = []
    for _ in range(2):
        generator = make_language_model(seed=7)
        results, updates = generate_function(generator)
        compute = symbolic.function(
            [], [results["outputs"], results["costs"]], updates=updates
        )
        samples.append(compute())
    assert samples[0][0].shape == (7, 3)
    assert (samples[0][0] == samples[1][0]).all()
    assert_allclose(samples[0][1], samples[1][1])
    # Random streams advance: a second call draws other outputs.
    again = compute()
    assert not (again[0] == samples[1][0]).all()

    # generate's costs are those cost_matrix gives its outputs.
    outputs, costs = samples[0]
    y = tensor.lmatrix("y")
    expected = generator.cost_matrix(y).eval({y: outputs})
    assert_allclose(costs, expected, rtol=1e-6)
    assert_allclose(
        costs, numpy_language_model_costs(generator, outputs, numpy.ones(costs.shape))
    )


def make_attention_generator(seed=1):
    transition = GatedRecurrent(dim=4, name="transition")
    attention = SequenceContentAttention(
        state_names=transition.apply.states,
        attended_dim=3,
        match_dim=5,
        name="attention",
    )
    readout = Readout(
        readout_dim=6,
        source_names=["states", "feedback", attention.take_glimpses.outputs[0]],
        emitter=SoftmaxEmitter(theano_seed=seed, name="emitter"),
        feedback_brick=LookupFeedback(6, 2),
        name="readout",
    )
    generator = SequenceGenerator(
        readout,
        transition,
        attention=attention,
        weights_init=IsotropicGaussian(0.5),
        biases_init=Constant(0.1),
        seed=seed,
        name="generator",
    )
    generator.initialize()
    return generator


def test_attention_generator():
    generator = make_attention_generator()
    assert isinstance(generator.transition, AttentionRecurrent)
    assert generator.generate.states == [
        "states",
        "outputs",
        "weighted_averages",
        "weights",
    ]
    assert generator.generate.outputs[-1] == "costs"
    assert generator.generate.contexts == ["attended", "attended_mask"]
    rng = numpy.random.RandomState(8)
    attended_value = rng.randn(5, 3, 3).astype(floatX)
    attended_mask_value = numpy.ones((5, 3), dtype=floatX)
    attended_mask_value[3:, 1] = 0
    attended, attended_mask = tensor.tensor3("a"), tensor.matrix("am")
    results, updates = generate_function(
        generator, attended=attended, attended_mask=attended_mask
    )
    compute = symbolic.function(
        [attended, attended_mask],
        [results["outputs"], results["costs"], results["weights"]],
        updates=updates,
    )
    outputs, costs, weights = compute(attended_value, attended_mask_value)
    assert outputs.shape == (7, 3) and weights.shape == (7, 3, 5)
    assert_allclose(weights.sum(axis=-1), 1, rtol=1e-6)
    assert (weights[:, 1, 3:] == 0).all()
    y = tensor.lmatrix("y")
    cost_matrix = generator.cost_matrix(
        y, attended=attended, attended_mask=attended_mask
    )
    expected = cost_matrix.eval(
        {y: outputs, attended: attended_value, attended_mask: attended_mask_value}
    )
    assert_allclose(costs, expected, rtol=1e-6)


def test_fake_attention_recurrent():
    transition = SimpleRecurrent(dim=3, activation=Tanh())
    fake = FakeAttentionRecurrent(transition)
    assert fake.take_glimpses.outputs == []
    assert fake.compute_states.outputs == ["states"]
    assert fake.apply.contexts == []
    assert fake.initial_states.outputs == ["states"]
    assert fake.get_dim("states") == 3
    with pytest.raises(TypeError, match="AbstractAttentionRecurrent"):
        BaseSequenceGenerator(
            Readout(readout_dim=2, source_names=["states"]), transition, None
        )


@pytest.mark.parametrize(
    ("cls", "params"),
    [
        (BaseSequenceGenerator, ["readout", "transition", "fork"]),
        (AbstractReadout, ["source_names", "readout_dim"]),
        (
            Readout,
            [
                "emitter",
                "feedback_brick",
                "merge",
                "merge_prototype",
                "post_merge",
                "merged_dim",
            ],
        ),
        (TrivialEmitter, ["readout_dim"]),
        (SoftmaxEmitter, ["initial_output"]),
        (TrivialFeedback, ["output_dim"]),
        (LookupFeedback, ["num_outputs", "feedback_dim"]),
        (FakeAttentionRecurrent, ["transition"]),
        (SequenceGenerator, ["readout", "transition", "attention", "add_contexts"]),
    ],
)
def test_documented_signatures(cls, params):
    signature = inspect.signature(cls.__init__)
    assert list(signature.parameters)[1 : 1 + len(params)] == params
    assert "kwargs" in signature.parameters
    assert issubclass(SoftmaxEmitter, AbstractEmitter)
    assert issubclass(LookupFeedback, AbstractFeedback)

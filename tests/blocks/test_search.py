"""Beam search against brute-force search."""

import itertools

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import GatedRecurrent
from blocks.bricks.attention import SequenceContentAttention
from blocks.bricks.sequence_generators import (
    LookupFeedback,
    Readout,
    SequenceGenerator,
    SoftmaxEmitter,
)
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.search import BeamSearch
from symbolic import tensor

floatX = symbolic.config.floatX
VOCAB, EOL, MAX_LENGTH = 3, 0, 3


def test_smallest():
    matrix = numpy.array([[4, 1, 9], [2, 7, 0.5]])
    (rows, columns), values = BeamSearch._smallest(matrix, 3)
    assert rows.tolist() == [1, 0, 1]
    assert columns.tolist() == [2, 1, 0]
    assert values.tolist() == [0.5, 1, 2]
    (rows, columns), values = BeamSearch._smallest(matrix, 2, only_first_row=True)
    assert rows.tolist() == [0, 0] and columns.tolist() == [1, 0]
    assert values.tolist() == [1, 4]
    # Asking for every element, or more, gives them all, sorted.
    _, values = BeamSearch._smallest(matrix, 10)
    assert values.tolist() == sorted(matrix.flatten())


@pytest.fixture(scope="module")
def generator():
    transition = GatedRecurrent(dim=3, name="transition")
    attention = SequenceContentAttention(
        state_names=transition.apply.states,
        attended_dim=2,
        match_dim=3,
        name="attention",
    )
    readout = Readout(
        readout_dim=VOCAB,
        source_names=["states", "feedback", "weighted_averages"],
        emitter=SoftmaxEmitter(theano_seed=1, name="emitter"),
        feedback_brick=LookupFeedback(VOCAB, 2),
        name="readout",
    )
    generator = SequenceGenerator(
        readout,
        transition,
        attention=attention,
        weights_init=IsotropicGaussian(1.0),
        biases_init=Constant(0.2),
        seed=11,
        name="generator",
    )
    generator.initialize()
    return generator


@pytest.fixture(scope="module")
def attended_value():
    return numpy.random.RandomState(12).randn(4, 1, 2).astype(floatX)


def brute_force(generator, attended_value):
    """Every finished or full-length sequence and its cost, cheapest first."""
    candidates = []
    for length in range(1, MAX_LENGTH + 1):
        for prefix in itertools.product(range(1, VOCAB), repeat=length - 1):
            candidates.append([*prefix, EOL])
            if length == MAX_LENGTH:
                candidates.extend([*prefix, symbol] for symbol in range(1, VOCAB))
    n = len(candidates)
    outputs = numpy.zeros((MAX_LENGTH, n), dtype="int64")
    mask = numpy.zeros((MAX_LENGTH, n), dtype=floatX)
    for i, candidate in enumerate(candidates):
        outputs[: len(candidate), i] = candidate
        mask[: len(candidate), i] = 1
    y, m, attended = tensor.lmatrix("y"), tensor.matrix("m"), tensor.tensor3("a")
    costs = generator.cost_matrix(y, m, attended=attended).eval(
        {y: outputs, m: mask, attended: numpy.tile(attended_value, (1, n, 1))}
    )
    totals = costs.sum(axis=0)
    order = numpy.argsort(totals, kind="stable")
    return [candidates[i] for i in order], totals[order]


def make_search(generator, beam_size):
    attended = tensor.tensor3("attended")
    results = generator.generate(
        n_steps=MAX_LENGTH,
        batch_size=attended.shape[1],
        iterate=True,
        attended=attended,
    )
    (samples,) = VariableFilter(applications=[generator.generate], name="outputs")(
        ComputationGraph(results[1])
    )
    return attended, BeamSearch(samples)


def test_beam_search_equals_brute_force(generator, attended_value):
    expected_outputs, expected_costs = brute_force(generator, attended_value)
    # A beam as wide as the number of sequences makes the search exact.
    beam_size = len(expected_outputs)
    attended, search = make_search(generator, beam_size)
    inputs = {attended: numpy.tile(attended_value, (1, beam_size, 1))}
    outputs, costs = search.search(inputs, EOL, MAX_LENGTH)
    finite = [i for i, cost in enumerate(costs) if numpy.isfinite(cost)]
    assert [outputs[i] for i in finite] == expected_outputs
    assert_allclose([costs[i] for i in finite], expected_costs, rtol=1e-6)

    # A narrow beam finds the best sequence here too, first.
    narrow_size = 4
    attended, narrow = make_search(generator, narrow_size)
    inputs = {attended: numpy.tile(attended_value, (1, narrow_size, 1))}
    narrow_outputs, narrow_costs = narrow.search(inputs, EOL, MAX_LENGTH)
    assert len(narrow_outputs) == narrow_size
    assert narrow_costs == sorted(narrow_costs)
    assert narrow_outputs[0] == expected_outputs[0]
    assert_allclose(narrow_costs[0], expected_costs[0], rtol=1e-6)

    # The arrays give the same result as the lists.
    arrays = narrow.search(inputs, EOL, MAX_LENGTH, as_arrays=True)
    outputs_array, mask_array, costs_array = arrays
    assert outputs_array.shape == mask_array.shape == costs_array.shape
    assert outputs_array.shape[1] == narrow_size
    assert BeamSearch.result_to_lists(arrays) == (narrow_outputs, narrow_costs)
    assert_allclose((costs_array * 1).sum(axis=0), narrow_costs)


def test_beam_search_ignore_first_eol(generator, attended_value):
    attended, search = make_search(generator, 3)
    inputs = {attended: numpy.tile(attended_value, (1, 3, 1))}
    outputs, mask, _ = search.search(
        inputs, EOL, 2, ignore_first_eol=True, as_arrays=True
    )
    # No sequence ends at its first output.
    assert outputs.shape == (2, 3)
    assert (mask[:2] == 1).all()
    search.compile()
    contexts, states, beam_size = search.compute_initial_states_and_contexts(inputs)
    assert beam_size == 3
    # The preprocessed attended is computed once, as a context.
    assert list(contexts) == ["attended", "preprocessed_attended"]
    assert contexts["preprocessed_attended"].shape == (4, 3, 3)
    assert list(states) == ["states", "outputs", "weighted_averages", "weights"]
    logprobs = search.compute_logprobs(contexts, states)
    assert logprobs.shape == (3, VOCAB)
    assert_allclose(numpy.exp(-logprobs).sum(axis=1), 1, rtol=1e-6)
    next_states = search.compute_next_states(contexts, states, numpy.array([1, 2, 0]))
    assert next_states["outputs"].tolist() == [1, 2, 0]
    # Given the step's glimpses, the same next states.
    _, *glimpses = search._logprobs_and_glimpses(
        *contexts.values(), *(states[name] for name in search.input_states)
    )
    assert len(glimpses) == 2
    again = search.compute_next_states(
        contexts, states, numpy.array([1, 2, 0]), glimpses
    )
    for name in next_states:
        assert_allclose(again[name], next_states[name], rtol=1e-6)


def test_beam_search_needs_generate_outputs(generator):
    x = tensor.matrix("x")
    with pytest.raises(ValueError, match="sequence generator"):
        BeamSearch(x * 2)


def test_documented_interface():
    import inspect

    import blocks.search

    assert blocks.search.__all__ == ["BeamSearch"]
    assert list(inspect.signature(BeamSearch).parameters) == ["samples"]
    assert list(inspect.signature(BeamSearch.search).parameters) == [
        "self",
        "input_values",
        "eol_symbol",
        "max_length",
        "ignore_first_eol",
        "as_arrays",
    ]
    for name in (
        "compile",
        "compute_initial_states_and_contexts",
        "compute_logprobs",
        "compute_next_states",
    ):
        assert callable(getattr(BeamSearch, name))
    assert list(inspect.signature(BeamSearch._smallest).parameters) == [
        "matrix",
        "k",
        "only_first_row",
    ]
    assert list(inspect.signature(BeamSearch.result_to_lists).parameters) == ["result"]


def test_beam_search_without_attention_or_contexts():
    from blocks.bricks import SimpleRecurrent, Tanh

    generator = SequenceGenerator(
        Readout(
            readout_dim=VOCAB,
            source_names=["states"],
            emitter=SoftmaxEmitter(theano_seed=2),
            feedback_brick=LookupFeedback(VOCAB, 2),
        ),
        SimpleRecurrent(dim=3, activation=Tanh()),
        weights_init=IsotropicGaussian(1.0),
        biases_init=Constant(0.3),
        seed=3,
    )
    generator.initialize()
    n = tensor.lscalar("n")
    searches = []
    for batch_size in (n, 9):
        results = generator.generate(
            n_steps=MAX_LENGTH, batch_size=batch_size, iterate=True
        )
        (samples,) = VariableFilter(applications=[generator.generate], name="outputs")(
            ComputationGraph(results[1])
        )
        searches.append(BeamSearch(samples))
    symbolic_size = searches[0].search({n: 9}, EOL, MAX_LENGTH)
    number_size = searches[1].search({}, EOL, MAX_LENGTH)
    assert symbolic_size == number_size
    outputs, costs = number_size
    # Each cost is that of cost_matrix for the sequence.
    y, m = tensor.lmatrix("y"), tensor.matrix("m")
    price = symbolic.function([y, m], generator.cost_matrix(y, m).sum(axis=0))
    for output, cost in zip(outputs, costs, strict=True):
        padded = numpy.zeros((MAX_LENGTH, 1), dtype="int64")
        padded[: len(output), 0] = output
        mask = numpy.zeros((MAX_LENGTH, 1), dtype=floatX)
        mask[: len(output)] = 1
        assert_allclose(price(padded, mask)[0], cost, rtol=1e-6)

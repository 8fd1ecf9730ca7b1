"""ChainCRF against brute-force enumeration of all tag sequences."""

import itertools
import pickle

import numpy
import pytest

import symbolic
from blocks.bricks import Linear
from blocks.bricks.crf import ChainCRF
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.roles import BIAS, WEIGHT
from symbolic import tensor
from symbolic.gradient import verify_grad
from tests.helpers.brick_training import train_and_report

floatX = symbolic.config.floatX


def make_crf(num_tags=3, seed=1, **kwargs):
    crf = ChainCRF(
        num_tags=num_tags,
        weights_init=IsotropicGaussian(1.0),
        biases_init=IsotropicGaussian(1.0),
        seed=seed,
        **kwargs,
    )
    crf.initialize()
    return crf


def brute_force(crf, unaries, mask):
    """Per sequence: log Z and all (score, tags) pairs, by enumeration."""
    A = crf.transitions.get_value()
    start = crf.start_transitions.get_value()
    end = crf.end_transitions.get_value()
    results = []
    for b in range(unaries.shape[1]):
        length = int(mask[:, b].sum())
        scored = {}
        for tags in itertools.product(range(crf.num_tags), repeat=length):
            score = start[tags[0]] + end[tags[-1]]
            score += sum(unaries[t, b, tags[t]] for t in range(length))
            score += sum(A[tags[t - 1], tags[t]] for t in range(1, length))
            scored[tags] = score
        log_z = numpy.logaddexp.reduce(list(scored.values()))
        results.append((log_z, scored))
    return results


def tiny_case(seed=0, steps=4, batch=3, num_tags=3):
    rng = numpy.random.RandomState(seed)
    unaries = rng.randn(steps, batch, num_tags).astype(floatX)
    tags = rng.randint(0, num_tags, (steps, batch)).astype("int32")
    mask = numpy.ones((steps, batch), dtype=floatX)
    mask[3:, 1] = 0
    mask[1:, 2] = 0
    return unaries, tags, mask


def variables():
    return tensor.tensor3("unaries"), tensor.imatrix("tags"), tensor.matrix("mask")


def test_likelihood_matches_enumeration():
    crf = make_crf()
    unaries, tags, mask = tiny_case()
    u, y, m = variables()
    nll = symbolic.function([u, y, m], crf.negative_log_likelihood(u, y, m))(
        unaries, tags, mask
    )
    log_z = symbolic.function([u, m], crf.log_partition(u, m))(unaries, mask)
    for b, (expected_log_z, scored) in enumerate(brute_force(crf, unaries, mask)):
        length = int(mask[:, b].sum())
        expected = expected_log_z - scored[tuple(tags[:length, b])]
        numpy.testing.assert_allclose(log_z[b], expected_log_z, rtol=1e-5)
        numpy.testing.assert_allclose(nll[b], expected, rtol=1e-5)


def test_probabilities_sum_to_one_without_mask():
    crf = make_crf(num_tags=2)
    unaries = numpy.random.RandomState(3).randn(3, 1, 2).astype(floatX)
    u, y, _ = variables()
    nll = symbolic.function([u, y], crf.negative_log_likelihood(u, y))
    total = sum(
        numpy.exp(-nll(unaries, numpy.array(tags, dtype="int32")[:, None])[0])
        for tags in itertools.product(range(2), repeat=3)
    )
    numpy.testing.assert_allclose(total, 1.0, rtol=1e-5)


def test_large_transition_gaps_stay_finite():
    crf = make_crf()
    transitions = crf.transitions.get_value()
    transitions[:, 0] = -300.0
    crf.transitions.set_value(transitions)
    unaries, tags, mask = tiny_case(seed=2)
    unaries[0, :, 1] = 200.0
    u, y, m = variables()
    cost = crf.cost(u, y, m)
    values = symbolic.function(
        [u, y, m], [cost, *symbolic.grad(cost, [u, crf.transitions])]
    )(unaries, tags, mask)
    assert all(numpy.isfinite(v).all() for v in values)
    log_z = symbolic.function([u, m], crf.log_partition(u, m))(unaries, mask)
    expected = [z for z, _ in brute_force(crf, unaries, mask)]
    numpy.testing.assert_allclose(log_z, expected, rtol=1e-5)


def test_viterbi_matches_enumeration():
    crf = make_crf(seed=4)
    unaries, _, mask = tiny_case(seed=5)
    u, _, m = variables()
    decoded = symbolic.function([u, m], crf.decode(u, m))(unaries, mask)
    assert decoded.shape == mask.shape
    for b, (_, scored) in enumerate(brute_force(crf, unaries, mask)):
        length = int(mask[:, b].sum())
        best = max(scored, key=scored.get)
        assert tuple(decoded[:length, b]) == best
        assert (decoded[length:, b] == 0).all()


def test_viterbi_without_mask():
    crf = make_crf(seed=6)
    unaries = numpy.random.RandomState(7).randn(5, 2, 3).astype(floatX)
    u = tensor.tensor3("u")
    decoded = symbolic.function([u], crf.decode(u))(unaries)
    full = numpy.ones((5, 2), dtype=floatX)
    for b, (_, scored) in enumerate(brute_force(crf, unaries, full)):
        assert tuple(decoded[:, b]) == max(scored, key=scored.get)


def test_gradients_by_finite_differences():
    crf = make_crf()
    unaries, tags, mask = tiny_case(seed=8)
    rng = numpy.random.RandomState(9)

    def fun(unaries_, transitions_, start_, end_):
        nll = crf.negative_log_likelihood(
            unaries_, symbolic.shared(tags), symbolic.shared(mask)
        )
        return symbolic.clone(
            nll,
            replace={
                crf.transitions: transitions_,
                crf.start_transitions: start_,
                crf.end_transitions: end_,
            },
        )

    point = [
        unaries,
        crf.transitions.get_value(),
        crf.start_transitions.get_value(),
        crf.end_transitions.get_value(),
    ]
    verify_grad(fun, point, rng=rng)


def test_l1_penalty_and_cost():
    crf = make_crf(l1_regularization=0.5)
    unaries, tags, mask = tiny_case()
    u, y, m = variables()
    cost = symbolic.function([u, y, m], crf.cost(u, y, m))(unaries, tags, mask)
    nll = symbolic.function([u, y, m], crf.negative_log_likelihood(u, y, m))(
        unaries, tags, mask
    )
    expected = nll.mean() + 0.5 * abs(crf.transitions.get_value()).sum()
    numpy.testing.assert_allclose(cost, expected, rtol=1e-5)


def test_bad_inputs_are_named():
    crf = make_crf()
    with pytest.raises(ValueError, match="unaries must be"):
        crf.log_partition(tensor.matrix())
    with pytest.raises(TypeError, match="tags must be integers"):
        crf.score(tensor.tensor3(), tensor.matrix())


def test_roles_and_pickling():
    crf = make_crf(name="crf")
    u, y, m = variables()
    graph = ComputationGraph(crf.cost(u, y, m))
    assert VariableFilter(roles=[WEIGHT])(graph.parameters) == [crf.transitions]
    assert set(VariableFilter(roles=[BIAS])(graph.parameters)) == {
        crf.start_transitions,
        crf.end_transitions,
    }
    copy = pickle.loads(pickle.dumps(crf))
    unaries, tags, mask = tiny_case()
    numpy.testing.assert_allclose(
        symbolic.function([u, y, m], copy.cost(u, y, m))(unaries, tags, mask),
        symbolic.function([u, y, m], crf.cost(u, y, m))(unaries, tags, mask),
    )


def test_training_lowers_cost():
    rng = numpy.random.RandomState(10)
    steps, batch, features, num_tags = 6, 8, 5, 3
    x = tensor.tensor3("x")
    y = tensor.imatrix("y")
    linear = Linear(
        features, num_tags, weights_init=IsotropicGaussian(0.1), biases_init=Constant(0)
    )
    crf = ChainCRF(num_tags, weights_init=Constant(0), biases_init=Constant(0))
    linear.initialize()
    crf.initialize()
    cost = crf.cost(linear.apply(x), y)
    data = {
        "x": rng.randn(steps, batch, features).astype(floatX),
        "y": rng.randint(0, num_tags, (steps, batch)).astype("int32"),
    }
    before, after = train_and_report(cost, data, learning_rate=0.5, epochs=15)
    assert after < before

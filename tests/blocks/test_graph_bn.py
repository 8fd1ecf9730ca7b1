import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import BatchNormalization, BatchNormalizedMLP, Sequence, Tanh
from blocks.filter import VariableFilter, get_application_call
from blocks.graph import (
    ComputationGraph,
    apply_batch_normalization,
    batch_normalization,
    get_batch_normalization_updates,
)
from blocks.initialization import Constant
from blocks.roles import BATCH_NORM_POPULATION_STATISTICS, OUTPUT, has_roles
from symbolic import tensor

floatX = symbolic.config.floatX


def training_modes(cg):
    outputs = VariableFilter(bricks=[BatchNormalization], roles=[OUTPUT])(cg)
    return [get_application_call(var).metadata["training_mode"] for var in outputs]


def test_batch_normalization_context():
    mlp = BatchNormalizedMLP([Tanh(), Tanh()], [5, 7, 9])
    x = tensor.matrix("x")
    with batch_normalization(mlp):
        y = mlp.apply(x)
    assert training_modes(ComputationGraph([y])) == [True, True]
    assert training_modes(ComputationGraph([mlp.apply(x)])) == [False, False]
    bricks = [act.children[0] for act in mlp.activations]
    with pytest.raises(RuntimeError):
        with batch_normalization(mlp):
            assert all(brick._training_mode for brick in bricks)
            raise RuntimeError
    assert not any(brick._training_mode for brick in bricks)


def test_apply_batch_normalization():
    x = tensor.matrix("x")
    mlp = BatchNormalizedMLP([Tanh(), Tanh()], [3, 4, 2], weights_init=Constant(0.5))
    mlp.initialize()
    y = mlp.apply(x)
    cg = ComputationGraph([y])
    training_cg = apply_batch_normalization(cg)
    assert training_modes(training_cg) == [True, True]
    with batch_normalization(mlp):
        y_expected = mlp.apply(x)
    x_val = numpy.random.RandomState(1).normal(size=(6, 3)).astype(floatX)
    assert_allclose(
        training_cg.outputs[0].eval({x: x_val}),
        y_expected.eval({x: x_val}),
        rtol=1e-5,
    )
    with pytest.raises(ValueError, match="already has"):
        apply_batch_normalization(training_cg)


def test_get_batch_normalization_updates():
    x = tensor.matrix("x")
    mlp = BatchNormalizedMLP([Tanh(), Tanh()], [3, 4, 2])
    y = mlp.apply(x)
    training_cg = apply_batch_normalization(ComputationGraph([y]))
    updates = get_batch_normalization_updates(training_cg)
    assert len(updates) == 4
    bricks = [act.children[0] for act in mlp.activations]
    populations = {population for population, _ in updates}
    assert populations == {
        var
        for brick in bricks
        for var in (brick.population_mean, brick.population_stdev)
    }
    for population, estimate in updates:
        assert has_roles(population, [BATCH_NORM_POPULATION_STATISTICS])
        assert population.broadcastable == estimate.broadcastable
    with pytest.raises(ValueError, match="no BatchNormalization"):
        get_batch_normalization_updates(ComputationGraph([y]))


def test_updates_mean_only_and_duplicates():
    x = tensor.matrix("x")
    brick = BatchNormalization(3, mean_only=True)
    other = BatchNormalization(3)
    seq = Sequence([brick.apply, other.apply, brick.apply])
    with batch_normalization(seq):
        y = seq.apply(x)
    cg = ComputationGraph([y])
    with pytest.raises(ValueError, match="more than once"):
        get_batch_normalization_updates(cg)
    updates = get_batch_normalization_updates(cg, allow_duplicates=True)
    names = [population.name for population, _ in updates]
    assert names.count("population_mean") == 3
    assert names.count("population_stdev") == 1

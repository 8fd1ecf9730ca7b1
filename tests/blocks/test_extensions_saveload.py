import logging
import os
import tarfile
from collections import OrderedDict

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.algorithms import GradientDescent, Scale
from blocks.bricks import MLP, Tanh
from blocks.extensions import FinishAfter, TrainingExtension
from blocks.extensions.predicates import OnLogRecord
from blocks.extensions.saveload import LOADED_FROM, SAVED_TO, Checkpoint, Load
from blocks.extensions.stopping import EarlyStopping
from blocks.extensions.training import TrackTheBest
from blocks.initialization import IsotropicGaussian
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.serialization import load, load_parameters
from blocks.utils.testing import MockMainLoop
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from symbolic import tensor
from tests.helpers.training_loop import Recorder, WriteRecord, make_main_loop

floatX = symbolic.config.floatX


def make_training(seed=1, extensions=()):
    mlp = MLP([Tanh(), None], [3, 4, 2], weights_init=IsotropicGaussian(0.5))
    mlp.biases_init = IsotropicGaussian(0.1)
    mlp.seed = seed
    mlp.initialize()
    x = tensor.matrix("features", dtype=floatX)
    cost = (mlp.apply(x) ** 2).mean()
    cost.name = "cost"
    model = Model(cost)
    rng = numpy.random.RandomState(0)
    data = rng.normal(size=(12, 3)).astype(floatX)
    stream = DataStream(
        IndexableDataset(OrderedDict([("features", data)])),
        iteration_scheme=SequentialScheme(12, 4),
    )
    algorithm = GradientDescent(
        cost=cost, parameters=model.parameters, step_rule=Scale(0.1)
    )
    return MainLoop(algorithm, stream, model=model, extensions=list(extensions))


def test_checkpoint_every_n_batches(tmp_path):
    path = str(tmp_path / "checkpoint.tar")
    main_loop = make_training(
        extensions=[
            Checkpoint(path, every_n_batches=2, save_separately=["log"]),
            FinishAfter(after_n_batches=5),
        ]
    )
    main_loop.run()
    log = main_loop.log
    assert log[2][SAVED_TO] == (path,)
    assert log[4][SAVED_TO] == (path,)
    assert SAVED_TO not in log[3]
    # Saved once more after training.
    assert log[5][SAVED_TO] == (path,)
    with tarfile.open(path) as tar:
        assert tar.getnames() == ["_parameters", "_pkl", "log"]
    with open(path, "rb") as f:
        parameters = load_parameters(f)
        loaded = load(f)
        loaded_log = load(f, "log")
    assert sorted(parameters) == sorted(main_loop.model.get_parameter_dict())
    for name, value in main_loop.model.get_parameter_values().items():
        assert_allclose(parameters[name], value)
    assert loaded.status["iterations_done"] == 5
    assert loaded_log.status["iterations_done"] == 5


def test_checkpoint_without_main_loop_or_model(tmp_path):
    path = str(tmp_path / "parameters.tar")
    main_loop = make_training(
        extensions=[
            Checkpoint(path, save_main_loop=False),
            FinishAfter(after_n_batches=1),
        ]
    )
    main_loop.run()
    with tarfile.open(path) as tar:
        assert tar.getnames() == ["_parameters"]
    path = str(tmp_path / "no_model.tar")
    main_loop = make_main_loop([Checkpoint(path), FinishAfter(after_n_batches=1)])
    main_loop.run()
    with tarfile.open(path) as tar:
        assert tar.getnames() == ["_pkl"]


@pytest.mark.parametrize("where", ["missing_folder", "folder"])
def test_unwritable_checkpoint_path_fails_before_training(tmp_path, where):
    path = (
        tmp_path / "missing" / "checkpoint.tar"
        if where == "missing_folder"
        else tmp_path
    )
    recorder = Recorder()
    main_loop = make_main_loop(
        [
            Checkpoint(str(path), after_epoch=True),
            recorder,
            FinishAfter(after_n_epochs=1),
        ]
    )
    with pytest.raises(ValueError, match="checkpoint"):
        main_loop.run()
    assert main_loop.algorithm.initialized == 0
    assert main_loop.algorithm.batches == []
    assert [name for name, _, _ in recorder.calls] == ["on_error"]


def test_unwritable_path_given_as_argument_fails_before_training(tmp_path):
    checkpoint = Checkpoint(str(tmp_path / "ok.tar"))
    checkpoint.add_condition(["after_epoch"], arguments=(str(tmp_path / "a" / "b"),))
    main_loop = make_main_loop([checkpoint])
    with pytest.raises(ValueError, match="does not exist"):
        main_loop.run()


def test_checkpoint_to_a_path_given_as_argument(tmp_path):
    default, other = str(tmp_path / "default.tar"), str(tmp_path / "other.tar")
    checkpoint = Checkpoint(default, after_training=False)
    checkpoint.add_condition(["after_batch"], arguments=(other,))
    main_loop = make_main_loop([checkpoint, FinishAfter(after_n_batches=1)])
    main_loop.run()
    assert main_loop.log[1][SAVED_TO] == (other,)
    assert os.path.exists(other) and not os.path.exists(default)


def test_load_parameters_log_and_iteration_state(tmp_path):
    path = str(tmp_path / "checkpoint.tar")
    first = make_training(
        seed=1, extensions=[Checkpoint(path), FinishAfter(after_n_batches=2)]
    )
    first.run()
    trained = first.model.get_parameter_values()

    second = make_training(seed=2, extensions=[Load(path, True, True)])
    second.extensions.append(FinishAfter(after_n_batches=3))
    for name, value in second.model.get_parameter_values().items():
        assert not numpy.allclose(value, trained[name])
    second.run()
    log = second.log
    assert log.status["resumed_from"] == first.log.h_uuid
    assert log[2][LOADED_FROM] == path
    # Training went on from the second batch with the loaded parameters:
    # one step from the same point gives the same values as the original.
    first.extensions[-1].set_conditions(after_n_batches=3)
    first.extensions[0].set_conditions()
    first.run()
    for name, value in first.model.get_parameter_values().items():
        assert_allclose(second.model.get_parameter_values()[name], value, rtol=1e-6)


def test_load_skips_a_missing_file(tmp_path, caplog):
    main_loop = make_training(
        extensions=[Load(str(tmp_path / "none.tar")), FinishAfter(after_n_batches=1)]
    )
    with caplog.at_level(logging.WARNING):
        main_loop.run()
    assert "no checkpoint" in caplog.text
    assert LOADED_FROM not in main_loop.log[0]


def test_load_reports_a_broken_file(tmp_path):
    path = tmp_path / "broken.tar"
    path.write_bytes(b"garbage" * 100)
    main_loop = make_training(extensions=[Load(str(path))])
    with pytest.raises(RuntimeError, match="failed to load"):
        main_loop.run()


def test_early_stopping_saves_the_best_model(tmp_path):
    best = str(tmp_path / "best.tar")
    checkpoint = Checkpoint(str(tmp_path / "last.tar"), after_training=False)
    stopping = EarlyStopping(
        "cost", checkpoint_extension=checkpoint, checkpoint_filename=best, epochs=1
    )
    write_cost = WriteRecord("cost", [3.0, 2.0, 2.5, 1.0])
    main_loop = make_training(extensions=[write_cost, stopping])
    main_loop.run()
    log = main_loop.log
    assert main_loop.status["epochs_done"] == 3
    assert log[3][SAVED_TO] == (best,)
    assert log[6][SAVED_TO] == (best,)
    assert SAVED_TO not in log[9]
    assert not os.path.exists(str(tmp_path / "last.tar"))


def test_early_stopping_checkpoint_without_filename_uses_its_own_path(tmp_path):
    last = str(tmp_path / "last.tar")
    checkpoint = Checkpoint(last, after_training=False)
    stopping = EarlyStopping("cost", checkpoint_extension=checkpoint, epochs=1)
    write_cost = WriteRecord("cost", [3.0, 2.0, 2.5, 1.0])
    main_loop = make_training(extensions=[write_cost, stopping])
    main_loop.run()
    assert main_loop.log[3][SAVED_TO] == (last,)
    assert main_loop.log[6][SAVED_TO] == (last,)
    with open(last, "rb") as source:
        assert load(source).log.status["iterations_done"] == 6


class WriteCost(TrainingExtension):
    """A cost that is best (3) at iteration 5."""

    def after_batch(self, batch):
        status = self.main_loop.log.status
        self.main_loop.log.current_row["cost"] = abs(status["iterations_done"] - 5) + 3


def test_save_the_best_with_a_mock_main_loop(tmp_path):
    last, best = str(tmp_path / "last.tar"), str(tmp_path / "best.tar")
    track_cost = TrackTheBest("cost", after_epoch=False, after_batch=True)
    checkpoint = Checkpoint(last, after_batch=True, save_separately=["log"])
    checkpoint.add_condition(
        ["after_batch"], OnLogRecord(track_cost.notification_name), (best,)
    )
    main_loop = MockMainLoop(
        extensions=[FinishAfter(after_n_epochs=1), WriteCost(), track_cost, checkpoint]
    )
    main_loop.run()
    assert main_loop.log[4][SAVED_TO] == (last, best)
    assert main_loop.log[5][SAVED_TO] == (last, best)
    assert main_loop.log[6][SAVED_TO] == (last,)
    with open(best, "rb") as source:
        assert load(source).log.status["iterations_done"] == 5

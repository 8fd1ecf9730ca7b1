"""Resuming a main loop: finished runs stay finished, timings go on, and a
NaN or inf cost is reported (and can stop training)."""

import logging
import pickle
import signal

import numpy
import pytest

import symbolic
from blocks.algorithms import GradientDescent, Scale
from blocks.extensions import FinishAfter, SimpleExtension, Timing
from blocks.extensions.stopping import FinishIfNotFinite
from blocks.main_loop import MainLoop
from fuel.datasets import IterableDataset
from fuel.streams import DataStream
from symbolic import tensor
from tests.helpers.training_loop import SendSignal, make_main_loop


class KeepPickle(SimpleExtension):
    """Keeps a pickle of the main loop, as a checkpoint would."""

    def do(self, which_callback, *args):
        self.pickled = pickle.dumps(self.main_loop)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("pickled", None)
        return state


def already_finished_warnings(caplog):
    return [r for r in caplog.records if "already finished" in r.getMessage()]


def test_a_finished_run_stops_at_once(caplog):
    # The second FinishAfter bounds the test if resuming trained on.
    main_loop = make_main_loop(
        [FinishAfter(after_n_epochs=2), FinishAfter(after_n_batches=10)], n=2
    )
    main_loop.run()
    loaded = pickle.loads(pickle.dumps(main_loop))
    with caplog.at_level(logging.WARNING, logger="blocks.main_loop"):
        loaded.run()
    assert loaded.algorithm.batches == [0, 1, 0, 1]
    assert loaded.status["iterations_done"] == 4
    assert len(already_finished_warnings(caplog)) == 1


def test_a_finished_run_goes_on_when_its_conditions_allow_it(caplog):
    main_loop = make_main_loop([FinishAfter(after_n_epochs=2)], n=2)
    main_loop.run()
    loaded = pickle.loads(pickle.dumps(main_loop))
    loaded.find_extension("FinishAfter").set_conditions(after_n_epochs=3)
    with caplog.at_level(logging.WARNING, logger="blocks.main_loop"):
        loaded.run()
    assert loaded.algorithm.batches == [0, 1, 0, 1, 0, 1]
    assert loaded.status["epochs_done"] == 3
    assert not already_finished_warnings(caplog)


def test_a_checkpoint_saved_before_finish_after_ran_stops_at_once():
    # The checkpoint of the last epoch is taken before FinishAfter requests
    # the end: its log does not say training finished (as when a run is
    # killed during its final save).
    keep = KeepPickle(after_epoch=True)
    main_loop = make_main_loop(
        [keep, FinishAfter(after_n_epochs=2), FinishAfter(after_n_batches=10)], n=2
    )
    main_loop.run()
    loaded = pickle.loads(keep.pickled)
    assert not loaded.log.current_row.get("training_finish_requested", False)
    loaded.run()
    assert loaded.algorithm.batches == [0, 1, 0, 1]


def test_finish_after_holds_past_its_count():
    main_loop = make_main_loop([FinishAfter(after_n_batches=2)], n=5)
    main_loop.status["iterations_done"] = 3
    finish_after = main_loop.find_extension("FinishAfter")
    assert finish_after.finish_condition(main_loop.log) is True
    assert FinishAfter(after_epoch=True).finish_condition(main_loop.log) is None


def test_an_interrupted_run_is_not_finished():
    main_loop = make_main_loop(
        [SendSignal(signal.SIGINT, after_n_batches=1), FinishAfter(after_n_epochs=3)],
        n=2,
    )
    main_loop.run()
    assert main_loop.log.current_row["training_finished"] is True
    loaded = pickle.loads(pickle.dumps(main_loop))
    loaded.extensions = loaded.extensions[1:]
    loaded.run()
    assert loaded.status["epochs_done"] == 3


def test_timing_goes_on_after_a_resume():
    keep = KeepPickle(after_batch=True)
    main_loop = make_main_loop([Timing(), keep, FinishAfter(after_n_batches=4)], n=3)
    main_loop.run()
    loaded = pickle.loads(keep.pickled)
    loaded.find_extension("FinishAfter").set_conditions(after_n_epochs=4)
    loaded.run()
    # The timings of the epochs after the resume grow from epoch to epoch.
    totals = [loaded.log[t]["time_train_total"] for t in (6, 9, 12)]
    assert totals[0] < totals[1] < totals[2]
    assert all(loaded.log[t]["time_train_this_epoch"] > 0 for t in (6, 9, 12))


def nan_at_batch(bad_batch, extensions):
    W = symbolic.shared(numpy.array([1.0, 2.0]), name="W")
    x = tensor.vector("data")
    algorithm = GradientDescent(
        cost=((W - x) ** 2).sum(), parameters=[W], step_rule=Scale(0.1)
    )
    batches = [numpy.zeros(2) for _ in range(5)]
    batches[bad_batch - 1] = numpy.array([numpy.nan, 0.0])
    stream = DataStream(IterableDataset({"data": batches}))
    return MainLoop(algorithm, stream, extensions=extensions)


def test_a_nan_cost_is_recorded_and_warned_about_once(caplog):
    main_loop = nan_at_batch(2, [FinishAfter(after_n_batches=5)])
    with caplog.at_level(logging.WARNING, logger="blocks.main_loop"):
        main_loop.run()
    rows = [t for t in range(6) if "cost_not_finite" in main_loop.log[t]]
    # From the NaN batch on, the parameters are NaN and so is the cost.
    assert rows == [2, 3, 4, 5]
    assert numpy.isnan(main_loop.log[2]["cost_not_finite"])
    warnings = [r for r in caplog.records if "cost_not_finite" in r.getMessage()]
    assert len(warnings) == 1


def test_finish_if_not_finite_stops_at_the_nan():
    main_loop = nan_at_batch(3, [FinishIfNotFinite(), FinishAfter(after_n_batches=5)])
    main_loop.run()
    assert main_loop.status["iterations_done"] == 3
    assert main_loop.log.current_row["training_finish_requested"] is True


@pytest.mark.parametrize("value", [numpy.inf, numpy.array([1.0, numpy.nan])])
def test_finish_if_not_finite_checks_chosen_records(value):
    class Write(SimpleExtension):
        def do(self, which_callback, *args):
            if self.main_loop.status["iterations_done"] == 2:
                self.main_loop.log.current_row["train_cost"] = value
            else:
                self.main_loop.log.current_row["train_cost"] = 1.0

    main_loop = make_main_loop(
        [
            Write(after_batch=True),
            FinishIfNotFinite(["train_cost"]),
            FinishAfter(after_n_batches=5),
        ],
        n=5,
    )
    main_loop.run()
    assert main_loop.status["iterations_done"] == 2

import logging

import numpy
import pytest

from blocks.extensions import FinishAfter
from blocks.extensions.predicates import OnLogRecord
from blocks.extensions.stopping import (
    EarlyStopping,
    FinishIfNoImprovement,
    FinishIfNoImprovementAfter,
)
from blocks.extensions.training import SharedVariableModifier, TrackTheBest
from blocks.log import TrainingLog
from blocks.utils import shared_floatx
from tests.helpers.training_loop import WriteRecord, make_main_loop


def run_epochs(extensions, epochs, batches=2):
    main_loop = make_main_loop(
        [*extensions, FinishAfter(after_n_epochs=epochs)], n=batches
    )
    main_loop.run()
    return main_loop


def test_on_log_record():
    log = TrainingLog()
    predicate = OnLogRecord("saved")
    assert not predicate(log)
    log.current_row["saved"] = False
    assert not predicate(log)
    log.current_row["saved"] = True
    assert predicate(log)


def test_shared_variable_modifier_with_one_argument():
    rate = shared_floatx(1.0, name="rate")
    modifier = SharedVariableModifier(rate, lambda n: 1.0 / (n + 1))
    run_epochs([modifier], epochs=1, batches=3)
    assert rate.get_value() == pytest.approx(0.25)
    assert rate.get_value().dtype == rate.dtype


def test_shared_variable_modifier_with_two_arguments():
    rate = shared_floatx(1.0, name="rate")
    modifier = SharedVariableModifier(rate, lambda n, old: old * 0.5)
    run_epochs([modifier], epochs=1, batches=3)
    assert rate.get_value() == pytest.approx(0.125)


def test_shared_variable_modifier_num_args():
    rate = shared_floatx(1.0, name="rate")

    class Halve:
        def __call__(self, *args):
            return args[-1] * 0.5

    modifier = SharedVariableModifier(rate, Halve(), num_args=2, after_epoch=True)
    modifier.set_conditions(after_epoch=True)
    run_epochs([modifier], epochs=2)
    assert rate.get_value() == pytest.approx(0.25)
    bad = SharedVariableModifier(rate, lambda: 1.0)
    with pytest.raises(ValueError, match="num_args"):
        bad.num_args


def test_shared_variable_modifier_subclass_overrides_function():
    rate = shared_floatx(0.0, name="rate")

    class Count(SharedVariableModifier):
        num_args = 1

        def function(self, iterations_done):
            return iterations_done

    run_epochs([Count(rate, None)], epochs=1, batches=4)
    assert rate.get_value() == 4


def test_track_the_best_minimum():
    values = [3.0, 2.0, 2.5, 1.0, 1.0]
    tracker = TrackTheBest("cost")
    main_loop = run_epochs([WriteRecord("cost", values), tracker], epochs=5)
    log = main_loop.log
    notified = [bool(log[2 * (i + 1)].get("cost_best_so_far")) for i in range(5)]
    assert notified == [True, True, False, True, False]
    assert main_loop.status["best_cost"] == 1.0
    assert tracker.best_name == "best_cost"


def test_track_the_best_maximum_and_names():
    values = [0.5, 0.7, 0.6]
    tracker = TrackTheBest("accuracy", notification_name="better", choose_best=max)
    main_loop = run_epochs([WriteRecord("accuracy", values), tracker], epochs=3)
    assert [bool(main_loop.log[t].get("better")) for t in (2, 4, 6)] == [
        True,
        True,
        False,
    ]
    assert main_loop.status["best_accuracy"] == 0.7


def test_track_the_best_skips_missing_and_nan(caplog):
    values = [numpy.nan, 2.0, numpy.float64("nan"), 1.5]
    tracker = TrackTheBest("cost")
    with caplog.at_level(logging.WARNING):
        main_loop = run_epochs([WriteRecord("cost", values), tracker], epochs=4)
    assert "NaN" in caplog.text
    assert [bool(main_loop.log[t].get("cost_best_so_far")) for t in (2, 4, 6, 8)] == [
        False,
        True,
        False,
        True,
    ]
    tracker = TrackTheBest("absent")
    main_loop = run_epochs([tracker], epochs=1)
    assert "best_absent" not in main_loop.status


def test_finish_if_no_improvement_after_epochs():
    values = [3.0, 2.0, 2.5, 2.4, 2.2, 1.0]
    main_loop = run_epochs(
        [
            WriteRecord("cost", values),
            TrackTheBest("cost"),
            FinishIfNoImprovementAfter("cost_best_so_far", epochs=2),
        ],
        epochs=10,
    )
    assert main_loop.status["epochs_done"] == 4
    log = main_loop.log
    patience = [log[t]["cost_best_so_far_patience_epochs"] for t in (2, 4, 6, 8)]
    assert patience == [2, 2, 1, 0]
    assert log[8]["training_finish_requested"] is True


def test_finish_if_no_improvement_after_iterations():
    values = [3.0, 4.0, 5.0]
    stopper = FinishIfNoImprovementAfter(
        "cost_best_so_far",
        iterations=3,
        patience_log_record="patience",
        after_epoch=True,
    )
    main_loop = run_epochs(
        [WriteRecord("cost", values), TrackTheBest("cost"), stopper], epochs=10
    )
    # The best comes at iteration 2; three iterations later training stops.
    assert main_loop.status["iterations_done"] == 5
    assert main_loop.log[5]["patience"] == 0
    assert FinishIfNoImprovement is FinishIfNoImprovementAfter


def test_finish_if_no_improvement_after_sees_notifications_after_epochs():
    # TrackTheBest notifies after epochs; like in Blocks, the stopper checks
    # after batches and after epochs by default, so it sees them.
    values = [3.0, 4.0, 5.0]
    stopper = FinishIfNoImprovementAfter("cost_best_so_far", iterations=3)
    main_loop = run_epochs(
        [WriteRecord("cost", values), TrackTheBest("cost"), stopper], epochs=10
    )
    assert main_loop.status["iterations_done"] == 5
    assert main_loop.log[5]["cost_best_so_far_patience_iterations"] == 0


def test_finish_if_no_improvement_needs_exactly_one_patience():
    with pytest.raises(ValueError, match="exactly one"):
        FinishIfNoImprovementAfter("x")
    with pytest.raises(ValueError, match="exactly one"):
        FinishIfNoImprovementAfter("x", iterations=1, epochs=1)


def test_finish_if_no_improvement_waits_for_a_first_notification():
    main_loop = run_epochs(
        [FinishIfNoImprovementAfter("never", epochs=1)], epochs=3, batches=1
    )
    assert main_loop.status["epochs_done"] == 3
    assert "never_patience_epochs" not in main_loop.log.current_row


def test_early_stopping():
    values = [3.0, 2.0, 2.5, 2.4, 2.2, 1.0]
    stopping = EarlyStopping("cost", epochs=2)
    main_loop = run_epochs([WriteRecord("cost", values), stopping], epochs=10)
    assert main_loop.status["epochs_done"] == 4
    assert main_loop.status["best_cost"] == 2.0
    assert all(e.main_loop is main_loop for e in stopping.sub_extensions)

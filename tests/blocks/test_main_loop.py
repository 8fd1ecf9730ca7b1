import pickle
import signal

import numpy
import pytest

from blocks.extensions import FinishAfter, SimpleExtension, TrainingExtension
from blocks.log import SQLiteLog, TrainingLog
from blocks.main_loop import MainLoop, no_model_message
from fuel.datasets import IterableDataset
from fuel.streams import DataStream
from tests.helpers.training_loop import (
    Recorder,
    SendSignal,
    make_main_loop,
    make_stream,
)


def test_callback_sequence():
    recorder = Recorder()
    main_loop = make_main_loop([recorder, FinishAfter(after_n_epochs=2)], n=2)
    main_loop.run()
    assert main_loop.algorithm.batches == [0, 1, 0, 1]
    assert main_loop.algorithm.initialized == 1
    epoch = [("before_batch", 0, 0), ("after_batch", 0, 1)]
    epoch += [("before_batch", 0, 1), ("after_batch", 0, 2)]
    expected = [("before_training", 0, 0), ("before_epoch", 0, 0), *epoch]
    expected += [("after_epoch", 1, 2), ("before_epoch", 1, 2)]
    expected += [(name, 1, i + 2) for name, _, i in epoch]
    expected += [("after_epoch", 2, 4), ("after_training", 2, 4)]
    assert recorder.calls == expected
    log = main_loop.log
    assert log.status["epochs_done"] == 2
    assert log.status["_epoch_ends"] == [2, 4]
    assert log.current_row["training_finish_requested"] is True
    assert log.current_row["training_finished"] is True


def test_finish_after_batches_stops_mid_epoch():
    main_loop = make_main_loop([FinishAfter(after_n_batches=2)], n=5)
    main_loop.run()
    assert main_loop.algorithm.batches == [0, 1]
    assert main_loop.status["epochs_done"] == 0
    assert main_loop.status["epoch_started"] is True


def test_batches_reach_extensions():
    seen = []

    class Keep(SimpleExtension):
        def do(self, which_callback, *args):
            seen.append((which_callback, args))

    main_loop = make_main_loop(
        [Keep(before_batch=True, after_batch=True), FinishAfter(after_n_batches=1)]
    )
    main_loop.run()
    assert seen == [("before_batch", ({"data": 0},)), ("after_batch", ({"data": 0},))]


def test_main_loop_properties():
    main_loop = make_main_loop()
    with pytest.raises(AttributeError, match="no model") as error:
        main_loop.model
    assert str(error.value).endswith(no_model_message)
    assert main_loop.status is main_loop.log.status
    assert isinstance(main_loop.log, TrainingLog)
    model = object()
    assert MainLoop(None, None, model=model).model is model
    stream = make_stream()
    main_loop.iteration_state = (stream, None)
    assert main_loop.iteration_state == (stream, None)


def test_find_extension():
    finish = FinishAfter(name="finish")
    main_loop = make_main_loop([finish, FinishAfter(), FinishAfter()])
    assert main_loop.find_extension("finish") is finish
    with pytest.raises(ValueError, match="found 2"):
        main_loop.find_extension("FinishAfter")
    with pytest.raises(ValueError, match="found 0"):
        main_loop.find_extension("missing")


def test_log_backend_choice(tmp_path, monkeypatch):
    monkeypatch.setenv("BLOCKS_SQLITEDB", str(tmp_path / "log.sqlite"))
    main_loop = MainLoop(None, None, log_backend="sqlite")
    assert isinstance(main_loop.log, SQLiteLog)
    with pytest.raises(ValueError, match="unknown log backend"):
        MainLoop(None, None, log_backend="csv")


def test_error_runs_on_error_and_reraises():
    recorder = Recorder()
    main_loop = make_main_loop([recorder], fail_on=1)
    with pytest.raises(ZeroDivisionError, match="on purpose"):
        main_loop.run()
    names = [name for name, _, _ in recorder.calls]
    assert names[-1] == "on_error"
    assert "after_training" not in names
    assert "ZeroDivisionError" in main_loop.log.current_row["got_exception"]


def test_error_in_on_error_extension_keeps_original_error():
    class Broken(TrainingExtension):
        def on_error(self, exception):
            raise RuntimeError("broken handler")

    main_loop = make_main_loop([Broken()], fail_on=0)
    with pytest.raises(ZeroDivisionError):
        main_loop.run()


def test_empty_epoch_is_an_error():
    main_loop = make_main_loop(n=0)
    with pytest.raises(ValueError, match="yielded no batch"):
        main_loop.run()


def test_resumption():
    recorder = Recorder()
    main_loop = make_main_loop([recorder, FinishAfter(after_n_batches=2)], n=3)
    main_loop.run()
    loaded = pickle.loads(pickle.dumps(main_loop))
    loaded.extensions[1].set_conditions(after_n_batches=4)
    old_uuid = loaded.log.h_uuid
    loaded.run()
    # Training goes on in the middle of the first epoch.
    assert loaded.algorithm.batches == [0, 1, 2, 0]
    assert loaded.algorithm.initialized == 1
    assert loaded.log.status["resumed_from"] == old_uuid
    names = [name for name, _, _ in loaded.extensions[0].calls]
    assert names[len(recorder.calls)] == "on_resumption"


@pytest.mark.parametrize(
    ("signal_number", "batches", "epochs"),
    [(signal.SIGINT, [0, 1, 2], 1), (signal.SIGTERM, [0], 0)],
    ids=["sigint_finishes_the_epoch", "sigterm_finishes_the_batch"],
)
def test_signal_interrupts_training_cleanly(signal_number, batches, epochs):
    recorder = Recorder()
    main_loop = make_main_loop(
        [SendSignal(signal_number, after_n_batches=1), recorder], n=3
    )
    handler = signal.getsignal(signal_number)
    main_loop.run()
    assert signal.getsignal(signal_number) is handler
    assert main_loop.algorithm.batches == batches
    assert main_loop.status["epochs_done"] == epochs
    names = [name for name, _, _ in recorder.calls]
    assert names[-2:] == ["on_interrupt", "after_training"]
    key = "batch" if signal_number == signal.SIGTERM else "epoch"
    assert main_loop.log[1][f"{key}_interrupt_received"] is True
    assert main_loop.status[f"{key}_interrupt_received"] is True
    assert main_loop.log.current_row["training_finished"] is True


def test_second_sigint_finishes_the_batch():
    main_loop = make_main_loop(
        [
            SendSignal(signal.SIGINT, after_n_batches=1),
            SendSignal(signal.SIGINT, after_n_batches=2),
        ],
        n=5,
    )
    main_loop.run()
    assert main_loop.algorithm.batches == [0, 1]
    assert main_loop.status["batch_interrupt_received"] is True


def test_interrupted_main_loop_resumes():
    main_loop = make_main_loop([SendSignal(signal.SIGTERM, after_n_batches=1)], n=3)
    main_loop.run()
    loaded = pickle.loads(pickle.dumps(main_loop))
    loaded.extensions = [FinishAfter(after_n_batches=3)]
    loaded.run()
    assert loaded.algorithm.batches == [0, 1, 2]
    assert loaded.status["batch_interrupt_received"] is False


def test_main_loop_pickles_with_a_compiled_algorithm():
    import symbolic
    from blocks.algorithms import GradientDescent, Scale
    from symbolic import tensor

    W = symbolic.shared(numpy.array([1.0, 2.0]), name="W")
    x = tensor.vector("data")
    algorithm = GradientDescent(
        cost=((W - x) ** 2).sum(), parameters=[W], step_rule=Scale(0.1)
    )
    stream = DataStream(IterableDataset({"data": [numpy.zeros(2)] * 4}))
    main_loop = MainLoop(algorithm, stream, extensions=[FinishAfter(after_n_batches=2)])
    main_loop.run()
    loaded = pickle.loads(pickle.dumps(main_loop))
    loaded.find_extension("FinishAfter").set_conditions(after_n_batches=4)
    loaded.run()
    numpy.testing.assert_allclose(
        loaded.algorithm.parameters[0].get_value(), [1.0 * 0.8**4, 2.0 * 0.8**4]
    )
    # The original is untouched by the copy's training.
    numpy.testing.assert_allclose(W.get_value(), [0.64, 1.28])


def test_mnist_example_runs_on_the_shipped_digits(capsys):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[2] / "examples" / "mnist.py"
    spec = importlib.util.spec_from_file_location("mnist_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    test_error = example.main(["--dataset", "digits", "--epochs", "1"])
    captured = capsys.readouterr()
    assert "Training on digits" in captured.out
    assert "TRAINING HAS BEEN FINISHED" in captured.out
    assert "test_error_rate" in captured.out
    assert f"test error {100 * test_error:.2f}%; no checkpoint" in captured.out
    assert "Done: digits, 1 epochs in" in captured.out
    assert "Epoch 0, step 188 (100%)" in captured.err
    assert 0 <= test_error < 0.9


def test_mnist_example_writes_its_curves(tmp_path, capsys):
    pytest.importorskip("bokeh", reason="the curves need the plot extra (bokeh)")
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[2] / "examples" / "mnist.py"
    spec = importlib.util.spec_from_file_location("mnist_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    curves = tmp_path / "curves.html"
    example.main(["--dataset", "digits", "--epochs", "1", "--curves", str(curves)])
    assert f"curves in {curves}" in capsys.readouterr().out
    page = curves.read_text()
    assert "test_error_rate" in page and "train_cost_with_regularization" in page


def test_profile_report(monkeypatch, capsys):
    monkeypatch.setenv("BLOCKS_PROFILE", "true")
    main_loop = make_main_loop([FinishAfter(after_n_epochs=1)])
    main_loop.run()
    err = capsys.readouterr().err
    assert "initialization" in err and "read_data" in err
    assert main_loop.profile.total[("training", "epoch", "train")] > 0


def test_profile_times_each_extension_on_each_callback():
    class Fails(FinishAfter):
        def do(self, which_callback, *args):
            raise RuntimeError("stop here")

    main_loop = make_main_loop([FinishAfter(after_n_epochs=1)])
    main_loop.run()
    total = main_loop.profile.total
    sections = [
        ("training", "epoch", "before_batch", "FinishAfter"),
        ("training", "epoch", "after_batch", "FinishAfter"),
        ("training", "after_epoch", "FinishAfter"),
    ]
    for section in sections:
        assert section in total, sorted(total)
        assert total[section] >= 0
    assert main_loop.profile.current == []
    # An extension that raises still leaves its sections.
    failing = make_main_loop([Fails(after_batch=True)])
    with pytest.raises(RuntimeError, match="stop here"):
        failing.run()
    assert failing.profile.current == []
    assert ("training", "epoch", "after_batch", "Fails") in failing.profile.total


def test_extensions_run_on_conditions_added_or_replaced_during_training():
    """The main loop skips a simple extension on callbacks that none of its
    conditions names; a condition added or replaced later counts at once."""

    class Calls(SimpleExtension):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.calls = []

        def do(self, which_callback, *args):
            self.calls.append(
                (which_callback, self.main_loop.status["iterations_done"])
            )
            if which_callback == "after_epoch":
                # From now on after every batch, through set_conditions.
                self.set_conditions(after_batch=True)
            elif len(self.calls) == 2:
                self.add_condition(["before_batch"])

    class Intercepts(SimpleExtension):
        """Overrides dispatch: always dispatched."""

        def __init__(self):
            super().__init__(after_epoch=True)
            self.seen = []

        def dispatch(self, callback_invoked, *from_main_loop):
            self.seen.append(callback_invoked)

        def do(self, which_callback, *args):
            pass

    calls, intercepts = Calls(after_epoch=True), Intercepts()
    main_loop = make_main_loop([calls, intercepts, FinishAfter(after_n_epochs=2)], n=2)
    main_loop.run()
    assert calls.calls == [
        ("after_epoch", 2),
        ("after_batch", 3),
        ("before_batch", 3),
        ("after_batch", 4),
    ]
    assert intercepts.seen.count("before_batch") == 4
    assert intercepts.seen.count("after_batch") == 4
    total = main_loop.profile.total
    assert ("training", "epoch", "before_batch", "FinishAfter") in total


def test_dispatch_rejects_a_misspelt_callback():
    extension = FinishAfter(after_n_epochs=1)
    with pytest.raises(TypeError, match="'after_bach' is not a training"):
        extension.dispatch("after_bach")

import datetime
import pickle
import re

import pytest

from blocks.extensions import (
    CallbackName,
    CompositeExtension,
    FinishAfter,
    Predicate,
    Printing,
    ProgressBar,
    SimpleExtension,
    Timestamp,
    Timing,
    TrainingExtension,
    always_true,
)
from blocks.log import TrainingLog
from blocks.main_loop import MainLoop
from fuel.datasets import IndexableDataset, IterableDataset
from fuel.schemes import (
    ConstantScheme,
    IterationScheme,
    SequentialExampleScheme,
    SequentialScheme,
    ShuffledExampleScheme,
)
from fuel.streams import DataStream
from fuel.transformers import Mapping
from tests.helpers.training_loop import CountingAlgorithm, make_main_loop


class Calls(SimpleExtension):
    """Records (callback, epochs done, iterations done, extra args)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = []

    def do(self, which_callback, *args):
        status = self.main_loop.status
        _, from_user = self.parse_args(which_callback, args)
        self.calls.append(
            (
                which_callback,
                status["epochs_done"],
                status["iterations_done"],
                from_user,
            )
        )


def run(extension, epochs=2, batches=3, **kwargs):
    """Run `extension` for some epochs of a few batches."""
    main_loop = make_main_loop(
        [extension, FinishAfter(after_n_epochs=epochs)], n=batches, **kwargs
    )
    main_loop.run()
    return [call[:3] for call in extension.calls]


def test_before_training():
    assert run(Calls(before_training=True)) == [("before_training", 0, 0)]


def test_before_first_epoch():
    assert run(Calls(before_first_epoch=True)) == [("before_epoch", 0, 0)]


def test_before_epoch():
    assert run(Calls(before_epoch=True)) == [
        ("before_epoch", 0, 0),
        ("before_epoch", 1, 3),
    ]


def test_before_batch():
    calls = run(Calls(before_batch=True), epochs=1, batches=2)
    assert calls == [("before_batch", 0, 0), ("before_batch", 0, 1)]


def test_after_batch():
    calls = run(Calls(after_batch=True), epochs=1, batches=2)
    assert calls == [("after_batch", 0, 1), ("after_batch", 0, 2)]


def test_after_epoch():
    assert run(Calls(after_epoch=True)) == [
        ("after_epoch", 1, 3),
        ("after_epoch", 2, 6),
    ]


def test_after_training():
    assert run(Calls(after_training=True)) == [("after_training", 2, 6)]


def test_every_n_batches():
    calls = run(Calls(every_n_batches=2))
    assert calls == [
        ("after_batch", 0, 2),
        ("after_batch", 1, 4),
        ("after_batch", 1, 6),
    ]


def test_after_n_batches():
    assert run(Calls(after_n_batches=4)) == [("after_batch", 1, 4)]


def test_every_n_epochs():
    assert run(Calls(every_n_epochs=2), epochs=4, batches=1) == [
        ("after_epoch", 2, 2),
        ("after_epoch", 4, 4),
    ]


def test_after_n_epochs():
    assert run(Calls(after_n_epochs=1)) == [("after_epoch", 1, 3)]


def test_on_error():
    extension = Calls(on_error=True)
    main_loop = make_main_loop([extension], n=3, fail_on=1)
    with pytest.raises(ZeroDivisionError):
        main_loop.run()
    ((name, _, iterations, from_user),) = extension.calls
    assert (name, iterations, from_user) == ("on_error", 1, ())


def test_on_interrupt_and_on_resumption():
    import os
    import signal

    class Interrupt(SimpleExtension):
        def do(self, which_callback, *args):
            os.kill(os.getpid(), signal.SIGTERM)

    extension = Calls(on_interrupt=True, on_resumption=True)
    main_loop = make_main_loop([Interrupt(after_n_batches=2), extension], n=5)
    main_loop.run()
    assert [c[:3] for c in extension.calls] == [("on_interrupt", 0, 2)]
    main_loop.extensions[0].set_conditions()
    main_loop.extensions.append(FinishAfter(after_n_batches=3))
    main_loop.run()
    assert [c[:3] for c in extension.calls][1:] == [("on_resumption", 0, 2)]


def test_false_and_none_triggers_are_ignored():
    assert run(Calls(after_epoch=False, every_n_batches=None)) == []


def test_several_triggers():
    calls = run(Calls(before_training=True, after_n_epochs=2, after_training=True))
    assert calls == [
        ("before_training", 0, 0),
        ("after_epoch", 2, 6),
        ("after_training", 2, 6),
    ]


def test_unknown_trigger_is_an_error():
    with pytest.raises(KeyError, match="unknown trigger 'after_bach'"):
        Calls().set_conditions(after_bach=True)


def test_integer_trigger_must_be_positive():
    with pytest.raises(ValueError, match="every_n_batches"):
        Calls(every_n_batches=0)
    with pytest.raises(ValueError, match="after_n_epochs"):
        Calls(after_n_epochs=1.5)


def test_add_condition_with_predicate_and_arguments():
    extension = Calls()
    extension.add_condition(
        ["after_batch"],
        predicate=lambda log: log.status["iterations_done"] == 2,
        arguments=("hello",),
    )
    assert extension.add_condition(["after_training"]) is extension
    run(extension, epochs=1)
    assert extension.calls == [
        ("after_batch", 0, 2, ("hello",)),
        ("after_training", 1, 3, ()),
    ]


def test_add_condition_checks_its_arguments():
    with pytest.raises(ValueError, match="list or a tuple"):
        Calls().add_condition("after_batch")
    with pytest.raises(TypeError, match="'after_bach' is not a training"):
        Calls().add_condition(["after_bach"])


def test_add_condition_accepts_the_before_first_epoch_trigger():
    extension = Calls()
    extension.add_condition(["before_first_epoch", "after_training"])
    assert run(extension) == [("before_epoch", 0, 0), ("after_training", 2, 6)]
    extension = Calls().add_condition(
        ["before_first_epoch"], predicate=lambda log: False
    )
    assert run(extension) == []
    # The combined predicate pickles with the main loop.
    extension = pickle.loads(
        pickle.dumps(Calls().add_condition(["before_first_epoch"], always_true))
    )
    assert run(extension) == [("before_epoch", 0, 0)]


def test_set_conditions_replaces_conditions():
    extension = Calls(after_batch=True)
    assert extension.set_conditions(after_training=True) is extension
    assert run(extension) == [("after_training", 2, 6)]


def test_parse_args():
    assert SimpleExtension.parse_args("after_batch", ("batch", 1)) == (("batch",), (1,))
    assert SimpleExtension.parse_args("before_batch", ("batch",)) == (("batch",), ())
    assert SimpleExtension.parse_args("on_error", ("error", 1)) == (("error",), (1,))
    assert SimpleExtension.parse_args("after_epoch", (1, 2)) == ((), (1, 2))


def test_callback_name():
    assert CallbackName("after_batch") == "after_batch"
    with pytest.raises(TypeError, match="not a training extension callback"):
        CallbackName("after_batch") == "after_bach"  # noqa: B015
    with pytest.raises(TypeError):
        CallbackName("later")


def test_predicate():
    log = TrainingLog()
    log.status["iterations_done"] = 6
    log.status["epochs_done"] = 2
    assert Predicate("every_n_batches", 3)(log)
    assert not Predicate("every_n_batches", 4)(log)
    assert Predicate("after_n_batches", 6)(log)
    assert Predicate("after_n_epochs", 2)(log)
    assert not Predicate("every_n_epochs", 3)(log)


def test_extension_names_and_main_loop():
    assert FinishAfter().name == "FinishAfter"
    assert FinishAfter(name="stop").name == "stop"
    with pytest.raises(ValueError, match="no main loop"):
        FinishAfter().main_loop


def test_composite_extension_order_and_main_loop():
    order = []

    class Note(SimpleExtension):
        def do(self, which_callback, *args):
            order.append(self.name)

    class Parent(CompositeExtension):
        def do(self, which_callback, *args):
            order.append("parent")

    for before, expected in [
        (True, ["parent", "a", "b"]),
        (False, ["a", "b", "parent"]),
    ]:
        order.clear()
        children = [
            Note(name="a", after_training=True),
            Note(name="b", after_epoch=True),
        ]
        parent = Parent(children, run_before_children=before, after_epoch=True)
        main_loop = make_main_loop([parent, FinishAfter(after_n_epochs=1)])
        main_loop.run()
        assert all(child.main_loop is main_loop for child in children)
        # after_epoch: the parent and b; after_training: a only.
        assert order == [name for name in expected if name != "a"] + ["a"]


def test_finish_after():
    main_loop = make_main_loop([FinishAfter(after_n_batches=2)], n=10)
    main_loop.run()
    assert main_loop.log[2]["training_finish_requested"] is True
    assert main_loop.status["iterations_done"] == 2


def test_timestamp():
    main_loop = make_main_loop([Timestamp(), FinishAfter(after_n_epochs=1)])
    main_loop.run()
    stamp = main_loop.log.current_row["timestamp"]
    parsed = datetime.datetime.fromisoformat(stamp)
    assert abs((datetime.datetime.now() - parsed).total_seconds()) < 60
    assert " " in stamp
    assert "timestamp" in main_loop.log[0]
    extension = Timestamp(log_record="when", separator="T", before_training=False)
    main_loop = make_main_loop([extension, FinishAfter(after_n_epochs=1)])
    main_loop.run()
    assert "T" in main_loop.log.current_row["when"]
    assert "when" not in main_loop.log[0]


def test_timing():
    main_loop = make_main_loop(
        [
            Timing(after_batch=True),
            Timing(prefix="every_"),
            FinishAfter(after_n_epochs=2),
        ],
        n=3,
    )
    main_loop.run()
    log = main_loop.log
    assert log[0]["time_initialization"] >= 0
    for row in (log[3], log[6]):
        for action in ("train", "read_data"):
            assert row[f"every_time_{action}_this_epoch"] >= 0
            assert row[f"time_{action}_this_batch"] >= 0
            total = row[f"every_time_{action}_total"]
            assert total == pytest.approx(row[f"time_{action}_total"])
    assert log[6]["every_time_train_total"] >= log[3]["every_time_train_total"]


def test_printing(capsys):
    main_loop = make_main_loop([FinishAfter(after_n_epochs=1), Printing()], n=2)
    main_loop.log.current_row["_hidden"] = 1
    main_loop.run()
    out = capsys.readouterr().out
    headers = re.findall(r"-{79}\n(.*)\n-{79}", out)
    assert headers == [
        "BEFORE FIRST EPOCH",
        "AFTER ANOTHER EPOCH",
        "TRAINING HAS BEEN FINISHED:",
    ]
    assert "Training status:\n\t epochs_done: 0\n" in out.replace(
        "\t batch_interrupt_received: False\n\t epoch_interrupt_received: False\n"
        "\t epoch_started: True\n",
        "",
    )
    assert "Log records from the iteration 2:" in out
    assert "\t training_finish_requested: True" in out
    assert "\t training_finished: True" in out
    assert "_hidden" not in out and "_epoch_ends" not in out


def test_printing_on_resumption_and_interrupt(capsys):
    main_loop = make_main_loop([FinishAfter(after_n_batches=1)], n=3)
    main_loop.run()
    main_loop.extensions = [Printing(), FinishAfter(after_n_batches=2)]
    main_loop.run()
    assert "TRAINING HAS BEEN RESUMED" in capsys.readouterr().out


class IndexListScheme(IterationScheme):
    """A scheme written as Fuel 0.2 users wrote them: indices and a batch size."""

    requests_examples = False

    def __init__(self, indices, batch_size):
        self.indices = indices
        self.batch_size = batch_size

    def get_request_iterator(self):
        indices = list(self.indices)
        return iter(
            [
                indices[i : i + self.batch_size]
                for i in range(0, len(indices), self.batch_size)
            ]
        )


def scheme_stream(scheme, n=10):
    dataset = IndexableDataset({"data": list(range(n))})
    return DataStream(dataset, iteration_scheme=scheme)


class BatchSum(CountingAlgorithm):
    def process_batch(self, batch):
        self.batches.append(batch["data"])


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (scheme_stream(SequentialScheme(10, 3)), 4),
        (scheme_stream(ConstantScheme(3, num_examples=10)), 4),
        (Mapping(scheme_stream(SequentialScheme(10, 5)), lambda data: data), 2),
        (DataStream(IterableDataset({"data": [1, 2]})), None),
        (scheme_stream(SequentialScheme([0, 2, 4, 6, 8], 2)), 3),
        (scheme_stream(SequentialExampleScheme([1, 3, 5, 7])), 4),
        (scheme_stream(ShuffledExampleScheme(6)), 6),
        (scheme_stream(IndexListScheme([9, 8, 7], 2)), 2),
    ],
    ids=[
        "num_batches",
        "num_examples",
        "through_a_transformer",
        "unknown",
        "index_list_batches",
        "index_list_examples",
        "examples",
        "plain_scheme_with_indices",
    ],
)
def test_progress_bar_iterations_per_epoch(stream, expected):
    extension = ProgressBar()
    extension.main_loop = MainLoop(BatchSum(), stream)
    assert extension.get_iter_per_epoch() == expected


def test_progress_bar_output(capsys):
    pytest.importorskip("progressbar", reason="ProgressBar needs progressbar2")
    stream = scheme_stream(SequentialScheme(10, 3))
    main_loop = MainLoop(
        BatchSum(), stream, extensions=[ProgressBar(), FinishAfter(after_n_epochs=2)]
    )
    main_loop.run()
    err = capsys.readouterr().err
    assert "Epoch 0, step 4 (100%)" in err
    assert "Epoch 1, step 4 (100%)" in err
    assert "ETA" in err


def test_progress_bar_without_known_length(capsys):
    pytest.importorskip("progressbar", reason="ProgressBar needs progressbar2")
    stream = DataStream(IterableDataset({"data": [1, 2, 3]}))
    main_loop = MainLoop(
        BatchSum(), stream, extensions=[ProgressBar(), FinishAfter(after_n_epochs=1)]
    )
    main_loop.run()
    err = capsys.readouterr().err
    assert "Epoch 0, step 3" in err
    assert "%" not in err


def test_progress_bar_pickles_without_its_bar():
    pytest.importorskip("progressbar", reason="ProgressBar needs progressbar2")
    stream = scheme_stream(SequentialScheme(10, 3))
    extension = ProgressBar()
    main_loop = MainLoop(
        BatchSum(), stream, extensions=[extension, FinishAfter(after_n_batches=2)]
    )
    main_loop.run()
    assert extension.bar is not None
    copy = pickle.loads(pickle.dumps(extension))
    assert copy.bar is None
    assert copy.iter_count == 2


def test_training_extension_callbacks_do_nothing_by_default():
    extension = TrainingExtension()
    for name in ("before_training", "after_epoch", "on_resumption"):
        extension.dispatch(name)
    extension.dispatch("after_batch", {})
    extension.dispatch("on_error", ValueError())


def test_module_doctests():
    import doctest
    import importlib

    failures, attempted = doctest.testmod(
        importlib.import_module("blocks.extensions"), optionflags=doctest.ELLIPSIS
    )
    assert attempted > 0
    assert failures == 0

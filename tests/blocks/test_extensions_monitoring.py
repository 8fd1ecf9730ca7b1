from collections import OrderedDict

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.algorithms import GradientDescent, Scale
from blocks.extensions import FinishAfter
from blocks.extensions.monitoring import (
    DataStreamMonitoring,
    MonitoringExtension,
    TrainingDataMonitoring,
)
from blocks.main_loop import MainLoop
from blocks.monitoring.aggregation import MonitoredQuantity
from blocks.utils import shared_floatx
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from symbolic import tensor
from tests.helpers.training_loop import make_main_loop

floatX = symbolic.config.floatX


def named(variable, name):
    variable.name = name
    return variable


def test_record_names():
    class Monitor(MonitoringExtension):
        pass

    variable = named(tensor.scalar(), "cost")
    assert Monitor().record_name(variable) == "cost"
    assert Monitor(prefix="valid").record_name(variable) == "valid_cost"
    assert Monitor(suffix="avg").record_name(variable) == "cost_avg"
    assert Monitor(prefix="a", suffix="b").record_name(variable) == "a_cost_b"
    with pytest.raises(ValueError, match="record name must be a string"):
        Monitor()._record_name(None)


def linear_problem():
    """W has two entries; the cost is the squared distance to the batch."""
    W = shared_floatx([0.0, 0.0], name="W")
    x = tensor.matrix("features", dtype=floatX)
    cost = named(((x - W) ** 2).sum(axis=1).mean(), "cost")
    data = numpy.array([[1, 1], [3, 3], [5, 5], [7, 7]], dtype=floatX)
    dataset = IndexableDataset(OrderedDict([("features", data)]))
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(4, 2))
    return W, x, cost, stream, data


def test_training_data_monitoring_values_come_before_the_update():
    W, _x, cost, stream, data = linear_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W], step_rule=Scale(0.1))
    w_value = named(W.sum(), "w_sum")
    monitor = TrainingDataMonitoring([cost, w_value], after_batch=True)
    main_loop = MainLoop(
        algorithm, stream, extensions=[monitor, FinishAfter(after_n_batches=2)]
    )
    main_loop.run()
    # Replay plain gradient descent in numpy.
    w = numpy.zeros(2)
    for i, batch in enumerate([data[0:2], data[2:4]], start=1):
        expected_cost = ((batch - w) ** 2).sum(axis=1).mean()
        row = main_loop.log[i]
        assert_allclose(row["cost"], expected_cost, rtol=1e-5)
        # Data-independent variables are also read before the update.
        assert_allclose(row["w_sum"], w.sum(), rtol=1e-5)
        w = w - 0.1 * (-2 * (batch - w)).mean(axis=0)
    assert_allclose(W.get_value(), w, rtol=1e-5)


def test_training_data_monitoring_averages_between_records():
    W, _x, cost, stream, data = linear_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W], step_rule=Scale(0.0))
    monitor = TrainingDataMonitoring([cost], prefix="train", after_epoch=True)
    main_loop = MainLoop(
        algorithm, stream, extensions=[monitor, FinishAfter(after_n_epochs=2)]
    )
    main_loop.run()
    costs = [((b**2).sum(axis=1)).mean() for b in (data[0:2], data[2:4])]
    assert_allclose(main_loop.log[2]["train_cost"], numpy.mean(costs), rtol=1e-5)
    assert_allclose(main_loop.log[4]["train_cost"], numpy.mean(costs), rtol=1e-5)
    assert "train_cost" not in main_loop.log[1]


def test_monitored_training_step_runs_entirely_in_the_c_program():
    """The aggregators' ifelse used to send the whole step to the Python VM."""
    from symbolic.backends.c.lowering import KINDS
    from symbolic.backends.c.runtime import runtime
    from symbolic.compile.linker import VM

    if not runtime.available() or symbolic.config.mode not in ("FAST_RUN", "Mode"):
        pytest.skip("the C program runs only in FAST_RUN with the C runtime")
    W, x, cost, stream, _data = linear_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W], step_rule=Scale(0.1))
    # A vector's mean starts from an empty accumulator, behind an ifelse.
    per_dimension = named(((x - W) ** 2).mean(axis=0), "per_dimension")
    monitor = TrainingDataMonitoring(
        [cost, algorithm.total_gradient_norm, per_dimension],
        prefix="train",
        after_epoch=True,
    )
    main_loop = MainLoop(
        algorithm, stream, extensions=[monitor, FinishAfter(after_n_batches=1)]
    )
    main_loop.run()
    step = algorithm._function.vm
    assert not isinstance(step, VM)
    assert KINDS["BRANCH"] in step.kinds


class Count(MonitoredQuantity):
    def initialize(self):
        self.count = 0

    def aggregate(self, values):
        self.count += len(values)

    def get_aggregated_value(self):
        return self.count


def test_training_data_monitoring_with_monitored_quantity():
    W, x, cost, stream, _data = linear_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W], step_rule=Scale(0.1))
    monitor = TrainingDataMonitoring(
        [Count(requires=[x], name="examples")], after_epoch=True
    )
    main_loop = MainLoop(
        algorithm, stream, extensions=[monitor, FinishAfter(after_n_epochs=1)]
    )
    main_loop.run()
    assert main_loop.log.current_row["examples"] == 4


def test_training_data_monitoring_needs_an_updates_algorithm():
    x = named(tensor.scalar("data"), "data")
    main_loop = make_main_loop([TrainingDataMonitoring([x])])
    with pytest.raises(ValueError, match="UpdatesAlgorithm"):
        main_loop.run()


def test_training_data_monitoring_rejects_other_objects():
    with pytest.raises(ValueError, match="can monitor"):
        TrainingDataMonitoring(["cost"])


def test_data_stream_monitoring():
    W, _x, cost, stream, _data = linear_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W], step_rule=Scale(0.1))
    valid_data = numpy.array([[2, 2], [4, 4]], dtype=floatX)
    valid_stream = DataStream(
        IndexableDataset(OrderedDict([("features", valid_data)])),
        iteration_scheme=SequentialScheme(2, 1),
    )
    monitor = DataStreamMonitoring([cost], valid_stream, prefix="valid")
    main_loop = MainLoop(
        algorithm, stream, extensions=[monitor, FinishAfter(after_n_epochs=1)]
    )
    main_loop.run()
    assert_allclose(main_loop.log[0]["valid_cost"], (4 * 2 + 16 * 2) / 2)
    w = W.get_value()
    expected = numpy.mean([((row - w) ** 2).sum() for row in valid_data])
    assert_allclose(main_loop.log[2]["valid_cost"], expected, rtol=1e-5)


def nan_problem(step_rule):
    W = shared_floatx([1.0, 1.0], name="W")
    x = tensor.matrix("features", dtype=floatX)
    cost = named(((x - W) ** 2).sum(axis=1).mean(), "cost")
    data = numpy.array([[1, 1], [numpy.nan, 0], [2, 2], [3, 3]], dtype=floatX)
    stream = DataStream(
        IndexableDataset(OrderedDict([("features", data)])),
        iteration_scheme=SequentialScheme(4, 1),
    )
    algorithm = GradientDescent(cost=cost, parameters=[W], step_rule=step_rule)
    monitor = TrainingDataMonitoring([cost], after_batch=True)
    main_loop = MainLoop(
        algorithm, stream, extensions=[monitor, FinishAfter(after_n_epochs=1)]
    )
    return W, main_loop


def test_nan_cost_is_logged_and_training_goes_on():
    W, main_loop = nan_problem(Scale(0.1))
    with numpy.errstate(invalid="ignore"):
        main_loop.run()
    assert main_loop.log.current_row["training_finished"] is True
    assert numpy.isnan(main_loop.log[2]["cost"])
    assert numpy.isnan(W.get_value()[0])


def test_nan_step_is_skipped_with_remove_not_finite():
    from blocks.algorithms import CompositeRule, RemoveNotFinite

    W, main_loop = nan_problem(CompositeRule([Scale(0.1), RemoveNotFinite()]))
    with numpy.errstate(invalid="ignore"):
        main_loop.run()
    assert numpy.isnan(main_loop.log[2]["cost"])
    assert not numpy.isnan(main_loop.log[3]["cost"])
    assert numpy.all(numpy.isfinite(W.get_value()))


def test_source_names_not_matching_the_inputs_stop_training_clearly():
    W, _, _, stream, _ = linear_problem()
    x2 = tensor.matrix("pixels", dtype=floatX)
    cost = named(((x2 - W) ** 2).sum(), "cost")
    algorithm = GradientDescent(cost=cost, parameters=[W])
    main_loop = MainLoop(algorithm, stream, extensions=[FinishAfter(after_n_epochs=1)])
    with pytest.raises(ValueError, match=r"\['pixels'\].*\['features'\]"):
        main_loop.run()
    assert "got_exception" in main_loop.log.current_row


def test_training_monitoring_without_quantities_reads_nothing_per_batch():
    W, _x, cost, stream, data = linear_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W], step_rule=Scale(0.1))
    monitor = TrainingDataMonitoring([cost], prefix="train", after_epoch=True)
    readouts = []
    buffer = monitor._required_for_non_variables
    original = buffer.get_aggregated_values

    def counted():
        readouts.append(1)
        return original()

    buffer.get_aggregated_values = counted
    calls = []
    do = monitor.do
    monitor.do = lambda callback, *args: calls.append(callback) or do(callback, *args)
    main_loop = MainLoop(
        algorithm, stream, extensions=[monitor, FinishAfter(after_n_epochs=1)]
    )
    main_loop.run()
    assert readouts == []
    # Called to set up and once at the end of the epoch, never per batch.
    assert calls == ["before_training", "after_epoch"]
    w, costs = numpy.zeros(2), []
    for batch in (data[0:2], data[2:4]):
        costs.append(((batch - w) ** 2).sum(axis=1).mean())
        w = w - 0.1 * (-2 * (batch - w)).mean(axis=0)
    assert_allclose(main_loop.log[2]["train_cost"], numpy.mean(costs), rtol=1e-5)


def test_monitored_mnist_job_runs_no_node_on_the_python_path():
    """The tutorial's MLP with its training and test-set monitoring, in
    float32: every node of the training step and of the evaluator runs in
    the C program (the error rate's bool count summed into float32 used to
    run ``perform`` on every step)."""
    from blocks.bricks import MLP, Rectifier, Softmax
    from blocks.bricks.cost import CategoricalCrossEntropy, MisclassificationRate
    from blocks.graph import ComputationGraph
    from blocks.initialization import Constant, IsotropicGaussian
    from symbolic.backends.c.lowering import KINDS
    from symbolic.backends.c.runtime import runtime
    from symbolic.compile.linker import VM

    if not runtime.available() or symbolic.config.mode not in ("FAST_RUN", "Mode"):
        pytest.skip("the C program runs only in FAST_RUN with the C runtime")
    rng = numpy.random.RandomState(1)
    with symbolic.change_flags(floatX="float32"):
        x = tensor.matrix("features")
        y = tensor.lmatrix("targets")
        mlp = MLP(
            [Rectifier(), Softmax()],
            [12, 8, 3],
            weights_init=IsotropicGaussian(0.1),
            biases_init=Constant(0),
        )
        mlp.initialize()
        probabilities = mlp.apply(x)
        cost = named(
            CategoricalCrossEntropy().apply(y.flatten(), probabilities), "cost"
        )
        error_rate = named(
            MisclassificationRate().apply(y.flatten(), probabilities), "error_rate"
        )
        assert error_rate.dtype == "float32"
        algorithm = GradientDescent(
            cost=cost,
            parameters=ComputationGraph(cost).parameters,
            step_rule=Scale(0.1),
        )

        def stream(n):
            data = OrderedDict(
                features=rng.rand(n, 12).astype("float32"),
                targets=rng.randint(0, 3, size=(n, 1)).astype("int64"),
            )
            return DataStream(
                IndexableDataset(data), iteration_scheme=SequentialScheme(n, 4)
            )

        test_monitor = DataStreamMonitoring(
            [cost, error_rate], stream(8), prefix="test"
        )
        main_loop = MainLoop(
            algorithm,
            stream(16),
            extensions=[
                TrainingDataMonitoring(
                    [cost, error_rate, algorithm.total_gradient_norm],
                    prefix="train",
                    after_epoch=True,
                ),
                test_monitor,
                FinishAfter(after_n_epochs=1),
            ],
        )
        main_loop.run()
    assert 0 <= main_loop.log.current_row["train_error_rate"] <= 1
    evaluator = test_monitor._evaluator
    functions = {
        "training step": algorithm._function,
        "evaluator": evaluator._accumulate_fun,
    }
    for name, function in functions.items():
        program = function.vm
        assert not isinstance(program, VM), name
        on_python = [
            str(node)
            for node, kind in zip(program.nodes, program.kinds)
            if kind == KINDS["PYTHON"]
        ]
        assert on_python == [], (name, on_python)

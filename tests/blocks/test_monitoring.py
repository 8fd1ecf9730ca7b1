from collections import OrderedDict

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.monitoring.aggregation import (
    Aggregator,
    Mean,
    MonitoredQuantity,
    TakeLast,
    concatenate,
    maximum,
    mean,
    minimum,
    perplexity,
    take_last,
)
from blocks.monitoring.evaluators import (
    AggregationBuffer,
    DatasetEvaluator,
    MonitoredQuantityBuffer,
)
from blocks.utils import shared_floatx
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from fuel.transformers import Mapping
from symbolic import tensor

floatX = symbolic.config.floatX

# Three batches: rows 0-1, rows 2-3 and row 4.
DATA = numpy.arange(15, dtype=floatX).reshape(5, 3)
BATCHES = [DATA[0:2], DATA[2:4], DATA[4:5]]


def make_stream(data=DATA, batch_size=2, source="features"):
    dataset = IndexableDataset(OrderedDict([(source, data)]))
    return DataStream(dataset, iteration_scheme=SequentialScheme(len(data), batch_size))


def features():
    return tensor.matrix("features", dtype=floatX)


def named(variable, name):
    variable.name = name
    return variable


def test_default_scheme_is_the_mean_over_batches():
    x = features()
    total = named(x.sum(), "total")
    columns = named(x.sum(axis=0), "columns")
    values = DatasetEvaluator([total, columns]).evaluate(make_stream())
    assert_allclose(values["total"], numpy.mean([b.sum() for b in BATCHES]))
    assert_allclose(
        values["columns"], numpy.mean([b.sum(axis=0) for b in BATCHES], axis=0)
    )
    assert list(values) == ["total", "columns"]


def test_mean_over_examples():
    x = features()
    per_example = named(mean(x.sum(), x.shape[0]), "per_example")
    assert per_example.name == "per_example"
    assert isinstance(per_example.tag.aggregation_scheme, Mean)
    values = DatasetEvaluator([per_example]).evaluate(make_stream())
    assert_allclose(values["per_example"], DATA.sum() / 5)


def test_mean_keeps_the_numerator_name():
    x = features()
    numerator = named(x.sum(), "cost")
    assert mean(numerator, 2).name == "cost"


def test_perplexity():
    x = features()
    log_likelihood = named(-x.sum() / 100, "ll")
    value = DatasetEvaluator([perplexity(log_likelihood, x.shape[0])]).evaluate(
        make_stream()
    )["ll"]
    assert_allclose(value, numpy.exp(DATA.sum() / 100 / 5), rtol=1e-5)


def test_minimum_maximum_and_concatenate():
    x = features()
    row_sums = x.sum(axis=1)
    low = named(minimum(x.min(axis=0)), "low")
    high = named(maximum(x.max(axis=0)), "high")
    rows = named(concatenate(row_sums), "rows")
    values = DatasetEvaluator([low, high, rows]).evaluate(make_stream())
    assert_allclose(values["low"], DATA.min(axis=0))
    assert_allclose(values["high"], DATA.max(axis=0))
    assert_allclose(values["rows"], DATA.sum(axis=1))


def test_concatenate_joins_along_the_first_axis():
    x = features()
    matrices = named(concatenate(x * 2), "matrices")
    totals = named(concatenate(x.sum()), "totals")
    values = DatasetEvaluator([matrices, totals]).evaluate(make_stream())
    assert_allclose(values["matrices"], DATA * 2)
    # A scalar per batch has no axis to join: the batch values are stacked.
    assert_allclose(values["totals"], [batch.sum() for batch in BATCHES])


def test_take_last():
    x = features()
    last = take_last(named(x.sum(), "last"))
    assert isinstance(last.tag.aggregation_scheme, TakeLast)
    values = DatasetEvaluator([last]).evaluate(make_stream())
    assert_allclose(values["last"], BATCHES[-1].sum())


def test_evaluating_a_dataset_stream_reads_its_arrays_without_copies():
    """Batches straight from an in-memory dataset reach only the evaluator's
    function: they are views of the dataset (no copy a batch), and the
    values, and the dataset, are those of the copying path."""
    data = DATA.copy()
    x = features()
    evaluator = DatasetEvaluator(
        [
            named(x.sum(), "total"),
            take_last(named(x * 1, "rows")),
            named(concatenate(x), "all"),
            take_last(named(x[:], "raw")),
        ]
    )
    seen = []
    function = evaluator._accumulate_fun

    def spy(*arrays):
        seen.append(numpy.shares_memory(arrays[0], data))
        return function(*arrays)

    evaluator._accumulate_fun = spy
    for _ in range(2):
        values = evaluator.evaluate(make_stream(data))
        assert_allclose(values["total"], numpy.mean([b.sum() for b in BATCHES]))
        assert_allclose(values["rows"], BATCHES[-1])
        assert_allclose(values["all"], DATA)
        assert_allclose(values["raw"], BATCHES[-1])
    # The last batch, one example, is a one-index request: gathered.
    assert seen == [True, True, False] * 2
    # Through a transformer (code that may keep or change a batch), copies.
    seen.clear()
    wrapped = Mapping(make_stream(data), lambda batch: batch)
    assert_allclose(evaluator.evaluate(wrapped)["all"], DATA)
    assert seen == [False] * 3
    # Batches taken by the aggregates stay valid and the dataset unchanged.
    values["raw"] += 1
    assert_allclose(data, DATA)


def test_evaluating_twice_starts_afresh():
    x = features()
    evaluator = DatasetEvaluator(
        [named(x.sum(), "total"), named(concatenate(x.sum(axis=1)), "rows")]
    )
    first = evaluator.evaluate(make_stream())
    second = evaluator.evaluate(make_stream())
    assert_allclose(first["total"], second["total"])
    assert second["rows"].shape == (5,)


def test_data_independent_variables_read_no_data():
    W = shared_floatx([1.0, 2.0], name="W")
    norm = named((W**2).sum(), "norm")

    class Exploding:
        def get_epoch_iterator(self, **kwargs):
            raise AssertionError("the data should not be read")

    values = DatasetEvaluator([norm]).evaluate(Exploding())
    assert_allclose(values["norm"], 5.0)


def test_evaluator_with_updates():
    x = features()
    counter = shared_floatx(0.0, name="counter")
    evaluator = DatasetEvaluator(
        [named(x.sum(), "total")], updates=[(counter, counter + 1)]
    )
    evaluator.evaluate(make_stream())
    assert counter.get_value() == 3


def test_evaluator_reports_missing_sources():
    x = features()
    evaluator = DatasetEvaluator([named(x.sum(), "total")])
    with pytest.raises(ValueError, match=r"\['features'\].*\['pixels'\]"):
        evaluator.evaluate(make_stream(source="pixels"))
    with pytest.raises(ValueError, match="Not all data sources"):
        evaluator.evaluate(make_stream(source="pixels"))


def test_variable_names_are_checked():
    x = features()
    with pytest.raises(ValueError, match=r"no name.*must have names"):
        DatasetEvaluator([x.sum()])
    with pytest.raises(ValueError, match="unique"):
        DatasetEvaluator([named(x.sum(), "a"), named(x.mean(), "a")])


class SumOfSquares(MonitoredQuantity):
    def initialize(self):
        self.total = 0.0

    def aggregate(self, value):
        self.total += float((value**2).sum())

    def get_aggregated_value(self):
        return self.total


def test_monitored_quantity_in_evaluator():
    x = features()
    quantity = SumOfSquares(requires=[x.sum(axis=1)], name="squares")
    total = named(x.sum(), "total")
    values = DatasetEvaluator([total, quantity]).evaluate(make_stream())
    assert values["squares"] == pytest.approx((DATA.sum(axis=1) ** 2).sum())
    assert_allclose(values["total"], numpy.mean([b.sum() for b in BATCHES]))


def test_monitored_quantity_buffer_needs_initialization():
    x = features()
    buffer = MonitoredQuantityBuffer([SumOfSquares(requires=[x], name="q")])
    assert buffer.inputs == [x]
    with pytest.raises(RuntimeError, match="initialize"):
        buffer.get_aggregated_values()
    buffer.initialize_quantities()
    buffer.aggregate_quantities([numpy.ones((2, 2))])
    assert buffer.get_aggregated_values() == {"q": 4.0}


def test_aggregation_buffer():
    x = features()
    W = shared_floatx([3.0], name="W")
    buffer = AggregationBuffer(
        [named(x.sum(), "total"), named(W.sum(), "w")], use_take_last=True
    )
    assert buffer.inputs == [x]
    with pytest.raises(RuntimeError, match="initialize"):
        buffer.get_aggregated_values()
    assert set(buffer.readout_variables) == {"total", "w"}
    # A scalar mean: two running sums; take last: one update.
    assert len(buffer.accumulation_updates) == 3


def test_aggregator_defaults():
    aggregator = Aggregator(None, readout_variable=None)
    assert aggregator.initialization_updates == []
    assert aggregator.accumulation_updates == []


def _update_graph_ops(updates):
    outputs = [new for _, new in updates]
    return {
        type(node.op).__name__
        for node in symbolic.gof.graph.io_toposort(
            symbolic.gof.graph.inputs(outputs), outputs
        )
    }


def test_scalar_mean_accumulates_without_lazy_branches():
    x = features()
    total = named(x.sum(), "total")
    aggregator = Mean(total, x.shape[0]).get_aggregator()
    assert "IfElse" not in _update_graph_ops(aggregator.accumulation_updates)
    evaluator = DatasetEvaluator([named(mean(total, x.shape[0]), "per_row")])
    for _ in range(2):
        values = evaluator.evaluate(make_stream())
        assert_allclose(values["per_row"], DATA.sum() / len(DATA))


def test_array_mean_still_starts_from_an_empty_accumulator():
    x = features()
    aggregator = Mean(x.sum(axis=0), 1.0).get_aggregator()
    assert "IfElse" in _update_graph_ops(aggregator.accumulation_updates)

import numpy
import pytest

from fuel.datasets import IndexableDataset, IterableDataset
from fuel.schemes import (
    ConcatenatedScheme,
    ConstantScheme,
    SequentialExampleScheme,
    SequentialScheme,
)
from fuel.streams import AbstractDataStream, DataStream


def test_iterable_stream_repeats_every_epoch():
    stream = DataStream(IterableDataset({"x": [1, 2, 3]}))
    assert stream.sources == ("x",)
    assert stream.produces_examples
    assert list(stream.get_epoch_iterator()) == [(1,), (2,), (3,)]
    assert list(stream.get_epoch_iterator()) == [(1,), (2,), (3,)]


def test_epoch_iterator_as_dict():
    stream = DataStream(IterableDataset({"x": [1, 2], "y": [3, 4]}))
    assert list(stream.get_epoch_iterator(as_dict=True)) == [
        {"x": 1, "y": 3},
        {"x": 2, "y": 4},
    ]


def test_indexable_stream_with_batch_scheme():
    dataset = IndexableDataset({"x": numpy.arange(5)})
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(5, 2))
    assert not stream.produces_examples
    batches = [batch for (batch,) in stream.get_epoch_iterator()]
    assert [b.tolist() for b in batches] == [[0, 1], [2, 3], [4]]


def test_iterate_epochs_yields_fresh_epochs():
    stream = DataStream(IterableDataset([1, 2]))
    epochs = stream.iterate_epochs()
    assert [list(next(epochs)) for _ in range(3)] == [[(1,), (2,)]] * 3


def test_reset_restarts_the_epoch():
    stream = DataStream(IterableDataset([1, 2, 3]))
    iterator = stream.get_epoch_iterator()
    next(iterator)
    stream.reset()
    assert list(stream.get_epoch_iterator()) == [(1,), (2,), (3,)]
    stream.close()


def test_axis_labels_come_from_the_dataset():
    labels = {"x": ("batch", "feature")}
    dataset = IndexableDataset({"x": numpy.zeros((2, 3))}, axis_labels=labels)
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(2, 2))
    assert stream.axis_labels == labels
    assert stream.axis_labels is not labels


def test_sources_can_be_overridden():
    stream = DataStream(IterableDataset({"x": [1]}))
    stream.sources = ("renamed",)
    assert next(stream.get_epoch_iterator(as_dict=True)) == {"renamed": 1}


def test_produces_examples_without_a_scheme_can_be_set():
    stream = DataStream(IterableDataset([[1, 2]]), produces_examples=False)
    assert not stream.produces_examples
    with pytest.raises(ValueError, match="iteration scheme"):
        DataStream(
            IndexableDataset([1]),
            iteration_scheme=SequentialExampleScheme(1),
            produces_examples=False,
        )


def test_scheme_larger_than_the_dataset_is_caught():
    dataset = IndexableDataset({"x": numpy.arange(5)})
    with pytest.raises(ValueError, match=r"example 5.*only 5 examples"):
        DataStream(dataset, iteration_scheme=SequentialScheme(6, 2))
    with pytest.raises(ValueError, match="example 9"):
        DataStream(
            dataset,
            iteration_scheme=ConcatenatedScheme(
                [SequentialScheme(5, 2), SequentialScheme([9], 1)]
            ),
        )
    with pytest.raises(ValueError, match="asks for 8 examples"):
        DataStream(dataset, iteration_scheme=ConstantScheme(2, num_examples=8))


def test_as_dict_reports_a_source_count_mismatch():
    stream = DataStream(IterableDataset({"x": [1]}))
    stream.sources = ("a", "b")
    with pytest.raises(ValueError, match="1 values for its 2 sources"):
        next(stream.get_epoch_iterator(as_dict=True))


def test_abstract_data_stream_is_abstract():
    with pytest.raises(TypeError):
        AbstractDataStream()


def test_iterable_dataset_stream_accepts_a_scheme_only_to_report_its_size():
    # Blocks' ProgressBar tests build such a stream to read the scheme's size.
    scheme = SequentialExampleScheme(100)
    stream = DataStream(IterableDataset({"x": [1, 2, 3]}), iteration_scheme=scheme)
    assert stream.iteration_scheme.num_examples == 100
    with pytest.raises(ValueError, match="cannot answer the request 0"):
        next(stream.get_epoch_iterator())


def test_example_stream_of_an_iterable_dataset():
    stream = IterableDataset(range(3)).get_example_stream()
    assert stream.iteration_scheme is None
    assert list(stream.get_epoch_iterator()) == [(0,), (1,), (2,)]


class Counter(AbstractDataStream):
    sources = ("n",)

    def get_data(self, request=None):
        return (request,)

    def reset(self):
        pass

    def close(self):
        pass

    def next_epoch(self):
        pass


def test_produces_examples_unset_without_a_scheme_raises():
    stream = Counter()
    with pytest.raises(ValueError, match="produces_examples was not set"):
        stream.produces_examples
    stream.produces_examples = False
    assert stream.produces_examples is False
    assert Counter(iteration_scheme=SequentialScheme(2, 1)).produces_examples is False


def test_example_streams_drop_the_batch_axis_from_the_labels():
    labels = {"x": ("batch", "feature"), "y": None}
    dataset = IndexableDataset(
        {"x": numpy.zeros((2, 3)), "y": [0, 1]}, axis_labels=labels
    )
    examples = DataStream(dataset, iteration_scheme=SequentialExampleScheme(2))
    assert examples.axis_labels == {"x": ("feature",), "y": None}
    batches = DataStream(dataset, iteration_scheme=SequentialScheme(2, 2))
    assert batches.axis_labels == labels
    given = {"x": ("batch", "feature")}
    DataStream(IterableDataset({"x": [1]}), axis_labels=given)
    assert given == {"x": ("batch", "feature")}, "the caller's dict is left alone"

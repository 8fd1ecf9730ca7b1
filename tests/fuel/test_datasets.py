import pickle
from collections import OrderedDict

import numpy
import pytest

from fuel.datasets import Dataset, IndexableDataset, IterableDataset
from fuel.schemes import SequentialExampleScheme
from fuel.streams import DataStream
from fuel.transformers import ScaleAndShift


def test_iterable_dataset_single_source():
    dataset = IterableDataset([1, 2, 3])
    assert dataset.sources == ("data",)
    assert dataset.num_examples == 3
    state = dataset.open()
    assert [dataset.get_data(state) for _ in range(3)] == [(1,), (2,), (3,)]
    with pytest.raises(StopIteration):
        dataset.get_data(state)


def test_iterable_dataset_dict_keeps_source_order_and_selects_sources():
    data = OrderedDict([("b", [1, 2]), ("a", [3, 4])])
    assert IterableDataset(data).sources == ("b", "a")
    dataset = IterableDataset(data, sources=("a",))
    assert dataset.get_data(dataset.open()) == (3,)


def test_iterable_dataset_without_length_has_nan_examples():
    assert numpy.isnan(IterableDataset(iter([1, 2])).num_examples)


def test_iterable_dataset_rejects_requests_and_bad_input():
    dataset = IterableDataset([1, 2])
    with pytest.raises(ValueError, match="cannot answer the request"):
        dataset.get_data(dataset.open(), request=[0])
    with pytest.raises(ValueError, match="source 'x'"):
        IterableDataset({"x": 3})
    with pytest.raises(ValueError, match="differ in length"):
        IterableDataset({"x": [1, 2], "y": [1]})


def test_missing_source_names_the_sources_there_are():
    with pytest.raises(ValueError, match=r"no source 'z'.*\('x', 'y'\)"):
        IndexableDataset({"x": [1], "y": [2]}, sources=("z",))
    with pytest.raises(TypeError, match=r"\('x',\)"):
        IndexableDataset({"x": [1]}, sources="x")


def test_indexable_dataset_answers_lists_slices_and_indices():
    features = numpy.arange(10).reshape(5, 2)
    dataset = IndexableDataset({"features": features, "targets": list("abcde")})
    assert dataset.num_examples == 5
    got_features, got_targets = dataset.get_data(request=[3, 1])
    numpy.testing.assert_array_equal(got_features, [[6, 7], [2, 3]])
    assert got_targets == ["d", "b"]
    assert dataset.get_data(request=slice(0, 2))[1] == ["a", "b"]
    assert dataset.get_data(request=4)[1] == "e"


def test_indexable_dataset_start_and_stop():
    dataset = IndexableDataset({"x": numpy.arange(10)}, start=2, stop=5)
    assert dataset.num_examples == 3
    numpy.testing.assert_array_equal(dataset.get_data(request=[0, 2])[0], [2, 4])
    assert isinstance(dataset.example_iteration_scheme, SequentialExampleScheme)


def test_indexable_dataset_errors():
    dataset = IndexableDataset(numpy.arange(4))
    with pytest.raises(IndexError, match=r"example 4.*only 4 examples"):
        dataset.get_data(request=[1, 4])
    with pytest.raises(ValueError, match="needs a request"):
        dataset.get_data()
    with pytest.raises(ValueError, match="differ in length"):
        IndexableDataset({"x": [1, 2], "y": [1]})
    with pytest.raises(TypeError, match="sequence or array"):
        IndexableDataset({"x": iter([1])})


def test_example_stream_visits_every_example():
    dataset = IndexableDataset({"x": [5, 6, 7]})
    stream = dataset.get_example_stream()
    assert stream.produces_examples
    assert list(stream.get_epoch_iterator()) == [(5,), (6,), (7,)]


def test_dataset_needs_provides_sources_and_get_data():
    with pytest.raises(ValueError, match="provides_sources"):
        Dataset()

    class Empty(Dataset):
        provides_sources = ("x",)

    with pytest.raises(NotImplementedError, match="Empty"):
        Empty().get_data()
    with pytest.raises(AttributeError, match="no example iteration scheme"):
        Empty().example_iteration_scheme


def test_filter_sources_keeps_requested_order():
    class Three(Dataset):
        provides_sources = ("a", "b", "c")

    assert Three(sources=("c", "a")).filter_sources((1, 2, 3)) == (3, 1)


def test_default_transformers_are_applied_in_order():
    class Scaled(IndexableDataset):
        default_transformers = (
            (ScaleAndShift, [2, 0], {}),
            (ScaleAndShift, [1, 1], {}),
        )

    dataset = Scaled({"x": numpy.array([1.0, 2.0])})
    stream = DataStream.default_stream(
        dataset, iteration_scheme=SequentialExampleScheme(2)
    )
    assert [float(x) for (x,) in stream.get_epoch_iterator()] == [3.0, 5.0]


def test_iterable_dataset_of_none_raises_value_error():
    with pytest.raises(ValueError, match="expects an iterable"):
        IterableDataset(None)


def test_indexable_dataset_sources_read_as_attributes_and_survive_pickling():
    features, targets = numpy.arange(6).reshape(3, 2), [7, 8, 9]
    dataset = IndexableDataset({"features": features, "targets": targets})
    assert dataset.features is dataset.indexables[0]
    assert dataset.targets == targets
    with pytest.raises(AttributeError, match="labels"):
        dataset.labels
    copy = pickle.loads(pickle.dumps(dataset))
    numpy.testing.assert_array_equal(copy.features, features)
    assert copy.subset.num_examples == 3


def test_indexable_dataset_refuses_a_state():
    dataset = IndexableDataset({"x": [1, 2]})
    assert dataset.get_data(None, [1]) == ([2],)
    with pytest.raises(ValueError, match="keeps no state"):
        dataset.get_data(state=object(), request=[0])


def test_example_iteration_scheme_of_datasets_that_define_none():
    class Bare(Dataset):
        provides_sources = ("x",)

    bare = Bare()
    assert not hasattr(bare, "example_iteration_scheme")
    bare.example_iteration_scheme = SequentialExampleScheme(2)
    assert bare.get_example_stream().iteration_scheme is bare.example_iteration_scheme
    assert IterableDataset([1]).example_iteration_scheme is None

import logging
import pickle

import numpy
import pytest

from fuel.datasets import IndexableDataset, IterableDataset
from fuel.exceptions import AxisLabelsMismatchError
from fuel.schemes import ConstantScheme, SequentialExampleScheme, SequentialScheme
from fuel.streams import DataStream
from fuel.transformers import (
    AgnosticSourcewiseTransformer,
    Batch,
    Cache,
    Cast,
    ExpectsAxisLabels,
    Filter,
    FilterSources,
    Flatten,
    ForceFloatX,
    Mapping,
    Merge,
    MultiProcessing,
    Padding,
    Rename,
    ScaleAndShift,
    SortMapping,
    Transformer,
    Unpack,
)


def example_stream(**sources):
    return DataStream(IterableDataset(sources))


def batch_stream(batch_size=2, **sources):
    dataset = IndexableDataset({k: numpy.asarray(v) for k, v in sources.items()})
    scheme = SequentialScheme(dataset.num_examples, batch_size)
    return DataStream(dataset, iteration_scheme=scheme)


def double_first(data):
    return (data[0] * 2,) + tuple(data[1:])


def sums(data):
    return (data[0] + data[1],)


def is_even(data):
    return data[0] % 2 == 0


def test_mapping_replaces_data():
    stream = Mapping(example_stream(x=[1, 2]), double_first)
    assert list(stream.get_epoch_iterator()) == [(2,), (4,)]


def test_mapping_adds_sources():
    stream = Mapping(example_stream(x=[1, 2], y=[10, 20]), sums, add_sources=("s",))
    assert stream.sources == ("x", "y", "s")
    assert list(stream.get_epoch_iterator()) == [(1, 10, 11), (2, 20, 22)]


def test_filter_drops_items():
    stream = Filter(example_stream(x=[1, 2, 3, 4]), is_even)
    assert list(stream.get_epoch_iterator()) == [(2,), (4,)]


def test_batch_groups_examples_with_strictness():
    stream = Batch(example_stream(x=[1, 2, 3]), ConstantScheme(2))
    batches = [x.tolist() for (x,) in stream.get_epoch_iterator()]
    assert batches == [[1, 2], [3]]
    assert not stream.produces_examples
    strict = Batch(example_stream(x=[1, 2, 3]), ConstantScheme(2), strictness=1)
    assert [x.tolist() for (x,) in strict.get_epoch_iterator()] == [[1, 2]]
    stricter = Batch(example_stream(x=[1, 2, 3]), ConstantScheme(2), strictness=2)
    iterator = stricter.get_epoch_iterator()
    next(iterator)
    with pytest.raises(ValueError, match="ran out after 1 examples"):
        next(iterator)


def test_batch_checks_its_input():
    with pytest.raises(ValueError, match="stream of examples"):
        Batch(batch_stream(x=[1, 2]), ConstantScheme(2))
    with pytest.raises(ValueError, match="requests batches"):
        Batch(example_stream(x=[1]), SequentialExampleScheme(1))


def test_batch_adds_a_batch_axis_label():
    dataset = IndexableDataset({"x": numpy.zeros((3, 2))}, axis_labels={"x": ("f",)})
    stream = DataStream(dataset, iteration_scheme=SequentialExampleScheme(3))
    assert Batch(stream, ConstantScheme(2)).axis_labels == {"x": ("batch", "f")}


def test_unpack_inverts_batch():
    stream = Unpack(batch_stream(3, x=[1, 2, 3, 4], y=[5, 6, 7, 8]))
    assert stream.produces_examples
    assert [(int(x), int(y)) for x, y in stream.get_epoch_iterator()] == [
        (1, 5),
        (2, 6),
        (3, 7),
        (4, 8),
    ]


def test_padding_pads_and_masks():
    stream = Padding(
        Batch(example_stream(x=[[1, 2, 3], [4]], y=[0, 1]), ConstantScheme(2)),
        mask_sources=("x",),
    )
    assert stream.sources == ("x", "x_mask", "y")
    x, mask, y = next(stream.get_epoch_iterator())
    numpy.testing.assert_array_equal(x, [[1, 2, 3], [4, 0, 0]])
    numpy.testing.assert_array_equal(mask, [[1, 1, 1], [1, 0, 0]])
    assert mask.dtype == numpy.float64
    numpy.testing.assert_array_equal(y, [0, 1])


def test_padding_keeps_trailing_dimensions_and_rejects_mismatch():
    sequences = [numpy.ones((2, 3)), numpy.ones((1, 3))]
    stream = Padding(Batch(example_stream(x=sequences), ConstantScheme(2)))
    x, mask = next(stream.get_epoch_iterator())
    assert x.shape == (2, 2, 3)
    assert mask.tolist() == [[1, 1], [1, 0]]
    bad = Padding(
        Batch(
            example_stream(x=[numpy.ones((2, 3)), numpy.ones((2, 4))]),
            ConstantScheme(2),
        )
    )
    with pytest.raises(ValueError, match="differ in other axes"):
        next(bad.get_epoch_iterator())
    with pytest.raises(ValueError, match="stream of batches"):
        Padding(example_stream(x=[[1]]))


def test_flatten_reshapes_batches_and_examples():
    data = numpy.arange(24).reshape(3, 2, 2, 2)
    labels = {"x": ("batch", "c", "h", "w")}
    dataset = IndexableDataset({"x": data}, axis_labels=labels)
    batches = Flatten(DataStream(dataset, iteration_scheme=SequentialScheme(3, 2)))
    first = next(batches.get_epoch_iterator())[0]
    numpy.testing.assert_array_equal(first, data[:2].reshape(2, 8))
    assert batches.axis_labels == {"x": ("batch", "feature")}
    examples = Flatten(DataStream(dataset, iteration_scheme=SequentialExampleScheme(3)))
    assert next(examples.get_epoch_iterator())[0].shape == (8,)


def test_flatten_only_the_chosen_sources():
    stream = Flatten(
        batch_stream(2, x=numpy.ones((2, 2, 2)), y=numpy.ones((2, 2, 2))),
        which_sources=("x",),
    )
    x, y = next(stream.get_epoch_iterator())
    assert (x.shape, y.shape) == ((2, 4), (2, 2, 2))
    with pytest.raises(ValueError, match=r"source 'z'.*\('x', 'y'\)"):
        Flatten(batch_stream(x=[1], y=[1]), which_sources=("z",))


def test_scale_and_shift_then_cast():
    stream = Cast(
        ScaleAndShift(batch_stream(x=numpy.array([0, 255], numpy.uint8)), 1 / 255, 1),
        "float32",
    )
    (x,) = next(stream.get_epoch_iterator())
    assert x.dtype == numpy.float32
    numpy.testing.assert_allclose(x, [1.0, 2.0])


def test_cast_to_floatx(monkeypatch):
    monkeypatch.setenv("FUEL_FLOATX", "float16")
    stream = Cast(batch_stream(x=[1, 2]), "floatX")
    assert next(stream.get_epoch_iterator())[0].dtype == numpy.float16


def test_force_floatx_only_touches_floats(monkeypatch):
    monkeypatch.setenv("FUEL_FLOATX", "float32")
    stream = ForceFloatX(batch_stream(x=[1.0, 2.0], y=[1, 2]))
    x, y = next(stream.get_epoch_iterator())
    assert x.dtype == numpy.float32
    assert y.dtype.kind == "i"


def test_filter_sources_keeps_stream_order():
    stream = FilterSources(example_stream(a=[1], b=[2], c=[3]), ("c", "a"))
    assert stream.sources == ("a", "c")
    assert next(stream.get_epoch_iterator()) == (1, 3)
    with pytest.raises(ValueError, match="'d'"):
        FilterSources(example_stream(a=[1]), ("d",))


def test_rename(caplog):
    stream = Rename(example_stream(a=[1], b=[2]), {"a": "x"})
    assert stream.sources == ("x", "b")
    assert next(stream.get_epoch_iterator(as_dict=True)) == {"x": 1, "b": 2}
    with pytest.raises(KeyError, match="'q'"):
        Rename(example_stream(a=[1]), {"q": "r"})
    with caplog.at_level(logging.WARNING, logger="fuel.transformers.simple"):
        Rename(example_stream(a=[1]), {"q": "r"}, on_non_existent="warn")
    assert "'q'" in caplog.text
    assert Rename(example_stream(a=[1]), {"q": "r"}, "ignore").sources == ("a",)
    with pytest.raises(KeyError, match="duplicate"):
        Rename(example_stream(a=[1], b=[2]), {"a": "b"})
    swapped = Rename(example_stream(a=[1], b=[2]), {"a": "b", "b": "a"})
    assert swapped.sources == ("b", "a")


def first_length(example):
    return len(example[0])


def test_sort_mapping_sorts_within_a_batch():
    batch = ([[1, 2, 3], [1], [1, 2]], numpy.array([0, 1, 2]))
    words, labels = SortMapping(first_length)(batch)
    assert words == [[1], [1, 2], [1, 2, 3]]
    numpy.testing.assert_array_equal(labels, [1, 2, 0])
    words, _ = SortMapping(first_length, reverse=True)(batch)
    assert words == [[1, 2, 3], [1, 2], [1]]


def test_cache_rebatches():
    stream = Cache(batch_stream(3, x=numpy.arange(7)), ConstantScheme(2))
    batches = [x.tolist() for (x,) in stream.get_epoch_iterator()]
    assert batches[:3] == [[0, 1], [2, 3], [4, 5]]
    assert batches[3:] == [[6]]


def test_merge_zips_streams():
    stream = Merge([example_stream(a=[1, 2]), example_stream(b=[3, 4])], ("x", "y"))
    assert list(stream.get_epoch_iterator(as_dict=True)) == [
        {"x": 1, "y": 3},
        {"x": 2, "y": 4},
    ]
    with pytest.raises(ValueError, match="1 source names"):
        Merge([example_stream(a=[1]), example_stream(b=[1])], ("x",))
    with pytest.raises(ValueError, match="cannot mix"):
        Merge([example_stream(a=[1]), batch_stream(b=[1])], ("x", "y"))


class Negate(AgnosticSourcewiseTransformer):
    def __init__(self, data_stream, **kwargs):
        super().__init__(data_stream, data_stream.produces_examples, **kwargs)

    def transform_any_source(self, source_data, source_name):
        return -numpy.asarray(source_data)


def test_custom_sourcewise_transformer_on_examples_and_batches():
    examples = Negate(example_stream(a=[1], b=[2]), which_sources=("b",))
    assert next(examples.get_epoch_iterator()) == (1, -2)
    batches = Negate(batch_stream(a=[1, 2]))
    assert next(batches.get_epoch_iterator())[0].tolist() == [-1, -2]


def test_transformer_without_methods_says_what_is_missing():
    stream = Transformer(example_stream(a=[1]))
    with pytest.raises(NotImplementedError, match="does not transform examples"):
        next(stream.get_epoch_iterator())
    assert Transformer(batch_stream(a=[1])).produces_examples is False


def test_transformers_delegate_epochs_to_the_child():
    stream = Mapping(example_stream(x=[1, 2]), double_first)
    assert list(stream.get_epoch_iterator()) == [(2,), (4,)]
    assert list(stream.get_epoch_iterator()) == [(2,), (4,)]
    stream.reset()
    stream.next_epoch()
    stream.close()


def swap_dict(data):
    return {"x": data["y"], "y": data["x"]}


def product_dict(data):
    return {"p": data["x"] * data["y"]}


def test_mapping_accepting_dicts():
    stream = Mapping(
        example_stream(x=[1, 2], y=[3, 4]), swap_dict, mapping_accepts=dict
    )
    assert list(stream.get_epoch_iterator()) == [(3, 1), (4, 2)]
    added = Mapping(
        example_stream(x=[1, 2], y=[3, 4]),
        product_dict,
        add_sources=("p",),
        mapping_accepts=dict,
    )
    assert list(added.get_epoch_iterator(as_dict=True))[1] == {"x": 2, "y": 4, "p": 8}
    missing = Mapping(example_stream(x=[1], y=[2]), product_dict, mapping_accepts=dict)
    with pytest.raises(KeyError, match="no value for 'x'"):
        next(missing.get_epoch_iterator())
    with pytest.raises(ValueError, match="list or dict"):
        Mapping(example_stream(x=[1]), swap_dict, mapping_accepts=tuple)


class ExpectsFeatureAxis(ExpectsAxisLabels, Transformer):
    def transform_batch(self, batch):
        labels = (self.data_stream.axis_labels or {}).get("x")
        self.verify_axis_labels(("batch", "feature"), labels, "x")
        return batch


def labelled_batches(labels):
    dataset = IndexableDataset({"x": numpy.zeros((4, 2))}, axis_labels=labels)
    return DataStream(dataset, iteration_scheme=SequentialScheme(4, 2))


def test_expects_axis_labels(caplog):
    good = ExpectsFeatureAxis(labelled_batches({"x": ("batch", "feature")}))
    assert len(list(good.get_epoch_iterator())) == 2
    bad = ExpectsFeatureAxis(labelled_batches({"x": ("batch", "time")}))
    with pytest.raises(AxisLabelsMismatchError, match=r"ExpectsFeatureAxis.*'time'"):
        next(bad.get_epoch_iterator())
    unlabelled = ExpectsFeatureAxis(labelled_batches(None))
    with caplog.at_level(logging.WARNING):
        list(unlabelled.get_epoch_iterator())
    assert caplog.text.count("no axis labels") == 1


def test_axis_labels_follow_fuels_rules():
    labels = {"x": ("batch", "feature")}
    stream = labelled_batches(labels)
    for kept in (
        ScaleAndShift(stream, 2, 0),
        Cast(stream, "float32"),
        ForceFloatX(stream),
        Filter(stream, is_even),
        Cache(stream, ConstantScheme(3)),
    ):
        assert kept.axis_labels == labels, type(kept).__name__
    # A transformer may change the axes: it inherits no labels unless told.
    assert Mapping(stream, double_first).axis_labels is None
    assert Transformer(stream).axis_labels is None
    assert Transformer(stream, axis_labels={"x": ("a",)}).axis_labels == {"x": ("a",)}


def test_multiprocessing_reads_the_stream_in_the_background():
    stream = MultiProcessing(batch_stream(2, x=numpy.arange(5)), max_store=2)
    try:
        for _ in range(2):
            assert [x.tolist() for (x,) in stream.get_epoch_iterator()] == [
                [0, 1],
                [2, 3],
                [4],
            ]
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(stream)
    finally:
        stream.proc.terminate()
        stream.proc.join(5)


def test_old_ngrams_path_still_imports():
    from fuel.transformers import sequences, text

    assert text.NGrams is sequences.NGrams

import pytest

from fuel.datasets import IterableDataset
from fuel.schemes import ConstantScheme
from fuel.streams import DataStream
from fuel.transformers import Batch
from fuel.transformers.sequences import NGrams, Window


def sentences(*sequences):
    return DataStream(IterableDataset({"words": list(sequences)}))


def test_overlapping_window():
    stream = Window(1, 2, 2, True, sentences([1, 2, 3, 4]))
    assert stream.sources == ("words", "targets")
    assert list(stream.get_epoch_iterator()) == [
        ([1, 2], [2, 3]),
        ([2, 3], [3, 4]),
    ]


def test_non_overlapping_window_skips_short_sequences():
    stream = Window(0, 2, 1, False, sentences([1, 2], [1, 2, 3, 4]))
    assert list(stream.get_epoch_iterator()) == [([1, 2], [3]), ([2, 3], [4])]


def test_negative_offset_starts_late_enough():
    stream = Window(-1, 1, 1, True, sentences([1, 2, 3]))
    assert list(stream.get_epoch_iterator()) == [([2], [1]), ([3], [2])]


def test_ngrams_yield_the_next_word():
    stream = NGrams(2, sentences([1, 2, 3], [4, 5, 6]), target_source="next")
    assert stream.sources == ("words", "next")
    assert list(stream.get_epoch_iterator()) == [
        ([1, 2], 3),
        ([4, 5], 6),
    ]
    assert list(stream.get_epoch_iterator()) == [([1, 2], 3), ([4, 5], 6)]


def test_window_checks_its_input():
    two_sources = DataStream(IterableDataset({"a": [[1]], "b": [[1]]}))
    with pytest.raises(ValueError, match="one source"):
        Window(0, 1, 1, True, two_sources)
    with pytest.raises(ValueError, match="stream of examples"):
        Window(0, 1, 1, True, Batch(sentences([1]), ConstantScheme(1)))
    with pytest.raises(ValueError, match="length 1 or more"):
        Window(0, 0, 1, True, sentences([1]))

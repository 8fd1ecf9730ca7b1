"""Pickle epoch iterators mid-epoch and resume them in a fresh process."""

import operator
import os
import pickle
import subprocess
import sys

import numpy
import pytest

from fuel.datasets import Digits, IndexableDataset, IterableDataset, TextFile
from fuel.schemes import ConstantScheme, ShuffledScheme
from fuel.streams import DataStream
from fuel.transformers import Batch, Flatten, Mapping, Padding, SortMapping, Unpack

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RESUME = """
import pickle, sys
with open(sys.argv[1], "rb") as f:
    stream, iterator = pickle.load(f)
rest = list(iterator)
next_epoch = list(stream.get_epoch_iterator(as_dict=True))
with open(sys.argv[2], "wb") as f:
    pickle.dump((rest, next_epoch), f)
"""


def digits_stream(tmp_path):
    dataset = Digits(("train",))
    scheme = ShuffledScheme(dataset.num_examples, 100, rng=numpy.random.RandomState(4))
    stream = Flatten(DataStream.default_stream(dataset, iteration_scheme=scheme))
    return Mapping(stream, SortMapping(operator.itemgetter(1)))


def unpacked_stream(tmp_path):
    dataset = IndexableDataset({"x": numpy.arange(50), "y": numpy.arange(50) ** 2})
    scheme = ShuffledScheme(50, 7, rng=numpy.random.RandomState(1))
    return Batch(
        Unpack(DataStream(dataset, iteration_scheme=scheme)), ConstantScheme(4)
    )


def iterable_stream(tmp_path):
    rng = numpy.random.RandomState(2)
    dataset = IterableDataset(
        {"x": rng.rand(40, 3), "y": list(range(40)), "z": range(100, 140)}
    )
    stream = Batch(DataStream(dataset), ConstantScheme(6))
    return Mapping(stream, SortMapping(operator.itemgetter(1), reverse=True))


def text_stream(tmp_path):
    path = tmp_path / "corpus.txt"
    lines = [" ".join(["a", "b", "c"][: 1 + i % 3] * (1 + i % 4)) for i in range(30)]
    path.write_text("\n".join(lines) + "\n")
    words = {"<S>": 0, "</S>": 1, "<UNK>": 2, "a": 3, "b": 4}
    dataset = TextFile([str(path)], words)
    return Padding(Batch(DataStream(dataset), ConstantScheme(4)), mask_dtype="int8")


def resume_in_subprocess(tmp_path, stream, iterator):
    state = tmp_path / "state.pkl"
    result = tmp_path / "result.pkl"
    with open(state, "wb") as f:
        pickle.dump((stream, iterator), f)
    env = dict(os.environ, PYTHONPATH=REPO)
    subprocess.run(
        [sys.executable, "-c", RESUME, str(state), str(result)],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    with open(result, "rb") as f:
        return pickle.load(f)


def assert_same_batches(got, expected):
    assert len(got) == len(expected)
    for got_batch, expected_batch in zip(got, expected, strict=True):
        if isinstance(expected_batch, dict):
            assert got_batch.keys() == expected_batch.keys()
            got_batch = [got_batch[key] for key in expected_batch]
            expected_batch = list(expected_batch.values())
        for got_data, expected_data in zip(got_batch, expected_batch, strict=True):
            numpy.testing.assert_array_equal(got_data, expected_data)


@pytest.mark.parametrize(
    "build", [digits_stream, unpacked_stream, iterable_stream, text_stream]
)
def test_resumed_epoch_yields_the_same_remaining_batches(tmp_path, build):
    reference = build(tmp_path)
    first_epoch = list(reference.get_epoch_iterator())
    second_epoch = list(reference.get_epoch_iterator(as_dict=True))
    assert len(first_epoch) > 4

    stream = build(tmp_path)
    iterator = stream.get_epoch_iterator()
    seen = [next(iterator) for _ in range(3)]
    assert_same_batches(seen, first_epoch[:3])

    rest, next_epoch = resume_in_subprocess(tmp_path, stream, iterator)
    assert_same_batches(rest, first_epoch[3:])
    assert_same_batches(next_epoch, second_epoch)

    # Pickling did not disturb the original iterator either.
    assert_same_batches(list(iterator), first_epoch[3:])


def test_shuffled_epochs_differ_but_replay_identically(tmp_path):
    stream = digits_stream(tmp_path)
    first = [targets for _, targets in stream.get_epoch_iterator()]
    second = [targets for _, targets in stream.get_epoch_iterator()]
    assert not all(numpy.array_equal(a, b) for a, b in zip(first, second, strict=True))
    replay = [targets for _, targets in digits_stream(tmp_path).get_epoch_iterator()]
    assert_same_batches([(t,) for t in replay], [(t,) for t in first])

"""ShardedScheme: each process of a data-parallel run reads its part of every batch."""

import pickle

import pytest

from fuel.schemes import (
    ConstantScheme,
    SequentialExampleScheme,
    SequentialScheme,
    ShardedScheme,
    launcher_rank_and_size,
)


def test_shards_cover_each_batch_once_in_order():
    scheme = SequentialScheme(7, batch_size=5)
    shards = [
        list(ShardedScheme(scheme, r, 3).get_request_iterator()) for r in range(3)
    ]
    assert shards == [[[0, 1], [5]], [[2, 3], [6]], [[4], []]]


def test_without_a_launcher_the_requests_are_the_wrapped_ones(monkeypatch):
    for name in ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert launcher_rank_and_size() == (0, 1)
    scheme = SequentialScheme(7, batch_size=5)
    sharded = ShardedScheme(scheme)
    assert list(sharded.get_request_iterator()) == list(scheme.get_request_iterator())
    assert (sharded.num_batches, sharded.num_examples, sharded.batch_size) == (2, 7, 5)


def test_pickled_iterator_takes_the_shard_of_the_loading_process(monkeypatch):
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "0")
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    iterator = ShardedScheme(SequentialScheme(8, batch_size=4)).get_request_iterator()
    assert next(iterator) == [0, 1]
    saved = pickle.dumps(iterator)
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "1")
    assert next(pickle.loads(saved)) == [6, 7]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="requests single examples"):
        ShardedScheme(SequentialExampleScheme(4))
    with pytest.raises(ValueError, match="rank 2 is not below"):
        ShardedScheme(SequentialScheme(4, 2), rank=2, size=2)
    with pytest.raises(ValueError, match="both rank and size"):
        ShardedScheme(SequentialScheme(4, 2), rank=1)
    with pytest.raises(TypeError, match="requested a batch size"):
        next(ShardedScheme(ConstantScheme(3), 0, 2).get_request_iterator())

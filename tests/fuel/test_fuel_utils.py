import os
import pickle
import subprocess
import sys
import threading

import numpy
import pytest

from fuel.utils import (
    IndexRun,
    _Chain,
    _PartitionAll,
    _Repeat,
    borrowed_batches,
    check_indices,
    consecutive_run,
    find_files,
    find_in_data_path,
    index_within,
    partition_all,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_find_files_searches_directories_in_order(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    (second / "sub").mkdir(parents=True)
    first.mkdir()
    (second / "sub" / "data.gz").write_bytes(b"")
    (first / "data.gz").write_bytes(b"")
    monkeypatch.setenv("FUEL_DATA_PATH", os.pathsep.join([str(first), str(second)]))
    found = find_files(["data", "data.gz"], ("", "sub"))
    assert found == os.path.join(str(first), "", "data.gz")
    (second / "data").write_bytes(b"")
    assert find_in_data_path("data") == os.path.join(str(second), "data")


def test_find_files_error_lists_every_candidate(tmp_path, monkeypatch):
    monkeypatch.setenv("FUEL_DATA_PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        find_files(["x.bin", "x.bin.gz"], ("", "sub"), what="test file")
    message = str(error.value)
    assert "test file 'x.bin'" in message
    for candidate in ("x.bin", "x.bin.gz", "sub/x.bin", "sub/x.bin.gz"):
        assert os.path.join(str(tmp_path), candidate) in message


def test_check_indices():
    check_indices([0, 4, -5], 5, "D")
    check_indices(slice(0, 100), 5, "D")
    check_indices([], 5, "D")
    with pytest.raises(IndexError, match="D was asked for example 5"):
        check_indices(numpy.array([5]), 5, "D")
    with pytest.raises(IndexError, match="example -6"):
        check_indices(-6, 5, "D")
    with pytest.raises(TypeError, match="integer example indices"):
        check_indices([0.5], 5, "D")
    # A run of consecutive indices is bounded by its ends.
    with pytest.raises(IndexError, match="D was asked for example 5"):
        check_indices([3, 4, 5], 5, "D")
    with pytest.raises(IndexError, match="D was asked for example 11"):
        check_indices(list(range(7, 12)), 5, "D")
    check_indices(numpy.arange(5, dtype="int32"), 5, "D")


def test_one_run_indexes_every_source():
    features, targets = numpy.arange(20.0).reshape(10, 2), numpy.arange(10)
    request = check_indices([4, 5, 6], 10, "D")
    run = consecutive_run(request)
    assert run == slice(4, 7)
    assert consecutive_run([4, 6]) is None and consecutive_run(slice(0, 2)) is None
    for data in (features, targets):
        batch = index_within(data, request, run)
        numpy.testing.assert_array_equal(batch, data[4:7])
        assert batch.flags.owndata


def test_index_within_arrays_and_lists():
    numpy.testing.assert_array_equal(index_within(numpy.arange(5), [3, 1]), [3, 1])
    assert index_within(list("abc"), [2, 0]) == ["c", "a"]
    assert index_within(list("abc"), 1) == "b"
    assert index_within(list("abc"), slice(1, None)) == ["b", "c"]


@pytest.mark.parametrize(
    "request_",
    [[3, 4, 5, 6], [0, 1], [6], [5, 3, 4, 6], [3, 4, 4, 6], [-3, -2, -1], [2, 4, 6, 8]],
)
def test_index_within_a_run_of_indices_is_a_copy_like_fancy_indexing(request_):
    # Consecutive indices (a sequential scheme's batches) take one block
    # copy instead of a gather; any other request keeps fancy indexing.
    # Either way the batch owns its data, as Fuel's fancy indexing gave.
    data = numpy.arange(40.0).reshape(10, 4)
    batch = index_within(data, request_)
    numpy.testing.assert_array_equal(batch, data[numpy.asarray(request_)])
    assert batch.flags.c_contiguous and batch.flags.owndata
    batch += 100
    numpy.testing.assert_array_equal(data, numpy.arange(40.0).reshape(10, 4))


def test_an_index_run_is_a_list_that_carries_its_slice():
    request = IndexRun(range(4, 8))
    assert request == [4, 5, 6, 7] and isinstance(request, list)
    assert consecutive_run(request) == slice(4, 8)
    assert check_indices(request, 8, "Data") is request
    copy = pickle.loads(pickle.dumps(request))
    assert copy == request and copy.run == slice(4, 8)
    data = numpy.arange(40.0).reshape(10, 4)
    batch = index_within(data, request, consecutive_run(request))
    numpy.testing.assert_array_equal(batch, data[4:8])
    assert batch.flags.owndata
    assert index_within(list("abcdefghij"), request) == ["e", "f", "g", "h"]


def test_an_index_run_changed_after_it_was_made_is_read_as_its_items():
    data = numpy.arange(40.0).reshape(10, 4)
    request = IndexRun(range(2, 5))
    request[1] = 9
    assert consecutive_run(request) is None
    checked = check_indices(request, 10, "Data")
    numpy.testing.assert_array_equal(index_within(data, checked), data[[2, 9, 4]])
    request = IndexRun(range(2, 5))
    request.append(5)
    assert request.run is None and consecutive_run(request) == slice(2, 6)
    numpy.testing.assert_array_equal(
        index_within(data, check_indices(request, 10, "Data")), data[2:6]
    )


def test_an_index_run_past_the_examples_names_its_last_index():
    with pytest.raises(IndexError, match="example 7, but it has only 6 examples"):
        check_indices(IndexRun(range(4, 8)), 6, "Data")


def test_indexable_dataset_reads_a_sequential_schemes_requests_as_lists():
    from fuel.datasets import IndexableDataset
    from fuel.schemes import SequentialScheme

    data = numpy.arange(30.0).reshape(10, 3)
    dataset = IndexableDataset({"x": data, "names": list("abcdefghij")})
    requests = list(SequentialScheme(10, 4).get_request_iterator())
    assert [type(r) for r in requests] == [IndexRun, IndexRun, IndexRun]
    for request in requests:
        x, names = dataset.get_data(request=request)
        numpy.testing.assert_array_equal(x, data[list(request)])
        assert names == [list("abcdefghij")[i] for i in request]
    with pytest.raises(IndexError, match="example 11"):
        IndexableDataset({"x": data}).get_data(request=IndexRun(range(8, 12)))


def test_borrowed_batches_are_read_only_views_of_consecutive_runs():
    data = numpy.arange(40.0).reshape(10, 4)
    with borrowed_batches():
        batch = index_within(data, [3, 4, 5])
        gathered = index_within(data, [5, 3])
        with borrowed_batches():
            pass
        # Nested contexts restore the setting they found.
        still = index_within(data, [0, 1])
    numpy.testing.assert_array_equal(batch, data[3:6])
    assert numpy.shares_memory(batch, data) and not batch.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        batch += 1
    numpy.testing.assert_array_equal(data, numpy.arange(40.0).reshape(10, 4))
    assert data.flags.writeable
    # A gather still copies; after the context, runs copy again.
    assert gathered.flags.owndata and gathered.flags.writeable
    assert numpy.shares_memory(still, data)
    after = index_within(data, [3, 4, 5])
    assert after.flags.owndata and after.flags.writeable


def test_borrowed_batches_is_per_thread():
    data = numpy.arange(12.0).reshape(6, 2)
    seen = []
    with borrowed_batches():
        worker = threading.Thread(
            target=lambda: seen.append(index_within(data, [1, 2]))
        )
        worker.start()
        worker.join()
    assert seen[0].flags.owndata


def test_check_indices_returns_a_list_request_as_an_array():
    got = check_indices([1, 2, 3], 5, "D")
    assert isinstance(got, numpy.ndarray) and got.tolist() == [1, 2, 3]
    assert check_indices(slice(1, 3), 5, "D") == slice(1, 3)
    assert check_indices(2, 5, "D") == 2


@pytest.mark.parametrize("partition", [partition_all, _PartitionAll])
def test_partition_all_pickles_mid_way(partition):
    parts = partition(2, list(range(5)))
    assert next(parts) == (0, 1)
    copy = pickle.loads(pickle.dumps(parts))
    assert list(copy) == [(2, 3), (4,)]


def test_fallback_chain_and_repeat_pickle_mid_way():
    chained = _Chain([1, 2], [], iter([3]), range(4, 6))
    assert [next(chained), next(chained)] == [1, 2]
    assert list(pickle.loads(pickle.dumps(chained))) == [3, 4, 5]
    repeated = _Repeat("a", 3)
    next(repeated)
    assert list(pickle.loads(pickle.dumps(repeated))) == ["a", "a"]
    endless = _Repeat(7)
    assert [next(endless) for _ in range(5)] == [7] * 5


def test_fuel_works_without_picklable_itertools():
    # picklable_itertools imports pkg_resources, which new setuptools lack.
    code = (
        "import sys, pickle\n"
        "sys.modules['picklable_itertools'] = None\n"
        "from fuel.datasets import IndexableDataset\n"
        "from fuel.schemes import ConstantScheme, SequentialScheme\n"
        "from fuel.streams import DataStream\n"
        "from fuel.transformers import Batch, Unpack\n"
        "stream = DataStream(IndexableDataset({'x': list(range(7))}),\n"
        "                    iteration_scheme=SequentialScheme(7, 3))\n"
        "stream = Batch(Unpack(stream), ConstantScheme(2, num_examples=6))\n"
        "it = stream.get_epoch_iterator()\n"
        "next(it)\n"
        "print([x.tolist() for (x,) in pickle.loads(pickle.dumps(it))])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ, PYTHONPATH=REPO),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[[2, 3], [4, 5]]"

import os
import pickle
import threading
import time

import numpy
import pytest

from fuel.utils import (
    Subset,
    buffer_,
    cache,
    disk,
    do_not_pickle_attributes,
    formats,
    iterable_fancy_indexing,
    lazy_property_factory,
    lock,
    remember_cwd,
)


class TestSubset:
    def test_lists_are_sorted_deduplicated_and_contiguous_runs_become_slices(self):
        assert Subset([4, 2, 3, 3], 10).list_or_slice == slice(2, 5, None)
        assert Subset([7, 1, 5], 10).list_or_slice == [1, 5, 7]
        assert Subset([], 10).is_empty and Subset([], 10).is_list

    @pytest.mark.parametrize(
        "bad",
        [
            [-1, 2],
            [10],
            slice(-1, 4),
            slice(0, 11),
            slice(10, None),
            slice(5, 2),
            slice(0, 4, 2),
        ],
    )
    def test_out_of_range_subsets_are_refused(self, bad):
        with pytest.raises(ValueError):
            Subset(bad, 10)

    def test_num_examples_and_list_representation(self):
        assert Subset(slice(None), 7).num_examples == 7
        assert Subset(slice(3, None), 7).get_list_representation() == [3, 4, 5, 6]
        assert Subset([1, 5], 7).num_examples == 2
        assert Subset.slice_to_numerical_args(slice(None, 4), 9) == (0, 4, 1)

    def test_requests_are_relative_to_the_subset(self):
        as_slice = Subset(slice(2, 8), 10)
        assert as_slice[[0, 3]] == [2, 5]
        assert as_slice[slice(1, 5, 2)] == slice(3, 7, 2)
        assert as_slice[slice(None)] == slice(2, 8)
        as_list = Subset([1, 4, 6, 9], 10)
        assert as_list[[3, 0]] == [9, 1]
        assert as_list[slice(1, 3)] == [4, 6]

    @pytest.mark.parametrize(
        "request_",
        [[], [-1], [6], slice(-1, 2), slice(0, 7), slice(6, None), slice(3, 3)],
    )
    def test_requests_outside_the_subset_are_refused(self, request_):
        with pytest.raises(ValueError):
            Subset(slice(2, 8), 10)[request_]

    def test_addition_merges_touching_slices_and_joins_the_rest_as_lists(self):
        assert (Subset(slice(0, 3), 9) + Subset(slice(3, 5), 9)).list_or_slice == slice(
            0, 5
        )
        assert (Subset(slice(4, 6), 9) + Subset(slice(0, 5), 9)).list_or_slice == slice(
            0, 6
        )
        joined = Subset(slice(6, 8), 9) + Subset([1, 3], 9)
        assert joined.list_or_slice == [1, 3, 6, 7]
        assert (Subset([], 9) + Subset([2], 9)).list_or_slice == slice(2, 3)
        with pytest.raises(ValueError, match="different sizes"):
            Subset([1], 9) + Subset([1], 8)

    def test_subset_of_and_empty_subset(self):
        inner = Subset.subset_of(Subset([1, 3, 5, 7], 10), [0, 3, 2])
        assert inner.list_or_slice == [1, 5, 7]
        assert Subset.empty_subset(4).num_examples == 0

    def test_index_within_subset_reads_arrays_and_lists(self):
        data = numpy.arange(10) * 10
        subset = Subset([1, 4, 6], 10)
        assert subset.index_within_subset(data, 1) == 40
        numpy.testing.assert_array_equal(
            subset.index_within_subset(data, [2, 0]), [60, 10]
        )
        numpy.testing.assert_array_equal(
            subset.index_within_subset(data, [2, 0], sort_indices=True), [60, 10]
        )
        assert subset.index_within_subset(list("abcdefghij"), [0, 2]) == ["b", "g"]
        assert Subset(slice(2, 5), 10).index_within_subset(
            list(range(10)), slice(0, 2)
        ) == [2, 3]

    def test_sorted_fancy_indexing_reads_in_order_and_returns_in_request_order(self):
        class IncreasingOnly:
            shape, dtype = (5, 2), numpy.dtype("int32")

            def __getitem__(self, request):
                assert list(request) == sorted(request), "reads must be increasing"
                return numpy.array([[i, -i] for i in request], dtype=self.dtype)

        got = Subset.sorted_fancy_indexing(IncreasingOnly(), [3, 0, 4])
        numpy.testing.assert_array_equal(got, [[3, -3], [0, 0], [4, -4]])

    def test_subsets_pickle(self):
        subset = Subset([1, 5], 8)
        copy = pickle.loads(pickle.dumps(subset))
        assert copy.list_or_slice == [1, 5] and copy.original_num_examples == 8


def test_iterable_fancy_indexing():
    numpy.testing.assert_array_equal(
        iterable_fancy_indexing(numpy.arange(4), [3, 1]), [3, 1]
    )
    assert iterable_fancy_indexing("abcd", [3, 1]) == ["d", "b"]


@do_not_pickle_attributes("data", "handle")
class Lazy:
    loads = 0

    def __init__(self, size):
        self.size = size

    def load(self):
        type(self).loads += 1
        self.data = list(range(self.size))
        self.handle = iter(self.data)


def test_do_not_pickle_attributes_reloads_after_unpickling():
    lazy = Lazy(3)
    before = Lazy.loads
    assert lazy.data == [0, 1, 2]
    assert Lazy.loads == before + 1
    with pytest.raises(ValueError, match="iterator"):
        pickle.dumps(lazy)
    lazy.handle = None
    state = lazy.__getstate__()
    assert "_data" not in state and "_handle" not in state and state["size"] == 3
    copy = pickle.loads(pickle.dumps(lazy))
    assert "_data" not in copy.__dict__
    assert copy.data == [0, 1, 2]


def test_do_not_pickle_attributes_needs_load_and_respects_an_own_getstate():
    with pytest.raises(ValueError, match="load"):

        @do_not_pickle_attributes("x")
        class NoLoad:
            pass

    @do_not_pickle_attributes("x")
    class OwnState:
        def load(self):
            self.x = 1

        def __getstate__(self):
            return {"kept": True}

    assert OwnState().__getstate__() == {"kept": True}

    @do_not_pickle_attributes("y")
    class Child(Lazy):
        def load(self):
            super().load()
            self.y = 2

    child = Child(1)
    assert child.y == 2 and child.data == [0]
    child.handle = None
    assert not {"_data", "_handle", "_y"} & set(child.__getstate__())


def test_lazy_property_factory_complains_when_load_does_not_set_it():
    getter, setter = lazy_property_factory("thing")

    class Forgetful:
        thing = property(getter, setter)

        def load(self):
            pass

    with pytest.raises(ValueError, match="thing wasn't loaded"):
        Forgetful().thing


def test_remember_cwd_and_buffer(tmp_path):
    before = os.getcwd()
    with remember_cwd():
        os.chdir(tmp_path)
    assert os.getcwd() == before
    assert bytes(buffer_(b"ab")) == b"ab"


def test_lock_excludes_a_second_owner_until_released(tmp_path):
    lock_dir = str(tmp_path / "data.writelock")
    lock.get_lock(lock_dir, min_wait=0.01, max_wait=0.02)
    lock.get_lock(lock_dir)  # re-entrant
    owner = open(os.path.join(lock_dir, "lock")).read().strip()
    assert owner.startswith(f"{os.getpid()}_")
    order = []

    def contender():
        # Another owner: the plain directory lock, without the process counter.
        lock.lock(lock_dir, timeout=None, min_wait=0.01, max_wait=0.02, verbosity=0)
        order.append("contender")
        lock.Unlocker(lock_dir).unlock()

    thread = threading.Thread(target=contender)
    thread.start()
    time.sleep(0.1)
    lock.release_lock()
    assert os.path.isdir(lock_dir), "one release of two keeps the lock"
    order.append("owner released")
    lock.release_lock()
    thread.join(5)
    assert order == ["owner released", "contender"]
    assert not os.path.exists(lock_dir)


def test_lock_overrides_the_lock_of_a_dead_process(tmp_path):
    lock_dir = tmp_path / "stale"
    lock_dir.mkdir()
    # A pid far above any live one on this host.
    (lock_dir / "lock").write_text(f"999999999_0123456789_{os.uname().nodename}\n")
    unique_id = lock.lock(str(lock_dir), min_wait=0.01, max_wait=0.02, verbosity=0)
    assert (lock_dir / "lock").read_text().strip() == unique_id
    lock.Unlocker(str(lock_dir)).unlock()


def test_lock_overrides_a_lock_unchanged_for_longer_than_timeout(tmp_path):
    lock_dir = tmp_path / "old"
    lock_dir.mkdir()
    (lock_dir / "lock").write_text("1_0123456789_some-other-host\n")
    lock.lock(str(lock_dir), timeout=0.05, min_wait=0.01, max_wait=0.02, verbosity=0)
    assert (lock_dir / "lock").read_text().startswith(f"{os.getpid()}_")
    lock.Unlocker(str(lock_dir)).unlock()


def test_cache_file_copies_once_into_the_local_path(tmp_path, monkeypatch):
    remote = tmp_path / "remote"
    remote.mkdir()
    data_file = remote / "data.hdf5"
    data_file.write_bytes(b"0123456789")
    local = tmp_path / "local" / "cache"
    assert cache.cache_file(str(data_file)) == str(data_file), (
        "caching is off by default"
    )
    monkeypatch.setenv("FUEL_LOCAL_DATA_PATH", str(local))
    try:
        cached = cache.cache_file(str(data_file))
        assert cached == str(local / "data.hdf5")
        assert open(cached, "rb").read() == b"0123456789"
        readlocks = [name for name in os.listdir(local) if ".readlock." in name]
        assert len(readlocks) == 1
        assert not os.path.exists(cached + ".writelock")
        # A newer remote file is read remotely rather than from a stale copy.
        os.utime(data_file, (time.time() + 100, time.time() + 100))
        assert cache.cache_file(str(data_file)) == str(data_file)
        assert cache.cache_file(str(remote / "missing.hdf5")) == str(
            remote / "missing.hdf5"
        )
    finally:
        for name in os.listdir(local):
            if ".readlock." in name:
                cache.release_readlock(os.path.join(local, name))


def test_disk_helpers(tmp_path):
    total, used = disk.disk_usage(str(tmp_path))
    assert 0 < used <= total
    nested = tmp_path / "a" / "b"
    disk.safe_mkdir(str(nested), force_perm=0o750)
    assert nested.is_dir() and (nested.stat().st_mode & 0o777) == 0o750
    small = tmp_path / "small"
    small.write_bytes(b"x")
    assert disk.check_enough_space(
        str(tmp_path), str(small), "small", max_disk_usage=1.0
    )
    assert not disk.check_enough_space(
        str(tmp_path), str(small), "small", max_disk_usage=0.0
    )


def test_open_reads_plain_and_gzipped_text(tmp_path):
    import gzip

    plain = tmp_path / "a.txt"
    plain.write_text("héllo\n", encoding="utf-8")
    packed = tmp_path / "a.txt.gz"
    with gzip.open(packed, "wt", encoding="utf-8") as handle:
        handle.write("héllo\n")
    with formats.open_(str(plain), encoding="utf-8") as handle:
        assert handle.read() == "héllo\n"
    with formats.open_(str(packed), encoding="utf-8") as handle:
        assert handle.read() == "héllo\n"
    with formats.open_(str(packed)) as handle:
        assert handle.read() == "héllo\n".encode()


def test_tar_open_takes_a_path_or_a_file(tmp_path):
    import tarfile

    member = tmp_path / "m.txt"
    member.write_text("x")
    archive = tmp_path / "a.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(member, arcname="m.txt")
    with formats.tar_open(str(archive)) as tar:
        assert tar.getnames() == ["m.txt"]
    with open(archive, "rb") as handle, formats.tar_open(handle) as tar:
        assert tar.getnames() == ["m.txt"]

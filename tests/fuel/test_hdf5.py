import pickle
import sys

import numpy
import pytest

from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from tests.helpers.fuel_files import write_fuel_hdf5, write_vlen_source

h5py = pytest.importorskip("h5py", reason="H5PYDataset needs h5py")

from fuel.datasets.hdf5 import H5PYDataset  # noqa: E402

FEATURES = numpy.arange(20 * 3, dtype="float32").reshape(20, 3)
TARGETS = numpy.arange(20, dtype="uint8").reshape(20, 1) * 2
LABELS = {"features": ("batch", "feature"), "targets": ("batch", "index")}


@pytest.fixture
def path(tmp_path):
    path = str(tmp_path / "data.hdf5")
    write_fuel_hdf5(
        path,
        {"features": FEATURES, "targets": TARGETS},
        {
            "train": {"features": (0, 12), "targets": (0, 12)},
            "valid": {"features": [12, 14, 16], "targets": [12, 14, 16]},
            "test": {"features": (17, 20)},
        },
        LABELS,
    )
    return path


@pytest.fixture(autouse=True)
def close_shared_handles():
    # get_data without open() keeps the shared handle open, as in Fuel.
    yield
    for path in list(H5PYDataset._file_handles):
        H5PYDataset._file_handles.pop(path).close()
        H5PYDataset._ref_counts.pop(path, None)


def test_create_split_array_layout():
    table = H5PYDataset.create_split_array(
        {
            "train": {"features": (0, 10), "targets": (0, 10, None, "a note")},
            "test": {"features": (10, 12)},
        }
    )
    assert table.dtype.names == (
        "split",
        "source",
        "start",
        "stop",
        "indices",
        "available",
        "comment",
    )
    assert table.dtype["start"].shape == () and table.dtype["stop"].shape == ()
    assert table.dtype["split"] == numpy.dtype("S5")
    assert table.dtype["source"] == numpy.dtype("S8")
    assert table.dtype["comment"] == numpy.dtype("S6")
    rows = {(r["split"], r["source"]): r for r in table}
    assert len(rows) == 4
    assert rows[b"train", b"targets"]["comment"] == b"a note"
    assert rows[b"train", b"features"]["comment"] == b"."
    missing = rows[b"test", b"targets"]
    assert not missing["available"]
    assert (missing["start"], missing["stop"]) == (0, 0)
    assert not missing["indices"]
    assert int(rows[b"test", b"features"]["stop"]) == 12


def test_reads_a_split(path):
    train = H5PYDataset(path, which_sets=("train",))
    assert train.provides_sources == ("features", "targets")
    assert train.num_examples == 12
    assert train.axis_labels == LABELS
    features, targets = train.get_data(request=slice(2, 5))
    numpy.testing.assert_array_equal(features, FEATURES[2:5])
    numpy.testing.assert_array_equal(targets, TARGETS[2:5])
    one = train.get_data(request=3)
    numpy.testing.assert_array_equal(one[0], FEATURES[3])
    assert one[1].shape == (1,)


def test_list_requests_come_back_in_request_order(path):
    train = H5PYDataset(path, which_sets=("train",))
    (features,) = train.get_data(request=[7, 1, 4])[:1]
    numpy.testing.assert_array_equal(features, FEATURES[[7, 1, 4]])


def test_unsorted_lists_need_sort_indices(path):
    train = H5PYDataset(path, which_sets=("train",), sort_indices=False)
    numpy.testing.assert_array_equal(
        train.get_data(request=[1, 4])[0], FEATURES[[1, 4]]
    )
    with pytest.raises(TypeError):
        train.get_data(request=[4, 1])


def test_index_list_split_and_joined_splits(path):
    valid = H5PYDataset(path, which_sets=("valid",))
    assert valid.num_examples == 3
    numpy.testing.assert_array_equal(
        valid.get_data(request=slice(0, 3))[1], TARGETS[[12, 14, 16]]
    )
    # Joined splits follow file order, whatever order they are named in.
    joined = H5PYDataset(path, which_sets=("valid", "train"))
    assert joined.num_examples == 15
    numpy.testing.assert_array_equal(
        joined.get_data(request=list(range(15)))[1],
        TARGETS[[*range(12), 12, 14, 16]],
    )


def test_provides_only_sources_of_every_split(path):
    test = H5PYDataset(path, which_sets=("test",))
    assert test.provides_sources == ("features",)
    both = H5PYDataset(path, which_sets=("train", "test"))
    assert both.provides_sources == ("features",)
    assert both.num_examples == 15
    with pytest.raises(ValueError, match="targets"):
        H5PYDataset(path, which_sets=("test",), sources=("targets",))


def test_sources_choose_and_order(path):
    train = H5PYDataset(path, which_sets=("train",), sources=("targets", "features"))
    targets, features = train.get_data(request=[0])
    numpy.testing.assert_array_equal(targets, TARGETS[:1])
    numpy.testing.assert_array_equal(features, FEATURES[:1])


@pytest.mark.parametrize("subset", [slice(2, 6), [5, 1, 3]])
def test_subset_within_the_splits(path, subset):
    train = H5PYDataset(path, which_sets=("train",), subset=subset)
    rows = numpy.arange(12)[subset]
    assert train.num_examples == len(rows)
    numpy.testing.assert_array_equal(
        train.get_data(request=list(range(len(rows))))[1], TARGETS[numpy.sort(rows)]
    )


@pytest.mark.parametrize("which_sets", [("train",), ("valid",), ("train", "valid")])
def test_load_in_memory_matches_the_file(path, which_sets):
    on_disk = H5PYDataset(path, which_sets=which_sets, subset=[0, 2])
    in_memory = H5PYDataset(
        path, which_sets=which_sets, subset=[0, 2], load_in_memory=True
    )
    for request in (1, [1, 0], slice(0, 2)):
        for got, expected in zip(
            in_memory.get_data(request=request), on_disk.get_data(request=request)
        ):
            numpy.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError, match="request"):
        in_memory.get_data(request=None)
    with pytest.raises(ValueError, match="state"):
        in_memory.get_data(state=object(), request=[0])


def test_streams_over_a_file(path):
    train = H5PYDataset(path, which_sets=("train",))
    stream = DataStream(train, iteration_scheme=SequentialScheme(12, 5))
    batches = list(stream.get_epoch_iterator(as_dict=True))
    assert [len(b["targets"]) for b in batches] == [5, 5, 2]
    numpy.testing.assert_array_equal(
        numpy.concatenate([b["features"] for b in batches]), FEATURES[:12]
    )
    examples = list(train.get_example_stream().get_epoch_iterator())
    assert len(examples) == 12
    numpy.testing.assert_array_equal(examples[4][0], FEATURES[4])
    stream.close()


def test_open_and_close_share_one_handle(path):
    first = H5PYDataset(path, which_sets=("train",))
    second = H5PYDataset(path, which_sets=("test",))
    first_state, second_state = first.open(), second.open()
    assert first_state is None and second_state is None
    handle = H5PYDataset._file_handles[path]
    assert H5PYDataset._ref_counts[path] == 2
    first.close(first_state)
    assert handle.id.valid
    second.close(second_state)
    assert not handle.id.valid
    assert path not in H5PYDataset._file_handles


def test_external_handle_is_not_closed(path):
    with h5py.File(path, "r") as handle:
        train = H5PYDataset(handle, which_sets=("train",))
        state = train.open()
        numpy.testing.assert_array_equal(train.get_data(state, [0])[0], FEATURES[:1])
        train.close(state)
        assert handle.id.valid
        copy = pickle.loads(pickle.dumps(train))
    numpy.testing.assert_array_equal(copy.get_data(request=[1])[0], FEATURES[1:2])


def test_pickle_holds_no_data_and_reloads(path):
    train = H5PYDataset(path, which_sets=("train",), load_in_memory=True)
    expected = train.get_data(request=[3, 4])
    dumped = pickle.dumps(train)
    assert FEATURES[:12].tobytes() not in dumped
    assert len(dumped) < 2000
    copy = pickle.loads(dumped)
    assert "_data_sources" not in copy.__dict__
    for got, want in zip(copy.get_data(request=[3, 4]), expected):
        numpy.testing.assert_array_equal(got, want)


def test_pickled_stream_resumes_mid_epoch(path):
    stream = DataStream(
        H5PYDataset(path, which_sets=("train",)),
        iteration_scheme=SequentialScheme(12, 4),
    )
    epoch = stream.get_epoch_iterator()
    next(epoch)
    resumed = pickle.loads(pickle.dumps(epoch))
    numpy.testing.assert_array_equal(next(resumed)[0], next(epoch)[0])
    stream.close()
    resumed.data_stream.close()


def test_variable_length_sources(tmp_path):
    path = str(tmp_path / "vlen.hdf5")
    rng = numpy.random.RandomState(0)
    images = [
        rng.randint(0, 256, size=(3, h, w)).astype("uint8")
        for h, w in ((2, 3), (4, 1), (3, 3), (1, 5))
    ]
    with h5py.File(path, "w") as f:
        write_vlen_source(f, "images", images, ["channel", "height", "width"])
        f["targets"] = numpy.arange(4, dtype="uint8").reshape(4, 1)
        f.attrs["split"] = H5PYDataset.create_split_array(
            {"train": {"images": (0, 3), "targets": (0, 3)}, "test": {"images": (3, 4)}}
        )
    for load_in_memory in (False, True):
        train = H5PYDataset(path, which_sets=("train",), load_in_memory=load_in_memory)
        assert train.vlen_sources == ["images"]
        assert train.axis_labels["images"] == ("batch", "channel", "height", "width")
        image, target = train.get_data(request=1)
        numpy.testing.assert_array_equal(target, [1])
        numpy.testing.assert_array_equal(image, images[1])
        batch = train.get_data(request=[2, 0])[0]
        assert batch.dtype == object and len(batch) == 2
        numpy.testing.assert_array_equal(batch[0], images[2])
        numpy.testing.assert_array_equal(batch[1], images[0])


def test_bad_arguments_are_named(path):
    for which_sets in ("train", (), ("train", 1)):
        with pytest.raises(ValueError, match="which_sets"):
            H5PYDataset(path, which_sets=which_sets)
    generated = H5PYDataset(path, which_sets=(s for s in ["valid"]))
    assert generated.which_sets == ("valid",)
    with pytest.raises(ValueError, match=r"'extra'.*'test', 'train', 'valid'"):
        H5PYDataset(path, which_sets=("extra",))
    train = H5PYDataset(path, which_sets=("train",))
    with pytest.raises(ValueError, match="request"):
        train.get_data(request=numpy.array([0, 1]))
    with pytest.raises(ValueError, match="asks for example 12"):
        train.get_data(request=[12])
    with pytest.raises(ValueError, match="stops past"):
        train.get_data(request=slice(0, 13))


def test_sources_of_different_lengths_are_refused(tmp_path):
    path = str(tmp_path / "uneven.hdf5")
    write_fuel_hdf5(
        path,
        {"a": numpy.zeros(5), "b": numpy.zeros(5)},
        {"train": {"a": (0, 5), "b": (0, 4)}},
    )
    with pytest.raises(ValueError, match="different lengths"):
        H5PYDataset(path, which_sets=("train",)).num_examples


def test_a_file_without_split_table_is_refused(tmp_path):
    path = str(tmp_path / "plain.hdf5")
    with h5py.File(path, "w") as f:
        f["x"] = numpy.zeros(3)
    with pytest.raises(ValueError, match="no 'split' attribute"):
        H5PYDataset(path, which_sets=("train",))
    assert path not in H5PYDataset._file_handles


def test_driver_is_passed_to_h5py(path):
    train = H5PYDataset(path, which_sets=("train",), driver="core")
    state = train.open()
    assert H5PYDataset._file_handles[path].driver == "core"
    numpy.testing.assert_array_equal(train.get_data(state, [5])[0], FEATURES[5:6])
    train.close(state)


def test_missing_h5py_names_the_extra(path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match=r"'hdf5' extra"):
        H5PYDataset(path, which_sets=("train",))


def test_reads_split_tables_with_one_element_fields(tmp_path):
    # Fuel's create_split_array run under NumPy 2 writes (1,) start/stop fields.
    path = str(tmp_path / "old.hdf5")
    dtype = numpy.dtype(
        [
            ("split", "S5"),
            ("source", "S8"),
            ("start", numpy.int64, (1,)),
            ("stop", numpy.int64, (1,)),
            ("indices", h5py.ref_dtype),
            ("available", numpy.bool_, (1,)),
            ("comment", "S1"),
        ]
    )
    with h5py.File(path, "w") as f:
        f["features"] = FEATURES
        f.attrs["split"] = numpy.array(
            [
                (b"train", b"features", [0], [15], None, [True], b"."),
                (b"test", b"features", [15], [20], None, [True], b"."),
            ],
            dtype=dtype,
        )
    test = H5PYDataset(path, which_sets=("test",))
    assert test.num_examples == 5
    numpy.testing.assert_array_equal(test.get_data(request=[4])[0], FEATURES[19:])

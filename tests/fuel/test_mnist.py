import gzip
import os
import pickle
import struct

import numpy
import pytest

from fuel.datasets import MNIST
from fuel.datasets.mnist import read_idx
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from fuel.transformers import Flatten

IDX_CODES = {numpy.dtype("uint8"): 0x08, numpy.dtype("int32"): 0x0C}


def write_idx(path, array):
    array = numpy.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    content = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(content)


def fake_mnist(directory, n_train=6, n_test=4, gz=False, subdir=""):
    """Write tiny MNIST IDX files; pixels are distinct per example."""
    rng = numpy.random.RandomState(0)
    target = directory / subdir
    target.mkdir(parents=True, exist_ok=True)
    arrays = {}
    suffix = ".gz" if gz else ""
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.randint(0, 256, size=(n, 28, 28)).astype(numpy.uint8)
        labels = rng.randint(0, 10, size=n).astype(numpy.uint8)
        write_idx(target / f"{prefix}-images-idx3-ubyte{suffix}", images)
        write_idx(target / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
        arrays[prefix] = images, labels
    return arrays


@pytest.fixture
def mnist_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FUEL_DATA_PATH", str(tmp_path))
    return tmp_path


def test_reads_idx_files(mnist_dir):
    arrays = fake_mnist(mnist_dir)
    mnist = MNIST(("train",))
    assert mnist.num_examples == 6
    assert mnist.sources == ("features", "targets")
    features, targets = mnist.get_data(request=[4, 0])
    assert features.shape == (2, 1, 28, 28)
    assert features.dtype == numpy.uint8
    assert targets.shape == (2, 1)
    numpy.testing.assert_array_equal(features[:, 0], arrays["train"][0][[4, 0]])
    numpy.testing.assert_array_equal(targets[:, 0], arrays["train"][1][[4, 0]])
    assert mnist.axis_labels["features"] == ("batch", "channel", "height", "width")


def test_reads_gzipped_files_from_an_mnist_subdirectory(mnist_dir):
    arrays = fake_mnist(mnist_dir, gz=True, subdir="mnist")
    mnist = MNIST(("test",))
    assert mnist.num_examples == 4
    numpy.testing.assert_array_equal(
        mnist.get_data(request=slice(None))[1][:, 0], arrays["t10k"][1]
    )


def test_several_sets_subset_and_sources(mnist_dir):
    arrays = fake_mnist(mnist_dir)
    both = MNIST(("train", "test"))
    assert both.num_examples == 10
    labels = numpy.concatenate([arrays["train"][1], arrays["t10k"][1]])
    numpy.testing.assert_array_equal(
        both.get_data(request=list(range(10)))[1][:, 0], labels
    )
    subset = MNIST(("test", "train"), subset=slice(2, 7), sources=("targets",))
    assert subset.sources == ("targets",)
    expected = numpy.concatenate([arrays["t10k"][1], arrays["train"][1]])[2:7]
    (got,) = subset.get_data(request=[0, 1, 2, 3, 4])
    numpy.testing.assert_array_equal(got[:, 0], expected)
    listed = MNIST(("train",), subset=[5, 1])
    assert listed.num_examples == 2
    numpy.testing.assert_array_equal(
        listed.get_data(request=[0])[0][0, 0], arrays["train"][0][5]
    )


def test_default_stream_gives_floats_in_the_unit_interval(mnist_dir):
    fake_mnist(mnist_dir)
    mnist = MNIST(("train",))
    stream = Flatten(
        DataStream.default_stream(
            mnist, iteration_scheme=SequentialScheme(mnist.num_examples, batch_size=4)
        )
    )
    batches = list(stream.get_epoch_iterator(as_dict=True))
    assert [len(b["features"]) for b in batches] == [4, 2]
    features = batches[0]["features"]
    assert features.shape == (4, 784)
    assert features.dtype == numpy.float64
    assert 0.0 <= features.min() and features.max() <= 1.0
    raw = mnist.get_data(request=[0])[0].reshape(-1) / 255.0
    numpy.testing.assert_allclose(features[0], raw)
    assert batches[0]["targets"].dtype == numpy.uint8


def test_load_in_memory_false_maps_the_files(mnist_dir):
    arrays = fake_mnist(mnist_dir)
    mnist = MNIST(("train",), load_in_memory=False)
    assert isinstance(mnist.data[0], numpy.memmap)
    numpy.testing.assert_array_equal(
        mnist.get_data(request=[1])[0][0, 0], arrays["train"][0][1]
    )


def test_pickle_holds_no_data_and_reloads(mnist_dir):
    fake_mnist(mnist_dir)
    mnist = MNIST(("train",))
    expected = mnist.get_data(request=[2, 3])
    dumped = pickle.dumps(mnist)
    assert len(dumped) < 6 * 784
    copy = pickle.loads(dumped)
    for got, want in zip(copy.get_data(request=[2, 3]), expected, strict=True):
        numpy.testing.assert_array_equal(got, want)


def test_missing_file_names_the_file_and_every_place(tmp_path, monkeypatch):
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    monkeypatch.setenv("FUEL_DATA_PATH", os.pathsep.join([str(first), str(second)]))
    with pytest.raises(FileNotFoundError) as error:
        MNIST(("train",))
    message = str(error.value)
    assert "train-images-idx3-ubyte" in message
    for directory in (first, second):
        for place in ("", "mnist"):
            for name in ("train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"):
                assert os.path.join(str(directory), place, name) in message
    assert "mnist.hdf5" in message


def test_unset_data_path_says_so(monkeypatch):
    monkeypatch.delenv("FUEL_DATA_PATH", raising=False)
    monkeypatch.setattr("fuel.utils.data_path", lambda: [])
    with pytest.raises(FileNotFoundError, match="data path is not set"):
        MNIST(("train",))


def test_bad_which_sets(mnist_dir):
    fake_mnist(mnist_dir)
    with pytest.raises(TypeError, match=r"\('train',\)"):
        MNIST("train")
    with pytest.raises(ValueError, match=r"no split 'valid'.*\('train', 'test'\)"):
        MNIST(("valid",))
    with pytest.raises(ValueError, match="no source 'images'"):
        MNIST(("train",), sources=("images",))


def test_corrupt_idx_files_are_reported(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(str(bad))
    short = tmp_path / "short"
    write_idx(short, numpy.zeros((3, 2), numpy.uint8))
    short.write_bytes(short.read_bytes()[:-1])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(str(short))
    with pytest.raises(ValueError, match="truncated"):
        read_idx(str(short), mmap=True)


def test_read_idx_handles_wider_types(tmp_path):
    path = tmp_path / "ints"
    values = numpy.array([[1, -2], [300000, 4]], numpy.int32)
    write_idx(path, values)
    got = read_idx(str(path))
    numpy.testing.assert_array_equal(got, values)
    assert got.dtype.isnative


def test_mnist_hdf5_needs_h5py(mnist_dir, monkeypatch):
    (mnist_dir / "mnist.hdf5").write_bytes(b"")
    monkeypatch.setattr("fuel.datasets.mnist.h5py_available", lambda: False)
    with pytest.raises(FileNotFoundError, match="needs h5py"):
        MNIST(("train",))


def test_reads_fuel_mnist_hdf5(mnist_dir):
    h5py = pytest.importorskip("h5py")
    rng = numpy.random.RandomState(1)
    features = rng.randint(0, 256, size=(5, 1, 28, 28)).astype(numpy.uint8)
    targets = rng.randint(0, 10, size=(5, 1)).astype(numpy.uint8)
    split_dtype = numpy.dtype(
        [
            ("split", "S5"),
            ("source", "S8"),
            ("start", numpy.int64),
            ("stop", numpy.int64),
            ("indices", h5py.ref_dtype),
            ("available", numpy.bool_),
            ("comment", "S1"),
        ]
    )
    rows = [
        (split, source, start, stop, None, True, b"")
        for split, start, stop in ((b"train", 0, 3), (b"test", 3, 5))
        for source in (b"features", b"targets")
    ]
    with h5py.File(mnist_dir / "mnist.hdf5", "w") as f:
        f["features"] = features
        f["targets"] = targets
        f.attrs["split"] = numpy.array(rows, dtype=split_dtype)
    test = MNIST(("test",))
    assert test.num_examples == 2
    got_features, got_targets = test.get_data(request=[0, 1])
    numpy.testing.assert_array_equal(got_features, features[3:])
    numpy.testing.assert_array_equal(got_targets, targets[3:])


def test_accepts_fuels_hdf5_options(mnist_dir):
    fake_mnist(mnist_dir)
    mnist = MNIST(("train",), sort_indices=False, driver="core", subset=[3, 1])
    assert mnist.num_examples == 2
    assert (mnist.sort_indices, mnist.driver) == (False, "core")


def test_index_list_splits_read_like_h5pydataset(mnist_dir):
    pytest.importorskip("h5py")
    from fuel.datasets import H5PYDataset
    from tests.helpers.fuel_files import write_fuel_hdf5

    rng = numpy.random.RandomState(2)
    features = rng.randint(0, 256, size=(6, 1, 28, 28)).astype(numpy.uint8)
    targets = numpy.arange(6, dtype=numpy.uint8).reshape(6, 1)
    rows = [4, 0, 2, 4]
    write_fuel_hdf5(
        mnist_dir / "mnist.hdf5",
        {"features": features, "targets": targets},
        {"train": {"features": rows, "targets": rows}},
    )
    mnist = MNIST(("train",))
    generic = H5PYDataset(str(mnist_dir / "mnist.hdf5"), which_sets=("train",))
    assert mnist.num_examples == generic.num_examples == 3
    request = [0, 1, 2]
    numpy.testing.assert_array_equal(
        mnist.get_data(request=request)[1], [[0], [2], [4]]
    )
    for ours, fuels in zip(
        mnist.get_data(request=request), generic.get_data(request=request)
    ):
        numpy.testing.assert_array_equal(ours, fuels)
    H5PYDataset._file_handles.pop(str(mnist_dir / "mnist.hdf5")).close()
    H5PYDataset._ref_counts.pop(str(mnist_dir / "mnist.hdf5"))


def test_unpickles_fuels_own_mnist(mnist_dir):
    # Fuel 0.2 pickled MNIST as an H5PYDataset: its settings, and the path of
    # the file on the machine that pickled it.
    arrays = fake_mnist(mnist_dir)
    old = MNIST.__new__(MNIST)
    old.__dict__.update(
        {
            "path": "/elsewhere/mnist.hdf5",
            "which_sets": ("train",),
            "user_given_subset": slice(1, 4),
            "load_in_memory": True,
            "driver": None,
            "sort_indices": True,
            "provides_sources": ("features", "targets"),
            "vlen_sources": [],
            "default_axis_labels": MNIST.default_axis_labels,
            "axis_labels": MNIST.default_axis_labels,
            "_sources": ("targets",),
        }
    )
    restored = pickle.loads(pickle.dumps(old))
    assert restored.num_examples == 3
    assert restored.sources == ("targets",)
    (targets,) = restored.get_data(request=[0, 2])
    numpy.testing.assert_array_equal(targets[:, 0], arrays["train"][1][[1, 3]])
    assert len(list(restored.get_example_stream().get_epoch_iterator())) == 3

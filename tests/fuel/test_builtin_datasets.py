"""Each HDF5-backed built-in dataset, on a small file in Fuel's layout."""

import numpy
import pytest

from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from tests.helpers.fuel_files import write_fuel_hdf5, write_vlen_source

h5py = pytest.importorskip("h5py", reason="these datasets read HDF5 files")

from fuel.datasets import (  # noqa: E402
    CIFAR100,
    SVHN,
    Adult,
    BinarizedMNIST,
    CalTech101Silhouettes,
    CelebA,
    DogsVsCats,
    H5PYDataset,
    Iris,
)

IMAGE = ("batch", "channel", "height", "width")
INDEX = ("batch", "index")


@pytest.fixture(autouse=True)
def data_path(tmp_path, monkeypatch):
    monkeypatch.setenv("FUEL_DATA_PATH", str(tmp_path))
    yield tmp_path
    for path in list(H5PYDataset._file_handles):
        H5PYDataset._file_handles.pop(path).close()
        H5PYDataset._ref_counts.pop(path, None)


def uint8(rng, *shape):
    return rng.randint(0, 256, size=shape).astype(numpy.uint8)


def contiguous(sources, *splits):
    """Split table giving each split a run of rows, in order, for every source."""
    table, start = {}, 0
    for name, length in splits:
        table[name] = dict.fromkeys(sources, (start, start + length))
        start += length
    return table


def everything(dataset):
    request = list(range(dataset.num_examples))
    return dict(zip(dataset.sources, dataset.get_data(request=request)))


def test_binarized_mnist(data_path):
    features = numpy.random.RandomState(0).randint(0, 2, (7, 1, 28, 28))
    write_fuel_hdf5(
        data_path / "binarized_mnist.hdf5",
        {"features": features.astype(numpy.uint8)},
        contiguous(["features"], ("train", 4), ("valid", 2), ("test", 1)),
        {"features": IMAGE},
    )
    valid = BinarizedMNIST(("valid",))
    assert valid.load_in_memory
    assert valid.sources == ("features",)
    assert valid.axis_labels == {"features": IMAGE}
    numpy.testing.assert_array_equal(everything(valid)["features"], features[4:6])


def test_cifar100_and_its_default_stream(data_path):
    rng = numpy.random.RandomState(0)
    sources = {
        "features": uint8(rng, 5, 3, 32, 32),
        "coarse_labels": uint8(rng, 5, 1) % 20,
        "fine_labels": uint8(rng, 5, 1) % 100,
    }
    write_fuel_hdf5(
        data_path / "cifar100.hdf5",
        sources,
        contiguous(sources, ("train", 3), ("test", 2)),
        {"features": IMAGE, "coarse_labels": INDEX, "fine_labels": INDEX},
    )
    train = CIFAR100(("train",))
    assert train.sources == ("coarse_labels", "features", "fine_labels")
    stream = DataStream.default_stream(
        train, iteration_scheme=SequentialScheme(train.num_examples, 3)
    )
    batch = next(stream.get_epoch_iterator(as_dict=True))
    numpy.testing.assert_allclose(batch["features"], sources["features"][:3] / 255.0)
    numpy.testing.assert_array_equal(batch["fine_labels"], sources["fine_labels"][:3])


def test_iris_and_adult(data_path):
    rng = numpy.random.RandomState(0)
    iris = {
        "features": rng.uniform(size=(6, 4)).astype(numpy.float32),
        "targets": numpy.array([[0], [1], [2], [0], [1], [2]], dtype=numpy.uint8),
    }
    write_fuel_hdf5(
        data_path / "iris.hdf5",
        iris,
        contiguous(iris, ("all", 6)),
        {"features": ("batch", "feature"), "targets": INDEX},
    )
    everything_iris = everything(Iris(("all",)))
    numpy.testing.assert_array_equal(everything_iris["features"], iris["features"])
    adult = {
        "features": rng.uniform(size=(5, 104)),
        "targets": rng.uniform(size=(5, 1)) > 0.5,
    }
    write_fuel_hdf5(
        data_path / "adult.hdf5",
        adult,
        contiguous(adult, ("train", 3), ("test", 2)),
        {"features": ("batch", "feature"), "targets": INDEX},
    )
    test = everything(Adult(("test",)))
    assert test["targets"].dtype == bool
    numpy.testing.assert_array_equal(test["targets"], adult["targets"][3:])


def test_svhn_format_2(data_path):
    rng = numpy.random.RandomState(0)
    sources = {"features": uint8(rng, 6, 3, 32, 32), "targets": uint8(rng, 6, 1) % 10}
    write_fuel_hdf5(
        data_path / "svhn_format_2.hdf5",
        sources,
        contiguous(sources, ("train", 3), ("test", 2), ("extra", 1)),
        {"features": IMAGE, "targets": INDEX},
    )
    extra = SVHN(2, ("extra",))
    assert extra.filename == "svhn_format_2.hdf5"
    assert not extra.load_in_memory
    numpy.testing.assert_array_equal(
        everything(extra)["targets"], sources["targets"][5:]
    )
    with pytest.raises(ValueError, match="1 or 2"):
        SVHN(3, ("train",))


def test_svhn_format_1_variable_length_sources(data_path):
    rng = numpy.random.RandomState(0)
    images = [uint8(rng, 3, h, w) for h, w in ((4, 6), (5, 3), (2, 2))]
    boxes = [uint8(rng, n, 1) % 10 for n in (2, 1, 3)]
    with h5py.File(data_path / "svhn_format_1.hdf5", "w") as f:
        write_vlen_source(f, "features", images, ["channel", "height", "width"])
        write_vlen_source(f, "bbox_labels", boxes, ["bounding_box", "index"])
        f.attrs["split"] = H5PYDataset.create_split_array(
            contiguous(["features", "bbox_labels"], ("train", 2), ("test", 1))
        )
    train = SVHN(1, ("train",))
    assert train.axis_labels["bbox_labels"] == ("batch", "bounding_box", "index")
    examples = list(train.get_example_stream().get_epoch_iterator(as_dict=True))
    assert len(examples) == 2
    numpy.testing.assert_array_equal(examples[1]["features"], images[1])
    numpy.testing.assert_array_equal(examples[0]["bbox_labels"], boxes[0])


def test_caltech101_silhouettes(data_path):
    rng = numpy.random.RandomState(0)
    sources = {
        "features": rng.randint(0, 2, (4, 1, 16, 16)).astype(numpy.uint8),
        "targets": rng.randint(1, 102, (4, 1)).astype(numpy.int16),
    }
    write_fuel_hdf5(
        data_path / "caltech101_silhouettes16.hdf5",
        sources,
        contiguous(sources, ("train", 2), ("valid", 1), ("test", 1)),
        {"features": IMAGE, "targets": INDEX},
    )
    test = CalTech101Silhouettes(("test",), size=16)
    assert test.data_path == str(data_path / "caltech101_silhouettes16.hdf5")
    numpy.testing.assert_array_equal(
        everything(test)["targets"], sources["targets"][3:]
    )
    with pytest.raises(ValueError, match="16 or 28"):
        CalTech101Silhouettes(("test",), size=20)
    with pytest.raises(FileNotFoundError, match=r"caltech101_silhouettes28\.hdf5"):
        CalTech101Silhouettes(("test",))


def test_celeba(data_path):
    rng = numpy.random.RandomState(0)
    sources = {"features": uint8(rng, 4, 3, 64, 64), "targets": uint8(rng, 4, 40) % 2}
    write_fuel_hdf5(
        data_path / "celeba_64.hdf5",
        sources,
        contiguous(sources, ("train", 2), ("valid", 1), ("test", 1)),
        {"features": IMAGE, "targets": ("batch", "target")},
    )
    valid = CelebA("64", ("valid",))
    assert valid.axis_labels["targets"] == ("batch", "target")
    numpy.testing.assert_array_equal(
        everything(valid)["features"], sources["features"][2:3]
    )
    with pytest.raises(ValueError, match="aligned_cropped"):
        CelebA("32", ("valid",))


def test_dogs_vs_cats_has_no_test_targets(data_path):
    rng = numpy.random.RandomState(0)
    images = [uint8(rng, 3, h, w) for h, w in ((3, 4), (2, 5), (4, 4))]
    with h5py.File(data_path / "dogs_vs_cats.hdf5", "w") as f:
        write_vlen_source(f, "image_features", images, ["channel", "height", "width"])
        f["targets"] = numpy.array([[0], [1]], dtype=numpy.uint8)
        f.attrs["split"] = H5PYDataset.create_split_array(
            {
                "train": {"image_features": (0, 2), "targets": (0, 2)},
                "test": {"image_features": (2, 3)},
            }
        )
    train = DogsVsCats(("train",))
    assert train.sources == ("image_features", "targets")
    stream = DataStream.default_stream(
        train, iteration_scheme=SequentialScheme(train.num_examples, 2)
    )
    batch = next(stream.get_epoch_iterator(as_dict=True))
    numpy.testing.assert_allclose(batch["image_features"][1], images[1] / 255.0)
    test = DogsVsCats(("test",))
    assert test.sources == ("image_features",)
    with pytest.raises(ValueError, match="targets"):
        DogsVsCats(("test",), sources=("image_features", "targets"))


def test_a_missing_file_names_it(data_path):
    with pytest.raises(FileNotFoundError, match=r"iris\.hdf5"):
        Iris(("all",))


ALL_IMAGENET = ("encoded_images", "targets", "filenames")


def test_ilsvrc2012_encoded_images(data_path):
    from fuel.datasets.imagenet import ILSVRC2012

    blobs = [b"\xff\xd8one", b"\xff\xd8second", b"\xff\xd8third!"]
    with h5py.File(data_path / "ilsvrc2012.hdf5", "w") as f:
        images = f.create_dataset(
            "encoded_images", (3,), dtype=h5py.vlen_dtype("uint8")
        )
        for i, blob in enumerate(blobs):
            images[i] = numpy.frombuffer(blob, dtype=numpy.uint8)
        f["targets"] = numpy.array([[5], [7]], dtype=numpy.int16)
        f["filenames"] = numpy.array([[b"a.JPEG"], [b"b.JPEG"], [b"c.JPEG"]])
        f.attrs["split"] = H5PYDataset.create_split_array(
            {
                "train": dict.fromkeys(ALL_IMAGENET, (0, 1)),
                "valid": dict.fromkeys(ALL_IMAGENET, (1, 2)),
                "test": {"encoded_images": (2, 3), "filenames": (2, 3)},
            }
        )
    test = ILSVRC2012(("test",))
    assert test.sources == ("encoded_images", "filenames")
    assert test.vlen_sources == []
    assert test.axis_labels["encoded_images"] == ("",)
    images, names = test.get_data(request=[0])
    assert images[0].tobytes() == blobs[2] and names[0, 0] == b"c.JPEG"
    assert ILSVRC2012(("valid",)).get_data(request=[0])[2][0, 0] == 7


def test_youtube_audio(data_path):
    from fuel.datasets.youtube_audio import YouTubeAudio

    samples = numpy.arange(20, dtype=numpy.int16).reshape(1, 10, 2)
    write_fuel_hdf5(
        data_path / "abc123.hdf5",
        {"features": samples},
        {"train": {"features": (0, 1)}},
        {"features": ("batch", "time", "feature")},
    )
    audio = YouTubeAudio("abc123")
    assert audio.which_sets == ("train",)
    numpy.testing.assert_array_equal(audio.get_data(request=[0])[0], samples)

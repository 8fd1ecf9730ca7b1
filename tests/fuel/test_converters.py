import tarfile

import numpy
import pytest

from tests.helpers.fuel_files import add_pickle, write_mnist_gz

h5py = pytest.importorskip("h5py", reason="the converters write HDF5 files")

from fuel.converters import (  # noqa: E402
    adult,
    binarized_mnist,
    caltech101_silhouettes,
    cifar10,
    cifar100,
    iris,
    mnist,
    svhn,
)
from fuel.converters.base import MissingInputFiles, fill_hdf5_file  # noqa: E402
from fuel.datasets.hdf5 import H5PYDataset  # noqa: E402


@pytest.fixture(autouse=True)
def close_shared_handles():
    yield
    for path in list(H5PYDataset._file_handles):
        H5PYDataset._file_handles.pop(path).close()
        H5PYDataset._ref_counts.pop(path, None)


def read(path, which_sets, **kwargs):
    return H5PYDataset(path, which_sets=which_sets, load_in_memory=True, **kwargs)


def everything(dataset):
    return dict(
        zip(
            dataset.sources, dataset.get_data(request=list(range(dataset.num_examples)))
        )
    )


def test_fill_hdf5_file_concatenates_in_order(tmp_path):
    path = tmp_path / "f.hdf5"
    a, b = numpy.arange(6).reshape(3, 2), numpy.arange(6, 10).reshape(2, 2)
    with h5py.File(path, "w") as f:
        fill_hdf5_file(
            f,
            (
                ("train", "x", a),
                ("test", "x", b, "a comment"),
                ("train", "y", numpy.zeros(3)),
            ),
        )
        numpy.testing.assert_array_equal(f["x"][()], numpy.vstack([a, b]))
        rows = {(r["split"], r["source"]): r for r in f.attrs["split"]}
    assert (int(rows[b"test", b"x"]["start"]), int(rows[b"test", b"x"]["stop"])) == (
        3,
        5,
    )
    assert rows[b"test", b"x"]["comment"] == b"a comment"
    assert not rows[b"test", b"y"]["available"]
    numpy.testing.assert_array_equal(everything(read(str(path), ("test",)))["x"], b)


@pytest.mark.parametrize(
    "data, message",
    [
        ((("train", "x", numpy.zeros(3)), ("train", "y", numpy.zeros(2))), "length"),
        ((("a", "x", numpy.zeros(3)), ("b", "x", numpy.zeros(3, "int8"))), "dtype"),
        ((("a", "x", numpy.zeros((3, 2))), ("b", "x", numpy.zeros((3, 1)))), "shape"),
    ],
)
def test_fill_hdf5_file_refuses_inconsistent_arrays(tmp_path, data, message):
    with (
        h5py.File(tmp_path / "f.hdf5", "w") as f,
        pytest.raises(ValueError, match=message),
    ):
        fill_hdf5_file(f, data)


def test_mnist(tmp_path):
    arrays = write_mnist_gz(tmp_path, n_train=5, n_test=3)
    (path,) = mnist.convert_mnist(str(tmp_path), str(tmp_path))
    assert path.endswith("mnist.hdf5")
    train = read(path, ("train",))
    assert train.axis_labels == {
        "features": ("batch", "channel", "height", "width"),
        "targets": ("batch", "index"),
    }
    data = everything(train)
    assert data["features"].dtype == numpy.uint8
    numpy.testing.assert_array_equal(data["features"][:, 0], arrays["train"][0])
    numpy.testing.assert_array_equal(data["targets"][:, 0], arrays["train"][1])
    test = everything(read(path, ("test",)))
    numpy.testing.assert_array_equal(test["targets"][:, 0], arrays["t10k"][1])


@pytest.mark.parametrize("dtype", ["float32", "bool"])
def test_mnist_dtypes(tmp_path, dtype):
    arrays = write_mnist_gz(tmp_path, n_train=2, n_test=2)
    (path,) = mnist.convert_mnist(str(tmp_path), str(tmp_path), dtype=dtype)
    assert path.endswith(f"mnist_{dtype}.hdf5")
    features = everything(read(path, ("train",)))["features"][:, 0]
    assert features.dtype == numpy.dtype(dtype)
    if dtype == "bool":
        numpy.testing.assert_array_equal(features, arrays["train"][0] >= 128)
    else:
        numpy.testing.assert_allclose(features, arrays["train"][0] / 255.0, rtol=1e-6)


def test_mnist_checks_its_inputs(tmp_path):
    with pytest.raises(MissingInputFiles) as error:
        mnist.convert_mnist(str(tmp_path), str(tmp_path))
    assert error.value.filenames == mnist.ALL_FILES
    write_mnist_gz(tmp_path, n_train=2, n_test=2)
    # Swap the training images and labels.
    (tmp_path / mnist.TRAIN_IMAGES).replace(tmp_path / "spare")
    (tmp_path / mnist.TRAIN_LABELS).replace(tmp_path / mnist.TRAIN_IMAGES)
    (tmp_path / "spare").replace(tmp_path / mnist.TRAIN_LABELS)
    with pytest.raises(ValueError, match="magic number 2049"):
        mnist.convert_mnist(str(tmp_path), str(tmp_path))


def cifar_batch(rng, n, label_keys):
    batch = {"data": rng.randint(0, 256, size=(n, 3072)).astype(numpy.uint8)}
    for key, classes in label_keys.items():
        batch[key] = list(rng.randint(0, classes, size=n))
    return batch


def test_cifar10(tmp_path):
    rng = numpy.random.RandomState(0)
    batches = [cifar_batch(rng, 2, {"labels": 10}) for _ in range(6)]
    with tarfile.open(tmp_path / cifar10.DISTRIBUTION_FILE, "w:gz") as archive:
        for name, batch in zip([*cifar10.TRAIN_BATCHES, cifar10.TEST_BATCH], batches):
            add_pickle(archive, name, batch)
    (path,) = cifar10.convert_cifar10(str(tmp_path), str(tmp_path))
    train = everything(read(path, ("train",)))
    assert train["features"].shape == (10, 3, 32, 32)
    numpy.testing.assert_array_equal(
        train["features"].reshape(10, -1),
        numpy.vstack([b["data"] for b in batches[:5]]),
    )
    numpy.testing.assert_array_equal(
        train["targets"][:, 0], numpy.hstack([b["labels"] for b in batches[:5]])
    )
    test = everything(read(path, ("test",)))
    numpy.testing.assert_array_equal(test["targets"][:, 0], batches[5]["labels"])


def test_cifar100(tmp_path):
    rng = numpy.random.RandomState(0)
    keys = {"coarse_labels": 20, "fine_labels": 100}
    batches = {split: cifar_batch(rng, 3, keys) for split in ("train", "test")}
    with tarfile.open(tmp_path / cifar100.DISTRIBUTION_FILE, "w:gz") as archive:
        for split, batch in batches.items():
            add_pickle(archive, f"cifar-100-python/{split}", batch)
    (path,) = cifar100.convert_cifar100(str(tmp_path), str(tmp_path))
    test = read(path, ("test",))
    assert test.sources == ("coarse_labels", "features", "fine_labels")
    data = everything(test)
    for key in keys:
        numpy.testing.assert_array_equal(data[key][:, 0], batches["test"][key])
    numpy.testing.assert_array_equal(
        data["features"].reshape(3, -1), batches["test"]["data"]
    )


def test_binarized_mnist(tmp_path):
    rng = numpy.random.RandomState(0)
    images = {}
    for split, name in zip(("train", "valid", "test"), binarized_mnist.ALL_FILES):
        images[split] = rng.randint(0, 2, size=((split == "train") + 2, 784))
        numpy.savetxt(tmp_path / name, images[split], fmt="%d")
    (path,) = binarized_mnist.convert_binarized_mnist(str(tmp_path), str(tmp_path))
    for split, expected in images.items():
        features = everything(read(path, (split,)))["features"]
        assert features.shape == (len(expected), 1, 28, 28)
        numpy.testing.assert_array_equal(features.reshape(len(expected), -1), expected)


def test_iris(tmp_path):
    (tmp_path / "iris.data").write_text(
        "5.1,3.5,1.4,0.2,Iris-setosa\n"
        "7.0,3.2,4.7,1.4,Iris-versicolor\n"
        "6.3,3.3,6.0,2.5,Iris-virginica\n\n"
    )
    (path,) = iris.convert_iris(str(tmp_path), str(tmp_path))
    data = everything(read(path, ("all",)))
    assert data["features"].dtype == numpy.float32
    numpy.testing.assert_allclose(data["features"][1], [7.0, 3.2, 4.7, 1.4])
    numpy.testing.assert_array_equal(data["targets"][:, 0], [0, 1, 2])
    (tmp_path / "iris.data").write_text("5.1,3.5,1.4,0.2,Iris-unknown\n")
    with pytest.raises(ValueError, match="line 1"):
        iris.convert_iris(str(tmp_path), str(tmp_path))


ADULT_TRAIN = """\
39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K
50, Private, 83311, HS-grad, 9, Married, Exec, Husband, White, Male, 0, 0, 13, Cuba, >50K
38, ?, 215646, HS-grad, 9, Divorced, Handlers, Not-in-family, Black, Female, 0, 0, 40, United-States, <=50K

"""  # noqa: E501
ADULT_TEST = """\
|1x3 Cross validator
25, Private, 226802, Bachelors, 7, Married, Exec, Husband, White, Male, 0, 0, 40, Cuba, >50K.
"""  # noqa: E501


def test_adult_shares_one_vocabulary(tmp_path):
    (tmp_path / "adult.data").write_text(ADULT_TRAIN)
    (tmp_path / "adult.test").write_text(ADULT_TEST)
    (path,) = adult.convert_adult(str(tmp_path), str(tmp_path))
    train = everything(read(path, ("train",)))
    test = everything(read(path, ("test",)))
    # Two complete training rows; 6 continuous columns and one-hot columns
    # of 2+2+2+2+2+1+1+2 categories (the row with a '?' is dropped).
    assert train["features"].shape == (2, 6 + 14)
    assert test["features"].shape == (1, 6 + 14)
    numpy.testing.assert_array_equal(train["targets"][:, 0], [False, True])
    numpy.testing.assert_array_equal(test["targets"][:, 0], [True])
    # age, then workclass one-hot (Private, State-gov), then fnlwgt.
    numpy.testing.assert_array_equal(train["features"][0, :4], [39, 0, 1, 77516])
    numpy.testing.assert_array_equal(test["features"][0, :4], [25, 1, 0, 226802])
    # The test row shares the columns of the second training row.
    categorical = numpy.ones(20, bool)
    categorical[[0, 3, 6, 15, 16, 17]] = False
    shared = test["features"][0, categorical] * train["features"][1, categorical]
    # Every category but the education.
    assert shared.sum() == 7


def test_adult_keeps_a_last_row_without_newline(tmp_path):
    (tmp_path / "adult.data").write_text(ADULT_TRAIN.rstrip("\n"))
    (tmp_path / "adult.test").write_text(ADULT_TEST.rstrip("\n"))
    (path,) = adult.convert_adult(str(tmp_path), str(tmp_path))
    assert read(path, ("train",)).num_examples == 2
    assert read(path, ("test",)).num_examples == 1


def test_adult_refuses_unknown_test_categories(tmp_path):
    (tmp_path / "adult.data").write_text(ADULT_TRAIN)
    (tmp_path / "adult.test").write_text(ADULT_TEST.replace("Cuba", "Peru"))
    with pytest.raises(ValueError, match="Peru"):
        adult.convert_adult(str(tmp_path), str(tmp_path))


def test_svhn_format_2(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")
    rng = numpy.random.RandomState(0)
    written = {}
    for split, name in zip(svhn.SPLITS, svhn.FORMAT_2_FILES):
        images = rng.randint(0, 256, size=(32, 32, 3, 2)).astype(numpy.uint8)
        labels = numpy.array([[10], [3]], dtype=numpy.uint8)
        scipy_io.savemat(tmp_path / name, {"X": images, "y": labels})
        written[split] = images
    (path,) = svhn.convert_svhn(2, str(tmp_path), str(tmp_path))
    assert path.endswith("svhn_format_2.hdf5")
    extra = everything(read(path, ("extra",)))
    numpy.testing.assert_array_equal(extra["targets"][:, 0], [0, 3])
    numpy.testing.assert_array_equal(
        extra["features"][1], written["extra"][:, :, :, 1].transpose(2, 0, 1)
    )
    with pytest.raises(ValueError, match="1 or 2"):
        svhn.convert_svhn(3, str(tmp_path), str(tmp_path))


def test_caltech101_silhouettes(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")
    rng = numpy.random.RandomState(0)
    mat = {}
    for key, n in (("train", 3), ("val", 2), ("test", 1)):
        mat[f"{key}_data"] = rng.randint(0, 2, size=(n, 16 * 16)).astype(numpy.uint8)
        mat[f"{key}_labels"] = rng.randint(1, 102, size=(n, 1)).astype(numpy.int16)
    scipy_io.savemat(tmp_path / "caltech101_silhouettes_16_split1.mat", mat)
    (path,) = caltech101_silhouettes.convert_silhouettes(
        16, str(tmp_path), str(tmp_path)
    )
    assert path.endswith("caltech101_silhouettes16.hdf5")
    valid = everything(read(path, ("valid",)))
    assert valid["features"].shape == (2, 1, 16, 16)
    numpy.testing.assert_array_equal(valid["targets"], mat["val_labels"])
    with pytest.raises(MissingInputFiles):
        caltech101_silhouettes.convert_silhouettes(28, str(tmp_path), str(tmp_path))
    with pytest.raises(ValueError, match="16, 28"):
        caltech101_silhouettes.convert_silhouettes(20, str(tmp_path), str(tmp_path))


FAKE_FFMPEG = """#!{python}
# Stands in for ffmpeg: writes a known WAV file with the asked channels.
import sys
import numpy
from scipy.io import wavfile
args = sys.argv[1:]
channels = int(args[args.index("-ac") + 1])
rate = int(args[args.index("-ar") + 1])
samples = numpy.arange(12 * channels, dtype=numpy.int16).reshape(12, channels)
wavfile.write(args[-1], rate, samples.squeeze())
"""


def test_youtube_audio_runs_ffmpeg(tmp_path, monkeypatch):
    import sys

    from fuel.converters import youtube_audio

    tools = tmp_path / "bin"
    tools.mkdir()
    ffmpeg = tools / "ffmpeg"
    ffmpeg.write_text(FAKE_FFMPEG.format(python=sys.executable))
    ffmpeg.chmod(0o755)
    (tmp_path / "vid.m4a").write_bytes(b"not really audio")
    monkeypatch.setenv("PATH", str(tools))
    (path,) = youtube_audio.convert_youtube_audio(
        str(tmp_path), str(tmp_path), "vid", channels=2, sample=8000
    )
    assert path.endswith("vid.hdf5")
    dataset = read(path, ("train",))
    assert dataset.axis_labels["features"] == ("batch", "time", "feature")
    (features,) = dataset.get_data(request=[0])
    numpy.testing.assert_array_equal(features[0], numpy.arange(24).reshape(12, 2))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="requires ffmpeg"):
        youtube_audio.convert_youtube_audio(
            str(tmp_path), str(tmp_path), "vid", channels=1, sample=8000
        )

import importlib.util
import os

import numpy
import pytest

from tests.helpers.fuel_files import serve_directory, write_mnist_gz

h5py = pytest.importorskip("h5py", reason="fuel-convert writes HDF5 files")

from fuel.bin import fuel_convert, fuel_info  # noqa: E402
from fuel.datasets import MNIST, H5PYDataset  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def close_shared_handles():
    yield
    for path in list(H5PYDataset._file_handles):
        H5PYDataset._file_handles.pop(path).close()
        H5PYDataset._ref_counts.pop(path, None)


@pytest.fixture
def converted_mnist(tmp_path, monkeypatch):
    """MNIST made by fuel-convert from small IDX files; only it in the data path."""
    downloads, data = tmp_path / "downloads", tmp_path / "data"
    downloads.mkdir()
    data.mkdir()
    arrays = write_mnist_gz(downloads, n_train=40, n_test=20)
    assert fuel_convert.main(["mnist", "-d", str(downloads), "-o", str(data)]) == 0
    monkeypatch.setenv("FUEL_DATA_PATH", str(data))
    return data / "mnist.hdf5", arrays


def test_converted_mnist_opens_as_mnist_and_h5pydataset(converted_mnist):
    path, arrays = converted_mnist
    mnist = MNIST(("train",))
    generic = H5PYDataset(str(path), which_sets=("train",))
    assert mnist.num_examples == generic.num_examples == 40
    assert mnist.sources == generic.sources == ("features", "targets")
    assert generic.axis_labels == mnist.axis_labels
    for got_mnist, got_generic in zip(
        mnist.get_data(request=[3, 7]), generic.get_data(request=[3, 7])
    ):
        numpy.testing.assert_array_equal(got_mnist, got_generic)
    numpy.testing.assert_array_equal(
        generic.get_data(request=slice(0, 40))[0][:, 0], arrays["train"][0]
    )
    numpy.testing.assert_array_equal(
        MNIST(("test",)).get_data(request=[19])[1][:, 0], arrays["t10k"][1][19:]
    )


def test_fuel_convert_tags_the_file_and_fuel_info_shows_it(converted_mnist, capsys):
    path, _ = converted_mnist
    with h5py.File(path, "r") as f:
        # h5py 3 hands fixed-length byte strings back as str.
        attrs = {
            key: value.decode() if isinstance(value, bytes) else value
            for key, value in f.attrs.items()
            if key != "split"
        }
    assert attrs["h5py_interface_version"] == "0.3"
    assert attrs["fuel_convert_version"] == "0.2"
    command = attrs["fuel_convert_command"]
    assert command.split(" ")[1:3] == ["mnist", "-d"]
    capsys.readouterr()
    assert fuel_info.main([str(path)]) == 0
    shown = capsys.readouterr().out
    assert "Metadata for mnist.hdf5\n=======================" in shown
    assert command in shown
    assert "H5PYDataset     0.3" in shown and "fuel.converters 0.2" in shown


def test_fuel_info_on_an_untagged_file(tmp_path, capsys):
    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f["x"] = numpy.zeros(2)
    fuel_info.main([str(tmp_path / "plain.h5")])
    assert "N/A" in capsys.readouterr().out


def test_fuel_convert_output_names_and_missing_files(tmp_path, capsys):
    write_mnist_gz(tmp_path, n_train=2, n_test=2)
    fuel_convert.main(
        ["mnist", "-d", str(tmp_path), "-o", str(tmp_path), "-r", "small"]
    )
    assert (tmp_path / "small.hdf5").exists()
    fuel_convert.main(
        ["mnist", "-d", str(tmp_path), "-o", str(tmp_path), "--dtype", "bool"]
    )
    assert (tmp_path / "mnist_bool.hdf5").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SystemExit) as exit_:
        fuel_convert.main(["cifar10", "-d", str(empty), "-o", str(empty)])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "* cifar-10-python.tar.gz" in error and "fuel-download" in error
    with pytest.raises(ValueError, match="not an existing directory"):
        fuel_convert.main(["mnist", "-o", str(tmp_path / "nowhere")])


def test_the_blocks_tutorial_trains_on_converted_mnist(converted_mnist, capsys):
    spec = importlib.util.spec_from_file_location(
        "mnist_example", os.path.join(REPO, "examples", "mnist.py")
    )
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    example.main(["--dataset", "mnist", "--epochs", "1", "--batch-size", "20"])
    out = capsys.readouterr().out
    assert "Training on mnist: 40 training and 20 test examples" in out
    assert "Done: mnist, 1 epochs in" in out and "test error" in out


def test_converted_cifar10_opens_as_cifar10(tmp_path, monkeypatch):
    import tarfile

    from fuel.converters import cifar10
    from fuel.datasets import CIFAR10
    from tests.helpers.fuel_files import add_pickle

    rng = numpy.random.RandomState(0)
    downloads, data = tmp_path / "downloads", tmp_path / "data"
    downloads.mkdir()
    data.mkdir()
    batches = [
        {
            "data": rng.randint(0, 256, (2, 3072)).astype(numpy.uint8),
            "labels": list(rng.randint(0, 10, 2)),
        }
        for _ in range(6)
    ]
    with tarfile.open(downloads / cifar10.DISTRIBUTION_FILE, "w:gz") as archive:
        for name, batch in zip([*cifar10.TRAIN_BATCHES, cifar10.TEST_BATCH], batches):
            add_pickle(archive, name, batch)
    fuel_convert.main(["cifar10", "-d", str(downloads), "-o", str(data)])
    monkeypatch.setenv("FUEL_DATA_PATH", str(data))
    test = CIFAR10(("test",))
    assert test.storage == "hdf5"
    features, targets = test.get_data(request=[0, 1])
    numpy.testing.assert_array_equal(features.reshape(2, -1), batches[5]["data"])
    numpy.testing.assert_array_equal(targets[:, 0], batches[5]["labels"])


def test_download_convert_and_read_mnist(tmp_path, monkeypatch):
    from fuel import downloaders
    from fuel.bin import fuel_download

    served, data = tmp_path / "served", tmp_path / "data"
    served.mkdir()
    arrays = write_mnist_gz(served, n_train=4, n_test=3)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FUEL_DATA_PATH", str(data))
    with serve_directory(served) as url:
        monkeypatch.setattr(downloaders.mnist, "MNIST_BASE_URL", url)
        fuel_download.main(["mnist", "-d", str(data)])
    fuel_convert.main(["mnist", "-d", str(data), "-o", str(data)])
    fuel_download.main(["mnist", "-d", str(data), "--clear"])
    assert sorted(p.name for p in data.iterdir()) == ["mnist.hdf5"]
    test = MNIST(("test",))
    numpy.testing.assert_array_equal(
        test.get_data(request=[0, 1, 2])[0][:, 0], arrays["t10k"][0]
    )

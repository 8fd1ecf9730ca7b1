import os
import pickle
import tarfile

import numpy
import pytest

from fuel.datasets import CIFAR10
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream


def write_batches(directory, per_batch=3):
    """Write tiny python-2 style CIFAR-10 batches; return the expected arrays."""
    rng = numpy.random.RandomState(0)
    directory.mkdir(parents=True, exist_ok=True)
    expected = {}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        data = rng.randint(0, 256, size=(per_batch, 3072)).astype(numpy.uint8)
        labels = rng.randint(0, 10, size=per_batch).tolist()
        batch = {b"batch_label": name.encode(), b"data": data, b"labels": labels}
        with open(directory / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
        expected[name] = data.reshape(-1, 3, 32, 32), numpy.array(labels)
    return expected


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FUEL_DATA_PATH", str(tmp_path))
    return tmp_path


def test_reads_the_batch_directory(data_dir):
    expected = write_batches(data_dir / "cifar-10-batches-py")
    train = CIFAR10(("train",))
    assert train.num_examples == 15
    features, targets = train.get_data(request=[3, 4])
    assert features.shape == (2, 3, 32, 32) and features.dtype == numpy.uint8
    numpy.testing.assert_array_equal(features, expected["data_batch_2"][0][:2])
    numpy.testing.assert_array_equal(targets[:, 0], expected["data_batch_2"][1][:2])
    test = CIFAR10(("test",), sources=("targets",))
    (labels,) = test.get_data(request=[0, 1, 2])
    numpy.testing.assert_array_equal(labels[:, 0], expected["test_batch"][1])


def test_reads_the_tarball_in_a_cifar10_subdirectory(data_dir, tmp_path):
    source = tmp_path / "build" / "cifar-10-batches-py"
    expected = write_batches(source)
    (data_dir / "cifar10").mkdir()
    with tarfile.open(data_dir / "cifar10" / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(source, arcname="cifar-10-batches-py")
    test = CIFAR10(("test",))
    numpy.testing.assert_array_equal(
        test.get_data(request=slice(None))[0], expected["test_batch"][0]
    )


def test_default_stream_scales_pixels(data_dir):
    write_batches(data_dir / "cifar-10-batches-py")
    test = CIFAR10(("test",))
    stream = DataStream.default_stream(test, iteration_scheme=SequentialScheme(3, 3))
    features, _ = next(stream.get_epoch_iterator())
    assert features.dtype.kind == "f"
    assert 0.0 <= features.min() and features.max() <= 1.0


def test_missing_files_are_listed(data_dir):
    with pytest.raises(FileNotFoundError) as error:
        CIFAR10(("test",))
    message = str(error.value)
    assert (
        os.path.join(str(data_dir), "", "cifar-10-batches-py", "test_batch") in message
    )
    assert os.path.join(str(data_dir), "cifar10", "cifar-10-batches-py") in message
    assert "cifar-10-python.tar.gz" in message


def test_a_batch_without_labels_is_reported(data_dir):
    directory = data_dir / "cifar-10-batches-py"
    directory.mkdir()
    with open(directory / "test_batch", "wb") as f:
        pickle.dump({b"data": numpy.zeros((1, 3072), numpy.uint8)}, f)
    with pytest.raises(ValueError, match="no 'labels' entry"):
        CIFAR10(("test",))

import os
import pickle
import subprocess
import sys

import numpy
import pytest

from fuel.datasets import Digits
from fuel.datasets.digits import DIGITS_FILE
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from fuel.transformers import Flatten

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_shipped_file_is_in_the_package():
    assert os.path.isfile(DIGITS_FILE)
    readme = os.path.join(os.path.dirname(DIGITS_FILE), "README.txt")
    with open(readme) as f:
        text = f.read()
    assert "CC BY 4.0" in text and "Alpaydin" in text


def test_splits_and_shapes():
    train, test = Digits(("train",)), Digits(("test",))
    assert (train.num_examples, test.num_examples) == (1500, 297)
    assert Digits(("train", "test")).num_examples == 1797
    features, targets = train.get_data(request=list(range(1500)))
    assert features.shape == (1500, 1, 8, 8) and features.dtype == numpy.uint8
    assert targets.shape == (1500, 1) and targets.dtype == numpy.uint8
    assert features.max() == 16 and features.min() == 0
    assert set(numpy.unique(targets)) == set(range(10))
    assert train.axis_labels["targets"] == ("batch", "index")


def test_real_digits_look_like_digits():
    # A zero has ink around the border of its 8x8 box and none in the centre.
    features, targets = Digits(("train",)).get_data(request=slice(None))
    zeros = features[targets[:, 0] == 0, 0].astype(float).mean(axis=0)
    assert zeros[3:5, 3:5].mean() < zeros[1:7, 1:7].mean()
    ones = features[targets[:, 0] == 1, 0].astype(float).mean(axis=0)
    assert not numpy.allclose(zeros, ones)


def test_tutorial_pipeline():
    dataset = Digits(("train",))
    stream = Flatten(
        DataStream.default_stream(
            dataset,
            iteration_scheme=SequentialScheme(dataset.num_examples, batch_size=256),
        )
    )
    batches = list(stream.get_epoch_iterator(as_dict=True))
    assert len(batches) == 6
    features = batches[0]["features"]
    assert features.shape == (256, 64)
    assert features.dtype.kind == "f"
    assert features.max() == 1.0 and features.min() == 0.0
    assert sum(len(b["targets"]) for b in batches) == 1500


def test_subset_and_sources():
    dataset = Digits(("test",), subset=slice(0, 10), sources=("targets",))
    assert dataset.num_examples == 10
    assert len(dataset.get_data(request=[0, 9])) == 1


def test_pickles_without_the_data():
    dataset = Digits(("train",))
    dumped = pickle.dumps(dataset)
    assert len(dumped) < 10000
    numpy.testing.assert_array_equal(
        pickle.loads(dumped).get_data(request=[7])[1], dataset.get_data(request=[7])[1]
    )


def test_loads_with_no_data_path_and_no_configuration(tmp_path):
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("FUEL_")
    }
    env.update(HOME=str(tmp_path), PYTHONPATH=REPO)
    code = (
        "from fuel.datasets import Digits\n"
        "from fuel import config\n"
        "assert not hasattr(config, 'data_path')\n"
        "print(Digits(('train', 'test')).num_examples)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1797"


def test_unknown_split():
    with pytest.raises(ValueError, match="no split 'valid'"):
        Digits(("valid",))


def test_splits_are_a_fixed_shuffle_covering_every_row_once():
    from fuel.datasets.digits import SPLITS

    train, test = SPLITS["train"], SPLITS["test"]
    assert len(numpy.intersect1d(train, test)) == 0
    assert numpy.array_equal(numpy.union1d(train, test), numpy.arange(1797))
    assert numpy.all(numpy.diff(train) > 0) and numpy.all(numpy.diff(test) > 0)
    # Rows are grouped by writer in the file: the test rows must come from
    # all over it, not from one end.
    assert test.min() < 100 and test.max() > 1697
    assert numpy.histogram(test, bins=6, range=(0, 1797))[0].min() > 30
    _, targets = Digits(("test",)).get_data(request=slice(None))
    assert numpy.bincount(targets[:, 0], minlength=10).min() >= 20


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.9])
def test_a_truncated_data_file_is_named(tmp_path, monkeypatch, fraction):
    from fuel.datasets import digits

    with open(DIGITS_FILE, "rb") as f:
        data = f.read()
    truncated = tmp_path / "digits.npz"
    truncated.write_bytes(data[: int(len(data) * fraction)])
    monkeypatch.setattr(digits, "DIGITS_FILE", str(truncated))
    with pytest.raises(ValueError, match="truncated or damaged") as error:
        Digits(("train",)).get_data(request=[0])
    assert str(truncated) in str(error.value)

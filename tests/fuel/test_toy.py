import math

import numpy
import pytest

from fuel import config
from fuel.datasets.toy import Spiral, SwissRoll


def test_spiral_points_lie_on_their_arm():
    spiral = Spiral(num_examples=50, classes=3, cycles=2.0)
    assert spiral.sources == ("features", "position", "label")
    features, position, label = spiral.get_data(request=slice(0, 50))
    assert features.dtype == numpy.float32 and features.shape == (50, 2)
    assert position.min() >= 0 and position.max() < 2
    assert set(label.tolist()) <= {0, 1, 2}
    radius = (2 * position + 1) / 3
    angle = 2 * math.pi * position + 2 * math.pi * label / 3
    numpy.testing.assert_allclose(features[:, 0], radius * numpy.sin(angle), atol=1e-6)
    numpy.testing.assert_allclose(features[:, 1], radius * numpy.cos(angle), atol=1e-6)


def test_spiral_draws_from_the_seed_in_fuels_order():
    rng = numpy.random.RandomState(5)
    position = rng.uniform(0, 1.0, 10)
    label = rng.randint(0, 2, 10)
    noise = rng.normal(size=(10, 2))
    noisy = Spiral(num_examples=10, classes=2, noise=0.1, seed=5)
    clean = Spiral(num_examples=10, classes=2, seed=5)
    numpy.testing.assert_array_equal(noisy.indexables[1], position)
    numpy.testing.assert_array_equal(noisy.indexables[2], label)
    numpy.testing.assert_allclose(
        noisy.indexables[0], clean.indexables[0] + 0.1 * noise, rtol=1e-5
    )


def test_toy_datasets_default_to_the_configured_seed(monkeypatch):
    monkeypatch.setitem(config.config["default_seed"], "value", 3)
    numpy.testing.assert_array_equal(
        Spiral(num_examples=5).indexables[1],
        Spiral(num_examples=5, seed=3).indexables[1],
    )
    numpy.testing.assert_array_equal(
        SwissRoll(num_examples=5).indexables[0],
        SwissRoll(num_examples=5, seed=3).indexables[0],
    )


def test_swiss_roll_geometry():
    roll = SwissRoll(num_examples=40)
    features, position = roll.get_data(request=list(range(40)))
    assert features.shape == (40, 3) and position.shape == (40, 2)
    assert position.dtype == numpy.float32
    p, z = position[:, 0], position[:, 1]
    phi = 1.5 * math.pi * (1 + 2 * p)
    radius = (1 + 2 * p) / 3
    numpy.testing.assert_allclose(features[:, 0], radius * numpy.cos(phi), atol=1e-5)
    numpy.testing.assert_allclose(features[:, 1], radius * numpy.sin(phi), atol=1e-5)
    numpy.testing.assert_array_equal(features[:, 2], z)


@pytest.mark.parametrize("dataset", [Spiral, SwissRoll])
def test_toy_datasets_stream_examples(dataset):
    examples = list(dataset(num_examples=7).get_example_stream().get_epoch_iterator())
    assert len(examples) == 7

import numpy
import pytest
from numpy.testing import assert_allclose, assert_equal

import symbolic
from blocks.initialization import (
    Constant,
    Identity,
    IsotropicGaussian,
    Orthogonal,
    Sparse,
    SparseND,
    Uniform,
)

floatX = symbolic.config.floatX


def rng():
    return numpy.random.RandomState(1)


def test_constant():
    values = Constant(5).generate(rng(), (2, 3))
    assert values.dtype == floatX
    assert_equal(values, 5 * numpy.ones((2, 3)))
    row = Constant([1, 2, 3]).generate(rng(), (2, 3))
    assert_equal(row, [[1, 2, 3], [1, 2, 3]])
    with pytest.raises(ValueError, match="broadcast"):
        Constant([1, 2]).generate(rng(), (2, 3))


def test_isotropic_gaussian_matches_numpy_stream():
    values = IsotropicGaussian(0.01).generate(rng(), (784, 100))
    assert values.dtype == floatX
    assert_allclose(values[0, :2], [0.01624345, -0.00611756], rtol=1e-5)
    big = IsotropicGaussian(2, 1).generate(rng(), (500, 500))
    assert abs(big.mean() - 1) < 0.05
    assert abs(big.std() - 2) < 0.05


def test_uniform():
    values = Uniform(mean=1, width=2).generate(rng(), (500, 500))
    assert values.dtype == floatX
    assert values.min() >= 0 and values.max() <= 2
    assert abs(values.mean() - 1) < 0.01
    by_std = Uniform(std=0.5).generate(rng(), (500, 500))
    assert abs(by_std.std() - 0.5) < 0.01
    with pytest.raises(ValueError, match="exactly one"):
        Uniform()
    with pytest.raises(ValueError, match="exactly one"):
        Uniform(width=1, std=1)


def test_identity():
    assert_equal(Identity(2).generate(rng(), (2, 3)), [[2, 0, 0], [0, 2, 0]])
    assert Identity().generate(rng(), (3, 3)).dtype == floatX
    with pytest.raises(ValueError, match="2-D"):
        Identity().generate(rng(), (2, 2, 2))


@pytest.mark.parametrize("shape", [(5, 5), (4, 7), (7, 4)])
def test_orthogonal(shape):
    values = Orthogonal(scale=3).generate(rng(), shape)
    assert values.shape == shape and values.dtype == floatX
    small = min(shape)
    gram = values.dot(values.T) if shape[0] == small else values.T.dot(values)
    assert_allclose(gram, 9 * numpy.eye(small), atol=1e-5)


def test_orthogonal_rejects_3d():
    with pytest.raises(ValueError, match="2-D"):
        Orthogonal().generate(rng(), (2, 2, 2))


def test_sparse():
    values = Sparse(num_init=2, weights_init=Constant(1)).generate(rng(), (10, 5))
    assert values.dtype == floatX
    assert_equal(values.sum(axis=1), 2 * numpy.ones(10))
    fraction = Sparse(0.4, Constant(1), sparse_init=Constant(-1)).generate(
        rng(), (4, 5)
    )
    assert_equal((fraction == 1).sum(axis=1), 2 * numpy.ones(4))
    assert_equal((fraction == -1).sum(axis=1), 3 * numpy.ones(4))
    with pytest.raises(ValueError):
        Sparse(0, Constant(1)).generate(rng(), (2, 2))
    with pytest.raises(ValueError):
        Sparse(1.5, Constant(1)).generate(rng(), (2, 2))


def test_sparse_is_reproducible():
    scheme = Sparse(2, IsotropicGaussian())
    assert_equal(scheme.generate(rng(), (6, 6)), scheme.generate(rng(), (6, 6)))


def test_sparse_nd():
    values = SparseND(axis=(0, 1), num_init=3, weights_init=Constant(1)).generate(
        rng(), (2, 3, 4, 5)
    )
    assert values.shape == (2, 3, 4, 5)
    assert_equal(values.sum(axis=(2, 3)), 3 * numpy.ones((2, 3)))
    single = SparseND(axis=1, num_init=2, weights_init=Constant(1)).generate(
        rng(), (3, 4, 5)
    )
    assert_equal(single.sum(axis=(0, 2)), 2 * numpy.ones(4))


def test_initialize_sets_shared_value():
    shared = symbolic.shared(numpy.zeros((2, 3), dtype=floatX))
    Constant(4).initialize(shared, rng())
    assert_equal(shared.get_value(), 4 * numpy.ones((2, 3)))
    other = symbolic.shared(numpy.zeros((2,), dtype=floatX))
    Constant(1).initialize(other, rng(), shape=(5,))
    assert other.get_value().shape == (5,)


def test_repr_shows_configuration():
    assert "std=0.1" in repr(IsotropicGaussian(0.1))


# Fan-scaled schemes ------------------------------------------------------------------
from blocks.initialization import (  # noqa: E402
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
)


@pytest.mark.parametrize(
    ("scheme", "shape", "variance"),
    [
        (GlorotUniform(), (300, 200), 2.0 / 500),
        (GlorotNormal(), (300, 200), 2.0 / 500),
        (HeUniform(), (300, 200), 2.0 / 300),
        (HeNormal(gain=2.0), (300, 200), 4 * 2.0 / 300),
        # Filter banks: (num_filters, num_channels, height, width).
        (GlorotUniform(), (40, 30, 3, 3), 2.0 / (30 * 9 + 40 * 9)),
        (HeNormal(), (40, 30, 3, 3), 2.0 / (30 * 9)),
    ],
)
def test_fan_scaled_variance(scheme, shape, variance):
    values = scheme.generate(numpy.random.RandomState(0), shape)
    assert values.shape == shape
    assert values.dtype == symbolic.config.floatX
    assert abs(values.mean()) < 0.05 * numpy.sqrt(variance) * 10
    numpy.testing.assert_allclose(values.var(), variance, rtol=0.05)
    if isinstance(scheme, GlorotUniform | HeUniform):
        assert abs(values).max() <= numpy.sqrt(3 * variance) + 1e-7


def test_fan_scaled_needs_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        GlorotUniform().generate(numpy.random.RandomState(0), (5,))

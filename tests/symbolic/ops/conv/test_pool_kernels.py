"""The C loops for tiling max pooling give the numpy reference's numbers."""

import numpy
import pytest

from symbolic.ops.conv import pool_kernels
from symbolic.ops.conv.pool_windows import upsample

pytestmark = pytest.mark.skipif(
    not pool_kernels._kernels(), reason="no C compiler for the pooling kernels"
)


def _reference(x, ws):
    n0, n1 = x.shape[-2] // ws[0], x.shape[-1] // ws[1]
    blocks = x.reshape(x.shape[:-2] + (n0, ws[0], n1, ws[1]))
    with numpy.errstate(invalid="ignore"):
        z = numpy.maximum.reduce(numpy.maximum.reduce(blocks, axis=-1), axis=-2)
    return z


def _reference_grad(x, z, gz, ws):
    with numpy.errstate(invalid="ignore"):
        return upsample(gz, ws) * (x == upsample(z, ws))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("ws", [(2, 2), (3, 2), (1, 4), (2, 3)])
def test_forward_and_gradient_match_numpy(dtype, ws):
    rng = numpy.random.RandomState(0)
    x = rng.randint(-3, 4, size=(2, 3, 6, 12)).astype(dtype)  # many ties
    x[0, 0, 0, 0] = numpy.nan
    x[1, 2, 3, 5] = numpy.inf
    x[1, 1, 4, 7] = -numpy.inf
    z = pool_kernels.max_pool(x, ws, ws, (0, 0))
    numpy.testing.assert_array_equal(z, _reference(x, ws))
    gz = rng.randn(*z.shape).astype(dtype)
    gz[0, 1, 0, 0] = numpy.inf
    gx = pool_kernels.max_pool_grad(x, z, gz, ws, ws, (0, 0))
    numpy.testing.assert_array_equal(gx, _reference_grad(x, z, gz, ws))


def test_cases_outside_the_tiling_contract_are_left_to_numpy():
    x = numpy.zeros((2, 5, 6), "float32")
    assert pool_kernels.max_pool(x, (2, 2), (2, 2), (0, 0)) is None  # 5 % 2
    y = numpy.zeros((2, 4, 6), "float32")
    assert pool_kernels.max_pool(y, (2, 2), (1, 1), (0, 0)) is None  # overlap
    assert pool_kernels.max_pool(y, (2, 2), (2, 2), (1, 1)) is None  # padding
    assert pool_kernels.max_pool(y[:, :, ::-1], (2, 2), (2, 2), (0, 0)) is None
    assert pool_kernels.max_pool(y.astype("int32"), (2, 2), (2, 2), (0, 0)) is None

"""The pooling entries of the C runtime, cross-checked against ``perform``.

Pool, MaxPoolGrad and AveragePoolGrad over two trailing axes are compiled
once for the C runtime and once for the Python VM (whose ``perform`` is
numpy only) and must agree for every mode, with and without
``ignore_border``, strides, padding, float32 and float64, non-contiguous,
lower- and higher-rank and empty inputs; max pooling exactly, ties, NaN
and infinities included.
"""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.lowering import KINDS
from symbolic.backends.c.runtime import runtime
from symbolic.compile.mode import Mode
from symbolic.ops.pool import (
    AveragePoolGrad,
    DownsampleFactorMaxGradGrad,
    MaxPoolGrad,
    Pool,
    pool_2d,
    pool_3d,
)
from symbolic.ops.pool_windows import upsample

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)

C_MODE = Mode(linker="cvm", optimizer=None)
PY_MODE = Mode(linker="py", optimizer=None)
RNG = numpy.random.default_rng(3)
MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]
# (ws, stride, pad, ignore_border)
CONFIGS = [
    ((2, 2), None, (0, 0), True),
    ((2, 2), None, (0, 0), False),
    ((3, 2), (2, 1), (0, 0), False),
    ((2, 3), (3, 3), (0, 0), False),
    ((3, 2), (1, 2), (1, 1), True),
    ((3, 3), (2, 2), (2, 1), True),
]


def forward_and_gradients(x, gz, mode, ws, stride, pad, ignore_border):
    """Pool of ``x`` and the mode's gradient op applied to an independent ``gz``."""
    pooled = pool_2d(
        x, ws, ignore_border=ignore_border, stride=stride, pad=pad, mode=mode
    )
    stride = ws if stride is None else stride
    if mode == "max":
        grad = MaxPoolGrad(ignore_border)(x, pooled, gz, ws, stride, pad)
        kinds = ("POOL", "MAXPOOL_GRAD")
    else:
        grad = AveragePoolGrad(ignore_border, mode=mode)(x, gz, ws, stride, pad)
        kinds = ("POOL", "AVGPOOL_GRAD")
    return [pooled, grad], kinds


def pooled_shape(shape, ws, stride, pad, ignore_border):
    return tuple(Pool.out_shape(shape, ws, ignore_border, stride or ws, pad))


def check(x_value, mode, config, broadcastable=None):
    """Compare both functions; max pooling exactly (and its gradient when no
    cell is in two windows: overlapping windows add in another order)."""
    ws, stride, pad, ignore_border = config
    disjoint = stride is None or all(s >= w for s, w in zip(stride, ws))
    exact = [mode == "max", mode == "max" and disjoint]
    pattern = broadcastable or (False,) * x_value.ndim
    x = T.TensorType(x_value.dtype.name, pattern)("x")
    gz = T.TensorType(x_value.dtype.name, (False,) * x_value.ndim)("gz")
    outputs, kinds = forward_and_gradients(x, gz, mode, *config)
    fc = symbolic.function([x, gz], outputs, mode=C_MODE)
    fp = symbolic.function([x, gz], outputs, mode=PY_MODE)
    gz_value = RNG.standard_normal(
        pooled_shape(x_value.shape, ws, stride, pad, ignore_border)
    ).astype(x_value.dtype)
    got = fc(x_value, gz_value)
    with numpy.errstate(invalid="ignore"):
        want = fp(x_value, gz_value)
    for kind in kinds:
        assert fc.vm.slow_calls()[fc.vm.kinds.index(KINDS[kind])] == 0, kind
    for g, w, same in zip(got, want, exact, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        if same:
            numpy.testing.assert_array_equal(g, w)
        else:
            rtol = 1e-5 if g.dtype == numpy.float32 else 1e-12
            numpy.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)
    return got


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("config", CONFIGS)
def test_pool_and_gradient_match_perform(dtype, mode, config):
    check(RNG.standard_normal((2, 3, 7, 9)).astype(dtype), mode, config)


@pytest.mark.parametrize("mode", MODES)
def test_strided_and_other_ranks(mode):
    config = CONFIGS[4]
    base = RNG.standard_normal((4, 3, 14, 9))
    check(base[::2, :, ::2, ::-1], mode, config)  # non-contiguous 4-d
    check(base[0, 0], mode, config)  # 2-d: no leading axes
    check(base[:2].reshape(2, 3, 2, 7, 9).transpose(0, 2, 1, 3, 4), mode, config)


def test_broadcastable_axes():
    pattern = (True, False, True, False, False)
    for mode in ("max", "average_exc_pad"):
        check(RNG.standard_normal((1, 3, 1, 6, 7)), mode, CONFIGS[2], pattern)


def test_long_rows():
    """Rows longer than the 2x2 kernel's row buffer."""
    check(RNG.standard_normal((1, 2, 4, 1030)), "max", CONFIGS[0])


@pytest.mark.parametrize("mode", MODES)
def test_empty_inputs(mode):
    check(numpy.zeros((0, 3, 6, 6), "float32"), mode, CONFIGS[0])
    check(numpy.zeros((2, 3, 1, 6), "float32"), mode, CONFIGS[0])  # no full window


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("ws", [(2, 2), (3, 2), (1, 4), (2, 3)])
def test_max_with_ties_nan_and_inf_matches_numpy(dtype, ws):
    """Tiling windows (the case the old C loops in ``perform`` served)."""
    x = RNG.integers(-3, 4, size=(2, 3, 6, 12)).astype(dtype)  # many ties
    x[0, 0, 0, 0] = numpy.nan
    x[1, 2, 3, 5] = numpy.inf
    x[1, 1, 4, 7] = -numpy.inf
    pooled, _ = check(x, "max", (ws, None, (0, 0), True))
    blocks = x.reshape(2, 3, 6 // ws[0], ws[0], 12 // ws[1], ws[1])
    reference = numpy.maximum.reduce(numpy.maximum.reduce(blocks, axis=-1), axis=-2)
    numpy.testing.assert_array_equal(pooled, reference)


def test_max_gradient_of_infinite_gz_matches_numpy():
    x = RNG.integers(-2, 3, size=(1, 2, 4, 4)).astype("float64")
    xs, gzs = T.tensor4("x"), T.tensor4("gz")
    z = pool_2d(xs, (2, 2), ignore_border=True)
    gx = MaxPoolGrad(True)(xs, z, gzs, (2, 2), (2, 2), (0, 0))
    fc = symbolic.function([xs, gzs], [z, gx], mode=C_MODE)
    gz = RNG.standard_normal((1, 2, 2, 2))
    gz[0, 1, 0, 0] = numpy.inf
    zv, got = fc(x, gz)
    with numpy.errstate(invalid="ignore"):
        want = upsample(gz, (2, 2)) * (x == upsample(zv, (2, 2)))
    numpy.testing.assert_array_equal(got, want)


def test_unlowered_pooling_runs_perform():
    x3 = T.TensorType("float64", (False,) * 5)("x3")
    x = T.tensor4("x")
    z = pool_2d(x, (2, 2), ignore_border=True)
    outputs = [
        pool_3d(x3, (2, 2, 2), ignore_border=True),
        DownsampleFactorMaxGradGrad(True)(x, z, x, (2, 2), (2, 2), (0, 0)),
    ]
    fc = symbolic.function([x3, x], outputs, mode=C_MODE)
    fp = symbolic.function([x3, x], outputs, mode=PY_MODE)
    values = (RNG.standard_normal((2, 2, 4, 4, 4)), RNG.standard_normal((2, 2, 4, 4)))
    for g, w in zip(fc(*values), fp(*values), strict=True):
        numpy.testing.assert_array_equal(g, w)


def test_bad_window_values_raise_the_reference_errors():
    x, ws = T.tensor4("x"), T.lvector("ws")
    z = pool_2d(x, ws, ignore_border=True)
    fc = symbolic.function([x, ws], z, mode=C_MODE)
    fp = symbolic.function([x, ws], z, mode=PY_MODE)
    assert KINDS["POOL"] in fc.vm.kinds
    value = RNG.standard_normal((1, 1, 4, 4))
    for bad in ([0, 2], [2, 2, 2]):
        with pytest.raises(ValueError) as from_py:
            fp(value, bad)
        with pytest.raises(ValueError) as from_c:
            fc(value, bad)
        assert str(from_c.value).splitlines()[0] == str(from_py.value).splitlines()[0]
    numpy.testing.assert_array_equal(fc(value, [2, 2]), fp(value, [2, 2]))

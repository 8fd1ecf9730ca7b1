"""The convolution entries of the C runtime, cross-checked against ``perform``.

The forward convolution and both gradients are built as separate ops on
independent inputs, compiled once for the C runtime and once for the Python
VM, and must agree for float32 and float64, every border mode, strides,
dilations, groups, flipped or not, non-contiguous and empty inputs.
"""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.lowering import KINDS
from symbolic.backends.c.runtime import runtime
from symbolic.compile.mode import Mode
from symbolic.ops.conv.abstract_conv import (
    conv2d,
    conv2d_grad_wrt_inputs,
    conv2d_grad_wrt_weights,
    get_conv_output_shape,
)
from symbolic.types.tensor import TensorType

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)

C_MODE = Mode(linker="cvm", optimizer=None)
PY_MODE = Mode(linker="py", optimizer=None)
RNG = numpy.random.default_rng(7)
CONV_KINDS = ("CONV", "CONV_GRAD_INPUTS", "CONV_GRAD_WEIGHTS")

# (border_mode, subsample, filter_dilation, num_groups, filter_flip)
CONFIGS = [
    ("valid", (1, 1), (1, 1), 1, True),
    ("full", (1, 1), (1, 1), 1, False),
    ("half", (2, 1), (1, 2), 2, True),
    (1, (1, 2), (2, 1), 1, False),
    ((2, 0), (2, 2), (1, 1), 2, True),
    (((1, 2), (0, 3)), (3, 1), (2, 2), 1, True),
]
IMAGE, FILTERS = (3, 4, 9, 8), (6, 4, 3, 2)


def rand(shape, dtype):
    return RNG.standard_normal(shape).astype(dtype)


def three_directions(
    dtype, border_mode, subsample, dilation, groups, flip, img_type=None
):
    """The inputs and the three ops' outputs for one convolution geometry."""
    img = T.tensor4("img", dtype=dtype) if img_type is None else img_type("img")
    kern = T.tensor4("kern", dtype=dtype)
    top = T.tensor4("top", dtype=dtype)
    options = {
        "border_mode": border_mode,
        "subsample": subsample,
        "filter_dilation": dilation,
        "num_groups": groups,
        "filter_flip": flip,
    }
    forward = conv2d(img, kern, **options)
    d_img = conv2d_grad_wrt_inputs(top, kern, img.shape, **options)
    d_kern = conv2d_grad_wrt_weights(img, top, kern.shape, **options)
    return [img, kern, top], [forward, d_img, d_kern]


def run_both(inputs, outputs, values, kinds=CONV_KINDS):
    """Outputs of the C and Python functions; the C one ran ``kinds`` in C."""
    fc = symbolic.function(inputs, outputs, mode=C_MODE)
    fp = symbolic.function(inputs, outputs, mode=PY_MODE)
    got = fc(*[v.copy() if v.flags.c_contiguous else v for v in values])
    want = fp(*values)
    for kind in kinds:
        at = fc.vm.kinds.index(KINDS[kind])
        assert fc.vm.slow_calls()[at] == 0, kind
    return fc, got, want


def assert_close(got, want):
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        rtol = 2e-5 if g.dtype == numpy.float32 else 1e-12
        numpy.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * 10)


def values_for(dtype, config, image=IMAGE, filters=FILTERS):
    border_mode, subsample, dilation, groups, _ = config
    filters = (filters[0], filters[1] // groups, *filters[2:])
    out = get_conv_output_shape(image, filters, border_mode, subsample, dilation)
    return rand(image, dtype), rand(filters, dtype), rand(out, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS)
def test_three_directions_match_perform(dtype, config):
    inputs, outputs = three_directions(dtype, *config)
    fc, got, want = run_both(inputs, outputs, values_for(dtype, config))
    assert_close(got, want)
    assert "CONV" in [k for k, v in KINDS.items() if v in fc.vm.kinds]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_strided_inputs(dtype):
    config = CONFIGS[2]
    inputs, outputs = three_directions(dtype, *config)
    _, kern, top = values_for(dtype, config)
    img = rand((3, 4, 18, 8), dtype)[:, :, ::2, ::-1]  # every other row, reversed
    kern = numpy.asfortranarray(kern)
    top = numpy.repeat(top, 2, axis=3)[..., ::2]
    assert not (img.flags.c_contiguous or kern.flags.c_contiguous)
    assert not top.flags.c_contiguous
    _, got, want = run_both(inputs, outputs, (img, kern, top))
    assert_close(got, want)


def test_broadcastable_channel():
    """A one-channel image typed with a broadcastable channel axis."""
    config = ("half", (1, 1), (1, 1), 1, True)
    image_type = TensorType("float64", (False, True, False, False))
    inputs, outputs = three_directions("float64", *config, img_type=image_type)
    values = values_for("float64", config, image=(2, 1, 7, 7), filters=(3, 1, 3, 3))
    _, got, want = run_both(inputs, outputs, values)
    assert_close(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_empty_batch(dtype):
    config = CONFIGS[1]
    inputs, outputs = three_directions(dtype, *config)
    img, kern, top = values_for(dtype, config)
    _, got, want = run_both(inputs, outputs, (img[:0], kern, top[:0]))
    assert_close(got, want)
    assert got[0].shape[0] == 0 and not got[2].any()


def test_large_batch_runs_over_the_pool():
    """Enough work to be split over the runtime's threads, where it has some;
    two images per product, and one for the odd image left over."""
    config = ("valid", (1, 1), (1, 1), 1, True)
    inputs, outputs = three_directions("float32", *config)
    values = values_for("float32", config, image=(15, 8, 20, 20), filters=(16, 8, 5, 5))
    _, got, want = run_both(inputs, outputs, values)
    assert_close(got, want)


def test_grad_of_conv2d_is_lowered():
    x = T.tensor4("x")
    w = T.tensor4("w")
    y = conv2d(x, w, border_mode="half")
    cost = (y**2).sum()
    gx, gw = symbolic.grad(cost, [x, w])
    values = (rand((2, 3, 6, 6), "float64"), rand((4, 3, 3, 3), "float64"))
    _, got, want = run_both([x, w], [y, gx, gw], values)
    assert_close(got, want)


def test_unshared_and_mixed_dtypes_run_perform():
    x = T.tensor4("x", dtype="float32")
    w6 = TensorType("float32", (False,) * 6)("w6")
    unshared = conv2d(x, w6, unshared=True)
    w64 = T.tensor4("w64", dtype="float64")
    mixed = conv2d(x, w64)
    fc = symbolic.function([x, w6, w64], [unshared, mixed], mode=C_MODE)
    fp = symbolic.function([x, w6, w64], [unshared, mixed], mode=PY_MODE)
    assert KINDS["CONV"] not in fc.vm.kinds
    values = (
        rand((2, 3, 5, 5), "float32"),
        rand((2, 4, 4, 3, 2, 2), "float32"),
        rand((2, 3, 2, 2), "float64"),
    )
    for g, w in zip(fc(*values), fp(*values), strict=True):
        numpy.testing.assert_allclose(g, w, rtol=1e-5)


def same_error(inputs, outputs, values):
    fc = symbolic.function(inputs, outputs, mode=C_MODE)
    fp = symbolic.function(inputs, outputs, mode=PY_MODE)
    assert KINDS["CONV"] in fc.vm.kinds or KINDS["CONV_GRAD_INPUTS"] in fc.vm.kinds
    with pytest.raises(ValueError) as from_py:
        fp(*values)
    with pytest.raises(ValueError) as from_c:
        fc(*values)
    assert str(from_c.value).splitlines()[0] == str(from_py.value).splitlines()[0]


def test_bad_values_raise_the_reference_errors():
    x, w = T.tensor4("x"), T.tensor4("w")
    hinted = conv2d(x, w, input_shape=(2, 3, 6, 6))
    good = (rand((2, 3, 6, 6), "float64"), rand((4, 3, 3, 3), "float64"))
    same_error([x, w], [hinted], (good[0][:, :, :5], good[1]))  # hint mismatch
    same_error([x, w], [conv2d(x, w)], (good[0], good[1][:, :2]))  # channels
    same_error([x, w], [conv2d(x, w)], (good[0][:, :, :2], good[1]))  # too small
    top = T.tensor4("top")
    d_img = conv2d_grad_wrt_inputs(top, w, (2, 3, 6, 6))
    same_error([top, w], [d_img], (rand((2, 4, 3, 3), "float64"), good[1]))

"""conv2d and the abstract conv ops against a nested-loop numpy convolution."""

import importlib
import pickle

import numpy
import pytest

import symbolic
from symbolic import tensor
from symbolic.gradient import grad, verify_grad
from symbolic.tensor.nnet import conv2d, conv2d_transpose
from symbolic.tensor.nnet.abstract_conv import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
    get_conv_output_shape,
    get_conv_shape_1axis,
)
from tests.helpers.op_check import check_op, check_op_identity

RNG = numpy.random.RandomState(7)
BORDER_MODES = ["valid", "full", "half", 1, (1, 2), ((1, 0), (2, 1))]


def _pads(border_mode, dil_kernel):
    pads = []
    for axis in range(2):
        mode = border_mode[axis] if isinstance(border_mode, tuple) else border_mode
        if mode == "valid":
            pads.append((0, 0))
        elif mode == "full":
            pads.append((dil_kernel[axis] - 1,) * 2)
        elif mode == "half":
            pads.append((dil_kernel[axis] // 2,) * 2)
        elif isinstance(mode, int):
            pads.append((mode, mode))
        else:
            pads.append(mode)
    return pads


def reference_conv(img, kern, border_mode, subsample, flip, dilation, groups):
    """Direct definition: one multiply-add per output cell and kernel tap."""
    batch, _, _, _ = img.shape
    nfilt, cgroup, kh, kw = kern.shape
    dil = ((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1)
    x = numpy.pad(img, ((0, 0), (0, 0), *_pads(border_mode, dil)))
    k = kern[:, :, ::-1, ::-1] if flip else kern
    oh = (x.shape[2] - dil[0]) // subsample[0] + 1
    ow = (x.shape[3] - dil[1]) // subsample[1] + 1
    out = numpy.zeros((batch, nfilt, oh, ow))
    per_group = nfilt // groups
    for b in range(batch):
        for f in range(nfilt):
            first = (f // per_group) * cgroup
            for y in range(oh):
                for z in range(ow):
                    acc = 0.0
                    for c in range(cgroup):
                        for i in range(kh):
                            for j in range(kw):
                                acc += (
                                    x[
                                        b,
                                        first + c,
                                        y * subsample[0] + i * dilation[0],
                                        z * subsample[1] + j * dilation[1],
                                    ]
                                    * k[f, c, i, j]
                                )
                    out[b, f, y, z] = acc
    return out


def _data(groups, kshape=(3, 2), image=(7, 8), batch=2, channels=4, nfilt=4):
    img = RNG.randn(batch, channels, *image)
    kern = RNG.randn(nfilt, channels // groups, *kshape)
    return img, kern


@pytest.mark.parametrize("border_mode", BORDER_MODES)
@pytest.mark.parametrize("subsample", [(1, 1), (2, 3)])
@pytest.mark.parametrize("dilation", [(1, 1), (2, 1)])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("flip", [True, False])
def test_conv2d_matches_reference(border_mode, subsample, dilation, groups, flip):
    img, kern = _data(groups)
    x, w = tensor.tensor4("x"), tensor.tensor4("w")
    out = conv2d(
        x,
        w,
        border_mode=border_mode,
        subsample=subsample,
        filter_flip=flip,
        filter_dilation=dilation,
        num_groups=groups,
    )
    got = symbolic.function([x, w], out)(img, kern)
    want = reference_conv(img, kern, border_mode, subsample, flip, dilation, groups)
    assert got.shape == want.shape
    numpy.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("border_mode", BORDER_MODES)
@pytest.mark.parametrize(
    "subsample, dilation, groups",
    [
        ((1, 1), (1, 1), 1),
        ((2, 3), (1, 1), 2),
        ((1, 1), (2, 1), 1),
        ((2, 1), (1, 2), 2),
    ],
)
def test_conv2d_grad_op_contract(border_mode, subsample, dilation, groups):
    img, kern = _data(groups)

    def build(x, w):
        return conv2d(
            x,
            w,
            border_mode=border_mode,
            subsample=subsample,
            filter_dilation=dilation,
            num_groups=groups,
        )

    check_op(
        build,
        [img, kern],
        expected=lambda i, k: reference_conv(
            i, k, border_mode, subsample, True, dilation, groups
        ),
    )


def test_conv2d_float32_and_hints_keep_values():
    img, kern = (a.astype("float32") for a in _data(1))
    x, w = tensor.ftensor4("x"), tensor.ftensor4("w")
    hinted = conv2d(x, w, input_shape=img.shape, filter_shape=kern.shape)
    plain = conv2d(x, w)
    f = symbolic.function([x, w], [hinted, plain])
    a, b = f(img, kern)
    assert a.dtype == "float32"
    numpy.testing.assert_array_equal(a, b)
    want = reference_conv(img, kern, "valid", (1, 1), True, (1, 1), 1)
    numpy.testing.assert_allclose(a, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("border_mode", ["valid", "full", "half", (2, 1)])
@pytest.mark.parametrize("subsample", [(1, 1), (2, 2)])
@pytest.mark.parametrize("groups", [1, 2])
def test_grad_ops_are_adjoints_of_the_forward_conv(border_mode, subsample, groups):
    """<conv(x, w), t> == <x, gradInputs(w, t)> == <w, gradWeights(x, t)>."""
    img, kern = _data(groups, kshape=(3, 3), image=(8, 7))
    props = {"border_mode": border_mode, "subsample": subsample, "num_groups": groups}
    out = reference_conv(img, kern, border_mode, subsample, True, (1, 1), groups)
    top = RNG.randn(*out.shape)
    w, t = tensor.tensor4("w"), tensor.tensor4("t")
    x = tensor.tensor4("x")
    gi = AbstractConv2d_gradInputs(**props)(w, t, img.shape[2:])
    gw = AbstractConv2d_gradWeights(**props)(x, t, kern.shape[2:])
    gx, gk = symbolic.function([w, t, x], [gi, gw])(kern, top, img)
    assert gx.shape == img.shape
    assert gk.shape == kern.shape
    inner = numpy.sum(out * top)
    numpy.testing.assert_allclose(numpy.sum(img * gx), inner, rtol=1e-10)
    numpy.testing.assert_allclose(numpy.sum(kern * gk), inner, rtol=1e-10)


@pytest.mark.parametrize(
    "border_mode, subsample, dilation, groups",
    [("valid", (1, 1), (1, 1), 1), ("half", (2, 2), (1, 1), 2), (1, (1, 2), (2, 1), 1)],
)
def test_grad_ops_gradients_close_the_loop(border_mode, subsample, dilation, groups):
    img, kern = _data(groups, kshape=(3, 3), image=(7, 6))
    props = {
        "border_mode": border_mode,
        "subsample": subsample,
        "filter_dilation": dilation,
        "num_groups": groups,
    }
    out = reference_conv(img, kern, border_mode, subsample, True, dilation, groups)
    top = RNG.randn(*out.shape)
    check_op(
        lambda w, t: AbstractConv2d_gradInputs(**props)(w, t, img.shape[2:]),
        [kern, top],
    )
    check_op(
        lambda x, t: AbstractConv2d_gradWeights(**props)(x, t, kern.shape[2:]),
        [img, top],
    )


def test_second_order_gradient_through_conv():
    img, kern = _data(1, kshape=(2, 2), image=(5, 5), channels=2, nfilt=3)

    def grad_of_sum_of_squares(x, w):
        y = conv2d(x, w, border_mode="half")
        return grad((y**2).sum(), w)

    verify_grad(grad_of_sum_of_squares, [img, kern], rng=RNG)


def test_conv2d_transpose_is_the_input_gradient():
    img, kern = _data(1, kshape=(3, 3), image=(9, 9))
    x, w = tensor.tensor4("x"), tensor.tensor4("w")
    y = conv2d(x, w, subsample=(2, 2))
    top = tensor.tensor4("top")
    rows = tensor.lscalar("rows")
    up = conv2d_transpose(top, w, (None, None, rows, 9), input_dilation=(2, 2))
    via_grad = grad((y * top).sum(), x)
    f = symbolic.function([x, w, top, rows], [up, via_grad])
    top_value = RNG.randn(2, 4, 4, 4)
    a, b = f(img, kern, top_value, 9)
    assert a.shape == (2, 4, 9, 9)
    numpy.testing.assert_allclose(a, b, rtol=1e-12)
    # With stride 2 both 9 and 10 rows give a 4-row output.
    assert f(numpy.zeros((2, 4, 10, 9)), kern, top_value, 10)[0].shape[2] == 10


def test_r_op_of_conv_is_bilinear():
    img, kern = _data(1)
    x, w = tensor.tensor4("x"), tensor.tensor4("w")
    ex, ew = tensor.tensor4("ex"), tensor.tensor4("ew")
    y = conv2d(x, w, border_mode="full")
    rop = symbolic.Rop(y, [x, w], [ex, ew])
    dx, dw = RNG.randn(*img.shape), RNG.randn(*kern.shape)
    got = symbolic.function([x, w, ex, ew], rop)(img, kern, dx, dw)
    want = reference_conv(dx, kern, "full", (1, 1), True, (1, 1), 1)
    want += reference_conv(img, dw, "full", (1, 1), True, (1, 1), 1)
    numpy.testing.assert_allclose(got, want, rtol=1e-10)


def test_output_shape_rules():
    assert get_conv_shape_1axis(32, 3, "valid", 1) == 30
    assert get_conv_shape_1axis(32, 3, "full", 1) == 34
    assert get_conv_shape_1axis(32, 3, "half", 2, 2) == 16
    assert get_conv_shape_1axis(32, 3, (1, 2), 1) == 33
    assert get_conv_shape_1axis(None, 3, "valid", 1) is None
    shape = get_conv_output_shape((None, 3, 32, None), (64, 3, 5, 5), 2, (2, 2))
    assert shape == (None, 64, 16, None)
    assert all(isinstance(s, int) for s in shape if s is not None)
    rows = tensor.lscalar("rows")
    sym = get_conv_output_shape((4, 3, rows, 10), (8, 3, 3, 3), "valid", (1, 1))
    assert sym[3] == 8
    assert symbolic.function([rows], sym[2])(12) == 10


def test_op_identity_and_pickling():
    op = AbstractConv2d(
        imshp=(None, 3, 8, 8), border_mode=(1, (2, 0)), subsample=(2, 1), num_groups=1
    )
    check_op_identity(op)
    assert op == AbstractConv2d(
        imshp=(None, 3, 8, 8), border_mode=(1, (2, 0)), subsample=(2, 1)
    )
    assert AbstractConv2d(border_mode=0).border_mode == "valid"
    assert AbstractConv2d(border_mode=numpy.int64(2)).border_mode == (2, 2)
    assert AbstractConv2d(border_mode=((1, 1), 2)).border_mode == (1, 2)
    x, w = tensor.tensor4("x"), tensor.tensor4("w")
    f = symbolic.function([x, w], conv2d(x, w, border_mode="half"))
    g = pickle.loads(pickle.dumps(f))
    img, kern = _data(1)
    numpy.testing.assert_allclose(g(img, kern), f(img, kern))


def test_bad_arguments_raise_clear_errors():
    x, w = tensor.tensor4("x"), tensor.tensor4("w")
    with pytest.raises(TypeError, match="input \\(m\\) must be a 4-d tensor"):
        conv2d(tensor.matrix("m"), w)
    with pytest.raises(ValueError, match="border_mode"):
        conv2d(x, w, border_mode="same")
    with pytest.raises(ValueError, match="border_mode"):
        conv2d(x, w, border_mode=-1)
    with pytest.raises(ValueError, match="subsample"):
        conv2d(x, w, subsample=(0, 1))
    with pytest.raises(ValueError, match="num_groups"):
        conv2d(x, w, num_groups=0)
    with pytest.raises(TypeError, match="filters \\(w\\) must be a 6-d tensor"):
        conv2d(x, w, unshared=True)
    f = symbolic.function([x, w], conv2d(x, w, num_groups=2))
    with pytest.raises(ValueError, match="mis-match: input has 4 channels but filters"):
        f(numpy.zeros((1, 4, 5, 5)), numpy.zeros((4, 3, 2, 2)))
    with pytest.raises(ValueError, match="divisible by num_groups"):
        f(numpy.zeros((1, 4, 5, 5)), numpy.zeros((3, 2, 2, 2)))
    g = symbolic.function([x, w], conv2d(x, w))
    with pytest.raises(ValueError, match="too small"):
        g(numpy.zeros((1, 1, 2, 2)), numpy.zeros((1, 1, 3, 3)))
    hinted = symbolic.function([x, w], conv2d(x, w, input_shape=(1, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"mis-match.*does not match the given hint"):
        hinted(numpy.zeros((1, 1, 6, 5)), numpy.zeros((1, 1, 3, 3)))
    t = tensor.tensor4("t")
    gi = symbolic.function([w, t], AbstractConv2d_gradInputs()(w, t, (5, 5)))
    with pytest.raises(ValueError, match="invalid input shape"):
        gi(numpy.zeros((1, 1, 3, 3)), numpy.zeros((1, 1, 4, 4)))


@pytest.mark.parametrize(
    "module, names",
    [
        ("symbolic.tensor", "nnet signal"),
        ("symbolic.tensor.nnet", "conv2d conv2d_transpose bn abstract_conv neighbours"),
        (
            "symbolic.tensor.nnet.abstract_conv",
            "AbstractConv2d AbstractConv2d_gradInputs AbstractConv2d_gradWeights "
            "get_conv_output_shape get_conv_shape_1axis conv2d",
        ),
        (
            "symbolic.tensor.nnet.bn",
            "batch_normalization batch_normalization_train batch_normalization_test",
        ),
        ("symbolic.tensor.nnet.neighbours", "images2neibs"),
        (
            "symbolic.tensor.signal.pool",
            "pool_2d pool_3d Pool MaxPoolGrad AveragePoolGrad "
            "DownsampleFactorMaxGradGrad",
        ),
    ],
)
def test_theano_paths(module, names):
    mod = importlib.import_module(module)
    assert [n for n in names.split() if not hasattr(mod, n)] == []

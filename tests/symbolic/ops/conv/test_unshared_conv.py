"""Unshared (locally connected) convolution: a kernel per output position."""

import numpy
import pytest

import symbolic
from symbolic import tensor
from symbolic.tensor.nnet import conv2d
from symbolic.tensor.nnet.abstract_conv import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
    conv2d_grad_wrt_inputs,
    conv2d_grad_wrt_weights,
)
from tests.helpers.op_check import check_op, check_op_identity
from tests.symbolic.ops.conv.test_abstract_conv import _pads

RNG = numpy.random.RandomState(11)
kernel6 = tensor.TensorType("float64", (False,) * 6)


def reference_unshared(img, kern, border_mode, subsample, flip, dilation, groups):
    """One multiply-add per output cell and tap, with that cell's own kernel."""
    batch = img.shape[0]
    nfilt, oh, ow, cgroup, kh, kw = kern.shape
    dil = ((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1)
    x = numpy.pad(img, ((0, 0), (0, 0), *_pads(border_mode, dil)))
    k = kern[..., ::-1, ::-1] if flip else kern
    out = numpy.zeros((batch, nfilt, oh, ow))
    per_group = nfilt // groups
    for b in range(batch):
        for f in range(nfilt):
            first = (f // per_group) * cgroup
            for y in range(oh):
                for z in range(ow):
                    for c in range(cgroup):
                        for i in range(kh):
                            for j in range(kw):
                                out[b, f, y, z] += (
                                    x[
                                        b,
                                        first + c,
                                        y * subsample[0] + i * dilation[0],
                                        z * subsample[1] + j * dilation[1],
                                    ]
                                    * k[f, y, z, c, i, j]
                                )
    return out


def _out_spatial(image, kshape, border_mode, subsample, dilation):
    dil = [(k - 1) * d + 1 for k, d in zip(kshape, dilation)]
    pads = _pads(border_mode, dil)
    return tuple(
        (image[a] + sum(pads[a]) - dil[a]) // subsample[a] + 1 for a in range(2)
    )


def _data(border_mode, subsample, dilation, groups, kshape=(3, 2), image=(6, 7)):
    channels, nfilt = 4, 4
    spatial = _out_spatial(image, kshape, border_mode, subsample, dilation)
    img = RNG.randn(2, channels, *image)
    kern = RNG.randn(nfilt, *spatial, channels // groups, *kshape)
    return img, kern


CASES = [
    ("valid", (1, 1), (1, 1), 1, True),
    ("full", (1, 1), (1, 1), 2, False),
    ("half", (2, 1), (1, 1), 1, True),
    ((1, 2), (1, 2), (2, 1), 2, True),
    (1, (2, 2), (1, 2), 1, False),
]


@pytest.mark.parametrize(
    ("border_mode", "subsample", "dilation", "groups", "flip"), CASES
)
def test_unshared_conv2d_matches_reference(
    border_mode, subsample, dilation, groups, flip
):
    img, kern = _data(border_mode, subsample, dilation, groups)
    x, w = tensor.tensor4("x"), kernel6("w")
    out = conv2d(
        x,
        w,
        border_mode=border_mode,
        subsample=subsample,
        filter_flip=flip,
        filter_dilation=dilation,
        num_groups=groups,
        unshared=True,
    )
    got = symbolic.function([x, w], out)(img, kern)
    want = reference_unshared(img, kern, border_mode, subsample, flip, dilation, groups)
    assert got.shape == want.shape
    numpy.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("border_mode", "subsample", "dilation", "groups", "flip"), CASES
)
def test_unshared_conv2d_gradients(border_mode, subsample, dilation, groups, flip):
    """verify_grad wrt image and kernels; infer_shape and pickling of the op."""
    img, kern = _data(border_mode, subsample, dilation, groups, kshape=(2, 2))

    def build(x, w):
        return conv2d(
            x,
            w,
            border_mode=border_mode,
            subsample=subsample,
            filter_flip=flip,
            filter_dilation=dilation,
            num_groups=groups,
            unshared=True,
        )

    check_op(
        build,
        [img, kern],
        expected=lambda i, k: reference_unshared(
            i, k, border_mode, subsample, flip, dilation, groups
        ),
    )


@pytest.mark.parametrize(
    ("border_mode", "subsample", "dilation", "groups", "flip"), CASES
)
def test_unshared_grad_ops_are_adjoints(border_mode, subsample, dilation, groups, flip):
    """<conv(x, w), t> == <x, gradInputs(w, t)> == <w, gradWeights(x, t)>."""
    img, kern = _data(border_mode, subsample, dilation, groups)
    props = {
        "border_mode": border_mode,
        "subsample": subsample,
        "filter_dilation": dilation,
        "num_groups": groups,
        "filter_flip": flip,
        "unshared": True,
    }
    out = reference_unshared(img, kern, border_mode, subsample, flip, dilation, groups)
    top = RNG.randn(*out.shape)
    w, t, x = kernel6("w"), tensor.tensor4("t"), tensor.tensor4("x")
    gi = AbstractConv2d_gradInputs(**props)(w, t, img.shape[2:])
    gw = AbstractConv2d_gradWeights(**props)(x, t, kern.shape[-2:])
    gx, gk = symbolic.function([w, t, x], [gi, gw])(kern, top, img)
    assert gx.shape == img.shape and gk.shape == kern.shape
    inner = numpy.sum(out * top)
    numpy.testing.assert_allclose(numpy.sum(img * gx), inner, rtol=1e-10)
    numpy.testing.assert_allclose(numpy.sum(kern * gk), inner, rtol=1e-10)
    # The helpers build the same ops.
    hx = conv2d_grad_wrt_inputs(t, w, img.shape, **props)
    hw = conv2d_grad_wrt_weights(x, t, kern.shape, **props)
    again = symbolic.function([w, t, x], [hx, hw])(kern, top, img)
    numpy.testing.assert_allclose(again[0], gx)
    numpy.testing.assert_allclose(again[1], gk)


def test_unshared_grad_ops_gradients_close_the_loop():
    img, kern = _data("half", (2, 1), (1, 1), 2, kshape=(3, 3))
    props = {
        "border_mode": "half",
        "subsample": (2, 1),
        "num_groups": 2,
        "unshared": True,
    }
    out_shape = (img.shape[0], kern.shape[0], *kern.shape[1:3])
    top = RNG.randn(*out_shape)
    check_op(
        lambda w, t: AbstractConv2d_gradInputs(**props)(w, t, img.shape[2:]),
        [kern, top],
    )
    check_op(
        lambda x, t: AbstractConv2d_gradWeights(**props)(x, t, kern.shape[-2:]),
        [img, top],
    )


def test_unshared_op_identity_and_errors():
    op = AbstractConv2d(unshared=True, kshp=(4, 3, 3, 2, 2, 2))
    check_op_identity(op)
    assert op != AbstractConv2d(kshp=(4, 2, 2, 2))
    with pytest.raises(ValueError, match="kshp must have 6 entries"):
        AbstractConv2d(unshared=True, kshp=(4, 2, 2, 2))
    x, w = tensor.tensor4("x"), kernel6("w")
    f = symbolic.function([x, w], conv2d(x, w, unshared=True))
    # Kernels for 3x3 output positions, but a 5x5 image and 2x2 taps give 4x4.
    with pytest.raises(ValueError, match=r"kernels for \(3, 3\) output positions"):
        f(numpy.zeros((1, 2, 5, 5)), numpy.zeros((4, 3, 3, 2, 2, 2)))
    with pytest.raises(ValueError, match="input has 2 channels but filters"):
        f(numpy.zeros((1, 2, 5, 5)), numpy.zeros((4, 4, 4, 3, 2, 2)))

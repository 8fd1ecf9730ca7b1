"""Convolutional and ConvolutionalTranspose: dilation, groups and 'same' borders."""

import pickle

import numpy
import pytest

import symbolic
from blocks.bricks.conv import Convolutional, ConvolutionalTranspose
from blocks.initialization import Constant, IsotropicGaussian
from symbolic import tensor
from symbolic.gradient import verify_grad

floatX = symbolic.config.floatX


def numpy_conv(x, W, pad, dilation, groups):
    """A true (flipped) grouped, dilated, zero-padded convolution by loops."""
    batch = x.shape[0]
    filters, per_group, kh, kw = W.shape
    x = numpy.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    out_h, out_w = x.shape[2] - span[0] + 1, x.shape[3] - span[1] + 1
    flipped = W[:, :, ::-1, ::-1]
    out = numpy.zeros((batch, filters, out_h, out_w))
    filters_per_group = filters // groups
    for f in range(filters):
        g = f // filters_per_group
        channel_block = x[:, g * per_group : (g + 1) * per_group]
        for i in range(out_h):
            for j in range(out_w):
                window = channel_block[
                    :, :, i : i + span[0] : dilation[0], j : j + span[1] : dilation[1]
                ]
                out[:, f, i, j] = (window * flipped[f]).sum(axis=(1, 2, 3))
    return out


def make_conv(**kwargs):
    conv = Convolutional(
        weights_init=IsotropicGaussian(1.0), biases_init=Constant(0.5), **kwargs
    )
    conv.initialize()
    return conv


@pytest.mark.parametrize(
    ("border_mode", "dilation", "groups"),
    [
        ("same", (1, 1), 1),
        ("same", (2, 1), 2),
        ("valid", (2, 2), 3),
        ((1, 2), (1, 2), 1),
    ],
)
def test_convolution_matches_loops(border_mode, dilation, groups):
    conv = make_conv(
        filter_size=(3, 3),
        num_filters=6,
        num_channels=6,
        image_size=(7, 8),
        border_mode=border_mode,
        filter_dilation=dilation,
        num_groups=groups,
    )
    assert conv.W.get_value().shape == (6, 6 // groups, 3, 3)
    x = numpy.random.RandomState(0).randn(2, 6, 7, 8).astype(floatX)
    inputs = tensor.tensor4("x")
    out = symbolic.function([inputs], conv.apply(inputs))(x)
    if border_mode == "same":
        pad = tuple(d * 2 // 2 for d in dilation)
        assert out.shape[2:] == (7, 8)
    elif border_mode == "valid":
        pad = (0, 0)
    else:
        pad = border_mode
    expected = numpy_conv(x, conv.W.get_value(), pad, dilation, groups) + 0.5
    numpy.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert conv.get_dim("output") == out.shape[1:]


def test_transpose_is_the_gradient_of_the_convolution():
    forward = make_conv(
        filter_size=(3, 3),
        num_filters=4,
        num_channels=6,
        image_size=(7, 7),
        border_mode="same",
        filter_dilation=(2, 2),
        num_groups=2,
        use_bias=False,
    )
    transpose = ConvolutionalTranspose(
        filter_size=(3, 3),
        num_filters=6,
        num_channels=4,
        image_size=(7, 7),
        border_mode="same",
        filter_dilation=(2, 2),
        num_groups=2,
        use_bias=False,
        weights_init=Constant(0),
    )
    transpose.initialize()
    # The transpose's filters are the forward ones with the channel axes swapped.
    W = forward.W.get_value()
    transpose.W.set_value(W.transpose(1, 0, 2, 3))
    rng = numpy.random.RandomState(1)
    x = rng.randn(2, 6, 7, 7).astype(floatX)
    y = rng.randn(2, 4, 7, 7).astype(floatX)
    xv, yv = tensor.tensor4("x"), tensor.tensor4("y")
    gradient = symbolic.grad((forward.apply(xv) * yv).sum(), xv)
    expected = symbolic.function([xv, yv], gradient)(x, y)
    out = symbolic.function([yv], transpose.apply(yv))(y)
    assert transpose.get_dim("output") == (6, 7, 7)
    numpy.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="num_groups=4 must divide num_channels=6"):
        make_conv(filter_size=(3, 3), num_filters=4, num_channels=6, num_groups=4)
    conv = Convolutional(
        filter_size=(2, 3), num_filters=2, num_channels=1, border_mode="same"
    )
    with pytest.raises(ValueError, match="'same' needs odd filter spans"):
        conv.apply(tensor.tensor4())


def test_gradient_and_pickling():
    conv = make_conv(
        filter_size=(3, 3),
        num_filters=2,
        num_channels=2,
        border_mode="same",
        filter_dilation=(2, 2),
        num_groups=2,
    )
    x = numpy.random.RandomState(2).randn(1, 2, 5, 5).astype(floatX)
    verify_grad(conv.apply, [x], rng=numpy.random.RandomState(3))
    copy = pickle.loads(pickle.dumps(conv))
    assert (copy.filter_dilation, copy.num_groups, copy.border_mode) == (
        (2, 2),
        2,
        "same",
    )
    inputs = tensor.tensor4("x")
    numpy.testing.assert_allclose(
        symbolic.function([inputs], copy.apply(inputs))(x),
        symbolic.function([inputs], conv.apply(inputs))(x),
    )

"""Convolution, pooling and flattening bricks against numpy loops."""

import pickle

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.bricks import Rectifier, SpatialBatchNormalization, Tanh
from blocks.bricks.conv import (
    AveragePooling,
    Convolutional,
    ConvolutionalSequence,
    ConvolutionalTranspose,
    Flattener,
    MaxPooling,
    Pooling,
)
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian, Uniform
from blocks.roles import BIAS, FILTER, PARAMETER, WEIGHT
from symbolic import tensor

floatX = symbolic.config.floatX


def rand(shape, seed=1):
    return numpy.random.RandomState(seed).uniform(-1, 1, shape).astype(floatX)


def pads(border_mode, filter_size):
    if border_mode == "valid":
        return (0, 0)
    if border_mode == "full":
        return tuple(k - 1 for k in filter_size)
    if border_mode == "half":
        return tuple(k // 2 for k in filter_size)
    if isinstance(border_mode, int):
        return (border_mode, border_mode)
    return tuple(border_mode)


def np_conv(x, W, step=(1, 1), border_mode="valid"):
    """True 2-d convolution (flipped filters) by nested loops."""
    batch, channels, height, width = x.shape
    num_filters, _, kh, kw = W.shape
    ph, pw = pads(border_mode, (kh, kw))
    padded = numpy.zeros((batch, channels, height + 2 * ph, width + 2 * pw))
    padded[:, :, ph : ph + height, pw : pw + width] = x
    flipped = W[:, :, ::-1, ::-1]
    out_h = (padded.shape[2] - kh) // step[0] + 1
    out_w = (padded.shape[3] - kw) // step[1] + 1
    out = numpy.zeros((batch, num_filters, out_h, out_w))
    for b in range(batch):
        for f in range(num_filters):
            for i in range(out_h):
                for j in range(out_w):
                    rows = slice(i * step[0], i * step[0] + kh)
                    cols = slice(j * step[1], j * step[1] + kw)
                    window = padded[b, :, rows, cols]
                    out[b, f, i, j] = (window * flipped[f]).sum()
    return out


def np_conv_transpose(y, W_forward, image_size, step=(1, 1), border_mode="valid"):
    """Scatter every input pixel through the flipped forward filters."""
    batch, num_filters, out_h, out_w = y.shape
    _, channels, kh, kw = W_forward.shape
    ph, pw = pads(border_mode, (kh, kw))
    height, width = image_size
    padded = numpy.zeros((batch, channels, height + 2 * ph, width + 2 * pw))
    flipped = W_forward[:, :, ::-1, ::-1]
    for b in range(batch):
        for f in range(num_filters):
            for i in range(out_h):
                for j in range(out_w):
                    rows = slice(i * step[0], i * step[0] + kh)
                    cols = slice(j * step[1], j * step[1] + kw)
                    padded[b, :, rows, cols] += y[b, f, i, j] * flipped[f]
    return padded[:, :, ph : ph + height, pw : pw + width]


def np_pool(x, size, step=None, mode="max", ignore_border=True, padding=(0, 0)):
    """Pool the last two axes by nested loops, as Theano's Pool does."""
    step = size if step is None else step
    height, width = x.shape[-2:]
    padded_size = (height + 2 * padding[0], width + 2 * padding[1])
    counts = []
    for axis in range(2):
        v, ws, st = padded_size[axis], size[axis], step[axis]
        if ignore_border:
            counts.append(max(0, (v - ws) // st + 1))
        elif st >= ws:
            counts.append((v - 1) // st + 1)
        else:
            counts.append(max(0, (v - 1 - ws + st) // st) + 1)
    out = numpy.zeros((*x.shape[:-2], *counts))
    for index in numpy.ndindex(*x.shape[:-2]):
        image = x[index]
        for i in range(counts[0]):
            for j in range(counts[1]):
                # Window bounds in padded coordinates, cut at the padded edge.
                r0, c0 = i * step[0], j * step[1]
                r1 = min(r0 + size[0], padded_size[0])
                c1 = min(c0 + size[1], padded_size[1])
                # The part of the window inside the image.
                ir0, ir1 = max(r0, padding[0]), min(r1, height + padding[0])
                ic0, ic1 = max(c0, padding[1]), min(c1, width + padding[1])
                inside = image[
                    ir0 - padding[0] : ir1 - padding[0],
                    ic0 - padding[1] : ic1 - padding[1],
                ]
                if mode == "max":
                    value = inside.max()
                elif mode == "average_exc_pad":
                    value = inside.mean()
                else:
                    value = inside.sum() / ((r1 - r0) * (c1 - c0))
                out[(*index, i, j)] = value
    return out


def evaluate(output, x, value):
    return symbolic.function([x], output)(value)


# Convolutional -----------------------------------------------------------


@pytest.mark.parametrize(
    ("border_mode", "step"),
    [
        ("valid", (1, 1)),
        ("full", (1, 1)),
        ("half", (1, 1)),
        ((2, 1), (1, 1)),
        ("valid", (2, 3)),
        ("full", (2, 1)),
    ],
)
def test_convolutional_tied_biases(border_mode, step):
    x = tensor.tensor4("x")
    conv = Convolutional(
        filter_size=(3, 2),
        num_filters=4,
        num_channels=3,
        batch_size=2,
        image_size=(7, 6),
        step=step,
        border_mode=border_mode,
        weights_init=Uniform(width=1),
        biases_init=Uniform(width=1),
    )
    conv.initialize()
    W, b = (p.get_value() for p in conv.parameters)
    assert W.shape == (4, 3, 3, 2)
    assert b.shape == (4,)
    value = rand((2, 3, 7, 6))
    got = evaluate(conv.apply(x), x, value)
    want = np_conv(value, W, step, border_mode) + b[None, :, None, None]
    assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    assert got.shape[1:] == conv.get_dim("output")
    assert conv.get_dim("input_") == (3, 7, 6)
    assert conv.num_output_channels == 4


def test_convolutional_output_sizes():
    conv = Convolutional(filter_size=(3, 5), num_filters=2, num_channels=1)
    conv.image_size = (10, 11)
    assert conv.get_dim("output") == (2, 8, 7)
    conv.border_mode = "full"
    assert conv.get_dim("output") == (2, 12, 15)
    conv.border_mode = "half"
    assert conv.get_dim("output") == (2, 10, 11)
    conv.step = (2, 2)
    assert conv.get_dim("output") == (2, 5, 6)
    conv.image_size = (None, None)
    assert conv.get_dim("output") == (2, None, None)


def test_convolutional_untied_biases():
    x = tensor.tensor4("x")
    conv = Convolutional(
        filter_size=(2, 2),
        num_filters=3,
        num_channels=2,
        image_size=(5, 4),
        step=(2, 1),
        tied_biases=False,
        weights_init=IsotropicGaussian(0.5),
        biases_init=Uniform(width=2),
    )
    conv.initialize()
    W, b = (p.get_value() for p in conv.parameters)
    assert b.shape == (3, 2, 3) == conv.get_dim("output")
    # Every position has its own bias.
    assert len(numpy.unique(b)) == b.size
    value = rand((4, 2, 5, 4), seed=2)
    got = evaluate(conv.apply(x), x, value)
    assert_allclose(got, np_conv(value, W, (2, 1)) + b[None], rtol=1e-6, atol=1e-8)


def test_untied_biases_need_image_size():
    conv = Convolutional(
        filter_size=(2, 2), num_filters=3, num_channels=2, tied_biases=False
    )
    with pytest.raises(ValueError, match=r"Cannot infer bias size.*untied biases"):
        conv.allocate()


def test_sequence_without_image_size_cannot_infer_untied_bias_size():
    def sequence(tied_biases):
        conv = Convolutional(
            (1, 1), 2, weights_init=Constant(1.0), biases_init=Constant(1.0)
        )
        layers = [conv, Rectifier(), MaxPooling((1, 1))]
        return ConvolutionalSequence(layers, 1, tied_biases=tied_biases)

    with pytest.raises(ValueError, match="Cannot infer bias size"):
        sequence(tied_biases=False).initialize()
    seq = sequence(tied_biases=True)
    seq.initialize()
    assert seq.apply(tensor.tensor4("x")).ndim == 4


def test_convolutional_without_bias_and_variable_image_size():
    x = tensor.tensor4("x")
    conv = Convolutional(
        filter_size=(2, 3),
        num_filters=2,
        num_channels=1,
        use_bias=False,
        weights_init=Uniform(width=1),
    )
    conv.initialize()
    assert len(conv.parameters) == 1
    function = symbolic.function([x], conv.apply(x))
    W = conv.W.get_value()
    for shape in [(1, 1, 4, 5), (3, 1, 6, 3)]:
        value = rand(shape, seed=shape[0])
        assert_allclose(function(value), np_conv(value, W), rtol=1e-6, atol=1e-8)


def test_convolutional_lazy_allocation_args():
    conv = Convolutional(filter_size=(3, 3), num_filters=2)
    with pytest.raises(ValueError, match="num_channels"):
        conv.allocate()
    conv.num_channels = 5
    conv.allocate()
    assert conv.W.get_value().shape == (2, 5, 3, 3)


def test_conv2d_impl_can_be_overridden():
    calls = []

    def recording_conv2d(input_, filters, **kwargs):
        calls.append(sorted(kwargs))
        return tensor.nnet.conv2d(input_, filters, **kwargs)

    class RecordingConvolutional(Convolutional):
        conv2d_impl = staticmethod(recording_conv2d)

    x = tensor.tensor4("x")
    conv = RecordingConvolutional(
        filter_size=(2, 2),
        num_filters=1,
        num_channels=1,
        weights_init=Constant(1),
        biases_init=Constant(0.5),
    )
    conv.initialize()
    value = numpy.arange(9, dtype=floatX).reshape((1, 1, 3, 3))
    got = evaluate(conv.apply(x), x, value)
    assert calls == [["border_mode", "filter_shape", "input_shape", "subsample"]]
    assert_allclose(got, [[[[8.5, 12.5], [20.5, 24.5]]]])


def test_parameters_and_roles_in_the_graph():
    x = tensor.tensor4("x")
    conv = Convolutional(
        filter_size=(2, 2),
        num_filters=3,
        num_channels=2,
        weights_init=Constant(1),
        biases_init=Constant(0),
        name="conv",
    )
    conv.initialize()
    cg = ComputationGraph(conv.apply(x))
    assert set(cg.parameters) == {conv.W, conv.b}
    assert VariableFilter(roles=[FILTER])(cg.variables) == [conv.W]
    assert VariableFilter(roles=[WEIGHT])(cg.variables) == [conv.W]
    assert VariableFilter(roles=[BIAS])(cg.variables) == [conv.b]
    assert set(VariableFilter(roles=[PARAMETER])(cg.variables)) == {conv.W, conv.b}
    assert VariableFilter(bricks=[conv], roles=[FILTER])(cg.variables)[0] is conv.W
    names = {v.name for v in conv.auxiliary_variables}
    assert names == {"W_norm", "b_norm"}


# ConvolutionalTranspose --------------------------------------------------


@pytest.mark.parametrize(
    ("border_mode", "step", "image_size", "expected"),
    [
        ("valid", (1, 1), (4, 5), (6, 7)),
        ("valid", (2, 3), (4, 5), (9, 15)),
        ("full", (1, 1), (6, 7), (4, 5)),
        ("full", (2, 2), (6, 7), (9, 11)),
        ("half", (1, 1), (4, 5), (4, 5)),
        ((1, 2), (2, 1), (4, 5), (7, 3)),
        (1, (1, 1), (4, 5), (4, 5)),
    ],
)
def test_transpose_original_image_size_inference(
    border_mode, step, image_size, expected
):
    brick = ConvolutionalTranspose(
        filter_size=(3, 3),
        num_filters=2,
        num_channels=4,
        step=step,
        border_mode=border_mode,
        image_size=image_size,
    )
    assert brick.original_image_size == expected
    assert brick.get_dim("output") == (2, *expected)
    # The forward convolution maps the inferred size back to image_size.
    forward = Convolutional(
        filter_size=(3, 3),
        num_filters=4,
        num_channels=2,
        step=step,
        border_mode=border_mode,
        image_size=expected,
    )
    assert forward.get_dim("output") == (4, *image_size)


def test_transpose_unused_edge_and_explicit_size():
    brick = ConvolutionalTranspose(
        filter_size=(4, 4),
        num_filters=1,
        num_channels=1,
        step=(3, 2),
        image_size=(3, 3),
        unused_edge=(2, 1),
    )
    assert brick.original_image_size == (10 + 2, 8 + 1)
    brick.original_image_size = (11, 8)
    # An explicit size wins over unused_edge.
    assert brick.get_dim("output") == (1, 11, 8)
    brick.original_image_size = None
    assert brick.get_dim("output") == (1, 12, 9)


def test_transpose_needs_image_size():
    brick = ConvolutionalTranspose(filter_size=(2, 2), num_filters=1, num_channels=1)
    with pytest.raises(ValueError, match="original_image_size"):
        brick.get_dim("output")


@pytest.mark.parametrize(
    ("border_mode", "step", "unused_edge"),
    [
        ("valid", (1, 1), (0, 0)),
        ("valid", (2, 3), (1, 2)),
        ("full", (2, 1), (0, 0)),
        ("half", (1, 2), (0, 1)),
    ],
)
def test_transpose_values(border_mode, step, unused_edge):
    y = tensor.tensor4("y")
    brick = ConvolutionalTranspose(
        filter_size=(3, 2),
        num_filters=2,
        num_channels=3,
        image_size=(4, 3),
        step=step,
        border_mode=border_mode,
        unused_edge=unused_edge,
        weights_init=Uniform(width=1),
        biases_init=Uniform(width=1),
    )
    brick.initialize()
    W, b = (p.get_value() for p in brick.parameters)
    assert W.shape == (2, 3, 3, 2)
    value = rand((2, 3, 4, 3), seed=3)
    got = evaluate(brick.apply(y), y, value)
    size = brick.original_image_size
    want = np_conv_transpose(value, W.transpose(1, 0, 2, 3), size, step, border_mode)
    assert got.shape == (2, *brick.get_dim("output"))
    assert_allclose(got, want + b[None, :, None, None], rtol=1e-6, atol=1e-8)


def test_transpose_untied_biases_cover_the_hanging_border():
    y = tensor.tensor4("y")
    brick = ConvolutionalTranspose(
        filter_size=(2, 2),
        num_filters=1,
        num_channels=1,
        image_size=(2, 2),
        step=(2, 2),
        original_image_size=(5, 5),
        tied_biases=False,
        weights_init=Constant(1),
        biases_init=Uniform(width=1),
    )
    brick.initialize()
    b = brick.b.get_value()
    assert b.shape == (1, 5, 5)
    got = evaluate(brick.apply(y), y, numpy.ones((1, 1, 2, 2), dtype=floatX))
    # The last row and column are touched by no filter: bias only there.
    assert_allclose(got[0, 0, :4, :4], 1 + b[0, :4, :4])
    assert_allclose(got[0, 0, 4], b[0, 4])
    assert_allclose(got[0, 0, :, 4], b[0, :, 4])


@pytest.mark.parametrize(
    ("border_mode", "step"), [("valid", (2, 2)), ("full", (1, 2)), ("half", (1, 1))]
)
def test_transpose_is_the_adjoint_of_the_convolution(border_mode, step):
    x = tensor.tensor4("x")
    y = tensor.tensor4("y")
    forward = Convolutional(
        filter_size=(3, 3),
        num_filters=4,
        num_channels=2,
        image_size=(7, 7),
        step=step,
        border_mode=border_mode,
        use_bias=False,
        weights_init=Uniform(width=1),
    )
    forward.initialize()
    out_size = forward.get_dim("output")[1:]
    transpose = ConvolutionalTranspose(
        filter_size=(3, 3),
        num_filters=2,
        num_channels=4,
        image_size=out_size,
        original_image_size=(7, 7),
        step=step,
        border_mode=border_mode,
        use_bias=False,
    )
    transpose.allocate()
    transpose.W.set_value(forward.W.get_value().transpose(1, 0, 2, 3))
    x_value = rand((2, 2, 7, 7), seed=4)
    y_value = rand((2, 4, *out_size), seed=5)
    conv_x = evaluate(forward.apply(x), x, x_value)
    transpose_y = evaluate(transpose.apply(y), y, y_value)
    # <conv(x), y> == <x, conv^T(y)>
    assert_allclose((conv_x * y_value).sum(), (x_value * transpose_y).sum(), rtol=1e-9)
    # and conv^T(y) is the gradient of <conv(x), y> with respect to x.
    gradient = symbolic.grad((forward.apply(x) * y).sum(), x)
    got = symbolic.function([x, y], gradient)(x_value, y_value)
    assert_allclose(got, transpose_y, rtol=1e-9, atol=1e-12)


# Pooling -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "step", "ignore_border", "padding"),
    [
        ((2, 2), None, True, (0, 0)),
        ((2, 2), None, False, (0, 0)),
        ((3, 2), (1, 2), True, (0, 0)),
        ((3, 2), (2, 1), False, (0, 0)),
        ((3, 3), (2, 2), True, (1, 1)),
        ((2, 3), None, True, (1, 2)),
    ],
)
def test_max_pooling(size, step, ignore_border, padding):
    x = tensor.tensor4("x")
    brick = MaxPooling(
        size,
        step=step,
        input_dim=(2, 5, 7),
        ignore_border=ignore_border,
        padding=padding,
    )
    # Negative values: padding must not win the max.
    value = rand((3, 2, 5, 7), seed=6) - 2
    got = evaluate(brick.apply(x), x, value)
    want = np_pool(value, size, step, "max", ignore_border, padding)
    assert_allclose(got, want)
    assert got.shape[1:] == brick.get_dim("output")
    assert brick.mode == "max"


def test_max_pooling_border_sizes():
    brick = MaxPooling((2, 2), input_dim=(1, 5, 5))
    assert brick.get_dim("output") == (1, 2, 2)
    brick.ignore_border = False
    assert brick.get_dim("output") == (1, 3, 3)
    brick.padding = (1, 1)
    brick.ignore_border = True
    assert brick.get_dim("output") == (1, 3, 3)


@pytest.mark.parametrize(
    ("size", "step", "ignore_border", "padding", "include_padding"),
    [
        ((2, 2), None, True, (0, 0), False),
        ((2, 2), None, False, (0, 0), False),
        ((3, 3), (2, 2), True, (1, 1), False),
        ((3, 3), (2, 2), True, (1, 1), True),
        ((3, 2), (1, 1), True, (2, 1), True),
        ((2, 3), (3, 1), False, (0, 0), False),
    ],
)
def test_average_pooling(size, step, ignore_border, padding, include_padding):
    x = tensor.tensor4("x")
    brick = AveragePooling(
        size,
        step=step,
        input_dim=(2, 5, 7),
        ignore_border=ignore_border,
        padding=padding,
        include_padding=include_padding,
    )
    mode = "average_inc_pad" if include_padding else "average_exc_pad"
    assert brick.mode == mode
    value = rand((3, 2, 5, 7), seed=7) + 1
    got = evaluate(brick.apply(x), x, value)
    want = np_pool(value, size, step, mode, ignore_border, padding)
    assert_allclose(got, want, rtol=1e-12)
    assert got.shape[1:] == brick.get_dim("output")


def test_average_pooling_include_padding_needs_ignore_border():
    with pytest.raises(ValueError, match="ignore_border"):
        AveragePooling((2, 2), ignore_border=False, include_padding=True)


def test_pooling_works_on_any_leading_dims():
    x = tensor.tensor3("x")
    brick = MaxPooling((2, 2))
    value = rand((3, 4, 6), seed=8)
    got = evaluate(brick.apply(x), x, value)
    assert_allclose(got, np_pool(value, (2, 2)))


def test_pooling_shape_attributes():
    brick = AveragePooling((2, 2), step=(1, 1))
    assert brick.get_dim("output") == (None, None, None)
    brick.num_channels = 6
    brick.image_size = (4, 5)
    assert brick.input_dim == (6, 4, 5)
    assert brick.get_dim("input_") == (6, 4, 5)
    assert brick.get_dim("output") == (6, 3, 4)
    assert brick.num_output_channels == 6
    assert isinstance(brick, Pooling)
    with pytest.raises(ValueError):
        brick.get_dim("nothing")


# ConvolutionalSequence ---------------------------------------------------


def build_sequence(**kwargs):
    layers = [
        Convolutional(filter_size=(3, 3), num_filters=4, name="conv0"),
        Rectifier(),
        MaxPooling((2, 2), ignore_border=False, name="pool0"),
        Convolutional(
            filter_size=(2, 3), num_filters=5, step=(1, 2), border_mode="full"
        ).apply,
        Tanh(),
        AveragePooling((3, 3), step=(1, 1), padding=(1, 1), name="pool1"),
    ]
    return ConvolutionalSequence(
        layers,
        num_channels=2,
        image_size=(11, 10),
        weights_init=IsotropicGaussian(0.3),
        biases_init=Uniform(width=0.5),
        **kwargs,
    )


def test_sequence_pushes_dims():
    seq = build_sequence(batch_size=3)
    seq.push_allocation_config()
    conv0, _, pool0, conv1, _, pool1 = seq.layers
    assert (conv0.num_channels, conv0.image_size) == (2, (11, 10))
    assert conv0.get_dim("output") == (4, 9, 8)
    assert pool0.input_dim == (4, 9, 8)
    assert pool0.get_dim("output") == (4, 5, 4)
    assert (conv1.num_channels, conv1.image_size) == (4, (5, 4))
    assert conv1.border_mode == "full"
    assert conv1.get_dim("output") == (5, 6, 3)
    assert pool1.input_dim == (5, 6, 3)
    assert seq.get_dim("output") == (5, 6, 3)
    assert seq.get_dim("input_") == (2, 11, 10)
    assert seq.num_output_channels == 5
    assert conv0.batch_size == conv1.batch_size == 3


def test_sequence_output_dim_skips_activations():
    seq = ConvolutionalSequence(
        [Convolutional(filter_size=(3, 3), num_filters=4), Rectifier()],
        num_channels=1,
        image_size=(5, 6),
    )
    seq.push_allocation_config()
    assert seq.get_dim("output") == (4, 3, 4)
    empty = ConvolutionalSequence([Rectifier()], num_channels=3, image_size=(2, 2))
    assert empty.get_dim("output") == (3, 2, 2)


def test_sequence_values():
    x = tensor.tensor4("x")
    seq = build_sequence()
    seq.initialize()
    conv0, _, _, conv1, _, _ = seq.layers
    W0, b0 = (p.get_value() for p in conv0.parameters)
    W1, b1 = (p.get_value() for p in conv1.parameters)
    value = rand((2, 2, 11, 10), seed=9)
    got = evaluate(seq.apply(x), x, value)
    h = numpy.maximum(np_conv(value, W0) + b0[None, :, None, None], 0)
    h = np_pool(h, (2, 2), ignore_border=False)
    h = numpy.tanh(np_conv(h, W1, (1, 2), "full") + b1[None, :, None, None])
    h = np_pool(h, (3, 3), (1, 1), "average_exc_pad", True, (1, 1))
    assert got.shape == (2, *seq.get_dim("output"))
    assert_allclose(got, h, rtol=1e-6, atol=1e-8)


def test_sequence_pushes_border_mode_and_tied_biases_only_when_set():
    seq = build_sequence()
    seq.push_allocation_config()
    assert [seq.layers[0].border_mode, seq.layers[3].border_mode] == ["valid", "full"]
    assert seq.layers[0].tied_biases and seq.layers[3].tied_biases

    seq = build_sequence(border_mode="half", tied_biases=False)
    seq.allocate()
    conv0, _, pool0, conv1, _, _ = seq.layers
    assert conv0.border_mode == conv1.border_mode == "half"
    assert conv0.get_dim("output") == (4, 11, 10)
    assert pool0.get_dim("output") == (4, 6, 5)
    assert conv0.b.get_value().shape == (4, 11, 10)
    assert conv1.b.get_value().shape == (5, 7, 3)
    assert not hasattr(pool0, "border_mode")


def test_sequence_of_lazy_layers_keeps_their_border_modes():
    # Layers whose filter_size and num_filters are still unset: their output
    # size is unknown, which must not stop the push.
    layers = [
        Convolutional(border_mode="full"),
        Convolutional(),
        Rectifier(),
        Convolutional(border_mode="valid"),
        Rectifier(),
        Convolutional(border_mode="full"),
        Rectifier(),
    ]
    stack = ConvolutionalSequence(layers)
    stack.push_allocation_config()
    convs = [stack.children[i] for i in (0, 1, 3, 5)]
    assert [c.border_mode for c in convs] == ["full", "valid", "valid", "full"]
    stack = ConvolutionalSequence(layers, border_mode="full")
    stack.push_allocation_config()
    assert [c.border_mode for c in convs] == ["full"] * 4
    with pytest.raises(ValueError, match="filter_size, num_filters are set"):
        convs[1].get_dim("output")


def test_sequence_pushes_use_bias_and_initialization():
    seq = ConvolutionalSequence(
        [
            Convolutional(filter_size=(2, 2), num_filters=3),
            Convolutional(filter_size=(2, 2), num_filters=2),
        ],
        num_channels=1,
        image_size=(4, 4),
        use_bias=False,
        weights_init=Constant(0.5),
    )
    seq.initialize()
    for layer in seq.layers:
        assert len(layer.parameters) == 1
        assert (layer.W.get_value() == 0.5).all()
    assert seq.layers[1].W.get_value().shape == (2, 3, 2, 2)


def test_sequence_with_batch_normalization():
    x = tensor.tensor4("x")
    seq = ConvolutionalSequence(
        [
            Convolutional(filter_size=(3, 3), num_filters=3),
            SpatialBatchNormalization(),
            MaxPooling((2, 2)),
        ],
        num_channels=2,
        image_size=(6, 6),
        weights_init=Constant(1),
        biases_init=Constant(0.5),
    )
    seq.initialize()
    assert seq.layers[1].input_dim == (3, 4, 4)
    assert seq.layers[2].input_dim == (3, 4, 4)
    assert seq.get_dim("output") == (3, 2, 2)
    value = rand((2, 2, 6, 6), seed=10)
    # In inference mode, fresh population statistics (mean 0, standard
    # deviation 1) and the default scale and shift leave h unchanged.
    h = np_conv(value, numpy.ones((3, 2, 3, 3))) + 0.5
    want = np_pool(h, (2, 2))
    assert_allclose(evaluate(seq.apply(x), x, value), want, rtol=1e-6)


def test_nested_sequence():
    x = tensor.tensor4("x")
    inner = ConvolutionalSequence(
        [Convolutional(filter_size=(2, 2), num_filters=3), MaxPooling((2, 2))],
        num_channels=None,
    )
    outer = ConvolutionalSequence(
        [inner, Convolutional(filter_size=(2, 2), num_filters=2)],
        num_channels=1,
        image_size=(7, 7),
        weights_init=Constant(1),
        biases_init=Constant(0),
    )
    outer.initialize()
    assert inner.get_dim("output") == (3, 3, 3)
    assert outer.get_dim("output") == (2, 2, 2)
    value = rand((1, 1, 7, 7), seed=11)
    h = np_pool(np_conv(value, numpy.ones((3, 1, 2, 2))), (2, 2))
    want = np_conv(h, numpy.ones((2, 3, 2, 2)))
    assert_allclose(evaluate(outer.apply(x), x, value), want, rtol=1e-6)


def test_sequence_gradients_and_finite_differences():
    x = tensor.tensor4("x")
    seq = build_sequence()
    seq.initialize()
    cost = (seq.apply(x) ** 2).sum()
    cg = ComputationGraph(cost)
    filters = VariableFilter(roles=[FILTER])(cg.variables)
    biases = VariableFilter(roles=[BIAS])(cg.variables)
    assert set(filters) == {seq.layers[0].W, seq.layers[3].W}
    assert set(biases) == {seq.layers[0].b, seq.layers[3].b}
    assert set(cg.parameters) == set(filters) | set(biases)
    gradients = symbolic.grad(cost, cg.parameters)
    value = rand((2, 2, 11, 10), seed=12)
    gradient_values = symbolic.function([x], gradients)(value)
    for gradient in gradient_values:
        assert numpy.isfinite(gradient).all()
        assert numpy.abs(gradient).sum() > 0
    # Central differences on a few entries of the first filter bank.
    W = seq.layers[0].W
    index = cg.parameters.index(W)
    original = W.get_value()
    cost_of = symbolic.function([x], cost)
    eps = 1e-6
    for entry in [(0, 0, 0, 0), (1, 1, 2, 1), (3, 0, 1, 2)]:
        shifted = original.copy()
        shifted[entry] += eps
        W.set_value(shifted)
        up = cost_of(value)
        shifted[entry] -= 2 * eps
        W.set_value(shifted)
        down = cost_of(value)
        W.set_value(original)
        numeric = (up - down) / (2 * eps)
        assert_allclose(gradient_values[index][entry], numeric, rtol=1e-4, atol=1e-6)


# Flattener ---------------------------------------------------------------


def test_flattener():
    x = tensor.tensor4("x")
    value = rand((3, 2, 4, 5), seed=13)
    got = evaluate(Flattener().apply(x), x, value)
    assert got.shape == (3, 40)
    assert_allclose(got, value.reshape((3, 40)))


# Pickling ----------------------------------------------------------------


def test_pickled_sequence_still_applies():
    x = tensor.tensor4("x")
    seq = build_sequence()
    seq.initialize()
    value = rand((2, 2, 11, 10), seed=14)
    before = evaluate(seq.apply(x), x, value)
    copy = pickle.loads(pickle.dumps(seq))
    assert copy.get_dim("output") == seq.get_dim("output")
    assert copy.layers[0] is copy.children[0]
    after = evaluate(copy.apply(x), x, value)
    assert_allclose(after, before)


def test_pickled_transpose_still_applies():
    y = tensor.tensor4("y")
    brick = ConvolutionalTranspose(
        filter_size=(3, 3),
        num_filters=1,
        num_channels=2,
        image_size=(3, 3),
        step=(2, 2),
        weights_init=Uniform(width=1),
        biases_init=Constant(0.1),
    )
    brick.initialize()
    value = rand((1, 2, 3, 3), seed=15)
    copy = pickle.loads(pickle.dumps(brick))
    assert copy.original_image_size == (7, 7)
    assert_allclose(
        evaluate(copy.apply(y), y, value), evaluate(brick.apply(y), y, value)
    )


def test_max_pooling_unpickles_from_before_pooling_modes():
    brick = MaxPooling((2, 2), input_dim=(1, 3, 3))
    # A MaxPooling pickled before pooling modes kept its sizes as plain
    # attributes and lacked a mode, padding and ignore_border.
    state = dict(brick.__dict__)
    for name in ("mode", "_padding", "ignore_border"):
        del state[name]
    state["pooling_size"] = state.pop("_pooling_size")
    state["step"] = state.pop("_step")
    restored = MaxPooling.__new__(MaxPooling)
    restored.__setstate__(pickle.loads(pickle.dumps(state)))
    assert restored.mode == "max"
    assert restored.padding == (0, 0)
    assert restored.ignore_border is False
    assert restored.pooling_size == (2, 2)
    assert restored.get_dim("output") == (1, 2, 2)
    x = tensor.tensor4("x")
    value = rand((1, 1, 3, 3), seed=16)
    got = evaluate(restored.apply(x), x, value)
    assert_allclose(got, np_pool(value, (2, 2), ignore_border=False))
    # A current pickle keeps its own values.
    brick = MaxPooling((2, 2), padding=(1, 1))
    restored = pickle.loads(pickle.dumps(brick))
    assert (restored.padding, restored.ignore_border) == ((1, 1), True)


def test_pooling_accepts_whole_float_steps():
    brick = MaxPooling((2.0, 2.0), step=(2.0, 1.0), input_dim=(1, 5, 5))
    assert brick.pooling_size == (2, 2) and brick.step == (2, 1)
    assert all(isinstance(size, int) for size in brick.get_dim("output"))
    assert brick.get_dim("output") == (1, 2, 4)
    x = tensor.tensor4("x")
    value = rand((1, 1, 5, 5), seed=3)
    expected = MaxPooling((2, 2), step=(2, 1), input_dim=(1, 5, 5)).apply(x)
    assert_allclose(evaluate(brick.apply(x), x, value), evaluate(expected, x, value))
    with pytest.raises(ValueError, match="step must be whole numbers"):
        AveragePooling((2, 2), step=(1.5, 1))

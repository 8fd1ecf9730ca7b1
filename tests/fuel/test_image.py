import io
import logging
import math
import pickle

import numpy
import pytest

from fuel.datasets import IndexableDataset
from fuel.exceptions import AxisLabelsMismatchError
from fuel.schemes import SequentialExampleScheme, SequentialScheme
from fuel.streams import DataStream
from fuel.transformers._image import window_batch_bchw
from fuel.transformers.defaults import ToBytes, rgb_images_from_encoded_bytes
from fuel.transformers.image import (
    ImagesFromBytes,
    MinimumImageDimensions,
    Random2DRotation,
    RandomFixedSizeCrop,
)

Image = pytest.importorskip("PIL.Image", reason="the image transformers need Pillow")

BCHW = ("batch", "channel", "height", "width")


def images(n=3, channels=3, height=7, width=9, dtype="uint8", seed=0):
    rng = numpy.random.RandomState(seed)
    return rng.randint(0, 256, size=(n, channels, height, width)).astype(dtype)


def batch_stream(data, batch_size=2, labels=BCHW):
    axis_labels = {"features": labels} if labels else None
    dataset = IndexableDataset({"features": data}, axis_labels=axis_labels)
    return DataStream(dataset, iteration_scheme=SequentialScheme(len(data), batch_size))


def example_stream(data, labels=BCHW):
    axis_labels = {"features": labels} if labels else None
    dataset = IndexableDataset({"features": data}, axis_labels=axis_labels)
    return DataStream(dataset, iteration_scheme=SequentialExampleScheme(len(data)))


def encode(array_hwc, fmt="PNG", mode=None):
    buffer = io.BytesIO()
    Image.fromarray(array_hwc, mode=mode).save(buffer, format=fmt)
    return buffer.getvalue()


def test_images_from_bytes_decodes_to_chw_examples_and_batches():
    rgb = images(2, 3, 5, 4).transpose(0, 2, 3, 1)
    grey = images(1, 1, 6, 3)[0, 0]
    encoded = [encode(rgb[0]), encode(rgb[1]), encode(grey)]
    dataset = IndexableDataset({"img": encoded, "y": [0, 1, 2]})
    stream = ImagesFromBytes(
        DataStream(dataset, iteration_scheme=SequentialExampleScheme(3)),
        which_sources=("img",),
    )
    assert stream.axis_labels == {"img": ("channel", "height", "width"), "y": None}
    decoded = list(stream.get_epoch_iterator())
    numpy.testing.assert_array_equal(decoded[0][0], rgb[0].transpose(2, 0, 1))
    # A grey image is converted to RGB by default: three equal channels.
    assert decoded[2][0].shape == (3, 6, 3)
    numpy.testing.assert_array_equal(decoded[2][0][1], grey)

    grey_stream = ImagesFromBytes(
        DataStream(dataset, iteration_scheme=SequentialScheme(3, 3)),
        color_mode=None,
        which_sources=("img",),
    )
    assert grey_stream.axis_labels["img"] == BCHW
    batch, _ = next(grey_stream.get_epoch_iterator())
    assert isinstance(batch, list) and batch[2].shape == (1, 6, 3)
    numpy.testing.assert_array_equal(batch[2][0], grey)


def test_images_from_bytes_rejects_what_is_not_bytes():
    stream = ImagesFromBytes(example_stream(images(1), labels=None))
    with pytest.raises(TypeError, match="bytes in source 'features'"):
        next(stream.get_epoch_iterator())


def test_to_bytes_then_images_from_bytes_is_the_default_decoder():
    rgb = images(2, 3, 4, 5).transpose(0, 2, 3, 1)
    stored = [numpy.frombuffer(encode(image), dtype="uint8") for image in rgb]
    labels = {"encoded": ("batch", "index")}
    dataset = IndexableDataset({"encoded": stored}, axis_labels=labels)
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(2, 2))
    as_bytes = ToBytes(stream)
    assert as_bytes.axis_labels == {"encoded": ("batch", "bytes")}
    assert stream.axis_labels == labels, "ToBytes must not edit the child's labels"
    for transformer, args, kwargs in rgb_images_from_encoded_bytes(("encoded",)):
        stream = transformer(stream, *args, **kwargs)
    (decoded,) = next(stream.get_epoch_iterator())
    for got, want in zip(decoded, rgb, strict=True):
        numpy.testing.assert_array_equal(got, want.transpose(2, 0, 1))


def test_minimum_image_dimensions_upscales_small_images_only():
    small = images(1, 3, 4, 6)
    stream = MinimumImageDimensions(batch_stream(small, 1), (8, 5))
    (batch,) = next(stream.get_epoch_iterator())
    assert isinstance(batch, list)
    # Height 4 -> 8 needs a factor 2, which also takes width 6 to 12.
    assert batch[0].shape == (3, 8, 12) and batch[0].dtype == numpy.uint8
    expected = Image.fromarray(small[0].transpose(1, 2, 0)).resize(
        (12, 8), Image.NEAREST
    )
    numpy.testing.assert_array_equal(batch[0], numpy.array(expected).transpose(2, 0, 1))

    big = images(1, 3, 10, 10)
    stream = MinimumImageDimensions(
        example_stream(big, ("channel", "height", "width")), (8, 5)
    )
    (example,) = next(stream.get_epoch_iterator())
    numpy.testing.assert_array_equal(example, big[0])


def test_minimum_image_dimensions_uses_the_requested_filter():
    small = images(1, 3, 3, 3)
    (nearest,) = next(
        MinimumImageDimensions(batch_stream(small, 1), (7, 7)).get_epoch_iterator()
    )
    (bilinear,) = next(
        MinimumImageDimensions(
            batch_stream(small, 1), (7, 7), resample="bilinear"
        ).get_epoch_iterator()
    )
    expected = Image.fromarray(small[0].transpose(1, 2, 0)).resize(
        (7, 7), Image.BILINEAR
    )
    numpy.testing.assert_array_equal(
        bilinear[0], numpy.array(expected).transpose(2, 0, 1)
    )
    assert not numpy.array_equal(nearest[0], bilinear[0])
    with pytest.raises(ValueError, match="resampling filter 'wobbly'"):
        MinimumImageDimensions(batch_stream(small), (7, 7), resample="wobbly")


def test_minimum_image_dimensions_handles_one_channel_and_float_images():
    grey = numpy.linspace(0, 1, 12, dtype="float32").reshape(1, 1, 3, 4)
    (batch,) = next(
        MinimumImageDimensions(batch_stream(grey, 1), (6, 1)).get_epoch_iterator()
    )
    assert batch[0].shape == (1, 6, 8) and batch[0].dtype == numpy.float32
    # Nearest-neighbour doubling repeats each pixel twice along both axes.
    numpy.testing.assert_array_equal(batch[0][0, ::2, ::2], grey[0, 0])


def test_axis_labels_are_checked_once_and_missing_ones_only_warn(caplog):
    wrong = batch_stream(images(2), labels=("batch", "height", "width", "channel"))
    with pytest.raises(AxisLabelsMismatchError, match="'channel', 'height', 'width'"):
        next(MinimumImageDimensions(wrong, (2, 2)).get_epoch_iterator())
    unlabelled = batch_stream(images(2), labels=None)
    crop = RandomFixedSizeCrop(unlabelled, (2, 2))
    with caplog.at_level(logging.WARNING):
        list(crop.get_epoch_iterator())
    assert caplog.text.count("declares no axis labels") == 1


def test_random_fixed_size_crop_draws_like_fuel():
    data = images(3, 2, 6, 8)
    stream = RandomFixedSizeCrop(
        batch_stream(data, 3), (4, 5), rng=numpy.random.RandomState(3)
    )
    (batch,) = next(stream.get_epoch_iterator())
    assert batch.shape == (3, 2, 4, 5)
    rng = numpy.random.RandomState(3)
    lefts = rng.randint(0, 8 - 5 + 1, size=3)
    tops = rng.randint(0, 6 - 4 + 1, size=3)
    for i in range(3):
        numpy.testing.assert_array_equal(
            batch[i], data[i, :, tops[i] : tops[i] + 4, lefts[i] : lefts[i] + 5]
        )

    examples = RandomFixedSizeCrop(
        example_stream(data, ("channel", "height", "width")),
        (4, 5),
        rng=numpy.random.RandomState(5),
    )
    crops = [crop for (crop,) in examples.get_epoch_iterator()]
    rng = numpy.random.RandomState(5)
    for image, crop in zip(data, crops, strict=True):
        top, left = rng.randint(0, 3), rng.randint(0, 4)
        numpy.testing.assert_array_equal(crop, image[:, top : top + 4, left : left + 5])


def test_random_fixed_size_crop_on_lists_and_bad_input():
    ragged = [images(1, 3, 5, 5)[0], images(1, 3, 6, 7)[0]]
    dataset = IndexableDataset({"features": ragged}, axis_labels={"features": BCHW})
    stream = DataStream(dataset, iteration_scheme=SequentialScheme(2, 2))
    (batch,) = next(RandomFixedSizeCrop(stream, (3, 4)).get_epoch_iterator())
    assert [crop.shape for crop in batch] == [(3, 3, 4), (3, 3, 4)]
    with pytest.raises(ValueError, match="cannot crop a \\(8, 8\\) window"):
        next(RandomFixedSizeCrop(batch_stream(images(2)), (8, 8)).get_epoch_iterator())
    flat = batch_stream(numpy.zeros((2, 5)), labels=None)
    with pytest.raises(ValueError, match="4-D array or a list"):
        next(RandomFixedSizeCrop(flat, (1, 1)).get_epoch_iterator())


def test_window_batch_bchw_copies_each_window():
    batch = numpy.arange(2 * 1 * 4 * 4, dtype="float32").reshape(2, 1, 4, 4)
    out = numpy.empty((2, 1, 2, 3), dtype="float32")
    window_batch_bchw(batch, [0, 2], [1, 0], out)
    numpy.testing.assert_array_equal(out[0], batch[0, :, 0:2, 1:4])
    numpy.testing.assert_array_equal(out[1], batch[1, :, 2:4, 0:3])
    with pytest.raises(ValueError, match="falls outside"):
        window_batch_bchw(batch, [3, 0], [0, 0], out)


def test_random_2d_rotation_matches_pillow_and_keeps_types():
    data = images(2, 3, 6, 6)
    rotate = Random2DRotation(
        batch_stream(data, 2), math.pi / 2, rng=numpy.random.RandomState(1)
    )
    (batch,) = next(rotate.get_epoch_iterator())
    assert batch.shape == data.shape and batch.dtype == numpy.uint8
    angles = numpy.random.RandomState(1).uniform(-90, 90, 2)
    for i in range(2):
        expected = Image.fromarray(data[i].transpose(1, 2, 0)).rotate(
            angles[i], resample=Image.NEAREST
        )
        numpy.testing.assert_array_equal(
            batch[i], numpy.array(expected).transpose(2, 0, 1)
        )

    half_turn = Random2DRotation(
        example_stream(data, ("channel", "height", "width")),
        math.pi,
        rng=numpy.random.RandomState(0),
    )
    for (rotated,), image in zip(half_turn.get_epoch_iterator(), data, strict=True):
        assert rotated.shape == image.shape
    with pytest.raises(ValueError, match="maximum_rotation"):
        Random2DRotation(batch_stream(data), 4.0)


def test_random_2d_rotation_of_one_channel_images():
    image = numpy.zeros((1, 1, 5, 5), dtype="uint8")
    image[0, 0, 2, :] = 255
    stream = Random2DRotation(batch_stream(image, 1), math.pi / 2, rng=FixedAngle(90.0))
    (batch,) = next(stream.get_epoch_iterator())
    # A horizontal line turned a quarter becomes a vertical one.
    numpy.testing.assert_array_equal(batch[0, 0], image[0, 0].T)


class FixedAngle:
    def __init__(self, angle):
        self.angle = angle

    def uniform(self, low, high, size=None):
        return numpy.full(size, self.angle) if size is not None else self.angle


def test_image_transformers_pickle_mid_epoch():
    stream = RandomFixedSizeCrop(batch_stream(images(4), 1), (3, 3))
    epoch = stream.get_epoch_iterator()
    next(epoch)
    _, epoch_copy = pickle.loads(pickle.dumps((stream, epoch)))
    expected = [batch for (batch,) in epoch]
    got = [batch for (batch,) in epoch_copy]
    assert len(got) == 3
    for a, b in zip(expected, got, strict=True):
        numpy.testing.assert_array_equal(a, b)


def test_missing_pillow_names_the_extra(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "PIL", None)
    stream = ImagesFromBytes(example_stream([b"x"], labels=None))
    with pytest.raises(ImportError, match=r"symbolic-blocks\[image\]"):
        next(stream.get_epoch_iterator())
    with pytest.raises(ImportError, match=r"symbolic-blocks\[image\]"):
        MinimumImageDimensions(batch_stream(images(1)), (2, 2))

"""Transformers for images: decoding, upscaling, random crops and rotations.

Images are arrays laid out ``(channel, height, width)``, and a batch is a 4-D
array or a list of such arrays (images of unequal size cannot share one
array). Decoding, resizing and rotating use Pillow, an optional dependency:
``pip install symbolic-blocks[image]``.

Examples
--------
>>> import numpy
>>> from fuel.datasets import IndexableDataset
>>> from fuel.schemes import SequentialScheme
>>> from fuel.streams import DataStream
>>> images = numpy.arange(2 * 3 * 5 * 5, dtype="uint8").reshape(2, 3, 5, 5)
>>> labels = {"features": ("batch", "channel", "height", "width")}
>>> dataset = IndexableDataset({"features": images}, axis_labels=labels)
>>> stream = DataStream(dataset, iteration_scheme=SequentialScheme(2, 2))
>>> crops = RandomFixedSizeCrop(stream, (2, 3), which_sources=("features",))
>>> next(crops.get_epoch_iterator())[0].shape
(2, 3, 2, 3)

"""

import io
import logging
import math

import numpy

from fuel.config_parser import config
from fuel.transformers._image import window_batch_bchw
from fuel.transformers.base import ExpectsAxisLabels, SourcewiseTransformer

logger = logging.getLogger(__name__)

# Upstream set this False when its Cython kernel was not compiled; the numpy
# kernel is always there.
window_batch_bchw_available = True

IMAGE_LABELS = ("channel", "height", "width")
BATCH_IMAGE_LABELS = ("batch", *IMAGE_LABELS)


def _pil_image():
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError(
            "fuel.transformers.image needs Pillow to decode, resize and rotate "
            "images; install it with `pip install symbolic-blocks[image]` (or "
            "`pip install pillow`)"
        ) from error
    return Image


def _resample_filter(resample, owner):
    Image = _pil_image()
    name = str(resample).upper()
    value = getattr(Image, name, None)
    if value is None:
        value = getattr(getattr(Image, "Resampling", None), name, None)
    if value is None or not isinstance(resample, str):
        raise ValueError(
            f"{owner} got the unknown resampling filter {resample!r}; use one of "
            f"'nearest', 'bilinear', 'bicubic', 'lanczos', 'box' or 'hamming'"
        )
    return value


def _image_labels(data_stream):
    return BATCH_IMAGE_LABELS if not data_stream.produces_examples else IMAGE_LABELS


class ImagesFromBytes(SourcewiseTransformer):
    """Decode encoded images (PNG, JPEG...) into ``(channel, height, width)`` arrays.

    Parameters
    ----------
    data_stream : AbstractDataStream
        A stream whose selected sources hold ``bytes`` (one encoded image per
        example).
    color_mode : str or None, optional
        The Pillow mode to convert to (``'RGB'`` by default, ``'L'`` for
        grey levels). None keeps the file's mode.
    which_sources : tuple of str, optional
        The sources to decode; all by default.

    Notes
    -----
    A batch becomes a list of arrays, since the images may differ in size.
    A grey image gets a channel axis of length 1.

    """

    def __init__(self, data_stream, color_mode="RGB", **kwargs):
        self.color_mode = color_mode
        kwargs.setdefault("produces_examples", data_stream.produces_examples)
        super().__init__(data_stream, **kwargs)
        if "axis_labels" not in kwargs:
            self.axis_labels = self._labels(data_stream)

    def _labels(self, data_stream):
        child = data_stream.axis_labels or {}
        labels = _image_labels(data_stream)
        return {
            source: labels if source in self.which_sources else child.get(source)
            for source in data_stream.sources
        }

    def transform_source_example(self, source_example, source_name):
        if not isinstance(source_example, bytes):
            raise TypeError(
                f"ImagesFromBytes expects bytes in source {source_name!r}, got "
                f"{type(source_example).__name__}"
            )
        Image = _pil_image()
        with io.BytesIO(source_example) as handle:
            image = Image.open(handle)
            if self.color_mode is not None:
                image = image.convert(self.color_mode)
            array = numpy.array(image)
        if array.ndim == 3:
            return array.transpose(2, 0, 1)
        if array.ndim == 2:
            return array[numpy.newaxis]
        raise ValueError(
            f"ImagesFromBytes decoded an image of shape {array.shape} in source "
            f"{source_name!r}; expected 2 or 3 axes"
        )

    def transform_source_batch(self, source_batch, source_name):
        return [self.transform_source_example(im, source_name) for im in source_batch]


class _ImageTransformer(SourcewiseTransformer, ExpectsAxisLabels):
    """Shared set-up: follows the child's kind and keeps its labels object."""

    def __init__(self, data_stream, **kwargs):
        kwargs.setdefault("produces_examples", data_stream.produces_examples)
        # The axes do not change, so the child's labels hold (Fuel passes the
        # dict itself).
        kwargs.setdefault("axis_labels", data_stream.axis_labels)
        super().__init__(data_stream, **kwargs)

    def _check_example_labels(self, source_name):
        self.verify_axis_labels(
            IMAGE_LABELS, self.source_axis_labels(source_name), source_name
        )

    def _check_batch_labels(self, source_name):
        self.verify_axis_labels(
            BATCH_IMAGE_LABELS, self.source_axis_labels(source_name), source_name
        )


def _batch_like(results, source_batch):
    """Return `results` as an object array if the batch was one, else a list."""
    if isinstance(source_batch, numpy.ndarray) and source_batch.dtype == object:
        array = numpy.empty(len(results), dtype=object)
        array[:] = results
        return array
    return results


class MinimumImageDimensions(_ImageTransformer):
    """Upscale the images smaller than a minimum size, keeping their aspect.

    Parameters
    ----------
    data_stream : AbstractDataStream
        A stream of images (``(channel, height, width)`` examples, or batches
        of them as a 4-D array or a list).
    minimum_shape : tuple of int
        ``(height, width)``: an image below either is scaled up by the
        smallest factor that reaches both.
    resample : str, optional
        The Pillow filter: ``'nearest'`` (default), ``'bilinear'``,
        ``'bicubic'``...
    which_sources : tuple of str, optional
        The image sources; all by default.

    Notes
    -----
    Upstream Fuel ignored `resample` (Pillow's default filter applied); it is
    passed here, which gives the same images for the default ``'nearest'``.
    A batch becomes a list, since the images may end up of unequal size.

    """

    def __init__(self, data_stream, minimum_shape, resample="nearest", **kwargs):
        self.minimum_shape = tuple(minimum_shape)
        self.resample = _resample_filter(resample, "MinimumImageDimensions")
        super().__init__(data_stream, **kwargs)

    def transform_source_batch(self, source_batch, source_name):
        self._check_batch_labels(source_name)
        return [self._example_transform(im, source_name) for im in source_batch]

    def transform_source_example(self, source_example, source_name):
        self._check_example_labels(source_name)
        return self._example_transform(source_example, source_name)

    def _example_transform(self, example, source_name):
        example = numpy.asarray(example)
        if example.ndim not in (2, 3):
            raise NotImplementedError(
                f"MinimumImageDimensions handles images of 2 or 3 axes, got "
                f"shape {example.shape} in source {source_name!r}"
            )
        min_height, min_width = self.minimum_shape
        height, width = example.shape[-2:]
        if height >= min_height and width >= min_width:
            return example
        multiplier = max(1, min_width / width, min_height / height)
        size = (math.ceil(width * multiplier), math.ceil(height * multiplier))
        return _per_image(example, lambda image: image.resize(size, self.resample))


def _per_image(example, operation):
    """Apply a Pillow `operation` to a CHW (or HW) array; keep dtype and layout.

    Three or four uint8 channels go through Pillow as one colour image, as
    in Fuel; any other image is processed channel by channel (grey levels as
    ``'L'``, other dtypes as 32-bit floats ``'F'``).

    """
    Image = _pil_image()
    dtype = example.dtype
    if example.ndim == 2:
        return _per_image(example[numpy.newaxis], operation)[0]
    if dtype == numpy.uint8 and example.shape[0] in (3, 4):
        image = Image.fromarray(numpy.ascontiguousarray(example.transpose(1, 2, 0)))
        return numpy.array(operation(image)).astype(dtype).transpose(2, 0, 1)
    channels = []
    for channel in example:
        if dtype == numpy.uint8:
            image = Image.fromarray(numpy.ascontiguousarray(channel), mode="L")
        else:
            image = Image.fromarray(
                numpy.ascontiguousarray(channel, dtype=numpy.float32), mode="F"
            )
        channels.append(numpy.array(operation(image)).astype(dtype))
    return numpy.stack(channels)


class RandomFixedSizeCrop(_ImageTransformer):
    """Crop a window of fixed size at a random place of each image.

    Parameters
    ----------
    data_stream : AbstractDataStream
        A stream of images: ``(channel, height, width)`` examples, or batches
        as a 4-D array or a list of such arrays.
    window_shape : tuple of int
        ``(height, width)`` of the window.
    rng : numpy.random.RandomState, optional
        Draws the offsets; seeded with ``config.default_seed`` by default.
    which_sources : tuple of str, optional
        The image sources; all by default.

    Raises
    ------
    ValueError
        If an image is smaller than the window, or is not laid out as above.

    Notes
    -----
    The offsets are drawn as in Fuel (height then width for one image; all
    widths then all heights for a 4-D batch), so a seed crops the same
    windows.

    """

    def __init__(self, data_stream, window_shape, *, rng=None, **kwargs):
        self.window_shape = tuple(window_shape)
        if len(self.window_shape) != 2:
            raise ValueError(
                f"RandomFixedSizeCrop needs a (height, width) window_shape, "
                f"got {window_shape!r}"
            )
        self.rng = (
            rng if rng is not None else numpy.random.RandomState(config.default_seed)
        )
        super().__init__(data_stream, **kwargs)

    def _offset(self, excess):
        return self.rng.randint(0, excess + 1) if excess > 0 else 0

    def transform_source_batch(self, source_batch, source_name):
        self._check_batch_labels(source_name)
        window_height, window_width = self.window_shape
        if isinstance(source_batch, numpy.ndarray) and source_batch.ndim == 4:
            batch_size = source_batch.shape[0]
            excess_height = source_batch.shape[2] - window_height
            excess_width = source_batch.shape[3] - window_width
            if excess_height < 0 or excess_width < 0:
                raise ValueError(
                    f"RandomFixedSizeCrop cannot crop a {self.window_shape} "
                    f"window from the images of shape {source_batch.shape[2:]} "
                    f"in source {source_name!r}"
                )
            offsets_w = (
                self.rng.randint(0, excess_width + 1, size=batch_size)
                if excess_width > 0
                else numpy.zeros(batch_size, dtype=int)
            )
            offsets_h = (
                self.rng.randint(0, excess_height + 1, size=batch_size)
                if excess_height > 0
                else numpy.zeros(batch_size, dtype=int)
            )
            out = numpy.empty(
                source_batch.shape[:2] + self.window_shape, source_batch.dtype
            )
            return window_batch_bchw(source_batch, offsets_h, offsets_w, out)
        if _is_image_list(source_batch):
            results = [self._crop(image, source_name) for image in source_batch]
            return _batch_like(results, source_batch)
        raise ValueError(
            f"RandomFixedSizeCrop expects a batch of source {source_name!r} as a "
            f"4-D array or a list of (channel, height, width) arrays"
        )

    def transform_source_example(self, source_example, source_name):
        self._check_example_labels(source_name)
        return self._crop(source_example, source_name)

    def _crop(self, example, source_name):
        if not isinstance(example, numpy.ndarray) or example.ndim != 3:
            raise ValueError(
                f"RandomFixedSizeCrop expects (channel, height, width) arrays in "
                f"source {source_name!r}, got "
                f"{getattr(example, 'shape', type(example).__name__)}"
            )
        window_height, window_width = self.window_shape
        height, width = example.shape[1:]
        if height < window_height or width < window_width:
            raise ValueError(
                f"RandomFixedSizeCrop cannot crop a {self.window_shape} window "
                f"from an image of shape {(height, width)} in source {source_name!r}"
            )
        top = self._offset(height - window_height)
        left = self._offset(width - window_width)
        return example[:, top : top + window_height, left : left + window_width]


def _is_image_list(batch):
    is_list = isinstance(batch, list) or (
        isinstance(batch, numpy.ndarray) and batch.dtype == object and batch.ndim == 1
    )
    return is_list and all(
        isinstance(image, numpy.ndarray) and image.ndim == 3 for image in batch
    )


class Random2DRotation(_ImageTransformer):
    """Rotate each image by a random angle about its centre.

    Parameters
    ----------
    data_stream : AbstractDataStream
        A stream of images (``(channel, height, width)`` examples, or batches
        as a 4-D array, an object array or a list).
    maximum_rotation : float, optional
        The angles are drawn uniformly in ``[-maximum_rotation,
        maximum_rotation]`` radians (counter-clockwise); at most pi, the
        default.
    resample : str, optional
        The Pillow filter; ``'nearest'`` by default.
    rng : numpy.random.RandomState, optional
        Draws the angles; seeded with ``config.default_seed`` by default.
    which_sources : tuple of str, optional
        The image sources; all by default.

    Notes
    -----
    The image keeps its size; uncovered corners are 0. The exact pixels
    depend a little on the Pillow version. Unlike Fuel, which passed only
    3- or 4-channel uint8 images to Pillow, other images are rotated one
    channel at a time.

    """

    def __init__(
        self,
        data_stream,
        maximum_rotation=math.pi,
        resample="nearest",
        *,
        rng=None,
        **kwargs,
    ):
        if not 0.0 < maximum_rotation <= math.pi:
            raise ValueError(
                f"Random2DRotation needs 0 < maximum_rotation <= pi, "
                f"got {maximum_rotation!r}"
            )
        self.maximum_rotation = math.degrees(maximum_rotation)
        self.resample = _resample_filter(resample, "Random2DRotation")
        self.rng = (
            rng if rng is not None else numpy.random.RandomState(config.default_seed)
        )
        super().__init__(data_stream, **kwargs)

    def transform_source_batch(self, source_batch, source_name):
        self._check_batch_labels(source_name)
        rotations = self.rng.uniform(
            -self.maximum_rotation, self.maximum_rotation, len(source_batch)
        )
        if isinstance(source_batch, numpy.ndarray) and source_batch.ndim == 4:
            return numpy.array(
                [
                    self._rotate(im, angle)
                    for im, angle in zip(source_batch, rotations, strict=True)
                ],
                dtype=source_batch.dtype,
            )
        if _is_image_list(source_batch):
            results = [
                self._rotate(im, angle)
                for im, angle in zip(source_batch, rotations, strict=True)
            ]
            return _batch_like(results, source_batch)
        raise ValueError(
            f"Random2DRotation expects a batch of source {source_name!r} as a 4-D "
            f"array, an object array or a list of (channel, height, width) arrays"
        )

    def transform_source_example(self, source_example, source_name):
        self._check_example_labels(source_name)
        if not isinstance(source_example, numpy.ndarray) or source_example.ndim != 3:
            raise ValueError(
                f"Random2DRotation expects (channel, height, width) arrays in "
                f"source {source_name!r}"
            )
        angle = self.rng.uniform(-self.maximum_rotation, self.maximum_rotation)
        return self._rotate(source_example, angle)

    def _rotate(self, example, angle):
        return _per_image(
            example, lambda image: image.rotate(angle, resample=self.resample)
        )

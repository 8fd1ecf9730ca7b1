"""Default transformer chains that datasets attach to their streams."""

import logging

import numpy

from fuel.transformers.base import SourcewiseTransformer
from fuel.transformers.image import ImagesFromBytes
from fuel.transformers.simple import Cast, ScaleAndShift

logger = logging.getLogger(__name__)


def rescale_to_floatX(scale, which_sources):
    """Return transformers that scale integer data and cast it to floatX.

    Parameters
    ----------
    scale : float
        The factor, such as ``1 / 255`` for uint8 pixels.
    which_sources : tuple of str
        The sources to convert.

    Returns
    -------
    tuple
        ``(transformer_class, args, kwargs)`` triples, as
        ``Dataset.default_transformers`` holds them.

    """
    return (
        (ScaleAndShift, [scale, 0], {"which_sources": which_sources}),
        (Cast, ["floatX"], {"which_sources": which_sources}),
    )


def uint8_pixels_to_floatX(which_sources):
    """Return transformers that map uint8 pixels (0 to 255) to floatX in [0, 1].

    Parameters
    ----------
    which_sources : tuple of str
        The sources to convert.

    """
    return rescale_to_floatX(1 / 255.0, which_sources)


class ToBytes(SourcewiseTransformer):
    """Turn 1-D uint8 arrays (say, encoded images stored in HDF5) into ``bytes``.

    Parameters
    ----------
    stream : AbstractDataStream
        The stream to wrap.
    which_sources : tuple of str, optional
        The sources to convert; all by default.

    Notes
    -----
    A batch becomes a list of ``bytes``. The converted sources are labelled
    ``('batch', 'bytes')`` when their labels had a batch axis, else
    ``('bytes',)``.

    """

    def __init__(self, stream, **kwargs):
        kwargs.setdefault("produces_examples", stream.produces_examples)
        # A copy: upstream wrote into the child's own labels.
        labels = dict(stream.axis_labels or {})
        for source in kwargs.get("which_sources") or stream.sources:
            had_batch = "batch" in (labels.get(source) or ())
            labels[source] = ("batch", "bytes") if had_batch else ("bytes",)
        kwargs.setdefault("axis_labels", labels)
        super().__init__(stream, **kwargs)

    def transform_source_example(self, source_example, source_name):
        return numpy.asarray(source_example).tobytes()

    def transform_source_batch(self, source_batch, source_name):
        return [numpy.asarray(example).tobytes() for example in source_batch]


def rgb_images_from_encoded_bytes(which_sources):
    """Return transformers that decode encoded RGB images stored as uint8 arrays.

    Parameters
    ----------
    which_sources : tuple of str
        The sources holding the encoded images.

    """
    return (
        (ToBytes, [], {"which_sources": which_sources}),
        (ImagesFromBytes, [], {"which_sources": which_sources}),
    )

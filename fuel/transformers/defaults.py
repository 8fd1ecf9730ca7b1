"""Default transformer chains that datasets attach to their streams."""

import logging

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

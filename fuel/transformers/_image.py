"""The batch cropping kernel of :class:`.RandomFixedSizeCrop`, in numpy.

Upstream Fuel compiled it from Cython; this one copies one window per image
with a slice, which gives the same bytes.

"""

import numpy


def window_batch_bchw(batch, height_offsets, width_offsets, out):
    """Copy one window per image of a ``(batch, channel, height, width)`` array.

    Parameters
    ----------
    batch : ndarray
        The images, 4-D.
    height_offsets, width_offsets : sequence of int
        The top-left corner of each image's window.
    out : ndarray
        Receives the windows; its last two axes give the window's height and
        width.

    Raises
    ------
    ValueError
        If the shapes disagree or a window falls outside its image.

    """
    batch = numpy.asarray(batch)
    if batch.ndim != 4 or out.ndim != 4 or out.shape[:2] != batch.shape[:2]:
        raise ValueError(
            f"window_batch_bchw needs a 4-D batch and a 4-D out with the same "
            f"first two axes, got {batch.shape} and {out.shape}"
        )
    height, width = out.shape[2:]
    for i, (top, left) in enumerate(zip(height_offsets, width_offsets, strict=True)):
        top, left = int(top), int(left)
        if (
            top < 0
            or left < 0
            or top + height > batch.shape[2]
            or left + width > batch.shape[3]
        ):
            raise ValueError(
                f"the {height}x{width} window at ({top}, {left}) falls outside "
                f"image {i} of shape {batch.shape[2:]}"
            )
        out[i] = batch[i, :, top : top + height, left : left + width]
    return out

"""Shape rules of 2-D convolution, usable with ints, None or symbolic scalars.

Bricks call these at configuration time with Python ints and None, so they
never build ops unless given symbolic values.
"""

import numbers

__all__ = [
    "border_mode_to_pad",
    "get_conv_gradinputs_shape",
    "get_conv_gradinputs_shape_1axis",
    "get_conv_output_shape",
    "get_conv_shape_1axis",
    "normalize_border_mode",
]

_BORDER_MODES = ("valid", "full", "half")


def _pads_1axis(border_mode, dil_kernel):
    """Return the (before, after) zero padding of one axis."""
    if border_mode == "half":
        return dil_kernel // 2, dil_kernel // 2
    if border_mode == "full":
        return dil_kernel - 1, dil_kernel - 1
    if border_mode == "valid":
        return 0, 0
    if isinstance(border_mode, tuple):
        before, after = border_mode
    else:
        before = after = border_mode
    if _is_negative(before) or _is_negative(after):
        raise ValueError(f"border_mode must be >= 0, got {border_mode}")
    return before, after


def _is_negative(value):
    return isinstance(value, int) and value < 0


def get_conv_shape_1axis(image_shape, kernel_shape, border_mode, subsample, dilation=1):
    """Return the output length of a convolution along one axis.

    Parameters
    ----------
    image_shape, kernel_shape : int, symbolic scalar or None
        Lengths of the image and of the (undilated) kernel on this axis.
    border_mode : str, int or (int, int)
        'valid', 'full', 'half', a symmetric pad or a (before, after) pad.
    subsample, dilation : int
        Stride and kernel dilation on this axis.

    Returns
    -------
    int, symbolic scalar or None
        ``(image + before + after - dil_kernel) // subsample + 1`` with
        ``dil_kernel = (kernel - 1) * dilation + 1``; None when any argument
        is None.

    Examples
    --------
    >>> get_conv_shape_1axis(32, 3, 'valid', 1)
    30
    >>> get_conv_shape_1axis(32, 3, 'half', 2, 2)
    16
    """
    if None in (image_shape, kernel_shape, border_mode, subsample, dilation):
        return None
    dil_kernel = (kernel_shape - 1) * dilation + 1
    before, after = _pads_1axis(border_mode, dil_kernel)
    # Add the pads one by one so symbolic shapes get the smallest graph.
    out = image_shape - dil_kernel
    if not (isinstance(before, int) and before == 0):
        out = out + before
    if not (isinstance(after, int) and after == 0):
        out = out + after
    if not (isinstance(subsample, int) and subsample == 1):
        out = out // subsample
    return out + 1


def get_conv_output_shape(
    image_shape, kernel_shape, border_mode, subsample, filter_dilation=None
):
    """Return the (B, F, H', W') output shape of a convolution.

    Parameters
    ----------
    image_shape : sequence
        (batch, channels, rows, cols); entries may be None or symbolic.
    kernel_shape : sequence
        (filters, channels, rows, cols); entries may be None or symbolic.
    border_mode : str, int or tuple
        As in :func:`get_conv_shape_1axis`, or one such entry per axis.
    subsample : sequence of int
        Stride per spatial axis.
    filter_dilation : sequence of int, optional
        Dilation per spatial axis (1 by default).

    Examples
    --------
    >>> get_conv_output_shape((None, 3, 32, 32), (64, 3, 3, 3), 'full', (1, 1))
    (None, 64, 34, 34)
    """
    convdim = len(image_shape) - 2
    batch, image = image_shape[0], image_shape[2:]
    nkern, kernel = kernel_shape[0], kernel_shape[-convdim:]
    if filter_dilation is None:
        filter_dilation = (1,) * convdim
    if isinstance(border_mode, tuple):
        modes = border_mode
    else:
        modes = (border_mode,) * convdim
    spatial = tuple(
        get_conv_shape_1axis(
            image[i], kernel[i], modes[i], subsample[i], filter_dilation[i]
        )
        for i in range(convdim)
    )
    return (batch, nkern, *spatial)


def get_conv_gradinputs_shape_1axis(
    kernel_shape, top_shape, border_mode, subsample, dilation
):
    """Return the image length that a gradInputs produces on one axis.

    Only determined when ``subsample`` is 1 (several lengths give the same
    output otherwise); None then, or when any argument is None.
    """
    if None in (kernel_shape, top_shape, border_mode, subsample, dilation):
        return None
    if subsample != 1:
        return None
    dil_kernel = (kernel_shape - 1) * dilation + 1
    before, after = _pads_1axis(border_mode, dil_kernel)
    return top_shape + dil_kernel - 1 - before - after


def get_conv_gradinputs_shape(
    kernel_shape, top_shape, border_mode, subsample, filter_dilation=None, num_groups=1
):
    """Return the (B, C, H, W) image shape of a gradInputs (None where unknown)."""
    convdim = len(top_shape) - 2
    batch, top = top_shape[0], top_shape[2:]
    nchan, kernel = kernel_shape[1], kernel_shape[-convdim:]
    if filter_dilation is None:
        filter_dilation = (1,) * convdim
    if nchan is not None and num_groups > 1:
        nchan = nchan * num_groups
    modes = border_mode if isinstance(border_mode, tuple) else (border_mode,) * convdim
    spatial = tuple(
        get_conv_gradinputs_shape_1axis(
            kernel[i], top[i], modes[i], subsample[i], filter_dilation[i]
        )
        for i in range(convdim)
    )
    return (batch, nchan, *spatial)


def normalize_border_mode(border_mode, convdim=2):
    """Return ``border_mode`` in canonical form, or raise ValueError.

    Ints become a per-axis tuple, ``(p, p)`` pairs become ``p``, and an
    all-zero padding becomes ``'valid'``.
    """
    if isinstance(border_mode, bool):
        raise ValueError(f"invalid border_mode {border_mode!r}")
    if isinstance(border_mode, numbers.Integral):
        border_mode = int(border_mode)
    if isinstance(border_mode, int):
        if border_mode < 0:
            raise ValueError(
                f"invalid border_mode {border_mode}: it must be a non-negative integer"
            )
        border_mode = (border_mode,) * convdim
    elif isinstance(border_mode, (tuple, list)):
        if len(border_mode) != convdim:
            raise ValueError(
                f"invalid border_mode {border_mode}: expected a tuple of length "
                f"{convdim}"
            )
        entries = []
        for mode in border_mode:
            mode = _normalize_pad_entry(mode, border_mode)
            entries.append(mode)
        border_mode = tuple(entries)
    elif border_mode not in _BORDER_MODES:
        raise ValueError(
            f"invalid border_mode {border_mode!r}: expected 'valid', 'full', "
            f"'half', an int or a tuple of length {convdim}"
        )
    if isinstance(border_mode, tuple) and all(m in (0, (0, 0)) for m in border_mode):
        return "valid"
    return border_mode


def _normalize_pad_entry(mode, whole):
    if hasattr(mode, "item") and getattr(mode, "ndim", None) == 0:
        mode = mode.item()
    if isinstance(mode, numbers.Integral) and not isinstance(mode, bool) and mode >= 0:
        return int(mode)
    if (
        isinstance(mode, (tuple, list))
        and len(mode) == 2
        and all(
            isinstance(m, numbers.Integral) and not isinstance(m, bool) for m in mode
        )
        and min(mode) >= 0
    ):
        return mode[0] if mode[0] == mode[1] else (int(mode[0]), int(mode[1]))
    raise ValueError(
        f"invalid border_mode {whole}: a tuple may only hold non-negative ints "
        "or pairs of them"
    )


def border_mode_to_pad(border_mode, dil_kernel_shape):
    """Return ``((top, bottom), (left, right))`` padding for a canonical border mode."""
    if isinstance(border_mode, tuple):
        modes = border_mode
    else:
        modes = (border_mode,) * len(dil_kernel_shape)
    return tuple(
        _pads_1axis(mode, k) for mode, k in zip(modes, dil_kernel_shape, strict=True)
    )

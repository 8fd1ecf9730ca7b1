"""Parameters, checks and helpers shared by the three 2-D convolution ops."""

import numbers

from symbolic.graph.op import Op
from symbolic.ops.basic import NotScalarConstantError, get_scalar_constant_value
from symbolic.ops.conv.shape import (
    border_mode_to_pad,
    get_conv_output_shape,
    normalize_border_mode,
)
from symbolic.ops.math import cast, patternbroadcast
from symbolic.types.tensor import TensorType

__all__ = ["BaseAbstractConv"]


def _name(var):
    return var.name if var.name is not None else str(var)


def _disconnected():
    from symbolic.types.null import DisconnectedType

    return DisconnectedType()()


def _to_type(g, x):
    """Return ``g`` with ``x``'s dtype and broadcastable pattern."""
    if g.dtype != x.dtype:
        g = cast(g, x.dtype)
    return patternbroadcast(g, x.broadcastable)


def _static_shape(shape, length, label):
    """Return a shape hint as a tuple of ints and None (constants are read)."""
    if not shape:
        return (None,) * length
    shape = tuple(shape)
    if len(shape) != length:
        raise ValueError(f"{label} must have {length} entries, got {shape}")
    values = []
    for entry in shape:
        if entry is None:
            values.append(None)
            continue
        try:
            values.append(int(get_scalar_constant_value(entry)))
        except (NotScalarConstantError, TypeError) as exc:
            raise ValueError(
                f"{label} should be None or a tuple of constant ints, got {shape}"
            ) from exc
    return tuple(values)


def _int_pair(value, label):
    value = tuple(value)
    if len(value) != 2 or not all(isinstance(v, numbers.Integral) for v in value):
        raise ValueError(f"{label} must be a pair of ints, got {value}")
    if min(value) < 1:
        raise ValueError(f"{label} entries must be >= 1, got {value}")
    return tuple(int(v) for v in value)


def _check_4d(op, var, label, ndim=4):
    if not isinstance(var.type, TensorType) or var.ndim != ndim:
        raise TypeError(
            f"{type(op).__name__}: {label} ({_name(var)}) must be a {ndim}-d tensor, "
            f"got {var.type}"
        )


class BaseAbstractConv(Op):
    """Shared parameters and checks of the 2-D convolution ops.

    Parameters
    ----------
    imshp : tuple of 4 ints or None, optional
        Shape hint of the image (B, C, H, W); None entries are unknown.
        Hints never change results; a wrong hint raises at run time.
    kshp : tuple of 4 ints or None, optional
        Shape hint of the filters (F, C/num_groups, kh, kw).
    border_mode : {'valid', 'full', 'half'}, int or tuple
        Zero padding: none, ``dil_k - 1`` per side, ``dil_k // 2`` per side,
        ``p`` per side, or per axis an int or a (before, after) pair.
    subsample : (int, int)
        Output stride.
    filter_flip : bool
        True flips the kernel (convolution); False is cross-correlation.
    filter_dilation : (int, int)
        Kernel dilation: tap ``i`` reads input row ``i * dilation``.
    num_groups : int
        Channels and filters are split into this many independent groups.
    unshared : bool
        Locally connected convolution: a different kernel for each output
        position, filters of shape (F, H', W', C/num_groups, kh, kw).
    """

    check_broadcast = False
    convdim = 2
    __props__ = (
        "convdim",
        "border_mode",
        "subsample",
        "filter_flip",
        "imshp",
        "kshp",
        "filter_dilation",
        "num_groups",
        "unshared",
    )

    def __init__(
        self,
        imshp=None,
        kshp=None,
        border_mode="valid",
        subsample=(1, 1),
        filter_flip=True,
        filter_dilation=(1, 1),
        num_groups=1,
        unshared=False,
    ):
        self.border_mode = normalize_border_mode(border_mode, 2)
        self.subsample = _int_pair(subsample, "subsample")
        self.filter_dilation = _int_pair(
            (1, 1) if filter_dilation is None else filter_dilation, "filter_dilation"
        )
        self.filter_flip = bool(filter_flip)
        if not isinstance(num_groups, numbers.Integral) or num_groups < 1:
            raise ValueError(f"num_groups must be an int >= 1, got {num_groups!r}")
        self.num_groups = int(num_groups)
        self.unshared = bool(unshared)
        self.imshp = _static_shape(imshp, 4, "imshp")
        self.kshp = _static_shape(kshp, 6 if self.unshared else 4, "kshp")

    @property
    def kern_ndim(self):
        """The filters' ndim: 6 for an unshared convolution, else 4."""
        return 6 if self.unshared else 4

    def do_constant_folding(self, fgraph, node):
        return False

    # Helpers shared by the three directions -----------------------------
    def _pads(self, kshape):
        dil = tuple(
            (k - 1) * d + 1 for k, d in zip(kshape, self.filter_dilation, strict=True)
        )
        return border_mode_to_pad(self.border_mode, dil)

    def _check_hint(self, hint, actual, label):
        for want, got in zip(hint, actual, strict=True):
            if want is not None and want != got:
                raise ValueError(
                    f"{type(self).__name__}: Input dimension mis-match: the "
                    f"{label} has shape {tuple(actual)}, which does not match "
                    f"the given hint {tuple(hint)}"
                )

    def _check_channels(self, img_channels, kern_shape, img_label, kern_label):
        groups = self.num_groups
        if kern_shape[0] % groups:
            raise ValueError(
                f"{type(self).__name__}: the number of filters ({kern_shape[0]}) in "
                f"{kern_label} must be divisible by num_groups={groups}"
            )
        channels = kern_shape[-3]
        if img_channels != channels * groups:
            raise ValueError(
                f"{type(self).__name__}: Input dimension mis-match: "
                f"{img_label} has {img_channels} channels "
                f"but {kern_label} of shape {tuple(kern_shape)} expects "
                f"{channels * groups} (filter channels x num_groups={groups})"
            )

    def _check_positions(self, kern_shape, spatial, kern_label):
        """An unshared kernel has one entry per output position."""
        if self.unshared and tuple(kern_shape[1:3]) != tuple(spatial):
            raise ValueError(
                f"{type(self).__name__}: {kern_label} of shape {tuple(kern_shape)} "
                f"have kernels for {tuple(kern_shape[1:3])} output positions, but "
                f"the convolution output is {tuple(spatial)}"
            )

    def _output_spatial(self, imshape, kshape, label):
        out = get_conv_output_shape(
            (1, 1, *imshape),
            (1, 1, *kshape),
            self.border_mode,
            self.subsample,
            self.filter_dilation,
        )[2:]
        if min(out) < 1:
            raise ValueError(
                f"{type(self).__name__}: {label} of spatial shape {tuple(imshape)} "
                f"is too small for a kernel of shape {tuple(kshape)} with "
                f"border_mode={self.border_mode!r} and filter_dilation="
                f"{self.filter_dilation}"
            )
        return out

    def _same(self, cls):
        return cls(
            self.imshp,
            self.kshp,
            self.border_mode,
            self.subsample,
            self.filter_flip,
            self.filter_dilation,
            self.num_groups,
            self.unshared,
        )

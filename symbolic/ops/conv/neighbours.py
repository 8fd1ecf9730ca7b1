"""images2neibs: the patches of a batch of images as the rows of a matrix.

For a (B, C, H, W) input and (r, c) patches taken every (dr, dc) cells, the
output has one row per (image, channel, patch row, patch column), in that
order, holding the ``r * c`` cells of the patch in row-major order.

In 'wrap_centered' mode the patches (of odd sizes) are centred on the cells
``(a * dr, b * dc)`` and the image wraps around at its borders, as if it
tiled the plane.
"""

import numpy
from numpy.lib.stride_tricks import as_strided

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable

__all__ = ["Images2Neibs", "Neibs2Images", "images2neibs", "neibs2images"]

_MODES = ("valid", "ignore_borders", "half", "full", "wrap_centered")


def _disconnected():
    from symbolic.types.null import DisconnectedType

    return DisconnectedType()()


def _pads(mode, neib_shape):
    if mode in ("half", "wrap_centered"):
        return tuple(n // 2 for n in neib_shape)
    if mode == "full":
        return tuple(n - 1 for n in neib_shape)
    return (0, 0)


def _grid(op, image, neib_shape, neib_step):
    """Patch counts per axis and the padding, checking ``valid``'s tiling rule."""
    pads = _pads(op.mode, neib_shape)
    grid = []
    for size, n, step, pad in zip(image, neib_shape, neib_step, pads):
        span = size + 2 * pad - n
        if n < 1 or step < 1:
            raise ValueError(
                f"{op}: neib_shape and neib_step must be >= 1, got {tuple(neib_shape)} "
                f"and {tuple(neib_step)}"
            )
        if span < 0:
            raise ValueError(
                f"{op}: images of shape {tuple(image)} are smaller than the "
                f"neighbourhood {tuple(neib_shape)}"
            )
        if op.mode == "wrap_centered":
            if n % 2 == 0:
                raise ValueError(
                    f"{op}: in 'wrap_centered' mode neib_shape must be odd, got "
                    f"{tuple(neib_shape)}"
                )
            if size < n:
                raise ValueError(
                    f"{op}: in 'wrap_centered' mode images of shape {tuple(image)} "
                    f"must be at least the neighbourhood {tuple(neib_shape)}"
                )
            # One patch centred on every step-th cell.
            grid.append(-(-size // step))
            continue
        if op.mode == "valid" and span % step:
            raise ValueError(
                f"{op}: in 'valid' mode the image shape {tuple(image)} minus "
                f"neib_shape {tuple(neib_shape)} must be a multiple of neib_step "
                f"{tuple(neib_step)}; use mode='ignore_borders' to drop the rest"
            )
        grid.append(span // step + 1)
    return tuple(grid), pads


def _int_pair(op, value, label):
    var = as_tensor_variable(value)
    if var.ndim != 1 or not dt.is_integer(var.dtype):
        raise TypeError(f"{op}: {label} must be a vector of 2 ints, got {var.type}")
    return var


class Images2Neibs(Op):
    """Extract (r, c) patches every (dr, dc) cells of each (B, C) image.

    Called as ``op(ten4, neib_shape, neib_step)``.  Modes: 'valid' (the
    patches must tile the image exactly), 'ignore_borders' (drop the
    leftover cells), 'half' and 'full' (zero-pad by ``r // 2`` or ``r - 1``
    first), 'wrap_centered' (odd patches centred on every step-th cell, the
    image wrapping around at its borders).

    Notes
    -----
    Gradient: :class:`Neibs2Images`, which adds each row back onto the cells
    it came from.  Not in place.
    """

    __props__ = ("mode",)

    def __init__(self, mode="valid"):
        if mode not in _MODES:
            raise NotImplementedError(
                f"Images2Neibs: mode {mode!r} is not supported; use one of {_MODES}"
            )
        self.mode = mode

    def make_node(self, ten4, neib_shape, neib_step=None):
        ten4 = as_tensor_variable(ten4)
        if ten4.ndim != 4:
            raise TypeError(f"{self}: ten4 must be a 4-d tensor, got {ten4.type}")
        neib_shape = _int_pair(self, neib_shape, "neib_shape")
        neib_step = (
            neib_shape if neib_step is None else _int_pair(self, neib_step, "neib_step")
        )
        out = TensorType(ten4.dtype, (False, False))
        return Apply(self, [ten4, neib_shape, neib_step], [out()])

    def perform(self, node, inputs, output_storage):
        x, neib_shape, neib_step = inputs
        neib_shape, neib_step = tuple(map(int, neib_shape)), tuple(map(int, neib_step))
        (gr, gc), (ph, pw) = _grid(self, x.shape[2:], neib_shape, neib_step)
        b, c, h, w = x.shape
        if self.mode == "wrap_centered":
            x = numpy.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode="wrap")
        elif ph or pw:
            padded = numpy.zeros((b, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
            padded[:, :, ph : ph + h, pw : pw + w] = x
            x = padded
        sb, sc, sh, sw = x.strides
        patches = as_strided(
            x,
            (b, c, gr, gc, *neib_shape),
            (sb, sc, sh * neib_step[0], sw * neib_step[1], sh, sw),
            writeable=False,
        )
        rows = b * c * gr * gc
        out = patches.reshape(rows, neib_shape[0] * neib_shape[1])
        # The reshape is a view when the patches tile whole rows; never alias.
        output_storage[0][0] = out.copy() if numpy.shares_memory(out, x) else out

    def infer_shape(self, fgraph, node, shapes):
        b, c, h, w = shapes[0]
        neib_shape, neib_step = node.inputs[1:]
        counts = []
        for axis, size in ((0, h), (1, w)):
            n, step = neib_shape[axis], neib_step[axis]
            if self.mode == "wrap_centered":
                counts.append((size + step - 1) // step)
                continue
            if self.mode == "half":
                size = size + 2 * (n // 2)
            elif self.mode == "full":
                size = size + 2 * (n - 1)
            counts.append((size - n) // step + 1)
        return [[b * c * counts[0] * counts[1], neib_shape[0] * neib_shape[1]]]

    def connection_pattern(self, node):
        return [[True], [False], [False]]

    def L_op(self, inputs, outputs, grads):
        x, neib_shape, neib_step = inputs
        gx = Neibs2Images(self.mode)(grads[0], neib_shape, x.shape, neib_step)
        return [gx, _disconnected(), _disconnected()]


class Neibs2Images(Op):
    """Add the rows of an :class:`Images2Neibs` output back onto their images.

    Called as ``op(neibs, neib_shape, original_shape, neib_step)``; the
    result has ``original_shape``.  Overlapping patches add up, so this is
    the gradient of :class:`Images2Neibs`, and its inverse when the patches
    tile the image.

    Notes
    -----
    Gradient: :class:`Images2Neibs` of the incoming gradient.  Not in place.
    """

    __props__ = ("mode",)

    def __init__(self, mode="valid"):
        if mode not in _MODES:
            raise NotImplementedError(
                f"Neibs2Images: mode {mode!r} is not supported; use one of {_MODES}"
            )
        self.mode = mode

    def make_node(self, neibs, neib_shape, original_shape, neib_step=None):
        neibs = as_tensor_variable(neibs)
        if neibs.ndim != 2:
            raise TypeError(f"{self}: neibs must be a matrix, got {neibs.type}")
        neib_shape = _int_pair(self, neib_shape, "neib_shape")
        neib_step = (
            neib_shape if neib_step is None else _int_pair(self, neib_step, "neib_step")
        )
        original_shape = _int_pair(self, original_shape, "original_shape")
        out = TensorType(neibs.dtype, (False,) * 4)
        return Apply(self, [neibs, neib_shape, original_shape, neib_step], [out()])

    def perform(self, node, inputs, output_storage):
        neibs, neib_shape, shape, neib_step = inputs
        neib_shape, neib_step = tuple(map(int, neib_shape)), tuple(map(int, neib_step))
        b, c, h, w = map(int, shape)
        (gr, gc), (ph, pw) = _grid(self, (h, w), neib_shape, neib_step)
        expected = (b * c * gr * gc, neib_shape[0] * neib_shape[1])
        if neibs.shape != expected:
            raise ValueError(
                f"{self}: neibs has shape {neibs.shape} but images of shape "
                f"{(b, c, h, w)} give {expected}"
            )
        blocks = neibs.reshape(b, c, gr, gc, *neib_shape)
        out = numpy.zeros((b, c, h + 2 * ph, w + 2 * pw), dtype=neibs.dtype)
        for i in range(neib_shape[0]):
            rows = slice(i, i + neib_step[0] * (gr - 1) + 1, neib_step[0])
            for j in range(neib_shape[1]):
                cols = slice(j, j + neib_step[1] * (gc - 1) + 1, neib_step[1])
                out[:, :, rows, cols] += blocks[:, :, :, :, i, j]
        if self.mode == "wrap_centered":
            # Cells read across a border belong to the other side.
            out[:, :, ph : 2 * ph] += out[:, :, ph + h :]
            out[:, :, h : ph + h] += out[:, :, :ph]
            out[:, :, :, pw : 2 * pw] += out[:, :, :, pw + w :]
            out[:, :, :, w : pw + w] += out[:, :, :, :pw]
        output_storage[0][0] = numpy.ascontiguousarray(
            out[:, :, ph : ph + h, pw : pw + w]
        )

    def infer_shape(self, fgraph, node, shapes):
        shape = node.inputs[2]
        return [[shape[i] for i in range(4)]]

    def connection_pattern(self, node):
        return [[True], [False], [False], [False]]

    def L_op(self, inputs, outputs, grads):
        _, neib_shape, _, neib_step = inputs
        g = Images2Neibs(self.mode)(grads[0], neib_shape, neib_step)
        return [g, _disconnected(), _disconnected(), _disconnected()]


def images2neibs(ten4, neib_shape, neib_step=None, mode="valid"):
    """Return the (r, c) patches of a 4-d tensor of images as matrix rows.

    Parameters
    ----------
    ten4 : 4-d tensor
        (batch, channels, rows, cols).
    neib_shape : (int, int)
        Patch height and width.
    neib_step : (int, int), optional
        Step between patches; ``neib_shape`` (disjoint patches) by default.
    mode : {'valid', 'ignore_borders', 'half', 'full', 'wrap_centered'}

    Examples
    --------
    >>> import numpy, symbolic
    >>> from symbolic import tensor
    >>> x = tensor.tensor4('x')
    >>> f = symbolic.function([x], images2neibs(x, (2, 2)))
    >>> f(numpy.arange(16.).reshape(1, 1, 4, 4))[1]
    array([2., 3., 6., 7.])
    """
    return Images2Neibs(mode)(ten4, neib_shape, neib_step)


def neibs2images(neibs, neib_shape, original_shape, mode="valid"):
    """Inverse of :func:`images2neibs` for disjoint patches (``neib_step`` = shape)."""
    return Neibs2Images(mode)(neibs, neib_shape, original_shape)

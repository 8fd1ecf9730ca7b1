"""Window geometry and numpy kernels behind the pooling ops of ``symbolic.ops.pool``.

A :class:`Windows` describes one pooling call over the last ``nd`` axes:
the clipped windows, the extended (padded) extent, strided views for every
offset inside a window and the cell counts of the averages.
"""

import itertools

import numpy

__all__ = ["Windows", "lowest", "upsample"]


class Windows:
    """Geometry of the windows of one pooling call, over the last ``nd`` axes."""

    def __init__(self, shape, ws, stride, pad, out):
        nd = len(ws)
        self.lead = tuple(shape[:-nd])
        self.size = tuple(shape[-nd:])
        self.ws, self.stride, self.pad, self.out = ws, stride, pad, tuple(out)
        # Extended extent: padding plus room for clipped border windows.
        self.ext = tuple(
            max(s + 2 * p, (o - 1) * st + w) if o > 0 else s + 2 * p
            for s, p, o, st, w in zip(self.size, pad, out, stride, ws)
        )
        self.interior = (Ellipsis,) + tuple(
            slice(p, p + s) for p, s in zip(pad, self.size)
        )

    def extend(self, x, fill):
        """Return ``x`` placed inside an array of the extended extent."""
        if self.ext == self.size:
            return x
        y = numpy.full(self.lead + self.ext, fill, dtype=x.dtype)
        y[self.interior] = x
        return y

    def offsets(self):
        """Yield, for every offset inside a window, the view selecting it."""
        for offset in itertools.product(*(range(w) for w in self.ws)):
            yield (Ellipsis,) + tuple(
                slice(o, o + st * (n - 1) + 1, st)
                for o, st, n in zip(offset, self.stride, self.out)
            )

    def tiles(self):
        """Whether the windows cover the unpadded image exactly, without overlap."""
        return all(
            st == w and o * w == s and p == 0
            for st, w, o, s, p in zip(
                self.stride, self.ws, self.out, self.size, self.pad
            )
        )

    def reduce(self, y, ufunc):
        """Combine each window of ``y`` with ``ufunc``, one axis at a time.

        Max and sum are separable, so this costs ``sum(ws)`` passes instead
        of ``prod(ws)``, and the first pass reads whole rows.
        """
        nd = len(self.ws)
        for axis in range(nd):
            views = [
                (Ellipsis,)
                + (slice(None),) * axis
                + (slice(o, o + st * (n - 1) + 1, st),)
                + (slice(None),) * (nd - 1 - axis)
                for o, st, n in [
                    (o, self.stride[axis], self.out[axis]) for o in range(self.ws[axis])
                ]
            ]
            acc = numpy.array(y[views[0]])
            for view in views[1:]:
                ufunc(acc, y[view], out=acc)
            y = acc
        return y

    def counts(self, include_pad):
        """Number of cells each window averages over, shaped like the output."""
        total = numpy.ones((), dtype="float64")
        for axis, (s, p, o, st, w) in enumerate(
            zip(self.size, self.pad, self.out, self.stride, self.ws)
        ):
            start = numpy.arange(o) * st
            if include_pad:
                length = numpy.minimum(start + w, s + 2 * p) - start
            else:
                length = numpy.minimum(start + w, s + p) - numpy.maximum(start, p)
            shape = [1] * len(self.ws)
            shape[axis] = o
            total = total * length.reshape(shape)
        return total


def upsample(a, ws):
    """Repeat each cell of the trailing axes of ``a`` over a ``ws`` block.

    Built from contiguous copies (broadcast rows, then a few strided column
    writes), several times faster than ``numpy.repeat`` on the last axis.
    """
    nd = len(ws)
    for axis in range(nd - 1, -1, -1):
        w = ws[axis]
        if w == 1:
            continue
        pos = a.ndim - nd + axis
        shape = a.shape
        out = numpy.empty((*shape[: pos + 1], w, *shape[pos + 1 :]), dtype=a.dtype)
        if pos == a.ndim - 1:
            for k in range(w):
                out[..., k] = a
        else:
            out[...] = numpy.expand_dims(a, pos + 1)
        a = out.reshape((*shape[:pos], shape[pos] * w, *shape[pos + 1 :]))
    return a


def lowest(dtype):
    dtype = numpy.dtype(dtype)
    if dtype.kind == "f":
        return -numpy.inf
    if dtype.kind == "b":
        return False
    return numpy.iinfo(dtype).min

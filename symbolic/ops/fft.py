"""Real FFTs over every axis but the first, with Theano 1.0's layout and scaling.

``rfft`` of a real ``(batch, d1, ..., dN)`` array gives ``(batch, d1, ...,
dN // 2 + 1, 2)``: the last axis holds the real and imaginary parts.
``irfft`` goes back. The ops compute unnormalized transforms; the functions
apply the ``norm`` scaling.
"""

import numpy

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.math import cast, prod, sqrt
from symbolic.ops.subtensor import set_subtensor
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable


def _disconnected():
    from symbolic.types.null import DisconnectedType

    return DisconnectedType()()


def _as_shape(s, what):
    s = as_tensor_variable(s)
    if s.ndim != 1 or not s.dtype.startswith(("int", "uint")):
        raise TypeError(f"{what}: the transform shape must be an int vector, got {s}")
    return s


def _halved_bins(g, s):
    """The frequency bins of the last transformed axis that stand for two bins.

    In a real FFT, bins ``1 .. n//2 + n%2 - 1`` each stand for a bin and its
    conjugate mirror; the gradient scales them.
    """
    last = s[-1]
    index = [slice(None)] * (g.ndim - 2) + [slice(1, last // 2 + last % 2)]
    return tuple(index)


class RFFTOp(Op):
    """Unnormalized real FFT of ``a`` over its axes 1..N with transform shape ``s``.

    Output: ``(batch, s[0], ..., s[-1] // 2 + 1, 2)`` in ``a``'s float dtype.
    Gradient: the inverse transform of the output gradient, with the bins
    that stand for two halved.
    """

    __props__ = ()

    def make_node(self, a, s):
        a = as_tensor_variable(a)
        s = _as_shape(s, "rfft")
        if a.ndim < 2:
            raise TypeError(f"rfft expects (batch, d1, ...) with ndim >= 2, got {a}")
        dtype = dt.float_of(a.dtype)
        return Apply(self, [a, s], [TensorType(dtype, (False,) * (a.ndim + 1))()])

    def perform(self, node, inputs, output_storage):
        a, s = inputs
        axes = tuple(range(1, a.ndim))
        spectrum = numpy.fft.rfftn(a, s=tuple(int(n) for n in s), axes=axes)
        out = numpy.stack([spectrum.real, spectrum.imag], axis=-1)
        output_storage[0][0] = out.astype(node.outputs[0].type.dtype)

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        a, s = inputs
        (gout,) = output_grads
        index = _halved_bins(gout, s)
        gout = set_subtensor(gout[index], gout[index] * 0.5)
        return [cast(IRFFTOp()(gout, s), a.dtype), _disconnected()]


class IRFFTOp(Op):
    """Unnormalized inverse real FFT of ``(batch, ..., m, 2)`` to shape ``s``.

    Gradient: the forward transform of the output gradient, with the bins
    that stand for two doubled.
    """

    __props__ = ()

    def make_node(self, a, s):
        a = as_tensor_variable(a)
        s = _as_shape(s, "irfft")
        if a.ndim < 3:
            raise TypeError(
                f"irfft expects (batch, d1, ..., [real, imag]) with ndim >= 3, got {a}"
            )
        dtype = dt.float_of(a.dtype)
        return Apply(self, [a, s], [TensorType(dtype, (False,) * (a.ndim - 1))()])

    def perform(self, node, inputs, output_storage):
        a, s = inputs
        if a.shape[-1] != 2:
            raise ValueError(
                f"irfft: the last axis must hold [real, imag] (length 2), got "
                f"length {a.shape[-1]}"
            )
        spectrum = a[..., 0] + 1j * a[..., 1]
        shape = tuple(int(n) for n in s)
        axes = tuple(range(1, spectrum.ndim))
        out = numpy.fft.irfftn(spectrum, s=shape, axes=axes) * numpy.prod(shape)
        output_storage[0][0] = out.astype(node.outputs[0].type.dtype)

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        a, s = inputs
        (gout,) = output_grads
        gf = RFFTOp()(gout, s)
        index = _halved_bins(gf, s)
        gf = set_subtensor(gf[index], gf[index] * 2)
        return [cast(gf, a.dtype), _disconnected()]


def _check_norm(norm):
    if norm not in (None, "ortho", "no_norm"):
        raise ValueError(f"invalid norm {norm!r}: expected None, 'ortho' or 'no_norm'")


def rfft(inp, norm=None):
    """Return the real FFT of ``inp`` over all axes but the first (the batch).

    Parameters
    ----------
    inp : tensor
        Real, shape ``(batch, d1, ..., dN)``.
    norm : {None, 'ortho', 'no_norm'}
        None and 'no_norm' leave the transform unscaled; 'ortho' divides it
        by ``sqrt(d1 * ... * dN)``.

    Returns
    -------
    tensor
        Shape ``(batch, d1, ..., dN // 2 + 1, 2)``; the last axis holds the
        real and imaginary parts.
    """
    _check_norm(norm)
    inp = as_tensor_variable(inp)
    s = inp.shape[1:]
    out = RFFTOp()(inp, s)
    if norm == "ortho":
        out = out / cast(sqrt(prod(s)), out.dtype)
    return out


def irfft(inp, norm=None, is_odd=False):
    """Return the inverse of :func:`rfft`.

    Parameters
    ----------
    inp : tensor
        Shape ``(batch, d1, ..., m, 2)`` with [real, imag] on the last axis.
    norm : {None, 'ortho', 'no_norm'}
        None divides by ``d1 * ... * dN`` (so ``irfft(rfft(x))`` is ``x``);
        'ortho' by its square root; 'no_norm' leaves it unscaled.
    is_odd : bool
        Whether the last signal axis had odd length: it is ``2 * (m - 1) + 1``
        then, ``2 * (m - 1)`` otherwise.
    """
    _check_norm(norm)
    if is_odd not in (True, False):
        raise ValueError(f"is_odd must be True or False, got {is_odd!r}")
    inp = as_tensor_variable(inp)
    s = inp.shape[1:-1]
    last = (s[-1] - 1) * 2 + (1 if is_odd else 0)
    s = set_subtensor(s[-1], last)
    out = IRFFTOp()(inp, s)
    if norm is None:
        out = out / cast(prod(s), out.dtype)
    elif norm == "ortho":
        out = out / cast(sqrt(prod(s)), out.dtype)
    return out


__all__ = ["IRFFTOp", "RFFTOp", "irfft", "rfft"]

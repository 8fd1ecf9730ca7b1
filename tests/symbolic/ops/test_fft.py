"""tensor.fft: real FFTs in Theano 1.0's [real, imag] layout, scaling and gradients."""

import numpy
import pytest

import symbolic
from symbolic import tensor as T
from symbolic.gradient import verify_grad
from symbolic.tensor import fft


def _signal(shape, seed=0):
    return numpy.random.RandomState(seed).randn(*shape)


@pytest.mark.parametrize("shape", [(2, 8), (3, 4, 6), (2, 5)])
@pytest.mark.parametrize("norm", [None, "ortho", "no_norm"])
def test_rfft_matches_numpy(shape, norm):
    x = T.TensorType("float64", (False,) * len(shape))("x")
    f = symbolic.function([x], fft.rfft(x, norm=norm))
    value = _signal(shape)
    spectrum = numpy.fft.rfftn(value, axes=tuple(range(1, len(shape))))
    if norm == "ortho":
        spectrum /= numpy.sqrt(numpy.prod(shape[1:]))
    out = f(value)
    assert out.shape == (*shape[:-1], shape[-1] // 2 + 1, 2)
    numpy.testing.assert_allclose(out[..., 0], spectrum.real, atol=1e-12)
    numpy.testing.assert_allclose(out[..., 1], spectrum.imag, atol=1e-12)


@pytest.mark.parametrize(
    "shape, is_odd", [((2, 8), False), ((2, 7), True), ((2, 3, 4), False)]
)
@pytest.mark.parametrize("norm", [None, "ortho", "no_norm"])
def test_irfft_inverts_rfft(shape, is_odd, norm):
    x = T.TensorType("float64", (False,) * len(shape))("x")
    back = fft.irfft(fft.rfft(x, norm=norm), norm=norm, is_odd=is_odd)
    value = _signal(shape, seed=1)
    out = symbolic.function([x], back)(value)
    if norm == "no_norm":
        # Neither direction scales: the round trip multiplies by the size.
        out = out / numpy.prod(shape[1:])
    numpy.testing.assert_allclose(out, value, atol=1e-12)


@pytest.mark.parametrize("norm", [None, "ortho"])
def test_rfft_gradient(norm):
    verify_grad(lambda a: fft.rfft(a, norm=norm), [_signal((2, 6), seed=2)])
    verify_grad(lambda a: fft.rfft(a, norm=norm), [_signal((2, 3, 5), seed=3)])


@pytest.mark.parametrize(
    "norm, is_odd", [(None, False), ("ortho", True), ("no_norm", False)]
)
def test_irfft_gradient(norm, is_odd):
    n = 7 if is_odd else 6
    spectrum = numpy.fft.rfft(_signal((2, n), seed=4))
    value = numpy.stack([spectrum.real, spectrum.imag], axis=-1)
    verify_grad(lambda a: fft.irfft(a, norm=norm, is_odd=is_odd), [value])


def test_bad_arguments():
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="norm"):
        fft.rfft(x, norm="forward")
    with pytest.raises(ValueError, match="is_odd"):
        fft.irfft(T.dtensor3("s"), is_odd="yes")
    with pytest.raises(TypeError, match="ndim"):
        fft.irfft(x)

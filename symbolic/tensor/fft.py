"""Theano path ``tensor.fft`` (import-only shim)."""

from symbolic.ops.fft import IRFFTOp, RFFTOp, irfft, rfft

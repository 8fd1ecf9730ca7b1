"""C loops for max pooling whose windows tile the image (the common 2x2 case).

When the windows cover the last two axes exactly (stride == window, no
padding) and the input is C-contiguous float32/float64, max pooling and its
gradient are one pass over memory each. The library is built once through the
C backend's disk cache and called with ctypes; without a compiler the numpy
code in :mod:`symbolic.ops.pool` runs instead, with the same numbers.
"""

import ctypes
import logging

import numpy

_logger = logging.getLogger(__name__)

_C_SOURCE = r"""
#include <stddef.h>

/* Max over each wh x ww window of planes x H x W; NaN propagates as in
 * numpy.maximum. */
#define MAXPOOL(NAME, T)                                                         \
void NAME(long long planes, long long H, long long W, long long wh,            \
          long long ww, const T *restrict x, T *restrict z)                     \
{                                                                                \
    long long oh = H / wh, ow = W / ww;                                          \
    for (long long p = 0; p < planes; p++) {                                     \
        const T *xp = x + p * H * W;                                             \
        T *zp = z + p * oh * ow;                                                 \
        for (long long i = 0; i < oh; i++) {                                     \
            T *row = zp + i * ow;                                                \
            const T *src = xp + i * wh * W;                                      \
            for (long long j = 0; j < ow; j++) row[j] = src[j * ww];             \
            for (long long a = 0; a < wh; a++) {                                 \
                const T *r = src + a * W;                                        \
                for (long long b = (a == 0); b < ww; b++)                        \
                    for (long long j = 0; j < ow; j++) {                         \
                        T m = row[j], v = r[j * ww + b];                         \
                        row[j] = (m != m || v <= m) ? m : v;                     \
                    }                                                            \
            }                                                                    \
        }                                                                        \
    }                                                                            \
}

/* gx = gz * (x == max of its window), window by window. */
#define MAXPOOL_GRAD(NAME, T)                                                    \
void NAME(long long planes, long long H, long long W, long long wh,            \
          long long ww, const T *restrict x, const T *restrict z,               \
          const T *restrict gz, T *restrict gx)                                 \
{                                                                                \
    long long oh = H / wh, ow = W / ww;                                          \
    for (long long p = 0; p < planes; p++) {                                     \
        const T *xp = x + p * H * W;                                             \
        T *gp = gx + p * H * W;                                                  \
        const T *zp = z + p * oh * ow, *gzp = gz + p * oh * ow;                  \
        for (long long r = 0; r < H; r++) {                                      \
            const T *zr = zp + (r / wh) * ow, *gr = gzp + (r / wh) * ow;         \
            const T *xr = xp + r * W;                                            \
            T *out = gp + r * W;                                                 \
            if (ww == 2) { /* the common case, with a constant stride */        \
                for (long long j = 0; j < ow; j++) {                             \
                    T m = zr[j], g = gr[j];                                      \
                    out[2 * j] = xr[2 * j] == m ? g : (T)0 * g;                  \
                    out[2 * j + 1] = xr[2 * j + 1] == m ? g : (T)0 * g;          \
                }                                                                \
                continue;                                                        \
            }                                                                    \
            for (long long j = 0; j < ow; j++) {                                 \
                T m = zr[j], g = gr[j];                                          \
                for (long long b = 0; b < ww; b++)                               \
                    out[j * ww + b] = xr[j * ww + b] == m ? g : (T)0 * g;        \
            }                                                                    \
        }                                                                        \
    }                                                                            \
}

MAXPOOL(maxpool_float32, float)
MAXPOOL(maxpool_float64, double)
MAXPOOL_GRAD(maxpool_grad_float32, float)
MAXPOOL_GRAD(maxpool_grad_float64, double)
"""

_functions = None


def _kernels():
    """``{(kind, dtype): ctypes function}``, or {} when no library can be built."""
    global _functions
    if _functions is not None:
        return _functions
    functions = {}
    try:
        from symbolic.backends.c import build

        path = build.compile_library(
            _C_SOURCE, name="pool_kernels", context="max pooling"
        )
        library = build.load_library(path)
        for dtype in ("float32", "float64"):
            for kind, n_arrays in (("maxpool", 2), ("maxpool_grad", 4)):
                fn = getattr(library, f"{kind}_{dtype}")
                fn.restype = None
                fn.argtypes = [ctypes.c_longlong] * 5 + [ctypes.c_void_p] * n_arrays
                functions[kind, dtype] = fn
    except Exception as exc:  # no compiler or a failed build: numpy runs
        _logger.info("max-pooling C kernels unavailable (%s); using numpy", exc)
        functions = {}
    _functions = functions
    return functions


def _tiled_geometry(x, ws, stride, pad):
    """``(planes, H, W, wh, ww)`` when the C loops apply to ``x``, else None."""
    if len(ws) != 2 or x.ndim < 2 or x.dtype.name not in ("float32", "float64"):
        return None
    if not x.flags.c_contiguous or x.size == 0:
        return None
    wh, ww = (int(v) for v in ws)
    H, W = x.shape[-2:]
    if tuple(int(s) for s in stride) != (wh, ww) or any(int(p) for p in pad):
        return None
    if wh < 1 or ww < 1 or H % wh or W % ww:
        return None
    return x.size // (H * W), H, W, wh, ww


def max_pool(x, ws, stride, pad):
    """Max pooling of tiling windows in C, or None when it does not apply."""
    geometry = _tiled_geometry(x, ws, stride, pad)
    fn = _kernels().get(("maxpool", x.dtype.name)) if geometry else None
    if fn is None:
        return None
    planes, H, W, wh, ww = geometry
    z = numpy.empty(x.shape[:-2] + (H // wh, W // ww), dtype=x.dtype)
    fn(planes, H, W, wh, ww, x.ctypes.data, z.ctypes.data)
    return z


def max_pool_grad(x, maxout, gz, ws, stride, pad):
    """The max-pooling gradient of tiling windows in C, or None."""
    geometry = _tiled_geometry(x, ws, stride, pad)
    fn = _kernels().get(("maxpool_grad", x.dtype.name)) if geometry else None
    if fn is None:
        return None
    planes, H, W, wh, ww = geometry
    expected = x.shape[:-2] + (H // wh, W // ww)
    if maxout.shape != expected or gz.shape != expected:
        return None
    if maxout.dtype != x.dtype or gz.dtype != x.dtype:
        return None
    maxout = numpy.ascontiguousarray(maxout)
    gz = numpy.ascontiguousarray(gz)
    gx = numpy.empty_like(x)
    fn(
        planes,
        H,
        W,
        wh,
        ww,
        x.ctypes.data,
        maxout.ctypes.data,
        gz.ctypes.data,
        gx.ctypes.data,
    )
    return gx

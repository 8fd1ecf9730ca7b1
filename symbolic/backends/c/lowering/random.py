"""Lowering of ``mrg_uniform``: MRG31k3p draws by a compiled C kernel.

The kernel gives exactly the numbers of the numpy kernel that
``mrg_uniform.perform`` runs (:mod:`symbolic.random.mrg_kernel`), several
times faster.  It is a small library built once (cached on disk) and called
through ctypes from the node's entry; float16 samples and a failed build
keep the numpy kernel.
"""

import ctypes
import functools
import logging

import numpy

from symbolic.backends.c.lowering import Lowered, lowering
from symbolic.random.mrg_op import mrg_uniform

_logger = logging.getLogger(__name__)

_C_SOURCE = r"""
#include <stdint.h>
#include <stdlib.h>

/* The streams' states are copied into one array per state component, so the
   per-round loop over streams reads and writes contiguous memory and the
   compiler can vectorize it.  Overflow wraps (compiled with -fwrapv), as in
   the reference implementation.  Returns -1 when memory runs out. */
#define MRG_REDUCE(y, M) ((y) < 0 || (y) >= (M) ? (y) - (M) : (y))
#define MRG_KERNEL(NAME, TYPE, NORM)                                          \
int NAME(int32_t *state, int64_t n_streams, int64_t n, TYPE *out)             \
{                                                                             \
    const int32_t M1 = 2147483647, M2 = 2147462579;                           \
    const int32_t MASK12 = 511, MASK13 = 16777215, MASK2 = 65535;             \
    const int32_t MULT2 = 21069;                                              \
    int64_t ns = n_streams < n ? n_streams : n;                               \
    if (ns <= 0) return 0;                                                    \
    int32_t *soa = malloc(sizeof(int32_t) * 6 * ns);                          \
    if (soa == NULL) return -1;                                               \
    int32_t *restrict a11 = soa, *restrict a12 = soa + ns;                    \
    int32_t *restrict a13 = soa + 2 * ns, *restrict a21 = soa + 3 * ns;       \
    int32_t *restrict a22 = soa + 4 * ns, *restrict a23 = soa + 5 * ns;       \
    for (int64_t s = 0; s < ns; ++s) {                                        \
        const int32_t *row = state + 6 * s;                                   \
        a11[s] = row[0]; a12[s] = row[1]; a13[s] = row[2];                    \
        a21[s] = row[3]; a22[s] = row[4]; a23[s] = row[5];                    \
    }                                                                         \
    for (int64_t start = 0; start < n; start += ns) {                         \
        int64_t active = n - start < ns ? n - start : ns;                     \
        TYPE *restrict o = out + start;                                       \
        for (int64_t s = 0; s < active; ++s) {                                \
            int32_t x11 = a11[s], x12 = a12[s], x13 = a13[s];                 \
            int32_t x21 = a21[s], x22 = a22[s], x23 = a23[s];                 \
            int32_t y1 = ((x12 & MASK12) << 22) + (x12 >> 9)                  \
                         + ((x13 & MASK13) << 7) + (x13 >> 24);               \
            y1 = MRG_REDUCE(y1, M1);                                          \
            y1 += x13;                                                        \
            y1 = MRG_REDUCE(y1, M1);                                          \
            a13[s] = x12; a12[s] = x11; a11[s] = y1;                          \
            int32_t z1 = ((x21 & MASK2) << 15) + (MULT2 * (x21 >> 16));       \
            z1 = MRG_REDUCE(z1, M2);                                          \
            int32_t y2 = ((x23 & MASK2) << 15) + (MULT2 * (x23 >> 16));       \
            y2 = MRG_REDUCE(y2, M2);                                          \
            y2 += x23;                                                        \
            y2 = MRG_REDUCE(y2, M2);                                          \
            y2 += z1;                                                         \
            y2 = MRG_REDUCE(y2, M2);                                          \
            a23[s] = x22; a22[s] = x21; a21[s] = y2;                          \
            int32_t d = y1 - y2;                                              \
            d = y1 <= y2 ? d + M1 : d;                                        \
            o[s] = (TYPE)d * NORM;                                            \
        }                                                                     \
    }                                                                         \
    for (int64_t s = 0; s < ns; ++s) {                                        \
        int32_t *row = state + 6 * s;                                         \
        row[0] = a11[s]; row[1] = a12[s]; row[2] = a13[s];                    \
        row[3] = a21[s]; row[4] = a22[s]; row[5] = a23[s];                    \
    }                                                                         \
    free(soa);                                                                \
    return 0;                                                                 \
}

MRG_KERNEL(mrg31k3p_uniform_float64, double, 4.656612873077392578125e-10)
MRG_KERNEL(mrg31k3p_uniform_float32, float, 4.6566126e-10f)
"""


@functools.cache
def c_kernels():
    """Return ``{dtype: ctypes function}`` of the C kernel ({} without one).

    Built once per source (cached on disk); a failure to build or load is
    logged, and the nodes keep the numpy kernel.
    """
    from symbolic.backends.c import build

    try:
        path = build.compile_library(
            _C_SOURCE, name="mrg31k3p", flags=("-fwrapv",), context="mrg_uniform"
        )
        library = build.load_library(path)
    except (build.CompileError, OSError) as exc:
        _logger.info("MRG31k3p C kernel unavailable (%s); using numpy", exc)
        return {}
    functions = {}
    for dtype in ("float32", "float64"):
        function = getattr(library, f"mrg31k3p_uniform_{dtype}")
        function.restype = ctypes.c_int
        function.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int64,
            ctypes.c_int64,
            ctypes.c_void_p,
        ]
        functions[dtype] = function
    return functions


def uniform_c(rstate, n, dtype):
    """Draw as :func:`symbolic.random.mrg_kernel.uniform`, with the C kernel.

    Raises
    ------
    RuntimeError
        When there is no C kernel for ``dtype`` here.
    ValueError
        When ``rstate`` is not a C-contiguous int32 matrix.
    """
    kernel = c_kernels().get(dtype)
    if kernel is None:
        raise RuntimeError(f"no C MRG31k3p kernel for dtype {dtype}")
    if not (rstate.flags.c_contiguous and rstate.dtype == numpy.int32):
        raise ValueError("the MRG state must be a C-contiguous int32 matrix")
    out = numpy.empty(n, dtype=dtype)
    if kernel(rstate.ctypes.data, rstate.shape[0], n, out.ctypes.data):
        raise MemoryError(f"the MRG31k3p C kernel could not allocate {n} samples")
    return out


@lowering(mrg_uniform)
def lower_mrg_uniform(node, kernels):
    """float32/float64 draws by the C kernel, from the node's Python entry."""
    dtype = node.op.output_type.dtype
    if dtype not in c_kernels():
        return None
    return Lowered("PYTHON", thunk=_draw_thunk)


def _draw_thunk(node, storage_map):
    op = node.op
    dtype = op.output_type.dtype
    state_cell, size_cell = (storage_map[v] for v in node.inputs)
    state_out, sample_out = (storage_map[v] for v in node.outputs)

    def thunk():
        state, shape, n = op.prepare_draw(state_cell[0], size_cell[0])
        sample = uniform_c(state, n, dtype)
        state_out[0] = state
        sample_out[0] = sample.reshape(shape)

    return thunk

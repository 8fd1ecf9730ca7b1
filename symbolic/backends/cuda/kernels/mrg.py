"""MRG31k3p uniform sampling on the GPU, the same numbers as the CPU kernels.

The CPU kernels of :mod:`symbolic.random.mrg_kernel` give sample ``i`` from
stream ``i % n_streams``, each stream advancing one step per sample it
gives.  Here thread ``s`` owns stream ``s``: it draws samples
``s, s + n_streams, ...`` in that order, so every sample is the very value
the CPU computes, and writes the stream's final state back.  The recurrence
is done in unsigned arithmetic (wrap-around, as the CPU kernel's
``-fwrapv``), converted to int32 where signs are compared.

Kernels ``mrg31k3p_uniform_float32`` and ``..._float64``::

    (int *state (n_streams x 6), long long n_streams, long long n, T *out)
"""

from symbolic.backends.cuda.kernels.source import CudaKernel

_SOURCE = r"""
#define MRG_ADD(a, b) ((int32_t)((uint32_t)(a) + (uint32_t)(b)))
#define MRG_SHL(a, k) ((int32_t)((uint32_t)(a) << (k)))
#define MRG_REDUCE(y, M) \
    ((y) < 0 || (y) >= (M) ? (int32_t)((uint32_t)(y) - (uint32_t)(M)) : (y))

template <typename T>
static __device__ void vm_mrg31k3p(int32_t *state, long long n_streams, long long n,
                                   T *out, T norm) {
    const int32_t M1 = 2147483647, M2 = 2147462579;
    const int32_t MASK12 = 511, MASK13 = 16777215, MASK2 = 65535;
    const int32_t MULT2 = 21069;
    long long ns = n_streams < n ? n_streams : n;
    VM_FOR(s, ns) {
        int32_t *row = state + 6 * s;
        int32_t x11 = row[0], x12 = row[1], x13 = row[2];
        int32_t x21 = row[3], x22 = row[4], x23 = row[5];
        for (long long i = s; i < n; i += ns) {
            int32_t y1 = MRG_ADD(MRG_ADD(MRG_SHL(x12 & MASK12, 22), x12 >> 9),
                                 MRG_ADD(MRG_SHL(x13 & MASK13, 7), x13 >> 24));
            y1 = MRG_REDUCE(y1, M1);
            y1 = MRG_ADD(y1, x13);
            y1 = MRG_REDUCE(y1, M1);
            x13 = x12; x12 = x11; x11 = y1;
            int32_t z1 = MRG_ADD(MRG_SHL(x21 & MASK2, 15),
                                 (int32_t)((uint32_t)MULT2 * (uint32_t)(x21 >> 16)));
            z1 = MRG_REDUCE(z1, M2);
            int32_t y2 = MRG_ADD(MRG_SHL(x23 & MASK2, 15),
                                 (int32_t)((uint32_t)MULT2 * (uint32_t)(x23 >> 16)));
            y2 = MRG_REDUCE(y2, M2);
            y2 = MRG_ADD(y2, x23);
            y2 = MRG_REDUCE(y2, M2);
            y2 = MRG_ADD(y2, z1);
            y2 = MRG_REDUCE(y2, M2);
            x23 = x22; x22 = x21; x21 = y2;
            int32_t d = (int32_t)((uint32_t)y1 - (uint32_t)y2);
            d = y1 <= y2 ? MRG_ADD(d, M1) : d;
            out[i] = (T)d * norm;
        }
        row[0] = x11; row[1] = x12; row[2] = x13;
        row[3] = x21; row[4] = x22; row[5] = x23;
    }
}

extern "C" __global__ void mrg31k3p_uniform_float64(int32_t *state, long long n_streams,
                                                    long long n, double *out)
{ vm_mrg31k3p<double>(state, n_streams, n, out, 4.656612873077392578125e-10); }

extern "C" __global__ void mrg31k3p_uniform_float32(int32_t *state, long long n_streams,
                                                    long long n, float *out)
{ vm_mrg31k3p<float>(state, n_streams, n, out, 4.6566126e-10f); }
"""


def render():
    """The :class:`CudaKernel` holding both MRG31k3p sampling kernels."""
    return CudaKernel("mrg31k3p", _SOURCE)

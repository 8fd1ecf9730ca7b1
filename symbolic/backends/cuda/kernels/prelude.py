"""The top of every CUDA source: types, and device versions of the C helpers.

The per-element code is the C backend's rendering
(:class:`~symbolic.backends.c.scalar_c.CRenderer`), which calls libm names
(``expf``, ``rint``, ``tgamma``...) that CUDA's device math library
provides, plus the ``vm_*`` functions of the C backend's ``vecmath.h``.
This prelude defines those ``vm_*`` names as device functions with the same
meaning (CUDA's own ``exp``, ``log``, ``erfinv``...; the digamma series
written out), so the scalar code compiles unchanged.
"""

import re

from symbolic.backends.c.scalar_c import helper_source

PRELUDE = r"""
#ifdef __CUDACC_RTC__
/* NVRTC has the device math library built in but no system headers. */
typedef signed char int8_t;
typedef short int16_t;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
#define CUDART_INF __longlong_as_double(0x7ff0000000000000ULL)
#define CUDART_NAN __longlong_as_double(0xfff8000000000000ULL)
#define CUDART_PI 3.1415926535897931e+0
/* The C helpers' copysign(0, x): without it (int, double) is ambiguous. */
static __device__ __forceinline__ double copysign(int a, double b) {
    return copysign((double)a, b);
}
#else
#include <stdint.h>
#include <math.h>
#include <math_constants.h>
#endif

#ifndef INFINITY
#define INFINITY CUDART_INF
#endif
#ifndef NAN
#define NAN CUDART_NAN
#endif

#define VM_DEVICE static __device__ __forceinline__

VM_DEVICE float vm_expf(float x) { return expf(x); }
VM_DEVICE double vm_exp(double x) { return exp(x); }
VM_DEVICE float vm_logf(float x) { return logf(x); }
VM_DEVICE double vm_log(double x) { return log(x); }
VM_DEVICE float vm_tanhf(float x) { return tanhf(x); }
VM_DEVICE double vm_tanh(double x) { return tanh(x); }

/* exp of -|x| never overflows; the sign picks e / (1 + e) or 1 / (1 + e). */
VM_DEVICE float vm_sigmoidf(float x) {
    float e = expf(-fabsf(x));
    return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}
VM_DEVICE double vm_sigmoid(double x) {
    double e = exp(-fabs(x));
    return (x >= 0.0 ? 1.0 : e) / (1.0 + e);
}
/* log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), nan kept. */
VM_DEVICE float vm_softplusf(float x) {
    return x != x ? x : fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}
VM_DEVICE double vm_softplus(double x) {
    return x != x ? x : fmax(x, 0.0) + log1p(exp(-fabs(x)));
}

VM_DEVICE double vm_lgamma(double x) { return x == -INFINITY ? x : lgamma(x); }
VM_DEVICE double vm_erfinv(double x) { return erfinv(x); }
VM_DEVICE double vm_erfcinv(double x) { return erfcinv(x); }

/* digamma: reflection for negative x, recurrence up to x >= 6, then the
   asymptotic series (the poles give nan, +-0 give -+inf as scipy). */
VM_DEVICE double vm_digamma(double x) {
    if (x == 0.0) return -1.0 / x;
    if (x != x || x == INFINITY) return x;
    double result = 0.0;
    if (x < 0.0) {
        if (x == floor(x)) return NAN;
        result = -CUDART_PI / tan(CUDART_PI * x);
        x = 1.0 - x;
    }
    while (x < 6.0) {
        result -= 1.0 / x;
        x += 1.0;
    }
    double inv = 1.0 / x, inv2 = inv * inv;
    double series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252
                    - inv2 * (1.0 / 240 - inv2 * (1.0 / 132)))));
    return result + log(x) - 0.5 * inv - series;
}

/* Grid-stride loop over [0, n). */
#define VM_FOR(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; \
         i < (n); i += (long long)blockDim.x * gridDim.x)
"""


def device_helpers(names):
    """The C backend's helper functions ``names`` as CUDA device functions.

    The source is :func:`~symbolic.backends.c.scalar_c.helper_source`'s,
    with the host-only ``static inline`` made ``static __device__ inline``.
    """
    return re.sub(
        r"\bstatic inline\b", "static __device__ inline", helper_source(names)
    )

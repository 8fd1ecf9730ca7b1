"""Row-wise kernels of :mod:`symbolic.ops.nnet`: softmaxes and cross-entropies.

One block handles one row (a grid-stride loop over rows); its threads
stride over the columns and combine maxima and sums in shared memory, in
the row's float type.  Matrices are C-contiguous (``rows x cols``), the
class indices ``y`` a contiguous vector of an integer dtype.  The kernels,
for float type ``T`` and index type ``I`` (suffix ``_<dtype>`` or
``_<dtype>_<index dtype>``):

* ``softmax``: ``sm = exp(x + b - max) / sum`` (``b`` may be NULL);
* ``log_softmax``: ``x - max - log(sum(exp(x - max)))``;
* ``softmax_grad``: ``dx = (dy - sum(dy * sm)) * sm``;
* ``xent_1hot``: ``nll[i] = -log(p[i, y[i]])`` and ``xent_1hot_grad``;
* ``xent_softmax_1hot``: ``nll``, ``sm`` and ``argmax`` of ``x + b``;
* ``xent_softmax_1hot_dx``: ``dx = dnll[i] * (sm - onehot(y))``.

The gradient kernels take the step between the rows' entries of their
per-row gradient: 1, or 0 for a scalar (or one-entry) gradient broadcast
over the rows.

A class index outside ``[0, cols)`` makes the row's result nan (a kernel
cannot raise; the linker checks the indices before the launch).
"""

from symbolic.backends.c.scalar_c import C_TYPES, FLOATS, Unsupported
from symbolic.backends.cuda.kernels.source import CudaKernel

#: Threads per block (a power of two: the shared-memory tree needs it).
BLOCK = 256

_COMMON = """
template <typename T> static __device__ T vm_block_max(T value, T *shared) {
    shared[threadIdx.x] = value;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            T a = shared[threadIdx.x], b = shared[threadIdx.x + half];
            shared[threadIdx.x] = (a >= b || a != a) ? a : b;
        }
        __syncthreads();
    }
    T result = shared[0];
    __syncthreads();
    return result;
}

template <typename T> static __device__ T vm_block_sum(T value, T *shared) {
    shared[threadIdx.x] = value;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
        __syncthreads();
    }
    T result = shared[0];
    __syncthreads();
    return result;
}

template <typename T>
static __device__ T vm_row_max(const T *x, const T *b, long long cols, T *shared) {
    T m = -INFINITY;
    for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
        T v = x[j] + (b ? b[j] : (T)0);
        m = (m >= v || m != m) ? m : v;
    }
    return vm_block_max(m, shared);
}

template <typename T>
static __device__ void vm_softmax(const T *x, const T *b, T *sm, long long rows,
                                  long long cols) {
    __shared__ T shared[%(block)d];
    for (long long i = blockIdx.x; i < rows; i += gridDim.x) {
        const T *xi = x + i * cols;
        T m = vm_row_max(xi, b, cols, shared);
        T s = 0;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            T e = exp(xi[j] + (b ? b[j] : (T)0) - m);
            sm[i * cols + j] = e;
            s += e;
        }
        s = vm_block_sum(s, shared);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            sm[i * cols + j] /= s;
    }
}

template <typename T>
static __device__ void vm_log_softmax(const T *x, T *out, long long rows,
                                      long long cols) {
    __shared__ T shared[%(block)d];
    for (long long i = blockIdx.x; i < rows; i += gridDim.x) {
        const T *xi = x + i * cols;
        T m = vm_row_max(xi, (const T *)0, cols, shared);
        T s = 0;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            s += exp(xi[j] - m);
        T lse = log(vm_block_sum(s, shared));
        /* (x - max) - log(sum): adding max to the log first would round it
           away when max is large. */
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            out[i * cols + j] = (xi[j] - m) - lse;
    }
}

template <typename T>
static __device__ void vm_softmax_grad(const T *dy, const T *sm, T *dx,
                                       long long rows, long long cols) {
    __shared__ T shared[%(block)d];
    for (long long i = blockIdx.x; i < rows; i += gridDim.x) {
        T s = 0;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            s += dy[i * cols + j] * sm[i * cols + j];
        s = vm_block_sum(s, shared);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            dx[i * cols + j] = (dy[i * cols + j] - s) * sm[i * cols + j];
    }
}
"""

_PER_DTYPE = """
extern "C" __global__ void softmax_{d}(const {T} *x, const {T} *b, {T} *sm,
                                       long long rows, long long cols)
{{ vm_softmax<{T}>(x, b, sm, rows, cols); }}

extern "C" __global__ void log_softmax_{d}(const {T} *x, {T} *out, long long rows,
                                           long long cols)
{{ vm_log_softmax<{T}>(x, out, rows, cols); }}

extern "C" __global__ void softmax_grad_{d}(const {T} *dy, const {T} *sm, {T} *dx,
                                            long long rows, long long cols)
{{ vm_softmax_grad<{T}>(dy, sm, dx, rows, cols); }}
"""

_PER_INDEX = """
extern "C" __global__ void xent_1hot_{d}_{i}(const {T} *p, const {I} *y, {T} *nll,
                                             long long rows, long long cols)
{{
    VM_FOR(r, rows) {{
        long long k = (long long)y[r];
        nll[r] = (k >= 0 && k < cols) ? -log(p[r * cols + k]) : ({T})NAN;
    }}
}}

extern "C" __global__ void xent_1hot_grad_{d}_{i}(const {T} *g, const {T} *p,
                                                  const {I} *y, {T} *dp,
                                                  long long rows, long long cols,
                                                  long long g_step)
{{
    VM_FOR(e, rows * cols) {{
        long long r = e / cols, j = e % cols;
        dp[e] = j == (long long)y[r] ? -g[r * g_step] / p[e] : ({T})0;
    }}
}}

extern "C" __global__ void xent_softmax_1hot_{d}_{i}(const {T} *x, const {T} *b,
                                                     const {I} *y, {T} *nll,
                                                     {T} *sm, {I} *am,
                                                     long long rows, long long cols)
{{
    __shared__ {T} shared[{block}];
    __shared__ long long where[{block}];
    for (long long r = blockIdx.x; r < rows; r += gridDim.x) {{
        const {T} *xr = x + r * cols;
        {T} m = -INFINITY;
        long long at = 0;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {{
            {T} v = xr[j] + b[j];
            if (v > m || (v == m && j < at)) {{ m = v; at = j; }}
        }}
        shared[threadIdx.x] = m;
        where[threadIdx.x] = at;
        __syncthreads();
        for (int half = blockDim.x / 2; half > 0; half /= 2) {{
            if (threadIdx.x < half) {{
                {T} v = shared[threadIdx.x + half];
                long long w = where[threadIdx.x + half];
                if (v > shared[threadIdx.x]
                    || (v == shared[threadIdx.x] && w < where[threadIdx.x])) {{
                    shared[threadIdx.x] = v;
                    where[threadIdx.x] = w;
                }}
            }}
            __syncthreads();
        }}
        m = shared[0];
        long long arg = where[0];
        __syncthreads();
        {T} s = 0;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {{
            {T} e = exp(xr[j] + b[j] - m);
            sm[r * cols + j] = e;
            s += e;
        }}
        s = vm_block_sum(s, shared);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            sm[r * cols + j] /= s;
        if (threadIdx.x == 0) {{
            long long k = (long long)y[r];
            am[r] = ({I})arg;
            nll[r] = (k >= 0 && k < cols) ? log(s) - (xr[k] + b[k] - m) : ({T})NAN;
        }}
    }}
}}

extern "C" __global__ void xent_softmax_1hot_dx_{d}_{i}(const {T} *dnll,
                                                        const {T} *sm,
                                                        const {I} *y, {T} *dx,
                                                        long long rows,
                                                        long long cols,
                                                        long long dnll_step)
{{
    VM_FOR(e, rows * cols) {{
        long long r = e / cols, j = e % cols;
        dx[e] = (sm[e] - (j == (long long)y[r] ? ({T})1 : ({T})0))
                * dnll[r * dnll_step];
    }}
}}
"""

INDEX_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32")


def render(dtype, index_dtype="int64"):
    """The :class:`CudaKernel` of every row kernel for ``dtype`` and ``index_dtype``.

    Its name is the module's tag (``nnet_<dtype>_<index dtype>``); the
    kernel functions are named as in the module docstring.
    """
    if dtype not in FLOATS:
        raise Unsupported(f"the softmax kernels take float32 or float64, not {dtype}")
    if index_dtype not in INDEX_DTYPES and index_dtype != "uint64":
        raise Unsupported(f"class indices of dtype {index_dtype} have no kernel")
    fields = {
        "d": dtype,
        "T": C_TYPES[dtype],
        "i": index_dtype,
        "I": C_TYPES[index_dtype],
        "block": BLOCK,
    }
    per_dtype = _PER_DTYPE.format(**fields)
    per_index = _PER_INDEX.format(**fields)
    # The templates and per-dtype wrappers are shared by every index dtype:
    # they are separate kernels so a module defines them once.
    return (
        CudaKernel("nnet_common", _COMMON % {"block": BLOCK}),
        CudaKernel(f"nnet_{dtype}", per_dtype),
        CudaKernel(f"nnet_{dtype}_{index_dtype}", per_index),
    )

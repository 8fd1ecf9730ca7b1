/* Row-wise softmax, log-softmax, their gradients and the softmax
 * cross-entropy ops of symbolic.ops.nnet, on float32 or float64 matrices.
 *
 * Parameters: the float dtype.  Rows are read through their strides, so any
 * layout works; results go into C-ordered outputs.  Arithmetic is in double.
 */
#include "runtime.h"
/* vecmath.h also carries scalar special functions this file does not use. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../vecmath.h"
#pragma GCC diagnostic pop

#define AT(a, i, j) (PyArray_BYTES(a) + (i) * PyArray_STRIDE(a, 0) + (j) * PyArray_STRIDE(a, 1))

static inline double load(const char *p, int f32)
{
    return f32 ? (double)*(const float *)p : *(const double *)p;
}

static inline void store(char *p, int f32, double v)
{
    if (f32)
        *(float *)p = (float)v;
    else
        *(double *)p = v;
}

/* Bias entry j (or 0 without a bias vector). */
static inline double bias_at(PyArrayObject *b, npy_intp j, int f32)
{
    return b == NULL ? 0.0 : load(PyArray_BYTES(b) + j * PyArray_STRIDE(b, 0), f32);
}

/* Row i of x (+ b): its max, and sum of exp(r - max) (written to ``e`` when
 * given).  Returns the max. */
static double row_softmax(PyArrayObject *x, PyArrayObject *b, npy_intp i, int f32,
                          PyArrayObject *e, double *total)
{
    npy_intp j, n = PyArray_DIM(x, 1);
    double top = -INFINITY, s = 0.0;
    for (j = 0; j < n; j++) {
        double v = load(AT(x, i, j), f32) + bias_at(b, j, f32);
        if (v > top || v != v) top = v;
    }
    for (j = 0; j < n; j++) {
        double v = exp(load(AT(x, i, j), f32) + bias_at(b, j, f32) - top);
        s += v;
        if (e != NULL) store(AT(e, i, j), f32, v);
    }
    *total = s;
    return top;
}

/* Softmax(x), SoftmaxWithBias(x, b), LogSoftmax(x). */
static int run_softmax(Entry *e)
{
    int t = (int)e->p[0], f32 = t == NPY_FLOAT, log_out = e->kind == K_LOGSOFTMAX;
    int with_bias = e->kind == K_SOFTMAX_BIAS;
    PyArrayObject *x = input_array(e, 0, t, 2), *b = NULL, *out;
    npy_intp i, j, rows, cols;
    if (x == NULL) return SLOW;
    rows = PyArray_DIM(x, 0);
    cols = PyArray_DIM(x, 1);
    if (with_bias) {
        b = input_array(e, 1, t, 1);
        if (b == NULL || PyArray_DIM(b, 0) != cols) return SLOW;
    }
    out = reuse_or_new(e->out[0], 2, PyArray_DIMS(x), t);
    if (out == NULL) return -1;
    for (i = 0; i < rows; i++) {
        double total, top;
        if (log_out) {
            top = row_softmax(x, NULL, i, f32, NULL, &total);
            total = log(total);
            for (j = 0; j < cols; j++)
                store(AT(out, i, j), f32, load(AT(x, i, j), f32) - top - total);
        } else {
            top = row_softmax(x, b, i, f32, out, &total);
            for (j = 0; j < cols; j++)
                store(AT(out, i, j), f32, load(AT(out, i, j), f32) / total);
        }
        (void)top;
    }
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* SoftmaxGrad(dy, sm) = dy sm - sum(dy sm) sm per row. */
static int run_softmax_grad(Entry *e)
{
    int t = (int)e->p[0], f32 = t == NPY_FLOAT;
    PyArrayObject *dy = input_array(e, 0, t, 2), *sm = input_array(e, 1, t, 2), *out;
    npy_intp i, j, rows, cols;
    if (dy == NULL || sm == NULL || !PyArray_SAMESHAPE(dy, sm)) return SLOW;
    rows = PyArray_DIM(sm, 0);
    cols = PyArray_DIM(sm, 1);
    out = reuse_or_new(e->out[0], 2, PyArray_DIMS(sm), t);
    if (out == NULL) return -1;
    for (i = 0; i < rows; i++) {
        double s = 0.0;
        for (j = 0; j < cols; j++) s += load(AT(dy, i, j), f32) * load(AT(sm, i, j), f32);
        for (j = 0; j < cols; j++) {
            double smv = load(AT(sm, i, j), f32);
            store(AT(out, i, j), f32, load(AT(dy, i, j), f32) * smv - s * smv);
        }
    }
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* 1 when every class index of ``idx`` is in [0, n_classes) and there is one
 * per row; the thunk raises the reference error otherwise. */
static int indices_ok(PyArrayObject *idx, npy_intp rows, npy_intp n_classes)
{
    npy_intp i;
    if (!is_index_vector(idx) || PyArray_DIM(idx, 0) != rows) return 0;
    for (i = 0; i < rows; i++) {
        long long k = index_at(idx, i);
        if (k < 0 || k >= n_classes) return 0;
    }
    return 1;
}

/* Write an index into an element of integer dtype ``t``. */
static void store_index(char *p, int t, long long v)
{
    switch (t) {
    case NPY_BYTE: case NPY_UBYTE: *(npy_byte *)p = (npy_byte)v; break;
    case NPY_SHORT: case NPY_USHORT: *(npy_short *)p = (npy_short)v; break;
    case NPY_INT: case NPY_UINT: *(npy_int *)p = (npy_int)v; break;
    default: *(npy_int64 *)p = (npy_int64)v; break;
    }
}

/* exp over a flat buffer and log: branch-free (vecmath.h), so vectorized.
 * float32 logits take the float32 exp, as the reference computes them. */
static RT_HOT void exp_inplace_float(float *restrict t, npy_intp n)
{
    npy_intp k;
    for (k = 0; k < n; k++) t[k] = vm_expf(t[k]);
}

static RT_HOT void exp_inplace_double(double *restrict t, npy_intp n)
{
    npy_intp k;
    for (k = 0; k < n; k++) t[k] = vm_exp(t[k]);
}

static RT_HOT void log_inplace(double *restrict t, npy_intp n)
{
    npy_intp k;
    for (k = 0; k < n; k++) t[k] = vm_log(t[k]);
}

/* The rows of x + b into t (in the input's type, as the reference adds
 * them; row after row), each shifted by its
 * max; arg[i] gets the argmax of row i of x + b (the first nan wins, as in
 * the reference).  A row of -inf only has argmax 0, as there.  The max runs
 * in eight lanes (exact in any order), so the loop is not one chain of
 * dependent compares; the argmax is the first index holding it. */
#define SHIFTED_ROWS(T)                                                              \
    static RT_HOT void shifted_rows_##T(PyArrayObject *x, PyArrayObject *b,          \
                                        T *restrict t, long long *restrict arg)      \
    {                                                                                \
        npy_intp i, j, k, rows = PyArray_DIM(x, 0), n = PyArray_DIM(x, 1);          \
        npy_intp xs = PyArray_STRIDE(x, 1), bs = PyArray_STRIDE(b, 0);               \
        const char *br = PyArray_BYTES(b);                                           \
        int unit = xs == sizeof(T) && bs == sizeof(T);                               \
        for (i = 0; i < rows; i++, t += n) {                                         \
            const char *xr = PyArray_BYTES(x) + i * PyArray_STRIDE(x, 0);            \
            T lane[8], top = -INFINITY;                                              \
            int nan = 0;                                                             \
            if (unit) {                                                              \
                const T *restrict xv = (const T *)xr, *restrict bv = (const T *)br;  \
                for (j = 0; j < n; j++) t[j] = xv[j] + bv[j];                        \
            } else {                                                                 \
                for (j = 0; j < n; j++)                                              \
                    t[j] = *(const T *)(xr + j * xs) + *(const T *)(br + j * bs);    \
            }                                                                        \
            for (k = 0; k < 8; k++) lane[k] = -INFINITY;                             \
            for (j = 0; j + 8 <= n; j += 8)                                          \
                for (k = 0; k < 8; k++) {                                            \
                    lane[k] = t[j + k] > lane[k] ? t[j + k] : lane[k];               \
                    nan |= t[j + k] != t[j + k];                                     \
                }                                                                    \
            for (; j < n; j++) {                                                     \
                top = t[j] > top ? t[j] : top;                                       \
                nan |= t[j] != t[j];                                                 \
            }                                                                        \
            for (k = 0; k < 8; k++) top = lane[k] > top ? lane[k] : top;             \
            top = nan ? (T)NAN : top;                                                \
            /* The first maximum, or the first nan when there is one. */            \
            for (j = 0; j < n; j++)                                                  \
                if (nan ? t[j] != t[j] : t[j] == top) break;                         \
            arg[i] = j < n ? j : 0;                                                  \
            for (j = 0; j < n; j++) t[j] -= top;                                     \
        }                                                                            \
    }

SHIFTED_ROWS(float)
SHIFTED_ROWS(double)

/* total[i] = sum of row i of e (in eight lanes, not one chain of dependent
 * adds); out row i = e row i / total[i], as a product by the reciprocal. */
#define NORMALIZE_ROWS(T)                                                            \
    static RT_HOT void normalize_rows_##T(const T *restrict e, npy_intp rows,        \
                                          npy_intp n, double *restrict total,        \
                                          T *restrict out)                           \
    {                                                                                \
        npy_intp i, j, k;                                                            \
        for (i = 0; i < rows; i++, e += n, out += n) {                               \
            double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0}, s = 0.0, inv;                 \
            for (j = 0; j + 8 <= n; j += 8)                                          \
                for (k = 0; k < 8; k++) lane[k] += (double)e[j + k];                 \
            for (; j < n; j++) s += (double)e[j];                                    \
            for (k = 0; k < 8; k++) s += lane[k];                                    \
            total[i] = s;                                                            \
            inv = 1.0 / s;                                                           \
            for (j = 0; j < n; j++) out[j] = (T)((double)e[j] * inv);                \
        }                                                                            \
    }

NORMALIZE_ROWS(float)
NORMALIZE_ROWS(double)

/* Rows of at most 16 float32 values (a classifier's logits over ten
 * classes), one AVX-512 register a row.  The loops above take about 30 ns
 * a row for ten values, mostly loop overhead; here each row is one masked
 * load, a max and its first index by reductions and compares.  The same
 * arithmetic as shifted_rows_float (the max is exact in any order); the
 * row sums in double are added in another order than normalize_rows_float,
 * so they can differ in the last bit of a double. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CE_NARROW 16

__attribute__((target("avx512f"))) static void shifted_rows_narrow(
    PyArrayObject *x, PyArrayObject *b, float *restrict t, long long *restrict arg)
{
    const npy_intp rows = PyArray_DIM(x, 0), n = PyArray_DIM(x, 1);
    const npy_intp xs = PyArray_STRIDE(x, 0);
    const __mmask16 m = (__mmask16)((1u << n) - 1u);
    const __m512 bv = _mm512_maskz_loadu_ps(m, PyArray_DATA(b));
    const __m512 low = _mm512_set1_ps(-INFINITY);
    npy_intp i;
    for (i = 0; i < rows; i++, t += n) {
        const __m512 v = _mm512_add_ps(
            _mm512_maskz_loadu_ps(m, PyArray_BYTES(x) + i * xs), bv);
        const __mmask16 nan = _mm512_mask_cmp_ps_mask(m, v, v, _CMP_UNORD_Q);
        float top;
        if (nan) {
            /* The first nan is the argmax; every shifted value is nan. */
            top = NAN;
            arg[i] = __builtin_ctz(nan);
        } else {
            const __m512 w = _mm512_mask_blend_ps(m, low, v);
            top = _mm512_reduce_max_ps(w);
            arg[i] = __builtin_ctz(
                (unsigned)_mm512_mask_cmp_ps_mask(m, w, _mm512_set1_ps(top), _CMP_EQ_OQ) |
                0x10000u) & 15;
        }
        _mm512_mask_storeu_ps(t, m, _mm512_sub_ps(v, _mm512_set1_ps(top)));
    }
}

__attribute__((target("avx512f"))) static void normalize_rows_narrow(
    const float *restrict e, npy_intp rows, npy_intp n, double *restrict total,
    float *restrict out)
{
    const __mmask16 m = (__mmask16)((1u << n) - 1u);
    npy_intp i;
    for (i = 0; i < rows; i++, e += n, out += n) {
        const __m512 v = _mm512_maskz_loadu_ps(m, e);
        const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
        const __m512d hi = _mm512_cvtps_pd(
            _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
        const double sum = _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
        const __m512d inv = _mm512_set1_pd(1.0 / sum);
        const __m256 a = _mm512_cvtpd_ps(_mm512_mul_pd(lo, inv));
        const __m256 c = _mm512_cvtpd_ps(_mm512_mul_pd(hi, inv));
        total[i] = sum;
        _mm512_mask_storeu_ps(
            out, m,
            _mm512_castpd_ps(_mm512_insertf64x4(
                _mm512_castpd256_pd512(_mm256_castps_pd(a)), _mm256_castps_pd(c), 1)));
    }
}

/* The same rows on AVX2 CPUs, in two 8-lane registers.  AMD CPUs run
 * AVX2's masked loads and stores as microcode, so rows are loaded whole
 * (through a copy where 16 values from a row's start would leave x) and
 * stored whole: the last lanes spill into the next row's place, which that
 * row then overwrites, and past the last row into CE_NARROW spare floats.
 * Lanes past the row are masked out of the max, the argmax and the sums.
 * On this 2-core AVX-512 machine, forced to AVX2, the loops above took
 * about 12 us for 256 rows of ten. */
__attribute__((target("avx2,fma"))) static __m256 ce_lanes_below(int n)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane));
}

__attribute__((target("avx2,fma"))) static void shifted_rows_narrow8(
    PyArrayObject *x, PyArrayObject *b, float *restrict t, long long *restrict arg)
{
    const npy_intp rows = PyArray_DIM(x, 0), n = PyArray_DIM(x, 1);
    const npy_intp xs = PyArray_STRIDE(x, 0);
    const unsigned valid = (1u << n) - 1u;
    const __m256 in0 = ce_lanes_below((int)n), in1 = ce_lanes_below((int)n - 8);
    const __m256 low = _mm256_set1_ps(-INFINITY);
    float bias[CE_NARROW] = {0}, copy[CE_NARROW] = {0};
    __m256 b0, b1;
    npy_intp i;
    memcpy(bias, PyArray_DATA(b), sizeof(float) * (size_t)n); /* b has n values */
    b0 = _mm256_loadu_ps(bias);
    b1 = _mm256_loadu_ps(bias + 8);
    for (i = 0; i < rows; i++, t += n) {
        const float *src = (const float *)(PyArray_BYTES(x) + i * xs);
        __m256 v0, v1, top;
        unsigned nan;
        if (xs <= 0 || (rows - 1 - i) * xs + n * 4 < (npy_intp)sizeof(copy)) {
            memcpy(copy, src, sizeof(float) * (size_t)n);
            src = copy;
        }
        v0 = _mm256_add_ps(_mm256_loadu_ps(src), b0);
        v1 = _mm256_add_ps(_mm256_loadu_ps(src + 8), b1);
        nan = ((unsigned)_mm256_movemask_ps(_mm256_cmp_ps(v0, v0, _CMP_UNORD_Q)) |
               (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(v1, v1, _CMP_UNORD_Q)) << 8) &
              valid;
        if (nan) {
            /* The first nan is the argmax; every shifted value is nan. */
            top = _mm256_set1_ps(NAN);
            arg[i] = __builtin_ctz(nan);
        } else {
            const __m256 w0 = _mm256_blendv_ps(low, v0, in0), w1 = _mm256_blendv_ps(low, v1, in1);
            unsigned eq;
            top = _mm256_max_ps(w0, w1);
            top = _mm256_max_ps(top, _mm256_permute2f128_ps(top, top, 1));
            top = _mm256_max_ps(top, _mm256_shuffle_ps(top, top, 0x4e));
            top = _mm256_max_ps(top, _mm256_shuffle_ps(top, top, 0xb1));
            eq = ((unsigned)_mm256_movemask_ps(_mm256_cmp_ps(w0, top, _CMP_EQ_OQ)) |
                  (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(w1, top, _CMP_EQ_OQ)) << 8) &
                 valid;
            arg[i] = __builtin_ctz(eq | 0x10000u) & 15;
        }
        _mm256_storeu_ps(t, _mm256_sub_ps(v0, top));
        _mm256_storeu_ps(t + 8, _mm256_sub_ps(v1, top));
    }
}

/* Row i of e (n values, then spare ones) over its sum in double, into out
 * (whole rows, spilling as above). */
__attribute__((target("avx2,fma"))) static void normalize_rows_narrow8(
    const float *restrict e, npy_intp rows, npy_intp n, double *restrict total,
    float *restrict out)
{
    const __m256 in0 = ce_lanes_below((int)n), in1 = ce_lanes_below((int)n - 8);
    npy_intp i;
    for (i = 0; i < rows; i++, e += n, out += n) {
        const __m256 v0 = _mm256_and_ps(_mm256_loadu_ps(e), in0);
        const __m256 v1 = _mm256_and_ps(_mm256_loadu_ps(e + 8), in1);
        const __m256d d0 = _mm256_cvtps_pd(_mm256_castps256_ps128(v0));
        const __m256d d1 = _mm256_cvtps_pd(_mm256_extractf128_ps(v0, 1));
        const __m256d d2 = _mm256_cvtps_pd(_mm256_castps256_ps128(v1));
        const __m256d d3 = _mm256_cvtps_pd(_mm256_extractf128_ps(v1, 1));
        __m256d s = _mm256_add_pd(_mm256_add_pd(d0, d1), _mm256_add_pd(d2, d3)), inv;
        __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
        h = _mm_add_sd(h, _mm_unpackhi_pd(h, h));
        total[i] = _mm_cvtsd_f64(h);
        inv = _mm256_set1_pd(1.0 / total[i]);
        _mm256_storeu_ps(out, _mm256_set_m128(_mm256_cvtpd_ps(_mm256_mul_pd(d1, inv)),
                                              _mm256_cvtpd_ps(_mm256_mul_pd(d0, inv))));
        _mm256_storeu_ps(out + 8, _mm256_set_m128(_mm256_cvtpd_ps(_mm256_mul_pd(d3, inv)),
                                                  _mm256_cvtpd_ps(_mm256_mul_pd(d2, inv))));
    }
}

/* Whether rows of x (float32, + b) take a narrow path: PK_AVX512 or
 * PK_AVX2 (which one), else 0. */
static int ce_narrow(PyArrayObject *x, PyArrayObject *b, int f32)
{
    const int isa = pk_native().isa;
    if (!(f32 && PyArray_DIM(x, 1) <= CE_NARROW && PyArray_STRIDE(x, 1) == 4 &&
          PyArray_STRIDE(x, 0) % 4 == 0 && (PyArray_STRIDE(b, 0) == 4 || PyArray_DIM(b, 0) <= 1)))
        return 0;
    return isa == PK_AVX512 || isa == PK_AVX2 ? isa : 0;
}
#else
static int ce_narrow(PyArrayObject *x, PyArrayObject *b, int f32)
{
    (void)x;
    (void)b;
    (void)f32;
    return 0;
}
#define CE_NARROW 16
#define shifted_rows_narrow shifted_rows_float
#define normalize_rows_narrow normalize_rows_float
#define shifted_rows_narrow8 shifted_rows_float
#define normalize_rows_narrow8 normalize_rows_float
#endif

/* CrossentropySoftmaxArgmax1HotWithBias(x, b, y_idx) -> (nll, sm, am).
 *
 * In the input's type, as the reference: the shifted logits r - max r of
 * every row go into one buffer and exp runs over it as one vectorized loop;
 * then each row is normalized, its sum taken in double;
 * nll = log(sum exp(r - max r)) - (r - max r)[y], in double. */
static int run_ce_softmax_bias(Entry *e)
{
    int t = (int)e->p[0], f32 = t == NPY_FLOAT, am_t, narrow;
    PyArrayObject *x = input_array(e, 0, t, 2), *b = input_array(e, 1, t, 1);
    PyArrayObject *y = input_array(e, 2, -1, 1), *nll, *sm, *am;
    npy_intp i, rows, cols;
    double *total, *pick;
    char *buf;
    npy_intp data_bytes;
    long long *arg;
    if (x == NULL || b == NULL || y == NULL) return SLOW;
    rows = PyArray_DIM(x, 0);
    cols = PyArray_DIM(x, 1);
    if (PyArray_DIM(b, 0) != cols || cols == 0 || !indices_ok(y, rows, cols)) return SLOW;
    am_t = PyArray_TYPE(y);
    /* The shifted logits (in the input's type), then per row: the sum, the
     * picked logit and the argmax. */
    narrow = ce_narrow(x, b, f32);
    /* The AVX2 rows spill up to CE_NARROW floats past the last row, and
     * normalize into a second such buffer. */
    data_bytes = ((rows * cols + (narrow ? rows * cols + 2 * CE_NARROW : 0)) * (f32 ? 4 : 8) + 7) /
                 8 * 8;
    buf = (char *)PyMem_Malloc(data_bytes + sizeof(double) * (3 * rows + 1));
    if (buf == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    total = (double *)(buf + data_bytes);
    pick = total + rows;
    arg = (long long *)(pick + rows);
    nll = reuse_or_new(e->out[0], 1, &rows, t);
    sm = reuse_or_new(e->out[1], 2, PyArray_DIMS(x), t);
    am = reuse_or_new(e->out[2], 1, &rows, am_t);
    if (nll == NULL || sm == NULL || am == NULL) {
        Py_XDECREF(nll);
        Py_XDECREF(sm);
        Py_XDECREF(am);
        PyMem_Free(buf);
        return -1;
    }
    if (narrow == PK_AVX512) {
        float *logits = (float *)buf;
        shifted_rows_narrow(x, b, logits, arg);
        for (i = 0; i < rows; i++) pick[i] = logits[i * cols + index_at(y, i)];
        exp_inplace_float(logits, rows * cols);
        normalize_rows_narrow(logits, rows, cols, total, (float *)PyArray_DATA(sm));
    } else if (narrow) {
        float *logits = (float *)buf, *probs = logits + rows * cols + CE_NARROW;
        shifted_rows_narrow8(x, b, logits, arg);
        for (i = 0; i < rows; i++) pick[i] = logits[i * cols + index_at(y, i)];
        exp_inplace_float(logits, rows * cols);
        normalize_rows_narrow8(logits, rows, cols, total, probs);
        memcpy(PyArray_DATA(sm), probs, sizeof(float) * (size_t)(rows * cols));
    } else if (f32) {
        float *logits = (float *)buf;
        shifted_rows_float(x, b, logits, arg);
        for (i = 0; i < rows; i++) pick[i] = logits[i * cols + index_at(y, i)];
        exp_inplace_float(logits, rows * cols);
        normalize_rows_float(logits, rows, cols, total, (float *)PyArray_DATA(sm));
    } else {
        double *logits = (double *)buf;
        shifted_rows_double(x, b, logits, arg);
        for (i = 0; i < rows; i++) pick[i] = logits[i * cols + index_at(y, i)];
        exp_inplace_double(logits, rows * cols);
        normalize_rows_double(logits, rows, cols, total, (double *)PyArray_DATA(sm));
    }
    for (i = 0; i < rows; i++)
        store_index(PyArray_BYTES(am) + i * PyArray_STRIDE(am, 0), am_t, arg[i]);
    log_inplace(total, rows);
    for (i = 0; i < rows; i++)
        store(PyArray_BYTES(nll) + i * PyArray_STRIDE(nll, 0), f32, total[i] - pick[i]);
    PyMem_Free(buf);
    cell_put(e->out[0], (PyObject *)nll);
    cell_put(e->out[1], (PyObject *)sm);
    cell_put(e->out[2], (PyObject *)am);
    return 0;
}

/* Read dy[i] (dy a scalar or a per-row vector). */
static inline double row_scale(PyArrayObject *dy, npy_intp i, int f32)
{
    if (PyArray_NDIM(dy) == 0) return load(PyArray_BYTES(dy), f32);
    return load(PyArray_BYTES(dy) + i * PyArray_STRIDE(dy, 0), f32);
}

/* Contiguous rows of sm into out: each value times its row's dy, in
 * double as below, then the true class's 1 taken off before the product.
 * The loops through AT() and load() took about 4 us for 256 rows of ten
 * float32 values; this one vectorizes. */
#define CE_DX_ROWS(T)                                                                \
    static RT_HOT void ce_dx_rows_##T(PyArrayObject *dy, PyArrayObject *y,           \
                                      const T *restrict sm, T *restrict out,         \
                                      npy_intp rows, npy_intp cols)                  \
    {                                                                                \
        npy_intp i, j;                                                               \
        for (i = 0; i < rows; i++, sm += cols, out += cols) {                        \
            const double g = row_scale(dy, i, sizeof(T) == 4);                       \
            const long long k = index_at(y, i);                                      \
            for (j = 0; j < cols; j++) out[j] = (T)((double)sm[j] * g);              \
            out[k] = (T)(((double)sm[k] - 1.0) * g);                                 \
        }                                                                            \
    }

CE_DX_ROWS(float)
CE_DX_ROWS(double)

/* CrossentropySoftmax1HotWithBiasDx(dy, sm, y_idx) = dy[:, None] (sm - onehot). */
static int run_ce_softmax_dx(Entry *e)
{
    int t = (int)e->p[0], f32 = t == NPY_FLOAT;
    PyArrayObject *dy = input_array(e, 0, t, -1), *sm = input_array(e, 1, t, 2);
    PyArrayObject *y = input_array(e, 2, -1, 1), *out;
    npy_intp i, j, rows, cols;
    if (dy == NULL || sm == NULL || y == NULL || PyArray_NDIM(dy) > 1) return SLOW;
    rows = PyArray_DIM(sm, 0);
    cols = PyArray_DIM(sm, 1);
    if (PyArray_NDIM(dy) == 1 && PyArray_DIM(dy, 0) != rows) return SLOW;
    if (!indices_ok(y, rows, cols)) return SLOW;
    out = reuse_or_new(e->out[0], 2, PyArray_DIMS(sm), t);
    if (out == NULL) return -1;
    if (PyArray_IS_C_CONTIGUOUS(sm) && PyArray_IS_C_CONTIGUOUS(out)) {
        if (f32)
            ce_dx_rows_float(dy, y, (const float *)PyArray_DATA(sm), (float *)PyArray_DATA(out),
                             rows, cols);
        else
            ce_dx_rows_double(dy, y, (const double *)PyArray_DATA(sm),
                              (double *)PyArray_DATA(out), rows, cols);
        cell_put(e->out[0], (PyObject *)out);
        return 0;
    }
    for (i = 0; i < rows; i++) {
        double g = row_scale(dy, i, f32);
        long long k = index_at(y, i);
        for (j = 0; j < cols; j++) {
            double v = load(AT(sm, i, j), f32) - (j == k ? 1.0 : 0.0);
            store(AT(out, i, j), f32, v * g);
        }
    }
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* CrossentropyCategorical1Hot(coding, true) = -log(coding[i, true[i]]). */
static int run_ce_1hot(Entry *e)
{
    int t = (int)e->p[0], f32 = t == NPY_FLOAT;
    PyArrayObject *c = input_array(e, 0, t, 2), *y = input_array(e, 1, -1, 1), *out;
    npy_intp i, rows;
    if (c == NULL || y == NULL) return SLOW;
    rows = PyArray_DIM(c, 0);
    if (!indices_ok(y, rows, PyArray_DIM(c, 1))) return SLOW;
    out = reuse_or_new(e->out[0], 1, &rows, t);
    if (out == NULL) return -1;
    for (i = 0; i < rows; i++)
        store(PyArray_BYTES(out) + i * PyArray_STRIDE(out, 0), f32,
              -log(load(AT(c, i, index_at(y, i)), f32)));
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* CrossentropyCategorical1HotGrad(gy, coding, true): -gy / picked, else 0. */
static int run_ce_1hot_grad(Entry *e)
{
    int t = (int)e->p[0], f32 = t == NPY_FLOAT;
    PyArrayObject *gy = input_array(e, 0, t, 1), *c = input_array(e, 1, t, 2);
    PyArrayObject *y = input_array(e, 2, -1, 1), *out;
    npy_intp i, rows;
    if (gy == NULL || c == NULL || y == NULL) return SLOW;
    rows = PyArray_DIM(c, 0);
    if (PyArray_DIM(gy, 0) != rows || !indices_ok(y, rows, PyArray_DIM(c, 1))) return SLOW;
    out = reuse_or_new(e->out[0], 2, PyArray_DIMS(c), t);
    if (out == NULL) return -1;
    memset(PyArray_DATA(out), 0, PyArray_NBYTES(out));
    for (i = 0; i < rows; i++) {
        long long k = index_at(y, i);
        store(AT(out, i, k), f32,
              -load(PyArray_BYTES(gy) + i * PyArray_STRIDE(gy, 0), f32) /
                  load(AT(c, i, k), f32));
    }
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

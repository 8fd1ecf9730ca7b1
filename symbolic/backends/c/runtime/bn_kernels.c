/* Batch normalization's kernels of one dtype over a span of rows (the
 * layouts and unit types bn.c plans with), in float32 and float64: sums,
 * centred sums, the affine outputs and the gradient's fused sums.  Included
 * by bn.c; see there for the plan. */
#include "runtime.h"

/* Most channels per unit when the innermost axis is kept: a unit takes the
 * whole axis up to this, or its share of the pool's threads. */
#define BN_BLOCK 512
/* Cells above which the units are split over the pool. */
#define BN_PARALLEL_SIZE (1 << 17)

enum { BN_X, BN_DY, BN_OUT, BN_CHAN, BN_STRIDED };

typedef struct {
    npy_intp dim;
    npy_intp st[BN_STRIDED]; /* bytes for x, dy, out; channel-number step */
    int reduced;
} BnAxis;

/* A stretch of a unit: ``rows`` rows (one step along the last row axis
 * apart) of ``n`` cells each, in x, dy and out; strides in bytes. */
typedef struct {
    const char *x, *dy;
    char *out;
    npy_intp rows, n;
    npy_intp rs[3]; /* between rows */
    npy_intp es[3]; /* between cells of a row */
} BnSpan;

/* Kernels of one dtype.  ``r*``: every cell of the span belongs to one
 * channel; ``c*``: cell i of every row belongs to channel i, per-channel
 * values in arrays indexed by i.  Sums are in double; the outputs are
 * affine in x (and dy) with per-channel coefficients computed in double,
 * then applied in the dtype, as a float32 kernel would. */
typedef struct {
    double (*rsum)(const BnSpan *s);
    double (*rsq)(const BnSpan *s, double mean);
    void (*raffine)(const BnSpan *s, double a, double b);
    void (*rgsum)(const BnSpan *s, double mean, double *sums);
    void (*rgout)(const BnSpan *s, const double *coef);
    void (*csum)(const BnSpan *s, double *acc);
    void (*csq)(const BnSpan *s, const double *mean, double *acc);
    void (*caffine)(const BnSpan *s, const void *a, const void *b);
    void (*cgsum)(const BnSpan *s, const double *mean, double *s_dy, double *s_dyd,
                  double *s_d);
    void (*cgout)(const BnSpan *s, const void *alpha, const void *beta,
                  const void *gamma);
} BnKernels;

/* Independent partial sums per channel: enough to hide the adds' latency,
 * without reassociating any one of them (the order is fixed, so results do
 * not depend on the thread count). */
#define BN_LANES 32
#define BN_GLANES 16
/* Rows a channel-inner kernel adds up before touching its sums. */
#define BN_ROWS_AT_ONCE 4

static double bn_fold(double *a, int n)
{
    int w, k;
    for (w = n / 2; w >= 1; w /= 2)
        for (k = 0; k < w; k++) a[k] += a[k + w];
    return a[0];
}

#define BN_ROW(s, i, r) ((s)->x + (r) * (s)->rs[0] + (i) * (s)->es[0])

/* Ask early for the start of row r + 1 of array ``a`` of the span: rows far
 * apart each start on a page the hardware prefetcher has not seen yet. */
#define BN_PREFETCH_BYTES 1024
static inline void bn_prefetch_next(const BnSpan *s, int a, npy_intp r)
{
    const char *base = a == 0 ? s->x : a == 1 ? s->dy : s->out;
    const char *p;
    npy_intp o, bytes = s->n * (s->es[a] < 0 ? -s->es[a] : s->es[a]);
    if (r + 1 >= s->rows || s->es[a] <= 0) return;
    p = base + (r + 1) * s->rs[a];
    if (bytes > BN_PREFETCH_BYTES) bytes = BN_PREFETCH_BYTES;
    for (o = 0; o < bytes; o += 64) __builtin_prefetch(p + o, a == 2);
}

/* The gradient's fused sums along a row in GCC/Clang vectors: GCC's
 * vectorizer makes poor code of the three interleaved sums.  Compilers
 * without __builtin_convertvector run the scalar loop (the helper then does
 * nothing). */
#if defined(__has_builtin)
#if __has_builtin(__builtin_convertvector)
#define BN_VECTORS 1
#endif
#endif
#if defined(BN_VECTORS)
typedef double bn_v8d __attribute__((vector_size(64)));
typedef double bn_v8d_u __attribute__((vector_size(64), aligned(8)));
typedef float bn_v8f_u __attribute__((vector_size(32), aligned(4)));
static inline bn_v8d bn_load8_float(const float *p)
{
    return __builtin_convertvector(*(const bn_v8f_u *)p, bn_v8d);
}
static inline bn_v8d bn_load8_double(const double *p) { return *(const bn_v8d_u *)p; }
#define BN_RGSUM_VEC(T)                                                               \
    /* Cells [0, i) of one row into the lanes; returns i. */                         \
    static inline npy_intp bn_rgsum_vec_##T(const T *x, const T *dy, npy_intp n,     \
                                            double mean, double *a0, double *a1,     \
                                            double *a2)                              \
    {                                                                                \
        bn_v8d s0[2], s1[2], s2[2], m = {mean, mean, mean, mean, mean, mean, mean,   \
                                         mean};                                      \
        npy_intp i = 0;                                                              \
        int u;                                                                       \
        memcpy(s0, a0, sizeof(s0));                                                  \
        memcpy(s1, a1, sizeof(s1));                                                  \
        memcpy(s2, a2, sizeof(s2));                                                  \
        for (; i + 16 <= n; i += 16)                                                 \
            for (u = 0; u < 2; u++) {                                                \
                bn_v8d d = bn_load8_##T(x + i + 8 * u) - m;                          \
                bn_v8d v = bn_load8_##T(dy + i + 8 * u);                             \
                s0[u] += v;                                                          \
                s1[u] += v * d;                                                      \
                s2[u] += d;                                                          \
            }                                                                        \
        memcpy(a0, s0, sizeof(s0));                                                  \
        memcpy(a1, s1, sizeof(s1));                                                  \
        memcpy(a2, s2, sizeof(s2));                                                  \
        return i;                                                                    \
    }
#else
#define BN_RGSUM_VEC(T)                                                               \
    static inline npy_intp bn_rgsum_vec_##T(const T *x, const T *dy, npy_intp n,     \
                                            double mean, double *a0, double *a1,     \
                                            double *a2)                              \
    {                                                                                \
        (void)x, (void)dy, (void)n, (void)mean, (void)a0, (void)a1, (void)a2;        \
        return 0;                                                                    \
    }
#endif
BN_RGSUM_VEC(float)
BN_RGSUM_VEC(double)

#define BN_KERNELS(T)                                                                \
    static RT_HOT double bn_rsum_##T(const BnSpan *s)                                \
    {                                                                                \
        double acc[BN_LANES] = {0};                                                  \
        npy_intp r, i, n = s->n, ex = s->es[0];                                      \
        int k;                                                                       \
        for (r = 0; r < s->rows; r++) {                                              \
            const char *p = s->x + r * s->rs[0];                                     \
            bn_prefetch_next(s, 0, r);                                               \
            i = 0;                                                                   \
            if (ex == (npy_intp)sizeof(T)) {                                         \
                const T *restrict x = (const T *)p;                                  \
                for (; i + BN_LANES <= n; i += BN_LANES)                             \
                    for (k = 0; k < BN_LANES; k++) acc[k] += (double)x[i + k];       \
            }                                                                        \
            for (; i < n; i++) acc[i % BN_LANES] += (double)*(const T *)(p + i * ex); \
        }                                                                            \
        return bn_fold(acc, BN_LANES);                                               \
    }                                                                                \
    static RT_HOT double bn_rsq_##T(const BnSpan *s, double mean)                    \
    {                                                                                \
        double acc[BN_LANES] = {0};                                                  \
        npy_intp r, i, n = s->n, ex = s->es[0];                                      \
        int k;                                                                       \
        for (r = 0; r < s->rows; r++) {                                              \
            const char *p = s->x + r * s->rs[0];                                     \
            bn_prefetch_next(s, 0, r);                                               \
            i = 0;                                                                   \
            if (ex == (npy_intp)sizeof(T)) {                                         \
                const T *restrict x = (const T *)p;                                  \
                for (; i + BN_LANES <= n; i += BN_LANES)                             \
                    for (k = 0; k < BN_LANES; k++) {                                 \
                        double d = (double)x[i + k] - mean;                          \
                        acc[k] += d * d;                                             \
                    }                                                                \
            }                                                                        \
            for (; i < n; i++) {                                                     \
                double d = (double)*(const T *)(p + i * ex) - mean;                  \
                acc[i % BN_LANES] += d * d;                                          \
            }                                                                        \
        }                                                                            \
        return bn_fold(acc, BN_LANES);                                               \
    }                                                                                \
    /* out = x a + b, in T. */                                                      \
    static RT_HOT void bn_raffine_##T(const BnSpan *s, double a, double b)           \
    {                                                                                \
        npy_intp r, i, n = s->n, ex = s->es[0], eo = s->es[2];                       \
        T at = (T)a, bt = (T)b;                                                      \
        for (r = 0; r < s->rows; r++) {                                              \
            const char *p = s->x + r * s->rs[0];                                     \
            char *q = s->out + r * s->rs[2];                                         \
            bn_prefetch_next(s, 0, r);                                               \
            bn_prefetch_next(s, 2, r);                                               \
            if (ex == (npy_intp)sizeof(T) && eo == (npy_intp)sizeof(T)) {            \
                const T *restrict x = (const T *)p;                                  \
                T *restrict out = (T *)q;                                            \
                for (i = 0; i < n; i++) out[i] = x[i] * at + bt;                     \
            } else {                                                                 \
                for (i = 0; i < n; i++)                                              \
                    *(T *)(q + i * eo) = *(const T *)(p + i * ex) * at + bt;         \
            }                                                                        \
        }                                                                            \
    }                                                                                \
    /* sums[0..2] += the sums of dy, dy (x - mean) and x - mean. */                 \
    static RT_HOT void bn_rgsum_##T(const BnSpan *s, double mean, double *sums)      \
    {                                                                                \
        double a0[BN_GLANES] = {0}, a1[BN_GLANES] = {0}, a2[BN_GLANES] = {0};        \
        npy_intp r, i, n = s->n, ex = s->es[0], eg = s->es[1];                       \
        for (r = 0; r < s->rows; r++) {                                              \
            const char *p = s->x + r * s->rs[0], *g = s->dy + r * s->rs[1];          \
            bn_prefetch_next(s, 0, r);                                               \
            bn_prefetch_next(s, 1, r);                                               \
            i = 0;                                                                   \
            if (ex == (npy_intp)sizeof(T) && eg == (npy_intp)sizeof(T))              \
                i = bn_rgsum_vec_##T((const T *)p, (const T *)g, n, mean, a0, a1, a2); \
            for (; i < n; i++) {                                                     \
                double d = (double)*(const T *)(p + i * ex) - mean;                  \
                double v = (double)*(const T *)(g + i * eg);                         \
                a0[i % BN_GLANES] += v;                                              \
                a1[i % BN_GLANES] += v * d;                                          \
                a2[i % BN_GLANES] += d;                                              \
            }                                                                        \
        }                                                                            \
        sums[0] += bn_fold(a0, BN_GLANES);                                           \
        sums[1] += bn_fold(a1, BN_GLANES);                                           \
        sums[2] += bn_fold(a2, BN_GLANES);                                           \
    }                                                                                \
    /* out = dy coef[0] + x coef[1] + coef[2], in T. */                            \
    static RT_HOT void bn_rgout_##T(const BnSpan *s, const double *coef)             \
    {                                                                                \
        T al = (T)coef[0], be = (T)coef[1], ga = (T)coef[2];                         \
        npy_intp r, i, n = s->n, ex = s->es[0], eg = s->es[1], eo = s->es[2];        \
        for (r = 0; r < s->rows; r++) {                                              \
            const char *p = s->x + r * s->rs[0], *g = s->dy + r * s->rs[1];          \
            char *q = s->out + r * s->rs[2];                                         \
            bn_prefetch_next(s, 0, r);                                               \
            bn_prefetch_next(s, 1, r);                                               \
            bn_prefetch_next(s, 2, r);                                               \
            if (ex == (npy_intp)sizeof(T) && eg == (npy_intp)sizeof(T) &&            \
                eo == (npy_intp)sizeof(T)) {                                         \
                const T *restrict x = (const T *)p, *restrict dy = (const T *)g;     \
                T *restrict out = (T *)q;                                            \
                for (i = 0; i < n; i++) out[i] = dy[i] * al + x[i] * be + ga;        \
            } else {                                                                 \
                for (i = 0; i < n; i++)                                              \
                    *(T *)(q + i * eo) = *(const T *)(g + i * eg) * al +             \
                                         *(const T *)(p + i * ex) * be + ga;         \
            }                                                                        \
        }                                                                            \
    }                                                                                \
    static RT_HOT void bn_csum_##T(const BnSpan *s, double *restrict acc)            \
    {                                                                                \
        npy_intp r = 0, i, n = s->n, ex = s->es[0];                                  \
        if (ex == (npy_intp)sizeof(T))                                               \
            for (; r + BN_ROWS_AT_ONCE <= s->rows; r += BN_ROWS_AT_ONCE) {           \
                const T *restrict x0 = (const T *)BN_ROW(s, 0, r);                   \
                const T *restrict x1 = (const T *)BN_ROW(s, 0, r + 1);               \
                const T *restrict x2 = (const T *)BN_ROW(s, 0, r + 2);               \
                const T *restrict x3 = (const T *)BN_ROW(s, 0, r + 3);               \
                for (i = 0; i < n; i++)                                              \
                    acc[i] += ((double)x0[i] + (double)x1[i]) +                      \
                              ((double)x2[i] + (double)x3[i]);                       \
            }                                                                        \
        for (; r < s->rows; r++)                                                     \
            for (i = 0; i < n; i++) acc[i] += (double)*(const T *)BN_ROW(s, i, r);   \
    }                                                                                \
    static RT_HOT void bn_csq_##T(const BnSpan *s, const double *restrict mean,      \
                                  double *restrict acc)                              \
    {                                                                                \
        npy_intp r = 0, i, n = s->n, ex = s->es[0];                                  \
        if (ex == (npy_intp)sizeof(T))                                               \
            for (; r + BN_ROWS_AT_ONCE <= s->rows; r += BN_ROWS_AT_ONCE) {           \
                const T *restrict x0 = (const T *)BN_ROW(s, 0, r);                   \
                const T *restrict x1 = (const T *)BN_ROW(s, 0, r + 1);               \
                const T *restrict x2 = (const T *)BN_ROW(s, 0, r + 2);               \
                const T *restrict x3 = (const T *)BN_ROW(s, 0, r + 3);               \
                for (i = 0; i < n; i++) {                                            \
                    double d0 = (double)x0[i] - mean[i], d1 = (double)x1[i] - mean[i]; \
                    double d2 = (double)x2[i] - mean[i], d3 = (double)x3[i] - mean[i]; \
                    acc[i] += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3);             \
                }                                                                    \
            }                                                                        \
        for (; r < s->rows; r++)                                                     \
            for (i = 0; i < n; i++) {                                                \
                double d = (double)*(const T *)BN_ROW(s, i, r) - mean[i];            \
                acc[i] += d * d;                                                     \
            }                                                                        \
    }                                                                                \
    /* out = x a + b, in T; a and b are arrays of T. */                           \
    static RT_HOT void bn_caffine_##T(const BnSpan *s, const void *ta, const void *tb) \
    {                                                                                \
        const T *restrict a = (const T *)ta, *restrict b = (const T *)tb;            \
        npy_intp r, i, n = s->n, ex = s->es[0], eo = s->es[2];                       \
        for (r = 0; r < s->rows; r++) {                                              \
            const char *p = s->x + r * s->rs[0];                                     \
            char *q = s->out + r * s->rs[2];                                         \
            if (ex == (npy_intp)sizeof(T) && eo == (npy_intp)sizeof(T)) {            \
                const T *restrict x = (const T *)p;                                  \
                T *restrict out = (T *)q;                                            \
                for (i = 0; i < n; i++) out[i] = x[i] * a[i] + b[i];                 \
            } else {                                                                 \
                for (i = 0; i < n; i++)                                              \
                    *(T *)(q + i * eo) = *(const T *)(p + i * ex) * a[i] + b[i];     \
            }                                                                        \
        }                                                                            \
    }                                                                                \
    static RT_HOT void bn_cgsum_##T(const BnSpan *s, const double *restrict mean,    \
                                    double *restrict s_dy, double *restrict s_dyd,   \
                                    double *restrict s_d)                            \
    {                                                                                \
        npy_intp r = 0, i, n = s->n, ex = s->es[0], eg = s->es[1];                   \
        if (ex == (npy_intp)sizeof(T) && eg == (npy_intp)sizeof(T))                  \
            for (; r + BN_ROWS_AT_ONCE <= s->rows; r += BN_ROWS_AT_ONCE) {           \
                const char *p = s->x + r * s->rs[0], *g = s->dy + r * s->rs[1];      \
                const T *restrict x0 = (const T *)p;                                 \
                const T *restrict x1 = (const T *)(p + s->rs[0]);                    \
                const T *restrict x2 = (const T *)(p + 2 * s->rs[0]);                \
                const T *restrict x3 = (const T *)(p + 3 * s->rs[0]);                \
                const T *restrict g0 = (const T *)g;                                 \
                const T *restrict g1 = (const T *)(g + s->rs[1]);                    \
                const T *restrict g2 = (const T *)(g + 2 * s->rs[1]);                \
                const T *restrict g3 = (const T *)(g + 3 * s->rs[1]);                \
                for (i = 0; i < n; i++) {                                            \
                    double d0 = (double)x0[i] - mean[i], d1 = (double)x1[i] - mean[i]; \
                    double d2 = (double)x2[i] - mean[i], d3 = (double)x3[i] - mean[i]; \
                    double v0 = g0[i], v1 = g1[i], v2 = g2[i], v3 = g3[i];           \
                    s_dy[i] += (v0 + v1) + (v2 + v3);                                \
                    s_dyd[i] += (v0 * d0 + v1 * d1) + (v2 * d2 + v3 * d3);           \
                    s_d[i] += (d0 + d1) + (d2 + d3);                                 \
                }                                                                    \
            }                                                                        \
        for (; r < s->rows; r++)                                                     \
            for (i = 0; i < n; i++) {                                                \
                double d = (double)*(const T *)BN_ROW(s, i, r) - mean[i];            \
                double v = (double)*(const T *)(s->dy + r * s->rs[1] + i * eg);      \
                s_dy[i] += v;                                                        \
                s_dyd[i] += v * d;                                                   \
                s_d[i] += d;                                                         \
            }                                                                        \
    }                                                                                \
    /* out = dy al + x be + ga, in T; arrays of T. */                              \
    static RT_HOT void bn_cgout_##T(const BnSpan *s, const void *tal, const void *tbe, \
                                    const void *tga)                                 \
    {                                                                                \
        const T *restrict al = (const T *)tal, *restrict be = (const T *)tbe;        \
        const T *restrict ga = (const T *)tga;                                       \
        npy_intp r, i, n = s->n, ex = s->es[0], eg = s->es[1], eo = s->es[2];        \
        for (r = 0; r < s->rows; r++) {                                              \
            const char *p = s->x + r * s->rs[0], *g = s->dy + r * s->rs[1];          \
            char *q = s->out + r * s->rs[2];                                         \
            if (ex == (npy_intp)sizeof(T) && eg == (npy_intp)sizeof(T) &&            \
                eo == (npy_intp)sizeof(T)) {                                         \
                const T *restrict x = (const T *)p, *restrict dy = (const T *)g;     \
                T *restrict out = (T *)q;                                            \
                for (i = 0; i < n; i++) out[i] = dy[i] * al[i] + x[i] * be[i] + ga[i]; \
            } else {                                                                 \
                for (i = 0; i < n; i++)                                              \
                    *(T *)(q + i * eo) = *(const T *)(g + i * eg) * al[i] +          \
                                         *(const T *)(p + i * ex) * be[i] + ga[i];   \
            }                                                                        \
        }                                                                            \
    }                                                                                \
    static const BnKernels bn_kernels_##T = {                                        \
        bn_rsum_##T, bn_rsq_##T,  bn_raffine_##T, bn_rgsum_##T, bn_rgout_##T,        \
        bn_csum_##T, bn_csq_##T, bn_caffine_##T, bn_cgsum_##T, bn_cgout_##T};

BN_KERNELS(float)
BN_KERNELS(double)

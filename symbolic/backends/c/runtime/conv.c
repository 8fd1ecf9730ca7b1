/* 2-D convolution (forward and both gradients) and 2-D pooling (forward and
 * gradients) of symbolic.ops.conv and symbolic.ops.pool, float32/float64.
 *
 * Convolution is im2col + one BLAS product per image and group: the patches
 * of an image (zero outside it) are copied into a column buffer of
 * (C/G kh kw) rows by (oh ow) columns, and the filters multiply it.  The
 * input gradient multiplies the other way and adds the columns back into
 * the image (col2im).  Images are split over the runtime's pool, each part
 * with its own buffers and BLAS on one thread.
 *
 * Convolution parameters: dtype; per axis (rows, then columns) a padding
 * mode (0 explicit, 1 half, 2 full) and its before/after pads; strides;
 * dilations; groups; flip; the image and filter shape hints (-1: none).
 * Pooling parameters: dtype, ignore_border, mode (0 max, 1 sum,
 * 2 average_inc_pad, 3 average_exc_pad); windows, strides and pads are
 * the op's run-time inputs.  Anything outside what the checks accept runs
 * the Python thunk, which computes or raises the reference result.
 */
#include "runtime.h"

enum { CP_T, CP_MODE_H, CP_BEFORE_H, CP_AFTER_H, CP_MODE_W, CP_BEFORE_W, CP_AFTER_W,
       CP_SH, CP_SW, CP_DH, CP_DW, CP_GROUPS, CP_FLIP, CP_IMSHP, CP_KSHP = CP_IMSHP + 4,
       CP_COUNT = CP_KSHP + 4 };

/* Work (multiply-adds) above which a convolution is split over the pool. */
#define CONV_PARALLEL_WORK (1LL << 21)

typedef struct {
    int f32, size, dir; /* dir: 0 forward, 1 filter gradient, 2 input gradient */
    npy_intp B, C, H, W, F, G, Cg, Fg, kh, kw, oh, ow;
    npy_intp pt, pl, sh, sw, dh, dw;
    char *img; /* forward / filter gradient: the image, read through strides */
    npy_intp is[4];
    char *top; /* C-contiguous (B, F, oh, ow): output (forward) or topgrad */
    char *wts; /* C-contiguous (F, Cg kh kw), flipped if asked (fwd / input grad) */
    char *gx;  /* input gradient: C-contiguous (B, C, H, W), zeroed */
    char *scratch; /* per part: the column buffer, then (filter grad) its sums */
    size_t part_bytes;
    npy_intp batch_step; /* images per product */
    int nparts;     /* slots: batch ranges, each with its scratch */
    atomic_int next; /* the next slot to claim */
} ConvJob;

/* Row-major C (M x N) = alpha op(A) op(B) + beta C through column-major BLAS. */
static void rm_gemm(int f32, char ta, char tb, int M, int N, int K, const void *A,
                    int lda, const void *B, int ldb, double beta, void *Cm, int ldc)
{
    if (M <= 0 || N <= 0) return;
    if (f32) {
        float al = 1.0f, be = (float)beta;
        ((sgemm_t)blas[B_SGEMM])(&tb, &ta, &N, &M, &K, &al, (float *)B, &ldb, (float *)A,
                                 &lda, &be, (float *)Cm, &ldc);
    } else {
        double al = 1.0, be = beta;
        ((dgemm_t)blas[B_DGEMM])(&tb, &ta, &N, &M, &K, &al, (double *)B, &ldb,
                                 (double *)A, &lda, &be, (double *)Cm, &ldc);
    }
}

/* Short row copies stay inline loops (GCC would call memcpy for each). */
#if defined(__GNUC__) && !defined(__clang__)
#define RT_INLINE_COPIES __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define RT_INLINE_COPIES
#endif

#define CONV_COLUMNS(T)                                                               \
    /* Columns (Cg kh kw) x (oh ow) of group g of image b; zero outside it. */       \
    static RT_HOT RT_INLINE_COPIES void im2col_##T(const ConvJob *j, npy_intp b, npy_intp g,          \
                                  T *restrict col, npy_intp ld)                       \
    {                                                                                 \
        npy_intp c, i, k, y, x;                                                       \
        for (c = 0; c < j->Cg; c++) {                                                 \
            const char *plane = j->img + b * j->is[0] + (g * j->Cg + c) * j->is[1];   \
            for (i = 0; i < j->kh; i++)                                               \
                for (k = 0; k < j->kw; k++, col += ld) {                              \
                    for (y = 0; y < j->oh; y++) {                                     \
                        npy_intp iy = y * j->sh + i * j->dh - j->pt;                  \
                        T *dst = col + y * j->ow;                                     \
                        if (iy < 0 || iy >= j->H) {                                   \
                            for (x = 0; x < j->ow; x++) dst[x] = 0;                   \
                            continue;                                                 \
                        }                                                             \
                        const char *row = plane + iy * j->is[2];                      \
                        npy_intp x0 = k * j->dw - j->pl, s3 = j->is[3];               \
                        if (j->sw == 1 && s3 == (npy_intp)sizeof(T) && x0 >= 0 &&     \
                            x0 + j->ow <= j->W) {                                     \
                            const T *restrict src = (const T *)row + x0;              \
                            for (x = 0; x < j->ow; x++) dst[x] = src[x];              \
                            continue;                                                 \
                        }                                                             \
                        for (x = 0; x < j->ow; x++) {                                 \
                            npy_intp ix = x0 + x * j->sw;                             \
                            dst[x] = (ix < 0 || ix >= j->W) ? (T)0                    \
                                                            : *(const T *)(row + ix * s3); \
                        }                                                             \
                    }                                                                 \
                }                                                                     \
        }                                                                             \
    }                                                                                 \
    /* Add the columns of group g back into image b of the input gradient. */        \
    static RT_HOT void col2im_##T(const ConvJob *j, npy_intp b, npy_intp g,           \
                                  const T *restrict col, npy_intp ld)                 \
    {                                                                                 \
        npy_intp c, i, k, y, x;                                                       \
        for (c = 0; c < j->Cg; c++) {                                                 \
            T *plane = (T *)j->gx + ((b * j->C) + g * j->Cg + c) * j->H * j->W;       \
            for (i = 0; i < j->kh; i++)                                               \
                for (k = 0; k < j->kw; k++, col += ld)                                \
                    for (y = 0; y < j->oh; y++) {                                     \
                        npy_intp iy = y * j->sh + i * j->dh - j->pt;                  \
                        const T *src = col + y * j->ow;                               \
                        T *row;                                                       \
                        npy_intp x0 = k * j->dw - j->pl;                              \
                        if (iy < 0 || iy >= j->H) continue;                           \
                        row = plane + iy * j->W;                                      \
                        if (j->sw == 1 && x0 >= 0 && x0 + j->ow <= j->W) {            \
                            for (x = 0; x < j->ow; x++) row[x0 + x] += src[x];        \
                            continue;                                                 \
                        }                                                             \
                        for (x = 0; x < j->ow; x++) {                                 \
                            npy_intp ix = x0 + x * j->sw;                             \
                            if (ix >= 0 && ix < j->W) row[ix] += src[x];              \
                        }                                                             \
                    }                                                                 \
        }                                                                             \
    }

CONV_COLUMNS(float)
CONV_COLUMNS(double)

/* Copy the (Fg x P) blocks of group g of images [b0, b0 + nb) between the
 * C-ordered (B, F, P) array ``big`` and the (Fg x nb P) matrix ``wide``. */
static void gather_blocks(const ConvJob *j, char *big, char *wide, npy_intp b0,
                          npy_intp nb, npy_intp g, int to_wide)
{
    npy_intp q, f, P = j->oh * j->ow, s = j->size, row = P * s;
    for (q = 0; q < nb; q++)
        for (f = 0; f < j->Fg; f++) {
            char *a = big + (((b0 + q) * j->F + g * j->Fg + f) * P) * s;
            char *w = wide + (f * nb + q) * row;
            if (to_wide)
                memcpy(w, a, row);
            else
                memcpy(a, w, row);
        }
}

/* The images [b0, b1) of one slot, ``nb`` at a time, with ``buf`` as its
 * scratch: the columns of nb images side by side (K x nb P), then a
 * (Fg x nb P) block of the output or of topgrad, then (filter gradient) the
 * slot's (F x K) sums.  Several images per product keep BLAS efficient
 * when an image has few output positions. */
static void conv_images(ConvJob *j, npy_intp b0, npy_intp b1, char *buf)
{
    npy_intp b, g, q, nb, P = j->oh * j->ow, K = j->Cg * j->kh * j->kw, s = j->size;
    npy_intp wide_n = j->batch_step * P;
    char *wide = buf + (size_t)K * wide_n * s;
    char *sums = wide + (size_t)j->Fg * wide_n * s; /* filter gradient: (F, K) */
    int first = 1;
    for (b = b0; b < b1; b += nb) {
        nb = b1 - b < j->batch_step ? b1 - b : j->batch_step;
        for (g = 0; g < j->G; g++) {
            char *wg = j->wts + (size_t)g * j->Fg * K * s;
            int n = (int)(nb * P);
            if (j->dir != 2)
                for (q = 0; q < nb; q++) {
                    if (j->f32)
                        im2col_float(j, b + q, g, (float *)buf + q * P, n);
                    else
                        im2col_double(j, b + q, g, (double *)buf + q * P, n);
                }
            if (j->dir == 0) {
                /* out block (Fg x nb P) = W_g (Fg x K) col (K x nb P) */
                char *dst = nb == 1 ? j->top + ((size_t)b * j->F + g * j->Fg) * P * s : wide;
                rm_gemm(j->f32, 'N', 'N', (int)j->Fg, n, (int)K, wg, (int)K, buf, n, 0.0,
                        dst, n);
                if (nb > 1) gather_blocks(j, j->top, wide, b, nb, g, 0);
                continue;
            }
            {
                char *tg = j->top + ((size_t)b * j->F + g * j->Fg) * P * s;
                if (nb > 1) {
                    gather_blocks(j, j->top, wide, b, nb, g, 1);
                    tg = wide;
                }
                if (j->dir == 1) {
                    /* sums_g (Fg x K) += top (Fg x nb P) col^T (nb P x K) */
                    rm_gemm(j->f32, 'N', 'T', (int)j->Fg, (int)K, n, tg, n, buf, n,
                            first ? 0.0 : 1.0, sums + (size_t)g * j->Fg * K * s, (int)K);
                    continue;
                }
                /* col (K x nb P) = W_g^T (K x Fg) top (Fg x nb P) */
                rm_gemm(j->f32, 'T', 'N', (int)K, n, (int)j->Fg, wg, (int)K, tg, n, 0.0,
                        buf, n);
                for (q = 0; q < nb; q++) {
                    if (j->f32)
                        col2im_float(j, b + q, g, (const float *)buf + q * P, n);
                    else
                        col2im_double(j, b + q, g, (const double *)buf + q * P, n);
                }
            }
        }
        first = 0;
    }
    if (j->dir == 1 && first) memset(sums, 0, (size_t)j->F * K * s);
}

/* Claim slots until none is left: slot s is the images
 * [B s / nparts, B (s + 1) / nparts) with scratch s, whatever the number of
 * threads the pool runs this with. */
static void conv_part(void *arg, int part, int parts)
{
    ConvJob *j = (ConvJob *)arg;
    int s;
    /* Left at one thread: the caller restores the count (see gemm_run). */
    if (blas_threads_local != NULL) blas_threads_local(1);
    (void)part;
    (void)parts;
    while ((s = atomic_fetch_add(&j->next, 1)) < j->nparts) {
        npy_intp b0 = j->B * s / j->nparts, b1 = j->B * (s + 1) / j->nparts;
        conv_images(j, b0, b1, j->scratch + (size_t)s * j->part_bytes);
    }
}

/* Padding of one axis from its mode and the dilated kernel length. */
static void axis_pads(const long long *p, npy_intp dil_k, npy_intp *before, npy_intp *after)
{
    if (p[0] == 1) {
        *before = *after = dil_k / 2;
    } else if (p[0] == 2) {
        *before = *after = dil_k - 1;
    } else {
        *before = (npy_intp)p[1];
        *after = (npy_intp)p[2];
    }
}

static int hint_ok(const long long *hint, const npy_intp *shape)
{
    int i;
    for (i = 0; i < 4; i++)
        if (hint[i] >= 0 && hint[i] != shape[i]) return 0;
    return 1;
}

/* Copy filters (F, Cg, kh, kw), read through strides, into a C-ordered
 * buffer, flipped spatially when asked. */
static void copy_filters(PyArrayObject *k, int flip, int f32, char *dst)
{
    npy_intp f, c, i, q, F = PyArray_DIM(k, 0), C = PyArray_DIM(k, 1);
    npy_intp kh = PyArray_DIM(k, 2), kw = PyArray_DIM(k, 3), n = 0;
    for (f = 0; f < F; f++)
        for (c = 0; c < C; c++)
            for (i = 0; i < kh; i++)
                for (q = 0; q < kw; q++, n++) {
                    npy_intp si = flip ? kh - 1 - i : i, sq = flip ? kw - 1 - q : q;
                    const char *src = PyArray_BYTES(k) + f * PyArray_STRIDE(k, 0) +
                                      c * PyArray_STRIDE(k, 1) + si * PyArray_STRIDE(k, 2) +
                                      sq * PyArray_STRIDE(k, 3);
                    if (f32)
                        ((float *)dst)[n] = *(const float *)src;
                    else
                        ((double *)dst)[n] = *(const double *)src;
                }
}

/* Shared geometry: pads, output extent; 0 when the thunk must decide. */
static int conv_geometry(Entry *e, ConvJob *j)
{
    const long long *p = e->p;
    npy_intp dk_h, dk_w, ph, pw;
    j->sh = p[CP_SH];
    j->sw = p[CP_SW];
    j->dh = p[CP_DH];
    j->dw = p[CP_DW];
    if (j->kh < 1 || j->kw < 1 || j->H < 0 || j->W < 0) return 0;
    dk_h = (j->kh - 1) * j->dh + 1;
    dk_w = (j->kw - 1) * j->dw + 1;
    axis_pads(p + CP_MODE_H, dk_h, &j->pt, &ph);
    axis_pads(p + CP_MODE_W, dk_w, &j->pl, &pw);
    if (j->H + j->pt + ph < dk_h || j->W + j->pl + pw < dk_w) return 0;
    j->oh = (j->H + j->pt + ph - dk_h) / j->sh + 1;
    j->ow = (j->W + j->pl + pw - dk_w) / j->sw + 1;
    return j->oh >= 1 && j->ow >= 1 && fits_int(j->F * j->Cg * j->kh * j->kw) &&
           fits_int(j->oh * j->ow * j->Cg * j->kh * j->kw);
}

/* Run the job over the pool (or on this thread); 0, or -1 with an error set. */
static int conv_run(ConvJob *j)
{
    npy_intp K = j->Cg * j->kh * j->kw, P = j->oh * j->ow;
    long long work = (long long)j->B * j->F * K * P;
    int parts = 1;
    if (blas_threads_local != NULL && pool.size > 1 && work >= CONV_PARALLEL_WORK &&
        j->B > 1)
        parts = pool_ready();
    /* Enough images per product for about 512 columns, within 8 MB. */
    j->batch_step = (512 + P - 1) / P;
    while (j->batch_step > 1 && (long long)K * P * j->batch_step * j->size > (8LL << 20))
        j->batch_step /= 2;
    if (j->batch_step > j->B / parts) j->batch_step = j->B / parts > 1 ? j->B / parts : 1;
    if (!fits_int(K * P * j->batch_step)) j->batch_step = 1;
    j->part_bytes = (size_t)(K + j->Fg) * P * j->batch_step * j->size +
                    (j->dir == 1 ? (size_t)j->F * K * j->size : 0);
    j->part_bytes = (j->part_bytes + 63) & ~(size_t)63;
    j->nparts = parts;
    atomic_store(&j->next, 0);
    j->scratch = (char *)malloc(j->part_bytes * parts + 64);
    if (j->scratch == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_BEGIN_ALLOW_THREADS
    {
        int prev = blas_threads_local != NULL ? blas_threads_local(1) : 0;
        if (parts > 1)
            pool_run(conv_part, j);
        else
            conv_part(j, 0, 1);
        if (blas_threads_local != NULL) blas_threads_local(prev);
    }
    Py_END_ALLOW_THREADS
    return 0;
}

static int is_float_typenum(int t) { return t == NPY_FLOAT || t == NPY_DOUBLE; }

/* AbstractConv2d(img, kern). */
static int run_conv_forward(Entry *e)
{
    int t = (int)e->p[CP_T];
    PyArrayObject *img = input_array(e, 0, t, 4), *k = input_array(e, 1, t, 4), *out;
    ConvJob j;
    npy_intp shape[4];
    if (img == NULL || k == NULL || !is_float_typenum(t)) return SLOW;
    if (!hint_ok(e->p + CP_IMSHP, PyArray_DIMS(img)) ||
        !hint_ok(e->p + CP_KSHP, PyArray_DIMS(k)))
        return SLOW;
    memset(&j, 0, sizeof(j));
    j.f32 = t == NPY_FLOAT;
    j.size = j.f32 ? 4 : 8;
    j.B = PyArray_DIM(img, 0);
    j.C = PyArray_DIM(img, 1);
    j.H = PyArray_DIM(img, 2);
    j.W = PyArray_DIM(img, 3);
    j.F = PyArray_DIM(k, 0);
    j.Cg = PyArray_DIM(k, 1);
    j.kh = PyArray_DIM(k, 2);
    j.kw = PyArray_DIM(k, 3);
    j.G = e->p[CP_GROUPS];
    if (j.F % j.G || j.C != j.Cg * j.G || !conv_geometry(e, &j)) return SLOW;
    j.Fg = j.F / j.G;
    shape[0] = j.B;
    shape[1] = j.F;
    shape[2] = j.oh;
    shape[3] = j.ow;
    out = reuse_or_new(e->out[0], 4, shape, t);
    if (out == NULL) return -1;
    if (PyArray_SIZE(out) > 0 && j.Cg == 0) memset(PyArray_DATA(out), 0, PyArray_NBYTES(out));
    if (PyArray_SIZE(out) > 0 && j.Cg > 0) {
        int i;
        j.dir = 0;
        j.img = PyArray_BYTES(img);
        for (i = 0; i < 4; i++) j.is[i] = PyArray_STRIDE(img, i);
        j.top = PyArray_BYTES(out);
        j.wts = (char *)malloc((size_t)(PyArray_SIZE(k) + 1) * j.size);
        if (j.wts == NULL) {
            Py_DECREF(out);
            PyErr_NoMemory();
            return -1;
        }
        copy_filters(k, (int)e->p[CP_FLIP], j.f32, j.wts);
        if (conv_run(&j) < 0) {
            free(j.wts);
            Py_DECREF(out);
            return -1;
        }
        free(j.scratch);
        free(j.wts);
    }
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* The spatial pair in input cell ``i`` (an int vector of 2); 0 if not one. */
static int spatial_pair(Entry *e, int i, npy_intp *a, npy_intp *b)
{
    PyArrayObject *v = input_array(e, i, -1, 1);
    if (!is_index_vector(v) || PyArray_DIM(v, 0) != 2) return 0;
    *a = (npy_intp)index_at(v, 0);
    *b = (npy_intp)index_at(v, 1);
    return 1;
}

/* A C-contiguous version of ``a`` (new reference). */
static PyArrayObject *contiguous(PyArrayObject *a)
{
    return (PyArrayObject *)PyArray_GETCONTIGUOUS(a);
}

/* AbstractConv2d_gradWeights(img, topgrad, shape). */
static int run_conv_grad_weights(Entry *e)
{
    int t = (int)e->p[CP_T], i;
    PyArrayObject *img = input_array(e, 0, t, 4), *top = input_array(e, 1, t, 4), *out;
    ConvJob j;
    npy_intp shape[4], K, n, q;
    if (img == NULL || top == NULL || !is_float_typenum(t)) return SLOW;
    if (!hint_ok(e->p + CP_IMSHP, PyArray_DIMS(img))) return SLOW;
    memset(&j, 0, sizeof(j));
    if (!spatial_pair(e, 2, &j.kh, &j.kw)) return SLOW;
    j.f32 = t == NPY_FLOAT;
    j.size = j.f32 ? 4 : 8;
    j.B = PyArray_DIM(img, 0);
    j.C = PyArray_DIM(img, 1);
    j.H = PyArray_DIM(img, 2);
    j.W = PyArray_DIM(img, 3);
    j.F = PyArray_DIM(top, 1);
    j.G = e->p[CP_GROUPS];
    if (j.C % j.G || j.F % j.G) return SLOW;
    j.Cg = j.C / j.G;
    j.Fg = j.F / j.G;
    if (!conv_geometry(e, &j)) return SLOW;
    if (PyArray_DIM(top, 0) != j.B || PyArray_DIM(top, 2) != j.oh ||
        PyArray_DIM(top, 3) != j.ow)
        return SLOW;
    shape[0] = j.F;
    shape[1] = j.Cg;
    shape[2] = j.kh;
    shape[3] = j.kw;
    if (!hint_ok(e->p + CP_KSHP, shape)) return SLOW;
    K = j.Cg * j.kh * j.kw;
    out = reuse_or_new(e->out[0], 4, shape, t);
    if (out == NULL) return -1;
    if (PyArray_SIZE(out) == 0) {
        cell_put(e->out[0], (PyObject *)out);
        return 0;
    }
    if (j.B == 0 || PyArray_SIZE(top) == 0) {
        memset(PyArray_DATA(out), 0, PyArray_NBYTES(out));
        cell_put(e->out[0], (PyObject *)out);
        return 0;
    }
    top = contiguous(top);
    if (top == NULL) {
        Py_DECREF(out);
        return -1;
    }
    j.dir = 1;
    j.img = PyArray_BYTES(img);
    for (i = 0; i < 4; i++) j.is[i] = PyArray_STRIDE(img, i);
    j.top = PyArray_BYTES(top);
    if (conv_run(&j) < 0) {
        Py_DECREF(top);
        Py_DECREF(out);
        return -1;
    }
    Py_DECREF(top);
    /* Sum the parts' (F, K) sums, then write them out, flipped if asked. */
    {
        size_t off = (size_t)(K + j.Fg) * j.oh * j.ow * j.batch_step * j.size;
        int flip = (int)e->p[CP_FLIP];
        npy_intp kk = j.kh * j.kw;
        for (n = 0; n < j.F * K; n++) {
            double s = 0.0;
            npy_intp r = n % kk, dst;
            for (q = 0; q < j.nparts; q++) {
                const char *sums = j.scratch + (size_t)q * j.part_bytes + off;
                s += j.f32 ? (double)((const float *)sums)[n] : ((const double *)sums)[n];
            }
            dst = flip ? n - r + (kk - 1 - r) : n;
            if (j.f32)
                ((float *)PyArray_DATA(out))[dst] = (float)s;
            else
                ((double *)PyArray_DATA(out))[dst] = s;
        }
    }
    free(j.scratch);
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* AbstractConv2d_gradInputs(kern, topgrad, shape). */
static int run_conv_grad_inputs(Entry *e)
{
    int t = (int)e->p[CP_T];
    PyArrayObject *k = input_array(e, 0, t, 4), *top = input_array(e, 1, t, 4), *out;
    ConvJob j;
    npy_intp shape[4];
    if (k == NULL || top == NULL || !is_float_typenum(t)) return SLOW;
    if (!hint_ok(e->p + CP_KSHP, PyArray_DIMS(k))) return SLOW;
    memset(&j, 0, sizeof(j));
    if (!spatial_pair(e, 2, &j.H, &j.W)) return SLOW;
    j.f32 = t == NPY_FLOAT;
    j.size = j.f32 ? 4 : 8;
    j.F = PyArray_DIM(k, 0);
    j.Cg = PyArray_DIM(k, 1);
    j.kh = PyArray_DIM(k, 2);
    j.kw = PyArray_DIM(k, 3);
    j.G = e->p[CP_GROUPS];
    j.B = PyArray_DIM(top, 0);
    j.C = j.Cg * j.G;
    if (j.F % j.G || PyArray_DIM(top, 1) != j.F) return SLOW;
    j.Fg = j.F / j.G;
    shape[0] = j.B;
    shape[1] = j.C;
    shape[2] = j.H;
    shape[3] = j.W;
    if (!hint_ok(e->p + CP_IMSHP, shape) || !conv_geometry(e, &j)) return SLOW;
    if (PyArray_DIM(top, 2) != j.oh || PyArray_DIM(top, 3) != j.ow) return SLOW;
    out = reuse_or_new(e->out[0], 4, shape, t);
    if (out == NULL) return -1;
    memset(PyArray_DATA(out), 0, PyArray_NBYTES(out));
    if (PyArray_SIZE(out) > 0 && PyArray_SIZE(top) > 0) {
        top = contiguous(top);
        if (top == NULL) {
            Py_DECREF(out);
            return -1;
        }
        j.dir = 2;
        j.top = PyArray_BYTES(top);
        j.gx = PyArray_BYTES(out);
        j.wts = (char *)malloc((size_t)(PyArray_SIZE(k) + 1) * j.size);
        if (j.wts == NULL) {
            Py_DECREF(top);
            Py_DECREF(out);
            PyErr_NoMemory();
            return -1;
        }
        copy_filters(k, (int)e->p[CP_FLIP], j.f32, j.wts);
        if (conv_run(&j) < 0) {
            free(j.wts);
            Py_DECREF(top);
            Py_DECREF(out);
            return -1;
        }
        free(j.scratch);
        free(j.wts);
        Py_DECREF(top);
    }
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* Pooling --------------------------------------------------------------------- */

/* Max of m and v as numpy.maximum: a NaN on either side wins.  Nested
 * selects without short-circuit tests, so that loops vectorize. */
#define NAN_MAX(m, v) ((m) != (m) ? (m) : ((v) != (v) ? (v) : ((v) > (m) ? (v) : (m))))

enum { POOL_MAX_MODE = 0, POOL_SUM = 1, POOL_AVG_INC = 2, POOL_AVG_EXC = 3 };

typedef struct {
    int f32, mode, ignore_border, kind; /* kind: 0 pool, 1 max grad, 2 avg grad */
    int full;                           /* pool_full applies */
    int tiles_2x2;                      /* and pool_2x2 too */
    int lead_nd;
    npy_intp lead[MAX_DIMS];
    npy_intp planes, H, W, oh, ow, wh, ww, sh, sw, ph, pw;
    PyArrayObject *x, *z, *gz; /* z: maxout (max grad); gz: output gradient */
    char *out;                 /* C-contiguous result */
} PoolJob;

/* Windows along one axis (Pool.out_shape); -1 when the thunk must decide. */
static npy_intp pool_out_len(npy_intp size, npy_intp ws, npy_intp st, npy_intp pad,
                             int ignore_border)
{
    npy_intp v = size + 2 * pad, out;
    if (ignore_border) return v < ws ? 0 : (v - ws) / st + 1;
    if (st >= ws) return (v - 1 + st) / st; /* (v - 1) // st + 1 with v >= 0 */
    out = v - 1 - ws + st;
    out = out >= 0 ? out / st : 0;
    return out + 1;
}

/* Byte offset of plane ``p`` (the leading axes unravelled) in ``a``. */
static npy_intp plane_offset(const PoolJob *j, PyArrayObject *a, npy_intp p)
{
    npy_intp off = 0;
    int d;
    for (d = j->lead_nd - 1; d >= 0; d--) {
        off += (p % j->lead[d]) * PyArray_STRIDE(a, d);
        p /= j->lead[d];
    }
    return off;
}

/* Cells each window of row r / column c averages over. */
static double pool_count(const PoolJob *j, npy_intp r, npy_intp c)
{
    npy_intp r0 = r * j->sh, c0 = c * j->sw, nr, nc;
    if (j->mode == POOL_AVG_INC) {
        nr = (r0 + j->wh < j->H + 2 * j->ph ? r0 + j->wh : j->H + 2 * j->ph) - r0;
        nc = (c0 + j->ww < j->W + 2 * j->pw ? c0 + j->ww : j->W + 2 * j->pw) - c0;
    } else {
        nr = (r0 + j->wh < j->H + j->ph ? r0 + j->wh : j->H + j->ph) -
             (r0 > j->ph ? r0 : j->ph);
        nc = (c0 + j->ww < j->W + j->pw ? c0 + j->ww : j->W + j->pw) -
             (c0 > j->pw ? c0 : j->pw);
    }
    return (double)nr * (double)nc;
}

#define POOL_PLANES(T)                                                                \
    static RT_HOT void pool_planes_##T(const PoolJob *j, npy_intp p0, npy_intp p1)    \
    {                                                                                 \
        npy_intp p, r, c, y, x;                                                       \
        npy_intp xs2 = PyArray_STRIDE(j->x, j->lead_nd);                              \
        npy_intp xs3 = PyArray_STRIDE(j->x, j->lead_nd + 1);                          \
        for (p = p0; p < p1; p++) {                                                   \
            const char *xp = PyArray_BYTES(j->x) + plane_offset(j, j->x, p);          \
            const char *zp = NULL, *gp = NULL;                                        \
            npy_intp zs2 = 0, zs3 = 0, gs2 = 0, gs3 = 0;                              \
            T *o = (T *)j->out + p * (j->kind == 0 ? j->oh * j->ow : j->H * j->W);    \
            if (j->kind == 1) {                                                       \
                zp = PyArray_BYTES(j->z) + plane_offset(j, j->z, p);                  \
                zs2 = PyArray_STRIDE(j->z, j->lead_nd);                               \
                zs3 = PyArray_STRIDE(j->z, j->lead_nd + 1);                           \
            }                                                                         \
            if (j->kind != 0) {                                                       \
                gp = PyArray_BYTES(j->gz) + plane_offset(j, j->gz, p);                \
                gs2 = PyArray_STRIDE(j->gz, j->lead_nd);                              \
                gs3 = PyArray_STRIDE(j->gz, j->lead_nd + 1);                          \
            }                                                                         \
            for (r = 0; r < j->oh; r++) {                                             \
                npy_intp y0 = r * j->sh - j->ph, y1 = y0 + j->wh;                     \
                if (y0 < 0) y0 = 0;                                                   \
                if (y1 > j->H) y1 = j->H;                                             \
                for (c = 0; c < j->ow; c++) {                                         \
                    npy_intp x0 = c * j->sw - j->pw, x1 = x0 + j->ww;                 \
                    if (x0 < 0) x0 = 0;                                               \
                    if (x1 > j->W) x1 = j->W;                                         \
                    if (j->kind == 0 && j->mode == POOL_MAX_MODE) {                   \
                        T m = *(const T *)(xp + y0 * xs2 + x0 * xs3);                 \
                        for (y = y0; y < y1; y++)                                     \
                            for (x = x0; x < x1; x++) {                               \
                                T v = *(const T *)(xp + y * xs2 + x * xs3);           \
                                m = NAN_MAX(m, v);                                    \
                            }                                                         \
                        o[r * j->ow + c] = m;                                         \
                    } else if (j->kind == 0) {                                        \
                        double s = 0.0;                                               \
                        for (y = y0; y < y1; y++)                                     \
                            for (x = x0; x < x1; x++)                                 \
                                s += *(const T *)(xp + y * xs2 + x * xs3);            \
                        if (j->mode != POOL_SUM) s /= pool_count(j, r, c);            \
                        o[r * j->ow + c] = (T)s;                                      \
                    } else if (j->kind == 1) {                                        \
                        T m = *(const T *)(zp + r * zs2 + c * zs3);                   \
                        T g = *(const T *)(gp + r * gs2 + c * gs3), nog = (T)0 * g;   \
                        for (y = y0; y < y1; y++)                                     \
                            for (x = x0; x < x1; x++)                                 \
                                o[y * j->W + x] +=                                    \
                                    *(const T *)(xp + y * xs2 + x * xs3) == m ? g : nog; \
                    } else {                                                          \
                        double g = *(const T *)(gp + r * gs2 + c * gs3);              \
                        if (j->mode != POOL_SUM) g /= pool_count(j, r, c);            \
                        for (y = y0; y < y1; y++)                                     \
                            for (x = x0; x < x1; x++) o[y * j->W + x] += (T)g;        \
                    }                                                                 \
                }                                                                     \
            }                                                                         \
        }                                                                             \
    }

POOL_PLANES(float)
POOL_PLANES(double)

/* The common case: unit-stride rows and every window inside the image (no
 * padding, no clipped window).  Loops run along output columns, one window
 * offset at a time, so they read rows in order. */
#define POOL_PLANES_FULL(T)                                                           \
    static RT_HOT void pool_full_##T(const PoolJob *j, npy_intp p0, npy_intp p1)      \
    {                                                                                 \
        npy_intp p, r, a, b, c, ow = j->ow, sw = j->sw;                               \
        npy_intp xs2 = PyArray_STRIDE(j->x, j->lead_nd);                              \
        double count = (double)j->wh * (double)j->ww;                                 \
        for (p = p0; p < p1; p++) {                                                   \
            const char *xp = PyArray_BYTES(j->x) + plane_offset(j, j->x, p);          \
            const char *zp = j->kind == 1 ? PyArray_BYTES(j->z) + plane_offset(j, j->z, p) \
                                          : NULL;                                     \
            const char *gp = j->kind != 0 ? PyArray_BYTES(j->gz) + plane_offset(j, j->gz, p) \
                                          : NULL;                                     \
            npy_intp zs2 = j->kind == 1 ? PyArray_STRIDE(j->z, j->lead_nd) : 0;       \
            npy_intp gs2 = j->kind != 0 ? PyArray_STRIDE(j->gz, j->lead_nd) : 0;      \
            T *o = (T *)j->out + p * (j->kind == 0 ? j->oh * ow : j->H * j->W);       \
            for (r = 0; r < j->oh; r++) {                                             \
                const char *top = xp + r * j->sh * xs2;                               \
                if (j->kind == 0) {                                                   \
                    T *restrict orow = o + r * ow;                                    \
                    const T *restrict first = (const T *)top;                         \
                    for (c = 0; c < ow; c++) orow[c] = first[c * sw];                 \
                    for (a = 0; a < j->wh; a++) {                                     \
                        const T *restrict row = (const T *)(top + a * xs2);           \
                        for (b = (a == 0); b < j->ww; b++) {                          \
                            if (j->mode == POOL_MAX_MODE)                             \
                                for (c = 0; c < ow; c++) {                            \
                                    T m = orow[c], v = row[c * sw + b];               \
                                    orow[c] = NAN_MAX(m, v);                          \
                                }                                                     \
                            else                                                      \
                                for (c = 0; c < ow; c++) orow[c] += row[c * sw + b];  \
                        }                                                             \
                    }                                                                 \
                    if (j->mode != POOL_MAX_MODE && j->mode != POOL_SUM)              \
                        for (c = 0; c < ow; c++) orow[c] = (T)((double)orow[c] / count); \
                    continue;                                                         \
                }                                                                     \
                {                                                                     \
                    const T *restrict zr = zp ? (const T *)(zp + r * zs2) : NULL;     \
                    const T *restrict gr = (const T *)(gp + r * gs2);                 \
                    for (a = 0; a < j->wh; a++) {                                     \
                        const T *restrict row = (const T *)(top + a * xs2);           \
                        T *restrict orow = o + (r * j->sh + a) * j->W;                \
                        for (b = 0; b < j->ww; b++) {                                 \
                            if (j->kind == 1)                                         \
                                for (c = 0; c < ow; c++)                              \
                                    orow[c * sw + b] += row[c * sw + b] == zr[c]      \
                                                            ? gr[c]                   \
                                                            : (T)0 * gr[c];           \
                            else if (j->mode == POOL_SUM)                             \
                                for (c = 0; c < ow; c++) orow[c * sw + b] += gr[c];   \
                            else                                                      \
                                for (c = 0; c < ow; c++)                              \
                                    orow[c * sw + b] += (T)((double)gr[c] / count);   \
                        }                                                             \
                    }                                                                 \
                }                                                                     \
            }                                                                         \
        }                                                                             \
    }

POOL_PLANES_FULL(float)
POOL_PLANES_FULL(double)

/* 2x2 windows with stride 2 (the usual pooling layer), over planes of
 * unit-stride rows: whole planes per call, in flat loops that vectorize
 * even when the rows are short. */
#define POOL_TILES_2X2(T)                                                             \
    /* Plane x (rows xs apart) to out (oh x ow, C order). */                         \
    static RT_HOT void pool_2x2_plane_##T(npy_intp oh, npy_intp ow, const char *x,    \
                                          npy_intp xs, T *restrict out)               \
    {                                                                                 \
        T tmp[512];                                                                   \
        npy_intp r, c, n = 2 * ow;                                                    \
        for (r = 0; r < oh; r++, out += ow) {                                         \
            const T *restrict a = (const T *)(x + 2 * r * xs);                        \
            const T *restrict b = (const T *)(x + (2 * r + 1) * xs);                  \
            if (n > 512) {                                                            \
                for (c = 0; c < ow; c++) {                                            \
                    T a0 = a[2 * c], a1 = a[2 * c + 1], b0 = b[2 * c], b1 = b[2 * c + 1]; \
                    T u = NAN_MAX(a0, a1), v = NAN_MAX(b0, b1);                       \
                    out[c] = NAN_MAX(u, v);                                           \
                }                                                                     \
                continue;                                                             \
            }                                                                         \
            for (c = 0; c < n; c++) {                                                 \
                T u = a[c], v = b[c];                                                 \
                tmp[c] = NAN_MAX(u, v);                                               \
            }                                                                         \
            for (c = 0; c < ow; c++) {                                                \
                T u = tmp[2 * c], v = tmp[2 * c + 1];                                 \
                out[c] = NAN_MAX(u, v);                                               \
            }                                                                         \
        }                                                                             \
    }                                                                                 \
    /* Gradient of one plane into o (H x W, C order, zeroed). */                     \
    static RT_HOT void pool_2x2_grad_plane_##T(const PoolJob *j, const char *xp,      \
                                               npy_intp xs, const char *zp,           \
                                               npy_intp zs, const char *gp,           \
                                               npy_intp gs, T *restrict o)            \
    {                                                                                 \
        npy_intp r, a, c, ow = j->ow;                                                 \
        for (r = 0; r < j->oh; r++) {                                                 \
            const T *restrict z = (const T *)(zp + r * zs);                           \
            const T *restrict g = (const T *)(gp + r * gs);                           \
            for (a = 0; a < 2; a++) {                                                 \
                const T *restrict x = (const T *)(xp + (2 * r + a) * xs);             \
                T *restrict orow = o + (2 * r + a) * j->W;                            \
                for (c = 0; c < ow; c++) {                                            \
                    T m = z[c], v = g[c], none = (T)0 * v, x0 = x[2 * c],             \
                      x1 = x[2 * c + 1];                                              \
                    orow[2 * c] = x0 == m ? v : none;                                 \
                    orow[2 * c + 1] = x1 == m ? v : none;                             \
                }                                                                     \
            }                                                                         \
        }                                                                             \
    }

POOL_TILES_2X2(float)
POOL_TILES_2X2(double)

/* pool_full's loops for 2x2 max windows with stride 2. */
static void pool_2x2(const PoolJob *j, npy_intp p0, npy_intp p1)
{
    npy_intp p, size = j->f32 ? 4 : 8;
    npy_intp xs2 = PyArray_STRIDE(j->x, j->lead_nd);
    for (p = p0; p < p1; p++) {
        const char *xp = PyArray_BYTES(j->x) + plane_offset(j, j->x, p);
        if (j->kind == 0) {
            char *o = j->out + (size_t)p * j->oh * j->ow * size;
            if (j->f32)
                pool_2x2_plane_float(j->oh, j->ow, xp, xs2, (float *)o);
            else
                pool_2x2_plane_double(j->oh, j->ow, xp, xs2, (double *)o);
        } else {
            const char *zp = PyArray_BYTES(j->z) + plane_offset(j, j->z, p);
            const char *gp = PyArray_BYTES(j->gz) + plane_offset(j, j->gz, p);
            npy_intp zs = PyArray_STRIDE(j->z, j->lead_nd);
            npy_intp gs = PyArray_STRIDE(j->gz, j->lead_nd);
            char *o = j->out + (size_t)p * j->H * j->W * size;
            if (j->f32)
                pool_2x2_grad_plane_float(j, xp, xs2, zp, zs, gp, gs, (float *)o);
            else
                pool_2x2_grad_plane_double(j, xp, xs2, zp, zs, gp, gs, (double *)o);
        }
    }
}

/* Whether pool_full applies: unit-stride rows, no padding, whole windows. */
static int pool_is_full(const PoolJob *j)
{
    npy_intp is = j->f32 ? 4 : 8;
    int d = j->lead_nd + 1;
    if (j->ph || j->pw || (j->oh - 1) * j->sh + j->wh > j->H ||
        (j->ow - 1) * j->sw + j->ww > j->W)
        return 0;
    if (PyArray_STRIDE(j->x, d) != is) return 0;
    if (j->kind == 1 && PyArray_STRIDE(j->z, d) != is) return 0;
    if (j->kind != 0 && PyArray_STRIDE(j->gz, d) != is) return 0;
    return 1;
}

static void pool_part(void *arg, int part, int parts)
{
    const PoolJob *j = (const PoolJob *)arg;
    npy_intp p0 = j->planes * part / parts, p1 = j->planes * (part + 1) / parts;
    if (j->tiles_2x2) {
        pool_2x2(j, p0, p1);
    } else if (j->full) {
        if (j->f32)
            pool_full_float(j, p0, p1);
        else
            pool_full_double(j, p0, p1);
    } else if (j->f32) {
        pool_planes_float(j, p0, p1);
    } else {
        pool_planes_double(j, p0, p1);
    }
}

/* The window vectors in cells first..first+2; 0 when the thunk must decide
 * (bad values: it raises the reference error). */
static int pool_windows(Entry *e, int first, PoolJob *j)
{
    npy_intp v[6];
    int i;
    for (i = 0; i < 3; i++)
        if (!spatial_pair(e, first + i, &v[2 * i], &v[2 * i + 1])) return 0;
    j->wh = v[0];
    j->ww = v[1];
    j->sh = v[2];
    j->sw = v[3];
    j->ph = v[4];
    j->pw = v[5];
    if (j->wh < 1 || j->ww < 1 || j->sh < 1 || j->sw < 1 || j->ph < 0 || j->pw < 0)
        return 0;
    if ((j->ph || j->pw) && !j->ignore_border) return 0;
    if (j->ph >= j->wh || j->pw >= j->ww) return 0;
    j->oh = pool_out_len(j->H, j->wh, j->sh, j->ph, j->ignore_border);
    j->ow = pool_out_len(j->W, j->ww, j->sw, j->pw, j->ignore_border);
    return 1;
}

/* Whether ``a`` has the leading axes of ``j`` and trailing (r, c). */
static int pool_shape_is(const PoolJob *j, PyArrayObject *a, npy_intp r, npy_intp c)
{
    int d;
    if (a == NULL || PyArray_NDIM(a) != j->lead_nd + 2) return 0;
    for (d = 0; d < j->lead_nd; d++)
        if (PyArray_DIM(a, d) != j->lead[d]) return 0;
    return PyArray_DIM(a, j->lead_nd) == r && PyArray_DIM(a, j->lead_nd + 1) == c;
}

/* Pool(x, ws, stride, pad), MaxPoolGrad(x, maxout, gz, ...) and
 * AveragePoolGrad(x, gz, ...) over the last two axes. */
static int run_pool(Entry *e)
{
    int t = (int)e->p[0], nd, d;
    PoolJob j;
    PyArrayObject *out;
    npy_intp shape[MAX_DIMS];
    memset(&j, 0, sizeof(j));
    j.kind = e->kind == K_POOL ? 0 : e->kind == K_MAXPOOL_GRAD ? 1 : 2;
    j.x = input_array(e, 0, t, -1);
    if (j.x == NULL || !is_float_typenum(t) || PyArray_NDIM(j.x) < 2) return SLOW;
    j.f32 = t == NPY_FLOAT;
    j.ignore_border = (int)e->p[1];
    j.mode = (int)e->p[2];
    nd = PyArray_NDIM(j.x);
    j.lead_nd = nd - 2;
    j.planes = 1;
    for (d = 0; d < j.lead_nd; d++) {
        j.lead[d] = PyArray_DIM(j.x, d);
        j.planes *= j.lead[d];
        shape[d] = j.lead[d];
    }
    j.H = PyArray_DIM(j.x, nd - 2);
    j.W = PyArray_DIM(j.x, nd - 1);
    if (!pool_windows(e, j.kind == 1 ? 3 : j.kind == 2 ? 2 : 1, &j)) return SLOW;
    if (j.kind == 1) {
        j.z = input_array(e, 1, t, nd);
        j.gz = input_array(e, 2, t, nd);
        if (!pool_shape_is(&j, j.z, j.oh, j.ow) || !pool_shape_is(&j, j.gz, j.oh, j.ow))
            return SLOW;
    } else if (j.kind == 2) {
        j.gz = input_array(e, 1, t, nd);
        if (!pool_shape_is(&j, j.gz, j.oh, j.ow)) return SLOW;
    }
    shape[nd - 2] = j.kind == 0 ? j.oh : j.H;
    shape[nd - 1] = j.kind == 0 ? j.ow : j.W;
    out = reuse_or_new(e->out[0], nd, shape, t);
    if (out == NULL) return -1;
    j.out = PyArray_BYTES(out);
    if (PyArray_SIZE(j.x) > 0 && j.oh > 0 && j.ow > 0) {
        j.full = pool_is_full(&j);
        j.tiles_2x2 = j.full && j.mode == POOL_MAX_MODE && j.kind != 2 && j.wh == 2 &&
                      j.ww == 2 && j.sh == 2 && j.sw == 2;
    }
    /* A gradient starts from zeros, unless 2x2 tiles cover every cell. */
    if ((j.kind != 0 && !(j.tiles_2x2 && j.H == 2 * j.oh && j.W == 2 * j.ow)) ||
        PyArray_SIZE(j.x) == 0)
        memset(j.out, 0, PyArray_NBYTES(out));
    if (PyArray_SIZE(j.x) > 0 && j.oh > 0 && j.ow > 0 && j.planes > 0) {
        npy_intp cells;
        cells = j.planes * j.H * j.W;
        if (cells >= RELEASE_GIL_SIZE) {
            Py_BEGIN_ALLOW_THREADS
            if (pool.size > 1 && j.planes > 1)
                pool_run(pool_part, &j);
            else
                pool_part(&j, 0, 1);
            Py_END_ALLOW_THREADS
        } else {
            pool_part(&j, 0, 1);
        }
    }
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

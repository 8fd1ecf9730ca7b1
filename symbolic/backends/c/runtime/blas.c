/* BLAS entries (Gemm, Gemv, Ger, Dot22, Dot) through scipy's cython_blas.
 *
 * BLAS is column-major; a row-major matrix with unit column stride reads as
 * its transpose there, so C-ordered and Fortran-ordered operands (and their
 * strided sub-blocks) are used without copies by choosing the transpose flags.
 */
#include "runtime.h"

typedef void (*sgemm_t)(char *, char *, int *, int *, int *, float *, float *, int *,
                        float *, int *, float *, float *, int *);
typedef void (*dgemm_t)(char *, char *, int *, int *, int *, double *, double *, int *,
                        double *, int *, double *, double *, int *);
typedef void (*sgemv_t)(char *, int *, int *, float *, float *, int *, float *, int *,
                        float *, float *, int *);
typedef void (*dgemv_t)(char *, int *, int *, double *, double *, int *, double *, int *,
                        double *, double *, int *);
typedef void (*sger_t)(int *, int *, float *, float *, int *, float *, int *, float *,
                       int *);
typedef void (*dger_t)(int *, int *, double *, double *, int *, double *, int *,
                       double *, int *);
typedef float (*sdot_t)(int *, float *, int *, float *, int *);
typedef double (*ddot_t)(int *, double *, int *, double *, int *);

static const char *blas_names[] = {"sgemm", "dgemm", "sgemv", "dgemv",
                                   "sger",  "dger",  "sdot",  "ddot"};
enum { B_SGEMM, B_DGEMM, B_SGEMV, B_DGEMV, B_SGER, B_DGER, B_SDOT, B_DDOT, N_BLAS };
static void *blas[N_BLAS];
static int blas_ready = 0;

/* OpenBLAS's openblas_set_num_threads_local, when the BLAS has one.  The
 * runtime's products then run OpenBLAS on one thread per call and split the
 * large ones over the runtime's own pool: OpenBLAS's idle workers spin for
 * a while after each call, and beside the pool's workers on a two-core
 * machine the two sets of spinning threads took each other's cores. */
typedef int (*threads_local_t)(int);
static threads_local_t blas_threads_local = NULL;

/* A 64-bit-integer (ILP64) BLAS, such as the OpenBLAS numpy bundles, is
 * reached through these adapters, which widen the int arguments. */
typedef long long i64;
static void *blas64[N_BLAS];

static void sgemm_64(char *ta, char *tb, int *m, int *n, int *k, float *al, float *a,
                     int *lda, float *b, int *ldb, float *be, float *c, int *ldc)
{
    i64 M = *m, N = *n, K = *k, LA = *lda, LB = *ldb, LC = *ldc;
    ((void (*)(char *, char *, i64 *, i64 *, i64 *, float *, float *, i64 *, float *,
               i64 *, float *, float *, i64 *))blas64[B_SGEMM])(
        ta, tb, &M, &N, &K, al, a, &LA, b, &LB, be, c, &LC);
}

static void dgemm_64(char *ta, char *tb, int *m, int *n, int *k, double *al, double *a,
                     int *lda, double *b, int *ldb, double *be, double *c, int *ldc)
{
    i64 M = *m, N = *n, K = *k, LA = *lda, LB = *ldb, LC = *ldc;
    ((void (*)(char *, char *, i64 *, i64 *, i64 *, double *, double *, i64 *, double *,
               i64 *, double *, double *, i64 *))blas64[B_DGEMM])(
        ta, tb, &M, &N, &K, al, a, &LA, b, &LB, be, c, &LC);
}

static void sgemv_64(char *t, int *m, int *n, float *al, float *a, int *lda, float *x,
                     int *ix, float *be, float *y, int *iy)
{
    i64 M = *m, N = *n, LA = *lda, IX = *ix, IY = *iy;
    ((void (*)(char *, i64 *, i64 *, float *, float *, i64 *, float *, i64 *, float *,
               float *, i64 *))blas64[B_SGEMV])(t, &M, &N, al, a, &LA, x, &IX, be, y, &IY);
}

static void dgemv_64(char *t, int *m, int *n, double *al, double *a, int *lda, double *x,
                     int *ix, double *be, double *y, int *iy)
{
    i64 M = *m, N = *n, LA = *lda, IX = *ix, IY = *iy;
    ((void (*)(char *, i64 *, i64 *, double *, double *, i64 *, double *, i64 *, double *,
               double *, i64 *))blas64[B_DGEMV])(t, &M, &N, al, a, &LA, x, &IX, be, y, &IY);
}

static void sger_64(int *m, int *n, float *al, float *x, int *ix, float *y, int *iy,
                    float *a, int *lda)
{
    i64 M = *m, N = *n, IX = *ix, IY = *iy, LA = *lda;
    ((void (*)(i64 *, i64 *, float *, float *, i64 *, float *, i64 *, float *,
               i64 *))blas64[B_SGER])(&M, &N, al, x, &IX, y, &IY, a, &LA);
}

static void dger_64(int *m, int *n, double *al, double *x, int *ix, double *y, int *iy,
                    double *a, int *lda)
{
    i64 M = *m, N = *n, IX = *ix, IY = *iy, LA = *lda;
    ((void (*)(i64 *, i64 *, double *, double *, i64 *, double *, i64 *, double *,
               i64 *))blas64[B_DGER])(&M, &N, al, x, &IX, y, &IY, a, &LA);
}

static float sdot_64(int *n, float *x, int *ix, float *y, int *iy)
{
    i64 N = *n, IX = *ix, IY = *iy;
    return ((float (*)(i64 *, float *, i64 *, float *, i64 *))blas64[B_SDOT])(&N, x, &IX,
                                                                            y, &IY);
}

static double ddot_64(int *n, double *x, int *ix, double *y, int *iy)
{
    i64 N = *n, IX = *ix, IY = *iy;
    return ((double (*)(i64 *, double *, i64 *, double *, i64 *))blas64[B_DDOT])(
        &N, x, &IX, y, &IY);
}

static void *const adapters64[N_BLAS] = {
    (void *)sgemm_64, (void *)dgemm_64, (void *)sgemv_64, (void *)dgemv_64,
    (void *)sger_64,  (void *)dger_64,  (void *)sdot_64,  (void *)ddot_64};

/* load_blas(ilp64_addresses=None): with a tuple of the eight ILP64 function
 * addresses (sgemm dgemm sgemv dgemv sger dger sdot ddot) use that BLAS;
 * otherwise fetch the pointers from scipy's exported capsules. */
static PyObject *load_blas(PyObject *self, PyObject *args)
{
    PyObject *module, *capi, *addresses = Py_None, *local = Py_None;
    void *found[N_BLAS];
    int i;
    if (!PyArg_ParseTuple(args, "|OO", &addresses, &local)) return NULL;
    if (blas_ready) Py_RETURN_TRUE;
    if (local != Py_None) {
        void *f = PyLong_AsVoidPtr(local);
        if (f == NULL && PyErr_Occurred()) return NULL;
        blas_threads_local = (threads_local_t)f;
    }
    if (addresses != Py_None) {
        if (!PyTuple_Check(addresses) || PyTuple_GET_SIZE(addresses) != N_BLAS)
            return PyErr_Format(PyExc_TypeError,
                                "load_blas expects a tuple of %d addresses", N_BLAS);
        for (i = 0; i < N_BLAS; i++) {
            found[i] = PyLong_AsVoidPtr(PyTuple_GET_ITEM(addresses, i));
            if (found[i] == NULL)
                return PyErr_Occurred()
                           ? NULL
                           : PyErr_Format(PyExc_ValueError, "null address for %s",
                                          blas_names[i]);
        }
        memcpy(blas64, found, sizeof(found));
        memcpy(blas, adapters64, sizeof(found));
        blas_ready = 1;
        Py_RETURN_TRUE;
    }
    module = PyImport_ImportModule("scipy.linalg.cython_blas");
    if (module == NULL) return NULL;
    capi = PyObject_GetAttrString(module, "__pyx_capi__");
    Py_DECREF(module);
    if (capi == NULL) return NULL;
    for (i = 0; i < N_BLAS; i++) {
        PyObject *capsule = PyDict_GetItemString(capi, blas_names[i]);
        if (capsule == NULL || !PyCapsule_CheckExact(capsule)) {
            Py_DECREF(capi);
            return PyErr_Format(PyExc_RuntimeError,
                                "scipy.linalg.cython_blas exports no %s", blas_names[i]);
        }
        found[i] = PyCapsule_GetPointer(capsule, PyCapsule_GetName(capsule));
        if (found[i] == NULL) {
            Py_DECREF(capi);
            return NULL;
        }
    }
    Py_DECREF(capi);
    memcpy(blas, found, sizeof(found));
    blas_ready = 1;
    Py_RETURN_TRUE;
}

/* Which BLAS load_blas chose: 'ilp64', 'scipy' or None. */
static PyObject *blas_source(PyObject *self, PyObject *unused)
{
    if (!blas_ready) Py_RETURN_NONE;
    return PyUnicode_FromString(blas[0] == adapters64[0] ? "ilp64" : "scipy");
}

static inline int fits_int(npy_intp v) { return v >= 0 && v <= INT_MAX; }

/* 'C' when the rows of the 2-d array ``a`` are contiguous (leading dimension
 * in *ld), 'F' when its columns are, 0 when BLAS cannot read it in place. */
static int mat_layout(PyArrayObject *a, int *ld)
{
    npy_intp r = PyArray_DIM(a, 0), c = PyArray_DIM(a, 1);
    npy_intp s0 = PyArray_STRIDE(a, 0), s1 = PyArray_STRIDE(a, 1);
    npy_intp is = PyArray_ITEMSIZE(a);
    npy_intp rr = r > 1 ? r : 1, cc = c > 1 ? c : 1;
    if ((s1 == is || c <= 1) && (r <= 1 || (s0 % is == 0 && s0 / is >= cc))) {
        npy_intp l = r <= 1 ? cc : s0 / is;
        if (!fits_int(l)) return 0;
        *ld = (int)l;
        return 'C';
    }
    if ((s0 == is || r <= 1) && (c <= 1 || (s1 % is == 0 && s1 / is >= rr))) {
        npy_intp l = c <= 1 ? rr : s1 / is;
        if (!fits_int(l)) return 0;
        *ld = (int)l;
        return 'F';
    }
    return 0;
}

/* ``a`` itself when BLAS can read it in place (layout in *lay), else a
 * C-ordered copy.  New reference. */
static PyArrayObject *blas_matrix(PyArrayObject *a, int *lay, int *ld)
{
    *lay = mat_layout(a, ld);
    if (*lay) {
        Py_INCREF(a);
        return a;
    }
    a = (PyArrayObject *)PyArray_NewCopy(a, NPY_CORDER);
    if (a != NULL) *lay = mat_layout(a, ld);
    return a;
}

/* The increment BLAS needs for vector ``v`` (new reference in *out, maybe a
 * contiguous copy). */
static PyArrayObject *blas_vector(PyArrayObject *v, int *inc)
{
    npy_intp s = PyArray_STRIDE(v, 0), is = PyArray_ITEMSIZE(v);
    if (PyArray_DIM(v, 0) <= 1) {
        *inc = 1;
    } else if (s > 0 && s % is == 0 && fits_int(s / is)) {
        *inc = (int)(s / is);
    } else {
        v = (PyArrayObject *)PyArray_NewCopy(v, NPY_CORDER);
        *inc = 1;
        return v;
    }
    Py_INCREF(v);
    return v;
}

/* z = beta * z elementwise, for a 1-d or 2-d array (beta 0 clears). */
static void scale_array(PyArrayObject *z, double beta)
{
    int two = PyArray_NDIM(z) == 2, f32 = PyArray_TYPE(z) == NPY_FLOAT;
    npy_intp r = two ? PyArray_DIM(z, 0) : 1, c = PyArray_DIM(z, two ? 1 : 0);
    npy_intp s0 = two ? PyArray_STRIDE(z, 0) : 0, s1 = PyArray_STRIDE(z, two ? 1 : 0);
    npy_intp i, j;
    for (i = 0; i < r; i++)
        for (j = 0; j < c; j++) {
            char *q = PyArray_BYTES(z) + i * s0 + j * s1;
            if (f32)
                *(float *)q = beta == 0 ? 0.0f : (float)(beta * *(float *)q);
            else
                *(double *)q = beta == 0 ? 0.0 : beta * *(double *)q;
        }
}

/* One column-major gemm call C = alpha op(A) op(B) + beta C (m x n, inner
 * k), which gemm_run may split into blocks of rows or of columns. */
typedef struct {
    int f32, size;
    char ta, tb;
    int m, n, k, lda, ldb, ldc;
    double alpha, beta;
    char *a, *b, *c;
    /* Non-NULL: C starts as beta times this matrix (C's layout, leading
     * dimension ldz), which each block copies, scaled, just before its own
     * product: one pass over C less than a copy that BLAS then scales, split
     * over the pool like the product, and the block still in cache when
     * BLAS reads it back. */
    const char *z;
    int ldz;
    int split_rows; /* pool parts split m (else n) */
} gemm_call;

/* The n columns of m elements at ``out`` (column-major, leading dimension
 * ldo) = beta times those at ``z`` (leading dimension ldz). */
static void copy_block_scaled(char *out, int ldo, const char *z, int ldz, int m, int n,
                              int f32, double beta)
{
    int i, j;
    for (j = 0; j < n; j++) {
        if (f32) {
            float *o = (float *)out + (size_t)j * ldo, b = (float)beta;
            const float *src = (const float *)z + (size_t)j * ldz;
            for (i = 0; i < m; i++) o[i] = b * src[i];
        } else {
            double *o = (double *)out + (size_t)j * ldo;
            const double *src = (const double *)z + (size_t)j * ldz;
            for (i = 0; i < m; i++) o[i] = beta * src[i];
        }
    }
}

/* Multiply-adds above which a BLAS product is split over the pool. */
#define GEMM_PARALLEL_WORK (1LL << 22)
static long long gemm_parallel_work = GEMM_PARALLEL_WORK; /* see split_thresholds() */

static void gemm_block(const gemm_call *c, int r0, int r1, int c0, int c1)
{
    int m = r1 - r0, n = c1 - c0, k = c->k, lda = c->lda, ldb = c->ldb, ldc = c->ldc;
    char ta = c->ta, tb = c->tb;
    /* Row r of op(A) starts at A + r (no transpose) or A + r * lda. */
    char *a = c->a + (size_t)c->size * (ta == 'N' ? (size_t)r0 : (size_t)r0 * lda);
    /* Column j of op(B) starts at B + j * ldb (no transpose) or B + j. */
    char *b = c->b + (size_t)c->size * (tb == 'N' ? (size_t)c0 * ldb : (size_t)c0);
    char *out = c->c + (size_t)c->size * ((size_t)c0 * ldc + r0);
    double beta = c->beta;
    if (m <= 0 || n <= 0) return;
    if (c->z != NULL) {
        const char *z = c->z + (size_t)c->size * ((size_t)c0 * c->ldz + r0);
        copy_block_scaled(out, ldc, z, c->ldz, m, n, c->f32, beta);
        beta = 1.0;
    }
    if (c->f32) {
        float al = (float)c->alpha, be = (float)beta;
        ((sgemm_t)blas[B_SGEMM])(&ta, &tb, &m, &n, &k, &al, (float *)a, &lda, (float *)b,
                                 &ldb, &be, (float *)out, &ldc);
    } else {
        double al = c->alpha, be = beta;
        ((dgemm_t)blas[B_DGEMM])(&ta, &tb, &m, &n, &k, &al, (double *)a, &lda, (double *)b,
                                 &ldb, &be, (double *)out, &ldc);
    }
}

/* A part of a product split over the pool.  Each part pins OpenBLAS to one
 * thread and leaves it so; the caller restores the count once all parts are
 * done (see gemm_run). */
static void gemm_part(void *arg, int part, int parts)
{
    const gemm_call *c = (const gemm_call *)arg;
    blas_threads_local(1);
    if (c->split_rows) {
        /* Blocks of whole 64-byte lines of C, so no line has two writers. */
        long long step = 64 / c->size, units = (c->m + step - 1) / step;
        int r0 = (int)(units * part / parts * step), r1 = (int)(units * (part + 1) / parts * step);
        gemm_block(c, r0 < c->m ? r0 : c->m, r1 < c->m ? r1 : c->m, 0, c->n);
    } else {
        gemm_block(c, 0, c->m, (int)((long long)c->n * part / parts),
                   (int)((long long)c->n * (part + 1) / parts));
    }
}

/* Run ``c``: one BLAS call on one thread, or the pool's threads each calling
 * BLAS on its block when the product is large.  Without a way to pin
 * OpenBLAS to one thread per call, BLAS runs as it is and does its own
 * threading. */
static void gemm_run(gemm_call *c)
{
    if (blas_threads_local == NULL) {
        gemm_block(c, 0, c->m, 0, c->n);
        return;
    }
    if (pool.size > 1 && (long long)c->m * c->n * c->k >= gemm_parallel_work) {
        /* Saved and restored around the whole split, not in each part: in
         * OpenBLAS builds where the "local" count is process-wide, parts
         * restoring concurrently could leave every later numpy product of
         * the process on one thread. */
        int prev = blas_threads_local(1);
        c->split_rows = c->m >= c->n;
        pool_run(gemm_part, c);
        blas_threads_local(prev);
        return;
    }
    {
        int prev = blas_threads_local(1);
        gemm_block(c, 0, c->m, 0, c->n);
        blas_threads_local(prev);
    }
}

/* Z = alpha X Y + beta Z0, where Z0 is ``from`` when given (a matrix of Z's
 * shape and layout, which Z must not overlap), else Z itself; Z must be in
 * a BLAS layout.  0, SLOW or -1. */
static int gemm_from(PyArrayObject *Z, PyArrayObject *from, PyArrayObject *X,
                     PyArrayObject *Y, double alpha, double beta)
{
    npy_intp m = PyArray_DIM(X, 0), k = PyArray_DIM(X, 1), n = PyArray_DIM(Y, 1);
    int lz, lx, ly, ldz, ldx, ldy, ldf = 0, im, in, ik, f32 = PyArray_TYPE(Z) == NPY_FLOAT;
    PyArrayObject *x, *y;
    if (!fits_int(m) || !fits_int(n) || !fits_int(k)) return SLOW;
    if (m == 0 || n == 0) return 0;
    if (k == 0) {
        if (from != NULL && PyArray_CopyInto(Z, from) < 0) return -1;
        scale_array(Z, beta);
        return 0;
    }
    lz = mat_layout(Z, &ldz);
    if (!lz) return SLOW;
    if (from != NULL && (mat_layout(from, &ldf) != lz || m <= 1 || n <= 1)) {
        /* Another layout (or a vector, whose layout is ambiguous): copy it
         * whole and let BLAS scale the copy. */
        if (PyArray_CopyInto(Z, from) < 0) return -1;
        from = NULL;
    }
    if (f32) {
        int r = blocked_from(Z, lz, ldz, from != NULL ? from : Z, from != NULL ? ldf : ldz, X, Y,
                             alpha, beta);
        if (r != SLOW) return r;
    }
    x = blas_matrix(X, &lx, &ldx);
    if (x == NULL) return -1;
    y = blas_matrix(Y, &ly, &ldy);
    if (y == NULL) {
        Py_DECREF(x);
        return -1;
    }
    im = (int)m;
    in = (int)n;
    ik = (int)k;
    {
        gemm_call c;
        c.f32 = f32;
        c.k = ik;
        c.alpha = alpha;
        c.beta = beta;
        c.c = PyArray_DATA(Z);
        c.ldc = ldz;
        c.z = from != NULL && beta != 0 ? PyArray_DATA(from) : NULL;
        c.ldz = ldf;
        c.size = f32 ? 4 : 8;
        if (lz == 'C') {
            /* Z^T = Y^T X^T in column-major terms. */
            c.ta = ly == 'C' ? 'N' : 'T';
            c.tb = lx == 'C' ? 'N' : 'T';
            c.m = in;
            c.n = im;
            c.a = PyArray_DATA(y);
            c.lda = ldy;
            c.b = PyArray_DATA(x);
            c.ldb = ldx;
        } else {
            c.ta = lx == 'F' ? 'N' : 'T';
            c.tb = ly == 'F' ? 'N' : 'T';
            c.m = im;
            c.n = in;
            c.a = PyArray_DATA(x);
            c.lda = ldx;
            c.b = PyArray_DATA(y);
            c.ldb = ldy;
        }
        gemm_run(&c);
    }
    Py_DECREF(x);
    Py_DECREF(y);
    return 0;
}

/* Z = alpha X Y + beta Z; Z must be in a BLAS layout.  0, SLOW or -1. */
static int gemm_into(PyArrayObject *Z, PyArrayObject *X, PyArrayObject *Y, double alpha,
                     double beta)
{
    return gemm_from(Z, NULL, X, Y, alpha, beta);
}

/* y = alpha A v + beta y for a matrix A (m x n); y needs a positive stride. */
static int gemv_into(PyArrayObject *yo, PyArrayObject *A, PyArrayObject *v, double alpha,
                     double beta)
{
    npy_intp m = PyArray_DIM(A, 0), n = PyArray_DIM(A, 1);
    npy_intp ys = PyArray_STRIDE(yo, 0), is = PyArray_ITEMSIZE(yo);
    int la, lda, incx, incy, M, N, f32 = PyArray_TYPE(yo) == NPY_FLOAT;
    char trans;
    PyArrayObject *a, *x;
    if (!fits_int(m) || !fits_int(n)) return SLOW;
    if (m == 0) return 0;
    if (n == 0) {
        scale_array(yo, beta);
        return 0;
    }
    if (m == 1)
        incy = 1;
    else if (ys > 0 && ys % is == 0 && fits_int(ys / is))
        incy = (int)(ys / is);
    else
        return SLOW;
    a = blas_matrix(A, &la, &lda);
    if (a == NULL) return -1;
    x = blas_vector(v, &incx);
    if (x == NULL) {
        Py_DECREF(a);
        return -1;
    }
    if (la == 'C') {
        trans = 'T';
        M = (int)n;
        N = (int)m;
    } else {
        trans = 'N';
        M = (int)m;
        N = (int)n;
    }
    if (f32) {
        float al = (float)alpha, be = (float)beta;
        ((sgemv_t)blas[B_SGEMV])(&trans, &M, &N, &al, PyArray_DATA(a), &lda,
                                 PyArray_DATA(x), &incx, &be, PyArray_DATA(yo), &incy);
    } else {
        ((dgemv_t)blas[B_DGEMV])(&trans, &M, &N, &alpha, PyArray_DATA(a), &lda,
                                 PyArray_DATA(x), &incx, &beta, PyArray_DATA(yo), &incy);
    }
    Py_DECREF(a);
    Py_DECREF(x);
    return 0;
}

/* Packed products (gemm_packed.c) for entries whose right operand a loop
 * keeps fixed: the linker marks them (last parameter 1) in a scan's inner
 * program.  The packed copy is made on the first step of each loop and
 * reused by the later steps; ``new_loop`` starts a new epoch. */
static long long pack_epoch = 0;
static long long packed_products = 0; /* products done packed (tests read it) */

typedef struct {
    long long epoch; /* pack_epoch when bp was made */
    const char *data; /* the operand it was made from, and its geometry */
    npy_intp k, n, sk, sn;
    float *bp, *ap;
    size_t bcap, acap; /* capacities, in floats */
} PackState;

static void pack_state_free(void *p)
{
    PackState *st = (PackState *)p;
    if (st == NULL) return;
    free(st->bp);
    free(st->ap);
    free(st);
}

/* Rows above which a product goes to BLAS even with a packed operand. */
#define PACK_MAX_ROWS 512
/* Multiply-adds above which a packed product is split over the pool. */
#define PACK_PARALLEL_WORK (1LL << 20)

static int wants_packing(Entry *e, int t, PyArrayObject *x)
{
    return e->np > 2 && e->p[2] && t == NPY_FLOAT && pk_native().isa != PK_NONE &&
           PyArray_DIM(x, 0) <= PACK_MAX_ROWS;
}

/* out = alpha x y + beta z with y packed once per loop.  ``out`` is
 * C-ordered; z (beta != 0) has unit column stride and may be ``out``.
 * 0, SLOW (layouts it does not take) or -1. */
static int packed_into(Entry *e, PyArrayObject *out, PyArrayObject *x, PyArrayObject *y,
                       PyArrayObject *z, double alpha, double beta)
{
    pk_shape s = pk_native();
    PackState *st = (PackState *)e->state;
    npy_intp m = PyArray_DIM(x, 0), k = PyArray_DIM(x, 1), n = PyArray_DIM(y, 1);
    npy_intp ys0 = PyArray_STRIDE(y, 0), ys1 = PyArray_STRIDE(y, 1);
    npy_intp xs0 = PyArray_STRIDE(x, 0), xs1 = PyArray_STRIDE(x, 1);
    pk_job jb;
    int parts;
    if (m == 0 || n == 0 || k == 0) return SLOW;
    if (ys0 % 4 || ys1 % 4 || xs0 % 4 || xs1 % 4) return SLOW;
    if (PyArray_STRIDE(out, 1) != 4 || PyArray_STRIDE(out, 0) % 4) return SLOW;
    if (beta != 0 && (PyArray_STRIDE(z, 1) != 4 || PyArray_STRIDE(z, 0) % 4)) return SLOW;
    if (st == NULL) {
        st = e->state = calloc(1, sizeof(PackState));
        if (st == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    if (st->epoch != pack_epoch || st->bp == NULL || st->data != PyArray_BYTES(y) ||
        st->k != k || st->n != n || st->sk != ys0 || st->sn != ys1) {
        if (pack_reserve(&st->bp, &st->bcap, pk_b_size(s, k, n)) < 0) {
            PyErr_NoMemory();
            return -1;
        }
        pk_pack_b(s, (const float *)PyArray_DATA(y), ys0 / 4, ys1 / 4, k, n, st->bp);
        st->epoch = pack_epoch;
        st->data = PyArray_BYTES(y);
        st->k = k;
        st->n = n;
        st->sk = ys0;
        st->sn = ys1;
    }
    memset(&jb, 0, sizeof(jb));
    if (xs1 == 4) {
        /* Rows with unit k-stride are read in place: packing the few rows
         * of h cost as much as a third of the product. */
        jb.a = (const float *)PyArray_DATA(x);
        jb.lda = xs0 / 4;
    } else {
        size_t need = (size_t)((m + s.mr - 1) / s.mr * s.mr) * k;
        if (pack_reserve(&st->ap, &st->acap, need) < 0) {
            PyErr_NoMemory();
            return -1;
        }
        pk_pack_a(s, (const float *)PyArray_DATA(x), xs0 / 4, xs1 / 4, m, k, st->ap);
        jb.ap = st->ap;
    }
    jb.m = m;
    jb.n = n;
    jb.k = k;
    jb.alpha = (float)alpha;
    jb.beta = (float)beta;
    jb.bp = st->bp;
    jb.c0 = beta != 0 ? (const float *)PyArray_DATA(z) : NULL;
    jb.c0s = beta != 0 ? PyArray_STRIDE(z, 0) / 4 : 0;
    jb.c = (float *)PyArray_DATA(out);
    jb.ldc = PyArray_STRIDE(out, 0) / 4;
    jb.shape = s;
    parts = (long long)m * n * k >= PACK_PARALLEL_WORK && pool.size > 1 ? pool_ready() : 1;
    pk_ranges(&jb, parts);
    if (parts > 1)
        pool_run(pk_task, &jb);
    else
        pk_task(&jb, 0, 1);
    packed_products++;
    return 0;
}

static int is_float_type(long long t) { return t == NPY_FLOAT || t == NPY_DOUBLE; }

/* The output of a destructive BLAS op: the destroyed input itself when that
 * is allowed and BLAS can write it, else a copy of it in the output cell. */
static PyArrayObject *blas_target(Entry *e, PyArrayObject *z, int inplace, int copy)
{
    PyArrayObject *out;
    int ld;
    if (inplace && PyArray_ISWRITEABLE(z) &&
        (PyArray_NDIM(z) == 1 ? PyArray_STRIDE(z, 0) > 0 || PyArray_DIM(z, 0) <= 1
                              : mat_layout(z, &ld) != 0)) {
        Py_INCREF(z);
        return z;
    }
    out = reuse_or_new(e->out[0], PyArray_NDIM(z), PyArray_DIMS(z), PyArray_TYPE(z));
    if (out != NULL && copy && PyArray_CopyInto(out, z) < 0) {
        Py_DECREF(out);
        return NULL;
    }
    return out;
}

static int finish_blas(Entry *e, PyArrayObject *out, int r)
{
    if (r != 0) {
        Py_DECREF(out);
        return r;
    }
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* Gemm(z, a, x, y, b) = b z + a x y.  Params: dtype, inplace. */
static int run_gemm(Entry *e)
{
    int t = (int)e->p[0];
    PyArrayObject *z = input_array(e, 0, t, 2), *x = input_array(e, 2, t, 2);
    PyArrayObject *y = input_array(e, 3, t, 2), *out;
    double a, b;
    if (!blas_ready || !is_float_type(t) || !z || !x || !y) return SLOW;
    if (!scalar_double(cell_get(e->in[1]), &a) || !scalar_double(cell_get(e->in[4]), &b))
        return SLOW;
    if (PyArray_DIM(x, 1) != PyArray_DIM(y, 0) || PyArray_DIM(z, 0) != PyArray_DIM(x, 0) ||
        PyArray_DIM(z, 1) != PyArray_DIM(y, 1))
        return SLOW;
    if (wants_packing(e, t, x)) {
        int r;
        out = blas_target(e, z, (int)e->p[1], 0);
        if (out == NULL) return -1;
        r = PyArray_STRIDE(out, 1) == 4 ? packed_into(e, out, x, y, z, a, b) : SLOW;
        if (r != SLOW) return finish_blas(e, out, r);
        return finish_blas(e, out, gemm_from(out, out != z ? z : NULL, x, y, a, b));
    }
    out = blas_target(e, z, (int)e->p[1], 0);
    if (out == NULL) return -1;
    return finish_blas(e, out, gemm_from(out, out != z ? z : NULL, x, y, a, b));
}

/* Gemv(y, a, A, x, b) = b y + a A x.  Params: dtype, inplace. */
static int run_gemv(Entry *e)
{
    int t = (int)e->p[0];
    PyArrayObject *y = input_array(e, 0, t, 1), *A = input_array(e, 2, t, 2);
    PyArrayObject *x = input_array(e, 3, t, 1), *out;
    double a, b;
    if (!blas_ready || !is_float_type(t) || !y || !A || !x) return SLOW;
    if (!scalar_double(cell_get(e->in[1]), &a) || !scalar_double(cell_get(e->in[4]), &b))
        return SLOW;
    if (PyArray_DIM(A, 1) != PyArray_DIM(x, 0) || PyArray_DIM(A, 0) != PyArray_DIM(y, 0))
        return SLOW;
    out = blas_target(e, y, (int)e->p[1], b != 0);
    if (out == NULL) return -1;
    return finish_blas(e, out, gemv_into(out, A, x, a, b));
}

/* Ger(A, a, x, y) = A + a outer(x, y).  Params: dtype, destructive. */
static int run_ger(Entry *e)
{
    int t = (int)e->p[0], lay, ld, incx, incy, M, N, r = 0;
    PyArrayObject *A = input_array(e, 0, t, 2), *x = input_array(e, 2, t, 1);
    PyArrayObject *y = input_array(e, 3, t, 1), *out, *xv, *yv;
    npy_intp m, n;
    double a;
    if (!blas_ready || !is_float_type(t) || !A || !x || !y) return SLOW;
    if (!scalar_double(cell_get(e->in[1]), &a)) return SLOW;
    m = PyArray_DIM(A, 0);
    n = PyArray_DIM(A, 1);
    if (PyArray_DIM(x, 0) != m || PyArray_DIM(y, 0) != n || !fits_int(m) || !fits_int(n))
        return SLOW;
    out = blas_target(e, A, (int)e->p[1], 1);
    if (out == NULL) return -1;
    if (m == 0 || n == 0) return finish_blas(e, out, 0);
    lay = mat_layout(out, &ld);
    xv = blas_vector(x, &incx);
    yv = blas_vector(y, &incy);
    if (xv == NULL || yv == NULL) {
        Py_XDECREF(xv);
        Py_XDECREF(yv);
        Py_DECREF(out);
        return -1;
    }
    if (lay == 'C') {
        M = (int)n;
        N = (int)m;
        if (t == NPY_FLOAT) {
            float al = (float)a;
            ((sger_t)blas[B_SGER])(&M, &N, &al, PyArray_DATA(yv), &incy, PyArray_DATA(xv),
                                   &incx, PyArray_DATA(out), &ld);
        } else {
            ((dger_t)blas[B_DGER])(&M, &N, &a, PyArray_DATA(yv), &incy, PyArray_DATA(xv),
                                   &incx, PyArray_DATA(out), &ld);
        }
    } else if (lay == 'F') {
        M = (int)m;
        N = (int)n;
        if (t == NPY_FLOAT) {
            float al = (float)a;
            ((sger_t)blas[B_SGER])(&M, &N, &al, PyArray_DATA(xv), &incx, PyArray_DATA(yv),
                                   &incy, PyArray_DATA(out), &ld);
        } else {
            ((dger_t)blas[B_DGER])(&M, &N, &a, PyArray_DATA(xv), &incx, PyArray_DATA(yv),
                                   &incy, PyArray_DATA(out), &ld);
        }
    } else {
        r = SLOW;
    }
    Py_DECREF(xv);
    Py_DECREF(yv);
    return finish_blas(e, out, r);
}

/* Dot22(x, y), Dot22Scalar(x, y, a) and Dot(x, y) on vectors and matrices.
 * Params: dtype, the input holding the scale (-1: none; matrices only). */
static int run_dot(Entry *e)
{
    int t = (int)e->p[0];
    PyArrayObject *x = input_array(e, 0, t, -1), *y = input_array(e, 1, t, -1), *out;
    npy_intp shape[2];
    int nx, ny, r, scale_input = e->np > 1 ? (int)e->p[1] : -1;
    double alpha = 1.0;
    if (!blas_ready || !is_float_type(t) || !x || !y) return SLOW;
    if (scale_input >= 0 && !scalar_double(cell_get(e->in[scale_input]), &alpha))
        return SLOW;
    nx = PyArray_NDIM(x);
    ny = PyArray_NDIM(y);
    if (nx < 1 || nx > 2 || ny < 1 || ny > 2) return SLOW;
    if (PyArray_DIM(x, nx - 1) != PyArray_DIM(y, 0)) return SLOW;
    if (nx == 2) shape[0] = PyArray_DIM(x, 0);
    if (ny == 2) shape[nx - 1] = PyArray_DIM(y, 1);
    out = reuse_or_new(e->out[0], nx + ny - 2, shape, t);
    if (out == NULL) return -1;
    if (nx == 2 && ny == 2) {
        r = wants_packing(e, t, x) ? packed_into(e, out, x, y, NULL, alpha, 0.0) : SLOW;
        if (r == SLOW) r = gemm_into(out, x, y, alpha, 0.0);
    } else if (scale_input >= 0) {
        r = SLOW;
    } else if (nx == 2) {
        r = gemv_into(out, x, y, 1.0, 0.0);
    } else if (ny == 2) {
        PyArrayObject *yt = (PyArrayObject *)PyArray_Transpose(y, NULL);
        if (yt == NULL) {
            Py_DECREF(out);
            return -1;
        }
        r = gemv_into(out, yt, x, 1.0, 0.0);
        Py_DECREF(yt);
    } else {
        npy_intp n = PyArray_DIM(x, 0);
        PyArrayObject *xv, *yv;
        int ix, iy, nn = (int)n;
        if (!fits_int(n)) {
            Py_DECREF(out);
            return SLOW;
        }
        xv = blas_vector(x, &ix);
        yv = blas_vector(y, &iy);
        if (xv == NULL || yv == NULL) {
            Py_XDECREF(xv);
            Py_XDECREF(yv);
            Py_DECREF(out);
            return -1;
        }
        if (t == NPY_FLOAT)
            *(float *)PyArray_DATA(out) =
                n ? ((sdot_t)blas[B_SDOT])(&nn, PyArray_DATA(xv), &ix, PyArray_DATA(yv), &iy)
                  : 0.0f;
        else
            *(double *)PyArray_DATA(out) =
                n ? ((ddot_t)blas[B_DDOT])(&nn, PyArray_DATA(xv), &ix, PyArray_DATA(yv), &iy)
                  : 0.0;
        Py_DECREF(xv);
        Py_DECREF(yv);
        r = 0;
    }
    return finish_blas(e, out, r);
}

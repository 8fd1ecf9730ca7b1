/* REDUCE entries: Sum, Prod, Max and Min over any set of axes.
 *
 * Parameters: op (0 sum, 1 prod, 2 max, 3 min), input dtype, output dtype,
 * input ndim, bit mask of the reduced axes.  The input is walked in its own
 * C order and each element is folded into a float64 accumulator of the
 * output's shape, so reductions along leading axes stay vectorizable and a
 * float32 sum accumulates in float64 as numpy's does with acc_dtype.
 * Boolean and integer inputs with an integer output accumulate in 64-bit
 * integers, wrapping as numpy's integer sums and products do.
 */
#include "runtime.h"

enum { R_SUM, R_PROD, R_MAX, R_MIN };

#define FOLD_LOOP(T, STEP)                                                           \
    for (j = 0; j < len; j++) {                                                      \
        double v = *(const T *)(src + j * xs);                                       \
        double *a = acc + j * as;                                                    \
        STEP;                                                                        \
    }

#define FOLD_ALL(T)                                                                  \
    switch (op) {                                                                    \
    case R_SUM: FOLD_LOOP(T, *a += v) break;                                         \
    case R_PROD: FOLD_LOOP(T, *a *= v) break;                                        \
    case R_MAX: FOLD_LOOP(T, if (v > *a || v != v) *a = v) break;                    \
    default: FOLD_LOOP(T, if (v < *a || v != v) *a = v) break;                       \
    }

/* Sum of a contiguous row into one value, with eight independent partial
 * sums so the loop vectorizes (the order differs from a sequential sum only
 * by float64 rounding). */
#define SUM_ROW(T)                                                                   \
    static RT_HOT double sum_row_##T(const T *restrict x, npy_intp len)              \
    {                                                                                \
        double s[8] = {0, 0, 0, 0, 0, 0, 0, 0}, total = 0;                           \
        npy_intp j = 0, k;                                                           \
        for (; j + 8 <= len; j += 8)                                                 \
            for (k = 0; k < 8; k++) s[k] += (double)x[j + k];                        \
        for (; j < len; j++) total += (double)x[j];                                  \
        for (k = 0; k < 8; k++) total += s[k];                                       \
        return total;                                                                \
    }                                                                                \
    /* acc[j] += x[j] over a contiguous row of a kept axis. */                       \
    static RT_HOT void add_row_##T(double *restrict acc, const T *restrict x,        \
                                   npy_intp len)                                   \
    {                                                                                \
        npy_intp j;                                                                  \
        for (j = 0; j < len; j++) acc[j] += (double)x[j];                            \
    }

SUM_ROW(float)
SUM_ROW(double)

/* Columns summed together (eight 512-bit or sixteen 256-bit float64
 * registers) and rows added to them before they go back to memory. */
#define COL_BLOCK 64
#define ROW_BLOCK 32

/* acc[j] += sum over rows of x[r][j], rows ``stride`` bytes apart with
 * contiguous columns (a Sum over the leading axes of a C-contiguous array).
 * A block of column sums stays in registers while it adds up to ROW_BLOCK
 * rows, instead of a load and a store of the accumulator per input row
 * (whole-height blocks would walk a tall matrix a page per row); each
 * column still adds its rows in order, in float64. */
#define COL_SUMS(T)                                                                  \
    static RT_HOT void col_sums_##T(double *restrict acc, const char *x, npy_intp rows, \
                                    npy_intp cols, npy_intp stride)                  \
    {                                                                                \
        npy_intp r0, r1, c, r, k;                                                    \
        for (r0 = 0; r0 < rows; r0 = r1) {                                           \
            r1 = r0 + ROW_BLOCK < rows ? r0 + ROW_BLOCK : rows;                      \
            for (c = 0; c + COL_BLOCK <= cols; c += COL_BLOCK) {                     \
                double s[COL_BLOCK];                                                 \
                for (k = 0; k < COL_BLOCK; k++) s[k] = acc[c + k];                   \
                for (r = r0; r < r1; r++) {                                          \
                    const T *restrict row = (const T *)(x + r * stride) + c;         \
                    for (k = 0; k < COL_BLOCK; k++) s[k] += (double)row[k];          \
                }                                                                    \
                for (k = 0; k < COL_BLOCK; k++) acc[c + k] = s[k];                   \
            }                                                                        \
            if (c < cols)                                                            \
                for (r = r0; r < r1; r++)                                            \
                    add_row_##T(acc + c, (const T *)(x + r * stride) + c, cols - c); \
        }                                                                            \
    }

COL_SUMS(float)
COL_SUMS(double)

/* Column sums of ``outer`` (rows, inner) blocks, split over the pool by
 * whole COL_BLOCKs of columns: each column still adds its rows in order, so
 * the split changes no bit. */
typedef struct {
    int f32;
    double *acc;
    const char *x;
    npy_intp outer, rows, inner;
} ColSumJob;

static void col_sums_part(void *arg, int part, int parts)
{
    const ColSumJob *job = (const ColSumJob *)arg;
    npy_intp units = (job->inner + COL_BLOCK - 1) / COL_BLOCK, o;
    npy_intp c0 = units * part / parts * COL_BLOCK, c1 = units * (part + 1) / parts * COL_BLOCK;
    npy_intp isz = job->f32 ? 4 : 8, stride = job->inner * isz;
    if (c1 > job->inner) c1 = job->inner;
    if (c0 >= c1) return;
    for (o = 0; o < job->outer; o++) {
        const char *block = job->x + o * job->rows * stride + c0 * isz;
        double *acc = job->acc + o * job->inner + c0;
        if (job->f32)
            col_sums_float(acc, block, job->rows, c1 - c0, stride);
        else
            col_sums_double(acc, block, job->rows, c1 - c0, stride);
    }
}

static void col_sums_run(ColSumJob *job)
{
    long long work = (long long)job->outer * job->rows * job->inner * 2;
    int split = pool.size > 1 && job->inner >= 2 * COL_BLOCK && work >= pool_work_hot &&
                (work >= pool_work_cold || pool_hot());
    if (split) {
        pooled_calls++;
        pool_run(col_sums_part, job);
    } else {
        col_sums_part(job, 0, 1);
    }
}

/* Fold one innermost row of the input into the accumulator. */
static void fold_row(int op, int f32, const char *src, npy_intp xs, double *acc,
                     npy_intp as, npy_intp len)
{
    npy_intp j;
    if (op == R_SUM && xs == (f32 ? 4 : 8)) {
        if (as == 0) {
            *acc += f32 ? sum_row_float((const float *)src, len)
                        : sum_row_double((const double *)src, len);
            return;
        }
        if (as == 1) {
            if (f32)
                add_row_float(acc, (const float *)src, len);
            else
                add_row_double(acc, (const double *)src, len);
            return;
        }
    }
    if (f32) {
        FOLD_ALL(float)
    } else {
        FOLD_ALL(double)
    }
}

/* Integer folds: sums and products wrap (unsigned arithmetic, as numpy's
 * int64 accumulation); max and min compare as int64, so no uint64 input. */
#define IFOLD_LOOP(T, STEP)                                                          \
    for (j = 0; j < len; j++) {                                                      \
        const long long v = (long long)*(const T *)(src + j * xs);                   \
        long long *a = acc + j * as;                                                 \
        STEP;                                                                        \
    }

#define IFOLD_ALL(T)                                                                 \
    switch (op) {                                                                    \
    case R_SUM:                                                                      \
        IFOLD_LOOP(T, *a = (long long)((unsigned long long)*a + (unsigned long long)v)) \
        break;                                                                       \
    case R_PROD:                                                                     \
        IFOLD_LOOP(T, *a = (long long)((unsigned long long)*a * (unsigned long long)v)) \
        break;                                                                       \
    case R_MAX: IFOLD_LOOP(T, if (v > *a) *a = v) break;                             \
    default: IFOLD_LOOP(T, if (v < *a) *a = v) break;                                \
    }

static int fold_row_int(int op, int t, const char *src, npy_intp xs, long long *acc,
                        npy_intp as, npy_intp len)
{
    npy_intp j;
    switch (t) {
    case NPY_BOOL: IFOLD_ALL(npy_bool) break;
    case NPY_BYTE: IFOLD_ALL(npy_byte) break;
    case NPY_UBYTE: IFOLD_ALL(npy_ubyte) break;
    case NPY_SHORT: IFOLD_ALL(npy_short) break;
    case NPY_USHORT: IFOLD_ALL(npy_ushort) break;
    case NPY_INT: IFOLD_ALL(npy_int) break;
    case NPY_UINT: IFOLD_ALL(npy_uint) break;
    case NPY_LONG: IFOLD_ALL(npy_long) break;
    case NPY_ULONG: IFOLD_ALL(npy_ulong) break;
    case NPY_LONGLONG: IFOLD_ALL(npy_longlong) break;
    case NPY_ULONGLONG: IFOLD_ALL(npy_ulonglong) break;
    default: return SLOW;
    }
    return 0;
}

#define ISTORE(T)                                                                    \
    for (k = 0; k < n; k++) ((T *)dst)[k] = (T)acc[k];                               \
    break;

/* The int64 accumulators cast to the output's type (wrapping, as astype). */
static int store_int(int t, void *dst, const long long *acc, npy_intp n)
{
    npy_intp k;
    switch (t) {
    case NPY_BOOL:
        for (k = 0; k < n; k++) ((npy_bool *)dst)[k] = acc[k] != 0;
        break;
    case NPY_BYTE: ISTORE(npy_byte)
    case NPY_UBYTE: ISTORE(npy_ubyte)
    case NPY_SHORT: ISTORE(npy_short)
    case NPY_USHORT: ISTORE(npy_ushort)
    case NPY_INT: ISTORE(npy_int)
    case NPY_UINT: ISTORE(npy_uint)
    case NPY_LONG: ISTORE(npy_long)
    case NPY_ULONG: ISTORE(npy_ulong)
    case NPY_LONGLONG: ISTORE(npy_longlong)
    case NPY_ULONGLONG: ISTORE(npy_ulonglong)
    default: return SLOW;
    }
    return 0;
}

/* The int64 accumulators cast to a float output type, read as uint64 when
 * perform accumulates unsigned input in uint64 (the same bits, wrapped). */
static int store_float(int t, void *dst, const long long *acc, npy_intp n, int unsigned_acc)
{
    npy_intp k;
    if (t == NPY_FLOAT) {
        float *o = (float *)dst;
        for (k = 0; k < n; k++)
            o[k] = unsigned_acc ? (float)(unsigned long long)acc[k] : (float)acc[k];
    } else if (t == NPY_DOUBLE) {
        double *o = (double *)dst;
        for (k = 0; k < n; k++)
            o[k] = unsigned_acc ? (double)(unsigned long long)acc[k] : (double)acc[k];
    } else {
        return SLOW;
    }
    return 0;
}

static int is_int_type(int t)
{
    return t == NPY_BOOL || PyTypeNum_ISINTEGER(t);
}

/* The reduction of an integer or boolean array ``x`` into ``out`` (shape and
 * accumulator strides computed by run_reduce), walking x row by row. */
static int reduce_int(int op, int in_t, int out_t, PyArrayObject *x, PyArrayObject *out,
                      const npy_intp *ostride, npy_intp osize, npy_intp total)
{
    const int nd = PyArray_NDIM(x);
    npy_intp counter[MAX_DIMS], k, d;
    long long init = op == R_SUM ? 0 : op == R_PROD ? 1 : op == R_MAX ? LLONG_MIN : LLONG_MAX;
    long long *acc = (long long *)PyMem_Malloc((osize ? osize : 1) * sizeof(long long));
    int r = 0;
    if (acc == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (k = 0; k < osize; k++) acc[k] = init;
    if (total > 0 && nd == 0) {
        r = fold_row_int(op, in_t, PyArray_BYTES(x), 0, acc, 0, 1);
    } else if (total > 0) {
        npy_intp len = PyArray_DIM(x, nd - 1), xs = PyArray_STRIDE(x, nd - 1);
        npy_intp as = ostride[nd - 1], rows = total / len;
        memset(counter, 0, sizeof(npy_intp) * nd);
        for (k = 0; k < rows && r == 0; k++) {
            const char *src = PyArray_BYTES(x);
            npy_intp ao = 0;
            for (d = 0; d < nd - 1; d++) {
                src += counter[d] * PyArray_STRIDE(x, d);
                ao += counter[d] * ostride[d];
            }
            r = fold_row_int(op, in_t, src, xs, acc + ao, as, len);
            for (d = nd - 2; d >= 0; d--) {
                if (++counter[d] < PyArray_DIM(x, d)) break;
                counter[d] = 0;
            }
        }
    }
    if (r == 0 && is_int_type(out_t))
        r = store_int(out_t, PyArray_DATA(out), acc, osize);
    else if (r == 0)
        r = store_float(out_t, PyArray_DATA(out), acc, osize, PyTypeNum_ISUNSIGNED(in_t));
    PyMem_Free(acc);
    return r;
}

static int run_reduce(Entry *e)
{
    const long long *p = e->p;
    const int op = (int)p[0], in_t = (int)p[1], out_t = (int)p[2], nd = (int)p[3];
    const long long mask = p[4];
    PyArrayObject *x = input_array(e, 0, in_t, nd), *out;
    npy_intp oshape[MAX_DIMS], ostride[MAX_DIMS], counter[MAX_DIMS];
    npy_intp osize = 1, total = 1, step, d, k;
    int ond = 0;
    double *acc, init;
    int ints;
    if (x == NULL) return SLOW;
    /* Integer and boolean input accumulates in int64, whatever the output. */
    ints = is_int_type(in_t);
    if (!ints && (in_t != NPY_FLOAT && in_t != NPY_DOUBLE)) return SLOW;
    if (!is_int_type(out_t) && out_t != NPY_FLOAT && out_t != NPY_DOUBLE) return SLOW;
    if (!ints && is_int_type(out_t)) return SLOW;
    if (ints && op >= R_MAX && PyTypeNum_ISUNSIGNED(in_t) && PyArray_ITEMSIZE(x) == 8)
        return SLOW;
    for (d = 0; d < nd; d++) {
        npy_intp len = PyArray_DIM(x, d);
        total *= len;
        if ((mask >> d) & 1) {
            if (len == 0 && op >= R_MAX) return SLOW; /* the thunk raises */
        } else {
            oshape[ond++] = len;
            osize *= len;
        }
    }
    /* Accumulator strides, per input axis (0 on reduced axes). */
    step = 1;
    for (d = nd - 1; d >= 0; d--) {
        if ((mask >> d) & 1) {
            ostride[d] = 0;
        } else {
            ostride[d] = step;
            step *= PyArray_DIM(x, d);
        }
    }
    out = reuse_or_new(e->out[0], ond, oshape, out_t);
    if (out == NULL) return -1;
    if (ints) {
        int r = reduce_int(op, in_t, out_t, x, out, ostride, osize, total);
        if (r != 0) {
            Py_DECREF(out);
            return r;
        }
        cell_put(e->out[0], (PyObject *)out);
        return 0;
    }
    acc = (double *)PyMem_Malloc((osize ? osize : 1) * sizeof(double));
    if (acc == NULL) {
        Py_DECREF(out);
        PyErr_NoMemory();
        return -1;
    }
    init = op == R_SUM ? 0.0 : op == R_PROD ? 1.0 : op == R_MAX ? -INFINITY : INFINITY;
    for (k = 0; k < osize; k++) acc[k] = init;
    if (total > 0) {
        int f32 = in_t == NPY_FLOAT;
        int a = 0, b;
        while (a < nd && !((mask >> a) & 1)) a++;
        b = a;
        while (b < nd && ((mask >> b) & 1)) b++;
        if (op == R_SUM && b < nd && a < b &&
            (mask & ((1LL << nd) - 1)) == ((1LL << b) - (1LL << a)) &&
            PyArray_IS_C_CONTIGUOUS(x)) {
            /* One run of reduced axes [a, b) before kept inner axes: for each
             * index of the axes before a, the column sums of a (rows, inner)
             * matrix (a == 0 is a Sum over the leading axes; an LSTM's bias
             * gradient sums the batch axis of a (steps, batch, 4h) array). */
            ColSumJob job = {f32, acc, PyArray_BYTES(x), 1, 1, 1};
            for (d = 0; d < a; d++) job.outer *= PyArray_DIM(x, d);
            for (d = a; d < b; d++) job.rows *= PyArray_DIM(x, d);
            for (d = b; d < nd; d++) job.inner *= PyArray_DIM(x, d);
            col_sums_run(&job);
        } else if (nd == 0) {
            fold_row(op, f32, PyArray_BYTES(x), 0, acc, 0, 1);
        } else {
            npy_intp len = PyArray_DIM(x, nd - 1), xs = PyArray_STRIDE(x, nd - 1);
            npy_intp as = ostride[nd - 1], rows = total / len;
            memset(counter, 0, sizeof(npy_intp) * nd);
            for (k = 0; k < rows; k++) {
                const char *src = PyArray_BYTES(x);
                npy_intp ao = 0;
                for (d = 0; d < nd - 1; d++) {
                    src += counter[d] * PyArray_STRIDE(x, d);
                    ao += counter[d] * ostride[d];
                }
                fold_row(op, f32, src, xs, acc + ao, as, len);
                for (d = nd - 2; d >= 0; d--) {
                    if (++counter[d] < PyArray_DIM(x, d)) break;
                    counter[d] = 0;
                }
            }
        }
    }
    if (out_t == NPY_FLOAT) {
        float *o = (float *)PyArray_DATA(out);
        for (k = 0; k < osize; k++) o[k] = (float)acc[k];
    } else {
        memcpy(PyArray_DATA(out), acc, osize * sizeof(double));
    }
    PyMem_Free(acc);
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

typedef double (*sum_kernel)(long long n, char **args);

/* Elements per chunk of a fused sum: at least SUM_CHUNK, and at most
 * SUM_CHUNKS chunks.  The chunking depends on the size only, and the chunk
 * sums add up in chunk order, so the result is the same on any number of
 * threads. */
#define SUM_CHUNK 8192
#define SUM_CHUNKS 256

typedef struct {
    sum_kernel fn;
    int nin;
    char *args[MAX_ARGS];
    int itemsize[MAX_ARGS];
    long long size, chunk, chunks;
    double partial[SUM_CHUNKS];
} SumJob;

static void sum_part(void *arg, int part, int parts)
{
    SumJob *job = (SumJob *)arg;
    long long c, c0 = job->chunks * part / parts, c1 = job->chunks * (part + 1) / parts;
    char *args[MAX_ARGS];
    int i;
    for (c = c0; c < c1; c++) {
        long long start = c * job->chunk;
        long long n = job->size - start < job->chunk ? job->size - start : job->chunk;
        for (i = 0; i < job->nin; i++) args[i] = job->args[i] + start * job->itemsize[i];
        job->partial[c] = job->fn(n, args);
    }
}

/* The kernel's fused sum over ``size`` elements, chunk by chunk, the chunks
 * split over the pool when the elementwise entry ``pre`` would split. */
static double chunked_sum(Entry *pre, sum_kernel fn, char **args, PyArrayObject **ops,
                          long long size)
{
    SumJob job;
    double total = 0.0;
    long long c;
    int i, parts;
    if (size <= SUM_CHUNK) return fn(size, args);
    job.fn = fn;
    job.nin = pre->nin;
    job.size = size;
    job.chunk = (size + SUM_CHUNKS - 1) / SUM_CHUNKS;
    job.chunk = job.chunk < SUM_CHUNK ? SUM_CHUNK : (job.chunk + 63) / 64 * 64;
    job.chunks = (size + job.chunk - 1) / job.chunk;
    for (i = 0; i < job.nin; i++) {
        job.args[i] = args[i];
        job.itemsize[i] = (int)PyArray_ITEMSIZE(ops[i]);
    }
    parts = pool_parts(pre, size);
    if (parts > 1) {
        pooled_calls++;
        if (size >= RELEASE_GIL_SIZE) {
            Py_BEGIN_ALLOW_THREADS pool_run(sum_part, &job);
            Py_END_ALLOW_THREADS
        } else {
            pool_run(sum_part, &job);
        }
    } else {
        sum_part(&job, 0, 1);
    }
    for (c = 0; c < job.chunks; c++) total += job.partial[c];
    return total;
}

/* REDUCE_MAP entries: a full Sum over the output of an elemwise entry (kind
 * SKIP, which does nothing itself), as one pass of the kernel's ``_sum``
 * entry point, without the intermediate array.  Parameters: those of the
 * REDUCE entry, then the index of the elemwise entry.  Inputs that are not
 * all C-contiguous with one shape run the two entries one after the other.
 */
static int run_reduce_map(Entry *e)
{
    Entry *pre = e->pre;
    const long long *p = e->p, *pp = pre->p;
    const int nd = (int)pp[0], nin = pre->nin, out_t = (int)p[2];
    const long long *in_types = pp + 1;
    char *args[MAX_ARGS];
    PyArrayObject *first = NULL, *out, *ops[MAX_ARGS];
    npy_intp size = 1;
    int i, d, r;
    double total;
    if (p[0] == R_SUM && (out_t == NPY_FLOAT || out_t == NPY_DOUBLE) &&
        p[3] == nd && p[4] == (nd >= 63 ? -1LL : (1LL << nd) - 1)) {
        for (i = 0; i < nin; i++) {
            PyArrayObject *a = input_array(pre, i, (int)in_types[i], nd);
            if (a == NULL || !PyArray_IS_C_CONTIGUOUS(a)) break;
            if (first == NULL) {
                first = a;
            } else if (!PyArray_CompareLists(PyArray_DIMS(a), PyArray_DIMS(first), nd)) {
                break;
            }
            args[i] = PyArray_BYTES(a);
            ops[i] = a;
        }
        if (i == nin && first != NULL) {
            for (d = 0; d < nd; d++) size *= PyArray_DIM(first, d);
            total = size > 0 ? chunked_sum(pre, (sum_kernel)e->fn[0], args, ops, size) : 0.0;
            out = reuse_or_new(e->out[0], 0, NULL, out_t);
            if (out == NULL) return -1;
            if (out_t == NPY_FLOAT)
                *(float *)PyArray_DATA(out) = (float)total;
            else
                *(double *)PyArray_DATA(out) = total;
            cell_put(e->out[0], (PyObject *)out);
            return 0;
        }
    }
    r = run_elemwise(pre);
    if (r == SLOW) {
        PyObject *res = PyObject_CallNoArgs(pre->fallback);
        if (res == NULL) return -1;
        Py_DECREF(res);
    } else if (r < 0) {
        return -1;
    }
    return run_reduce(e);
}

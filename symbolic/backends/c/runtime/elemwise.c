/* ELEMWISE entries: broadcast check, output reuse or in-place, kernel call.
 *
 * Parameters: nd, then the input dtypes (nin), the output dtypes (nout), the
 * in-place input of each output (-1: none) and, per input, a bit mask of its
 * broadcastable dims; optionally two more: the kernel's cost per element and
 * the most elements one contiguous call runs on a single thread (above that
 * the kernel library starts threads of its own).  fn[0] is the contiguous
 * kernel, fn[1] the strided one.
 *
 * A large call is split over the runtime's pool: the contiguous kernel on
 * ranges of elements, the strided one on ranges of the outermost dimension.
 * Each element is computed by the same code whatever the range, so the
 * results do not depend on the thread count.
 */
#include "runtime.h"

typedef void (*contig_kernel)(long long n, char **args);
typedef void (*strided_kernel)(int nd, const long long *shape, char **args,
                               const long long *strides);

/* Elements above which a kernel runs without the GIL. */
#define RELEASE_GIL_SIZE 65536
/* Work (elements times (cost + operands)) above which a call is split over
 * the pool: lower while its workers spin, since waking a sleeping one costs
 * the caller a system call and the worker tens of microseconds.  Measured on
 * a 2-core AVX-512 machine: a split pays off from about 2K elements of tanh
 * or 8K of a product while the workers spin, from about 100K elements of
 * tanh after a millisecond's pause.  POOL_WORK_COLD stays at or below the
 * kernel library's PARALLEL_WORK, so with more than one thread the runtime
 * never lets a kernel call start threads of its own. */
#define POOL_WORK_HOT 32768
#define POOL_WORK_COLD (1LL << 21)
/* The thresholds in use: split_thresholds() changes them, for measurements. */
static long long pool_work_hot = POOL_WORK_HOT, pool_work_cold = POOL_WORK_COLD;
/* Contiguous ranges start on multiples of this many elements (a cache line
 * of float64, four of float32). */
#define POOL_ALIGN 64

static long long pooled_calls = 0; /* calls split over the pool (tests read it) */

typedef struct {
    void *kernel;
    int strided, nops, nd;
    long long n;      /* elements (contiguous) or length of dim 0 (strided) */
    long long serial; /* most elements per contiguous call */
    char *args[MAX_ARGS];
    long long step[MAX_ARGS]; /* bytes per element (contiguous) or per index of dim 0 */
    const long long *shape, *strides;
} ElemwiseJob;

static void elemwise_part(void *arg, int part, int parts)
{
    ElemwiseJob *job = (ElemwiseJob *)arg;
    long long share = (job->n + parts - 1) / parts, start, stop;
    char *args[MAX_ARGS];
    int i;
    if (!job->strided) share = (share + POOL_ALIGN - 1) / POOL_ALIGN * POOL_ALIGN;
    start = share * part;
    stop = start + share < job->n ? start + share : job->n;
    if (start >= stop) return;
    if (job->strided) {
        long long shape[MAX_DIMS];
        memcpy(shape, job->shape, sizeof(long long) * job->nd);
        shape[0] = stop - start;
        for (i = 0; i < job->nops; i++) args[i] = job->args[i] + start * job->step[i];
        ((strided_kernel)job->kernel)(job->nd, shape, args, job->strides);
        return;
    }
    while (start < stop) {
        long long m = stop - start < job->serial ? stop - start : job->serial;
        for (i = 0; i < job->nops; i++) args[i] = job->args[i] + start * job->step[i];
        ((contig_kernel)job->kernel)(m, args);
        start += m;
    }
}

/* Index of the optional cost parameter. */
#define COST_PARAM(e) (1 + 2 * (e)->nin + 2 * (e)->nout)

/* Threads to split a call of ``n`` elements over: 1 unless it is big enough. */
static int pool_parts(Entry *e, long long n)
{
    const int c = COST_PARAM(e);
    long long work;
    if (pool.size <= 1 || e->np < c + 2 || e->p[c] <= 0 || e->p[c + 1] <= 0) return 1;
    work = n * (e->p[c] + e->nin + e->nout);
    if (work < pool_work_hot || (work < pool_work_cold && !pool_hot())) return 1;
    return pool_ready();
}

/* Split ``job`` over the pool, without the GIL when it is large (as a
 * single-threaded call would run). */
static void run_job(ElemwiseJob *job, npy_intp n)
{
    pooled_calls++;
    if (n >= RELEASE_GIL_SIZE) {
        Py_BEGIN_ALLOW_THREADS pool_run(elemwise_part, job);
        Py_END_ALLOW_THREADS
    } else {
        pool_run(elemwise_part, job);
    }
}

static int run_elemwise(Entry *e)
{
    const long long *p = e->p;
    const int nd = (int)p[0], nin = e->nin, nout = e->nout, nops = nin + nout;
    const long long *in_types = p + 1, *out_types = in_types + nin;
    const long long *inplace = out_types + nout, *bcast = inplace + nout;
    PyArrayObject *ops[MAX_ARGS];
    char *args[MAX_ARGS];
    npy_intp shape[MAX_DIMS];
    npy_intp n = 1;
    int i, j, d, contiguous = 1;

    for (i = 0; i < nin; i++) {
        ops[i] = input_array(e, i, (int)in_types[i], nd);
        if (ops[i] == NULL) return SLOW;
    }
    for (d = 0; d < nd; d++) {
        npy_intp len = -1;
        for (i = 0; i < nin; i++) {
            npy_intp li = PyArray_DIM(ops[i], d);
            if ((bcast[i] >> d) & 1) {
                if (li != 1) return SLOW;
            } else if (len < 0) {
                len = li;
            } else if (li != len) {
                return SLOW; /* the thunk raises the reference mismatch error */
            }
        }
        shape[d] = len < 0 ? 1 : len;
        n *= shape[d];
    }
    for (j = 0; j < nout; j++) {
        PyArrayObject *out = NULL;
        int k = (int)inplace[j];
        if (k >= 0) {
            PyArrayObject *target = ops[k];
            if (PyArray_ISWRITEABLE(target) && type_is(target, (int)out_types[j]) &&
                PyArray_CompareLists(PyArray_DIMS(target), shape, nd)) {
                Py_INCREF(target);
                out = target;
            }
        }
        if (out == NULL) out = reuse_or_new(e->out[j], nd, shape, (int)out_types[j]);
        if (out == NULL) {
            for (i = nin; i < nin + j; i++) Py_DECREF(ops[i]);
            return -1;
        }
        ops[nin + j] = out;
    }
    if (n > 0) {
        int parts = pool_parts(e, (long long)n);
        for (i = 0; i < nops; i++) {
            args[i] = PyArray_BYTES(ops[i]);
            if (contiguous && !(PyArray_IS_C_CONTIGUOUS(ops[i]) &&
                                PyArray_CompareLists(PyArray_DIMS(ops[i]), shape, nd)))
                contiguous = 0;
        }
        if (contiguous) {
            contig_kernel kernel = (contig_kernel)e->fn[0];
            if (parts > 1) {
                ElemwiseJob job;
                job.kernel = e->fn[0];
                job.strided = 0;
                job.nops = nops;
                job.n = (long long)n;
                job.serial = e->p[COST_PARAM(e) + 1];
                for (i = 0; i < nops; i++) {
                    job.args[i] = args[i];
                    job.step[i] = PyArray_ITEMSIZE(ops[i]);
                }
                run_job(&job, n);
            } else if (n >= RELEASE_GIL_SIZE) {
                Py_BEGIN_ALLOW_THREADS kernel((long long)n, args);
                Py_END_ALLOW_THREADS
            } else {
                kernel((long long)n, args);
            }
        } else {
            /* Drop length-1 dims and merge dims that are contiguous in every
             * operand, so the kernel's inner loop runs as long as possible. */
            long long cshape[MAX_DIMS], rows[MAX_DIMS][MAX_ARGS];
            long long strides[MAX_ARGS * MAX_DIMS];
            int cd = 0;
            strided_kernel kernel = (strided_kernel)e->fn[1];
            for (d = 0; d < nd; d++) {
                long long st[MAX_ARGS];
                int merge = cd > 0;
                if (shape[d] == 1) continue;
                for (i = 0; i < nops; i++) {
                    st[i] = PyArray_DIM(ops[i], d) == 1 ? 0 : PyArray_STRIDE(ops[i], d);
                    if (merge && rows[cd - 1][i] != st[i] * shape[d]) merge = 0;
                }
                if (merge) {
                    cshape[cd - 1] *= shape[d];
                } else {
                    cshape[cd] = shape[d];
                    cd++;
                }
                for (i = 0; i < nops; i++) rows[cd - 1][i] = st[i];
            }
            if (cd == 0) {
                cshape[0] = 1;
                for (i = 0; i < nops; i++) rows[0][i] = 0;
                cd = 1;
            }
            for (i = 0; i < nops; i++)
                for (d = 0; d < cd; d++) strides[i * cd + d] = rows[d][i];
            if (parts > 1 && cshape[0] > 1) {
                ElemwiseJob job;
                job.kernel = e->fn[1];
                job.strided = 1;
                job.nops = nops;
                job.nd = cd;
                job.n = cshape[0];
                job.shape = cshape;
                job.strides = strides;
                for (i = 0; i < nops; i++) {
                    job.args[i] = args[i];
                    job.step[i] = rows[0][i];
                }
                run_job(&job, n);
            } else if (n >= RELEASE_GIL_SIZE) {
                Py_BEGIN_ALLOW_THREADS kernel(cd, cshape, args, strides);
                Py_END_ALLOW_THREADS
            } else {
                kernel(cd, cshape, args, strides);
            }
        }
    }
    for (j = 0; j < nout; j++) cell_put(e->out[j], (PyObject *)ops[nin + j]);
    return 0;
}

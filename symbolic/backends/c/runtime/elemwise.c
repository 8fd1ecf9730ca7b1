/* ELEMWISE entries: broadcast check, output reuse or in-place, kernel call.
 *
 * Parameters: nd, then the input dtypes (nin), the output dtypes (nout), the
 * in-place input of each output (-1: none) and, per input, a bit mask of its
 * broadcastable dims.  fn[0] is the contiguous kernel, fn[1] the strided one.
 */
#include "runtime.h"

typedef void (*contig_kernel)(long long n, char **args);
typedef void (*strided_kernel)(int nd, const long long *shape, char **args,
                               const long long *strides);

/* Elements above which a kernel runs without the GIL. */
#define RELEASE_GIL_SIZE 65536

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
        for (i = 0; i < nops; i++) {
            args[i] = PyArray_BYTES(ops[i]);
            if (contiguous && !(PyArray_IS_C_CONTIGUOUS(ops[i]) &&
                                PyArray_CompareLists(PyArray_DIMS(ops[i]), shape, nd)))
                contiguous = 0;
        }
        if (contiguous) {
            contig_kernel kernel = (contig_kernel)e->fn[0];
            if (n >= RELEASE_GIL_SIZE) {
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
            if (n >= RELEASE_GIL_SIZE) {
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

/* Shared declarations of the C runtime (one translation unit: see module.c).
 *
 * A program is a list of entries, one per graph node.  Each entry reads its
 * inputs from and writes its outputs to storage cells (the 1-element Python
 * lists the Python VM uses too).  An entry kind returns 0 when done, -1 with a
 * Python error set, or SLOW when the values are outside what the C path
 * handles (unusual dtype or layout, a shape error...): the entry then runs the
 * node's Python thunk, which computes the reference result or raises the
 * reference error message.
 */
#ifndef SYMBOLIC_RUNTIME_H
#define SYMBOLIC_RUNTIME_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#include <limits.h>
#include <stddef.h>
#include <math.h>
#include <string.h>

#define SLOW 1

/* Hot loops get clones for AVX-512 and AVX2 machines, picked at load time,
 * since setup.py builds the runtime for the baseline ISA. */
#if defined(SYMBOLIC_ISA_AVX2)
/* Built for x86-64-v3 as a whole (config.cpu__isa = avx2): no clones. */
#define RT_HOT
#elif defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    defined(__linux__)
#define RT_HOT \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define RT_HOT
#endif
/* The runtime's ABI, read from Python through the module's KINDS, MAX_ARGS
 * and MAX_DIMS (vm.c exports them): this list is its only copy. */
#define MAX_ARGS 64
#define MAX_DIMS 32

/* Every entry kind, in number order.  BRANCH is a lazy node's choice (its
 * thunk returns the branch index); JUMP goes to entry p[0]. */
#define ENTRY_KINDS(X)                                                       \
    X(PYTHON) X(ELEMWISE) X(GEMM) X(GEMV) X(GER) X(DOT22) X(DOT) X(REDUCE)   \
    X(SOFTMAX) X(LOGSOFTMAX) X(SOFTMAX_GRAD) X(SOFTMAX_BIAS)                  \
    X(CE_SOFTMAX_BIAS) X(CE_SOFTMAX_DX) X(CE_1HOT) X(CE_1HOT_GRAD)            \
    X(DIMSHUFFLE) X(RESHAPE) X(SUBTENSOR) X(ALLOC) X(SHAPE) X(SHAPE_I)        \
    X(MAKEVECTOR) X(REBROADCAST) X(SKIP) X(REDUCE_MAP) X(JOIN) X(BRANCH)      \
    X(JUMP) X(CONV) X(CONV_GRAD_WEIGHTS) X(CONV_GRAD_INPUTS) X(POOL)          \
    X(MAXPOOL_GRAD) X(AVGPOOL_GRAD) X(BN_TRAIN) X(BN_INFERENCE) X(BN_TRAIN_GRAD)

#define RT_KIND_ENUM(name) K_##name,
enum entry_kind { ENTRY_KINDS(RT_KIND_ENUM) N_KINDS };
#undef RT_KIND_ENUM

typedef struct Entry {
    int kind;
    int nin, nout;
    PyObject **in;  /* cells, owned by the program's keepalive tuple */
    PyObject **out;
    PyObject *fallback; /* the node's Python thunk */
    Py_ssize_t np;
    long long *p; /* integer parameters, meaning set per kind */
    void *fn[2];  /* kernel pointers (elemwise) */
    struct Entry *pre; /* REDUCE_MAP: the elemwise entry it reduces (a SKIP) */
    void *state;       /* per-entry scratch (packed operands), freed with the program */
} Entry;

static inline PyObject *cell_get(PyObject *cell) { return PyList_GET_ITEM(cell, 0); }

/* Store ``value`` (a new reference, stolen) in ``cell``. */
static inline void cell_put(PyObject *cell, PyObject *value)
{
    PyObject *old = PyList_GET_ITEM(cell, 0);
    PyList_SET_ITEM(cell, 0, value);
    Py_XDECREF(old);
}

static inline int type_is(PyArrayObject *a, int typenum)
{
    int t = PyArray_TYPE(a);
    return t == typenum || PyArray_EquivTypenums(t, typenum);
}

/* The array in input cell ``i`` (borrowed) when it is a well-behaved ndarray
 * of ``typenum`` and ``ndim`` (-1: any); NULL otherwise. */
static inline PyArrayObject *input_array(Entry *e, int i, int typenum, int ndim)
{
    PyObject *v = cell_get(e->in[i]);
    PyArrayObject *a;
    if (v == NULL || !PyArray_Check(v)) return NULL;
    a = (PyArrayObject *)v;
    if (ndim >= 0 && PyArray_NDIM(a) != ndim) return NULL;
    if (typenum >= 0 && !type_is(a, typenum)) return NULL;
    if (!PyArray_ISALIGNED(a) || !PyArray_ISNOTSWAPPED(a)) return NULL;
    return a;
}

/* Rows of Scan output buffers that scan_loop (scan.c) put in output cells for
 * the step it runs: the entry computing such a cell writes its result into
 * the row itself.  A stack, so that nested loops push and pop their own; per
 * thread, since kernels release the GIL and another thread may run a loop. */
#define MAX_PLACED 256
#if defined(__GNUC__)
#define RT_THREAD_LOCAL __thread
#elif defined(_MSC_VER)
#define RT_THREAD_LOCAL __declspec(thread)
#else
#define RT_THREAD_LOCAL _Thread_local
#endif
static RT_THREAD_LOCAL PyObject *placed_stack[MAX_PLACED]; /* borrowed */
static RT_THREAD_LOCAL int n_placed;

static inline int is_placed(PyObject *o)
{
    int i;
    for (i = n_placed - 1; i >= 0; i--)
        if (placed_stack[i] == o) return 1;
    return 0;
}

/* A C-contiguous array of ``shape`` and ``typenum`` for output cell ``cell``
 * (new reference): the array already there when nothing else references it
 * and it fits, else a fresh one.  A placed row does not own its data, but it
 * is referenced only by its cell and by scan_loop, and its buffer is the
 * loop's own, so it is reused too; any other view may alias a user's array. */
static PyArrayObject *reuse_or_new(PyObject *cell, int nd, const npy_intp *shape,
                                   int typenum)
{
    const int want = NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_WRITEABLE | NPY_ARRAY_ALIGNED;
    PyObject *old = cell_get(cell);
    if (old != NULL && PyArray_CheckExact(old)) {
        PyArrayObject *a = (PyArrayObject *)old;
        int mine = Py_REFCNT(old) == 1 && PyArray_CHKFLAGS(a, NPY_ARRAY_OWNDATA) &&
                   PyArray_BASE(a) == NULL;
        if (!mine && n_placed > 0 && Py_REFCNT(old) == 2) mine = is_placed(old);
        if (mine && PyArray_TYPE(a) == typenum && PyArray_NDIM(a) == nd &&
            (PyArray_FLAGS(a) & want) == want && PyArray_ISNOTSWAPPED(a)) {
            npy_intp *dims = PyArray_DIMS(a);
            int i;
            for (i = 0; i < nd; i++)
                if (dims[i] != shape[i]) break;
            if (i == nd) {
                Py_INCREF(old);
                return a;
            }
        }
    }
    return (PyArrayObject *)PyArray_SimpleNew(nd, (npy_intp *)shape, typenum);
}

/* The value of a 1-element numeric array as a double; 0 when it is not one. */
static int scalar_double(PyObject *o, double *v)
{
    PyArrayObject *a;
    const char *d;
    if (o == NULL || !PyArray_Check(o)) return 0;
    a = (PyArrayObject *)o;
    if (PyArray_SIZE(a) != 1 || !PyArray_ISALIGNED(a) || !PyArray_ISNOTSWAPPED(a))
        return 0;
    d = PyArray_BYTES(a);
    switch (PyArray_TYPE(a)) {
    case NPY_DOUBLE: *v = *(const double *)d; return 1;
    case NPY_FLOAT: *v = *(const float *)d; return 1;
    case NPY_BOOL: *v = *(const npy_bool *)d; return 1;
    case NPY_BYTE: *v = *(const npy_byte *)d; return 1;
    case NPY_UBYTE: *v = *(const npy_ubyte *)d; return 1;
    case NPY_SHORT: *v = *(const npy_short *)d; return 1;
    case NPY_USHORT: *v = *(const npy_ushort *)d; return 1;
    case NPY_INT: *v = *(const npy_int *)d; return 1;
    case NPY_UINT: *v = *(const npy_uint *)d; return 1;
    case NPY_LONG: *v = (double)*(const npy_long *)d; return 1;
    case NPY_ULONG: *v = (double)*(const npy_ulong *)d; return 1;
    case NPY_LONGLONG: *v = (double)*(const npy_longlong *)d; return 1;
    case NPY_ULONGLONG: *v = (double)*(const npy_ulonglong *)d; return 1;
    default: return 0;
    }
}

/* The value of a 1-element integer array; 0 when it is not one. */
static int scalar_index(PyObject *o, long long *v)
{
    PyArrayObject *a;
    const char *d;
    if (o == NULL || !PyArray_Check(o)) return 0;
    a = (PyArrayObject *)o;
    if (PyArray_SIZE(a) != 1 || !PyArray_ISALIGNED(a) || !PyArray_ISNOTSWAPPED(a))
        return 0;
    d = PyArray_BYTES(a);
    switch (PyArray_TYPE(a)) {
    case NPY_BYTE: *v = *(const npy_byte *)d; return 1;
    case NPY_UBYTE: *v = *(const npy_ubyte *)d; return 1;
    case NPY_SHORT: *v = *(const npy_short *)d; return 1;
    case NPY_USHORT: *v = *(const npy_ushort *)d; return 1;
    case NPY_INT: *v = *(const npy_int *)d; return 1;
    case NPY_UINT: *v = *(const npy_uint *)d; return 1;
    case NPY_LONG: *v = *(const npy_long *)d; return 1;
    case NPY_LONGLONG: *v = *(const npy_longlong *)d; return 1;
    default: return 0;
    }
}

/* Element ``i`` of an integer vector (any integer dtype) as a long long. */
static inline long long index_at(PyArrayObject *a, npy_intp i)
{
    const char *d = PyArray_BYTES(a) + i * PyArray_STRIDE(a, 0);
    switch (PyArray_TYPE(a)) {
    case NPY_BYTE: return *(const npy_byte *)d;
    case NPY_UBYTE: return *(const npy_ubyte *)d;
    case NPY_SHORT: return *(const npy_short *)d;
    case NPY_USHORT: return *(const npy_ushort *)d;
    case NPY_INT: return *(const npy_int *)d;
    case NPY_UINT: return *(const npy_uint *)d;
    case NPY_LONG: return *(const npy_long *)d;
    case NPY_ULONG: return (long long)*(const npy_ulong *)d;
    case NPY_LONGLONG: return *(const npy_longlong *)d;
    default: return (long long)*(const npy_ulonglong *)d;
    }
}

static inline int is_index_vector(PyArrayObject *a)
{
    return a != NULL && PyArray_NDIM(a) == 1 && PyArray_ISINTEGER(a);
}

/* A view of ``base`` (new reference) with the given geometry. */
static PyObject *make_view(PyArrayObject *base, int nd, npy_intp *shape,
                           npy_intp *strides, char *data)
{
    PyArray_Descr *descr = PyArray_DESCR(base);
    PyObject *view;
    Py_INCREF(descr);
    view = PyArray_NewFromDescr(&PyArray_Type, descr, nd, shape, strides, data,
                                PyArray_FLAGS(base) & NPY_ARRAY_WRITEABLE, NULL);
    if (view == NULL) return NULL;
    Py_INCREF(base);
    if (PyArray_SetBaseObject((PyArrayObject *)view, (PyObject *)base) < 0) {
        Py_DECREF(view);
        return NULL;
    }
    PyArray_UpdateFlags((PyArrayObject *)view, NPY_ARRAY_UPDATE_ALL);
    return view;
}

/* Run a compiled inner graph once: a Program directly, anything else by a
 * Python call.  0, or -1 with an error set.  Defined in vm.c. */
static int call_vm(PyObject *vm);

/* Whether ``vm`` is a Program whose entries compute ``cell`` (and never
 * empty it).  Defined in vm.c. */
static int program_computes(PyObject *vm, PyObject *cell);

#endif

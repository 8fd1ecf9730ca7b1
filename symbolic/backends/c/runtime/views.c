/* Views (DimShuffle, Reshape, Subtensor, Rebroadcast) and the small shape
 * ops (Alloc, Shape, Shape_i, MakeVector). */
#include "runtime.h"

/* Copies of large strided arrays into C order (Alloc without broadcasting,
 * Reshape of an array no view can reshape), split over the pool by blocks
 * of the leading axis: an LSTM step's gradients come back from the
 * backward loop in reverse time order, and each reshape or copy of them
 * is megabytes. */
#define COPY_PARALLEL_BYTES (1 << 20)

typedef struct {
    const char *src;
    char *dst;
    int nd;
    npy_intp shape[MAX_DIMS], strides[MAX_DIMS], itemsize;
} CopyJob;

/* Rows [r0, r1) of the leading axis of the job's source, in C order. */
static void copy_rows(const CopyJob *j, npy_intp r0, npy_intp r1)
{
    const int nd = j->nd;
    npy_intp inner = j->shape[nd - 1], is = j->strides[nd - 1], isz = j->itemsize;
    npy_intp row_elems = 1, lines, l, k, counter[MAX_DIMS], d;
    char *dst;
    for (d = 1; d < nd; d++) row_elems *= j->shape[d];
    dst = j->dst + r0 * row_elems * isz;
    lines = (r1 - r0) * (row_elems / (inner ? inner : 1));
    if (inner == 0) return;
    memset(counter, 0, sizeof(counter));
    counter[0] = r0;
    for (l = 0; l < lines; l++) {
        const char *src = j->src;
        for (d = 0; d < nd - 1; d++) src += counter[d] * j->strides[d];
        if (is == isz) {
            memcpy(dst, src, inner * isz);
        } else if (isz == 4) {
            for (k = 0; k < inner; k++) ((int32_t *)dst)[k] = *(const int32_t *)(src + k * is);
        } else if (isz == 8) {
            for (k = 0; k < inner; k++) ((int64_t *)dst)[k] = *(const int64_t *)(src + k * is);
        } else {
            for (k = 0; k < inner; k++) memcpy(dst + k * isz, src + k * is, isz);
        }
        dst += inner * isz;
        for (d = nd - 2; d >= 0; d--) {
            if (++counter[d] < j->shape[d] || d == 0) break;
            counter[d] = 0;
        }
    }
}

static void copy_part(void *arg, int part, int parts)
{
    const CopyJob *j = (const CopyJob *)arg;
    copy_rows(j, j->shape[0] * part / parts, j->shape[0] * (part + 1) / parts);
}

/* Copy ``x`` (any strides, ndim >= 1) into the C-contiguous buffer ``dst``
 * of as many elements; large copies are split over the pool.  No Python
 * object is touched. */
static void copy_to_c_order(PyArrayObject *x, char *dst)
{
    CopyJob job;
    int d;
    job.src = PyArray_BYTES(x);
    job.dst = dst;
    job.nd = PyArray_NDIM(x);
    job.itemsize = PyArray_ITEMSIZE(x);
    for (d = 0; d < job.nd; d++) {
        job.shape[d] = PyArray_DIM(x, d);
        job.strides[d] = PyArray_STRIDE(x, d);
    }
    if (PyArray_SIZE(x) == 0) return;
    if (pool.size > 1 && job.shape[0] > 1 && PyArray_NBYTES(x) >= COPY_PARALLEL_BYTES)
        pool_run(copy_part, &job);
    else
        copy_rows(&job, 0, job.shape[0]);
}

/* DimShuffle.  Params: input ndim, output ndim, the pattern (-1 for 'x'). */
static int run_dimshuffle(Entry *e)
{
    const long long *p = e->p;
    int in_nd = (int)p[0], out_nd = (int)p[1], d, used[MAX_DIMS] = {0};
    PyArrayObject *x = input_array(e, 0, -1, in_nd);
    npy_intp shape[MAX_DIMS], strides[MAX_DIMS];
    PyObject *view;
    if (x == NULL) return SLOW;
    for (d = 0; d < out_nd; d++) {
        long long k = p[2 + d];
        if (k < 0) {
            shape[d] = 1;
            strides[d] = 0;
        } else {
            shape[d] = PyArray_DIM(x, k);
            strides[d] = PyArray_STRIDE(x, k);
            used[k] = 1;
        }
    }
    for (d = 0; d < in_nd; d++)
        if (!used[d] && PyArray_DIM(x, d) != 1) return SLOW;
    view = make_view(x, out_nd, shape, strides, PyArray_BYTES(x));
    if (view == NULL) return -1;
    cell_put(e->out[0], view);
    return 0;
}

/* Rebroadcast.  Params: the axes declared broadcastable (checked to be 1). */
static int run_rebroadcast(Entry *e)
{
    PyArrayObject *x = input_array(e, 0, -1, -1);
    Py_ssize_t i;
    if (x == NULL) return SLOW;
    for (i = 0; i < e->np; i++)
        if (e->p[i] >= PyArray_NDIM(x) || PyArray_DIM(x, e->p[i]) != 1) return SLOW;
    Py_INCREF(x);
    cell_put(e->out[0], (PyObject *)x);
    return 0;
}

/* Reshape(x, shp).  Params: ndim.  A view when numpy can make one. */
/* Whether ``x``'s elements may be copied as bytes: numbers, aligned and in
 * native byte order (not Python objects, whose references a copy must
 * count). */
static int plain_copyable(PyArrayObject *x)
{
    return PyArray_ISALIGNED(x) && !PyArray_ISBYTESWAPPED(x) &&
           !PyDataType_REFCHK(PyArray_DESCR(x));
}

/* Resolve one -1 in ``dims`` (nd of them) for ``size`` elements: 1 when
 * they then multiply to ``size``, else 0 (numpy's reshape says why). */
static int known_dims(int nd, npy_intp *dims, npy_intp size)
{
    npy_intp known = 1;
    int d, unknown = -1;
    for (d = 0; d < nd; d++) {
        if (dims[d] == -1 && unknown < 0) {
            unknown = d;
        } else if (dims[d] < 0) {
            return 0;
        } else {
            known *= dims[d];
        }
    }
    if (unknown >= 0) {
        if (known == 0 || size % known) return 0;
        dims[unknown] = size / known;
        known *= dims[unknown];
    }
    return known == size;
}

/* 1 when reshaping ``x`` to ``dims`` (nd of them, none negative) can be a
 * view, as numpy decides it; 0 when it needs a copy.  A wrong 0 would only
 * cost a copy: the values are the same either way. */
static int reshape_is_a_view(PyArrayObject *x, int nd, const npy_intp *dims)
{
    npy_intp od[MAX_DIMS], os[MAX_DIMS], size = 1, np_, op;
    int ond = 0, oi = 0, oj, ni = 0, nj, d, k;
    for (d = 0; d < nd; d++) size *= dims[d];
    if (size != PyArray_SIZE(x) || size == 0) return 1;
    for (d = 0; d < PyArray_NDIM(x); d++) {
        if (PyArray_DIM(x, d) == 1) continue; /* length-1 axes take any stride */
        od[ond] = PyArray_DIM(x, d);
        os[ond++] = PyArray_STRIDE(x, d);
    }
    /* Match groups of old and new axes of equal total length: each old
     * group must be contiguous in itself. */
    while (ni < nd && oi < ond) {
        if (dims[ni] == 1) {
            ni++;
            continue;
        }
        nj = ni + 1;
        oj = oi + 1;
        np_ = dims[ni];
        op = od[oi];
        while (np_ != op) {
            if (np_ < op) {
                if (nj >= nd) return 1;
                np_ *= dims[nj++];
            } else {
                if (oj >= ond) return 1;
                op *= od[oj++];
            }
        }
        for (k = oi; k < oj - 1; k++)
            if (os[k] != od[k + 1] * os[k + 1]) return 0;
        ni = nj;
        oi = oj;
    }
    return 1;
}

static int run_reshape(Entry *e)
{
    int nd = (int)e->p[0], d;
    PyArrayObject *x = input_array(e, 0, -1, -1), *shp = input_array(e, 1, -1, 1);
    npy_intp dims[MAX_DIMS];
    PyArray_Dims newshape = {dims, nd};
    PyObject *out;
    if (x == NULL || !is_index_vector(shp) || PyArray_DIM(shp, 0) != nd) return SLOW;
    for (d = 0; d < nd; d++) dims[d] = (npy_intp)index_at(shp, d);
    if (!PyArray_IS_C_CONTIGUOUS(x) && PyArray_NDIM(x) >= 1 &&
        PyArray_NBYTES(x) >= COPY_PARALLEL_BYTES && plain_copyable(x) &&
        known_dims(nd, dims, PyArray_SIZE(x)) && !reshape_is_a_view(x, nd, dims)) {
        /* numpy would copy on one thread: copy in C order over the pool. */
        PyArrayObject *flat = (PyArrayObject *)PyArray_SimpleNew(nd, dims, PyArray_TYPE(x));
        if (flat == NULL) return -1;
        copy_to_c_order(x, PyArray_BYTES(flat));
        cell_put(e->out[0], (PyObject *)flat);
        return 0;
    }
    out = PyArray_Newshape(x, &newshape, NPY_CORDER);
    if (out == NULL) {
        PyErr_Clear();
        return SLOW;
    }
    cell_put(e->out[0], out);
    return 0;
}

/* One index part: 0 absent (None), 1 a constant, 2 the value of an input. */
static int index_part(Entry *e, const long long *part, int *present, long long *v)
{
    *present = part[0] != 0;
    if (part[0] == 1) *v = part[1];
    if (part[0] == 2) return scalar_index(cell_get(e->in[part[1]]), v);
    return 1;
}

/* Subtensor with ints and slices.  Params: input ndim, entry count, then per
 * entry a kind (0 int, 1 slice) and its parts as (tag, value) pairs. */
static int run_subtensor(Entry *e)
{
    const long long *p = e->p;
    int in_nd = (int)p[0], n_entries = (int)p[1], d, od = 0, k;
    PyArrayObject *x = input_array(e, 0, -1, in_nd);
    npy_intp shape[MAX_DIMS], strides[MAX_DIMS];
    char *data;
    const long long *q = p + 2;
    PyObject *view;
    if (x == NULL) return SLOW;
    data = PyArray_BYTES(x);
    for (d = 0; d < n_entries; d++) {
        npy_intp len = PyArray_DIM(x, d), st = PyArray_STRIDE(x, d);
        if (q[0] == 0) {
            long long i = 0;
            int present;
            if (!index_part(e, q + 1, &present, &i)) return SLOW;
            if (i < 0) i += len;
            if (i < 0 || i >= len) return SLOW; /* the thunk raises IndexError */
            data += i * st;
            q += 3;
        } else {
            long long vals[3];
            int present[3];
            Py_ssize_t start, stop, step, count;
            for (k = 0; k < 3; k++)
                if (!index_part(e, q + 1 + 2 * k, &present[k], &vals[k])) return SLOW;
            step = present[2] ? (Py_ssize_t)vals[2] : 1;
            if (step == 0) return SLOW;
            start = present[0] ? (Py_ssize_t)vals[0] : (step < 0 ? PY_SSIZE_T_MAX : 0);
            stop = present[1] ? (Py_ssize_t)vals[1]
                              : (step < 0 ? PY_SSIZE_T_MIN : PY_SSIZE_T_MAX);
            count = PySlice_AdjustIndices(len, &start, &stop, step);
            data += start * st;
            shape[od] = count;
            strides[od] = count > 0 ? step * st : st;
            od++;
            q += 7;
        }
    }
    for (; d < in_nd; d++) {
        shape[od] = PyArray_DIM(x, d);
        strides[od] = PyArray_STRIDE(x, d);
        od++;
    }
    view = make_view(x, od, shape, strides, data);
    if (view == NULL) return -1;
    cell_put(e->out[0], view);
    return 0;
}

/* Alloc(value, *shape).  Params: dtype. */
static int run_alloc(Entry *e)
{
    int t = (int)e->p[0], nd = e->nin - 1, d;
    PyArrayObject *v = input_array(e, 0, t, -1), *out;
    npy_intp shape[MAX_DIMS];
    if (v == NULL || PyArray_NDIM(v) > nd) return SLOW;
    for (d = 0; d < nd; d++) {
        long long s;
        if (!scalar_index(cell_get(e->in[d + 1]), &s) || s < 0) return SLOW;
        shape[d] = (npy_intp)s;
    }
    out = reuse_or_new(e->out[0], nd, shape, t);
    if (out == NULL) return -1;
    if (nd >= 1 && PyArray_NDIM(v) == nd && PyArray_NBYTES(out) >= COPY_PARALLEL_BYTES &&
        PyArray_CompareLists(PyArray_DIMS(v), shape, nd) && plain_copyable(v) &&
        PyArray_TYPE(v) == PyArray_TYPE(out)) {
        /* A copy, not a broadcast: in C, over the pool. */
        copy_to_c_order(v, PyArray_BYTES(out));
        cell_put(e->out[0], (PyObject *)out);
        return 0;
    }
    if (PyArray_CopyInto(out, v) < 0) {
        PyErr_Clear();
        Py_DECREF(out);
        return SLOW;
    }
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* Shape(x): an int64 vector. */
static int run_shape(Entry *e)
{
    PyArrayObject *x = input_array(e, 0, -1, -1), *out;
    npy_intp nd, d;
    if (x == NULL) return SLOW;
    nd = PyArray_NDIM(x);
    out = reuse_or_new(e->out[0], 1, &nd, NPY_INT64);
    if (out == NULL) return -1;
    for (d = 0; d < nd; d++) ((npy_int64 *)PyArray_DATA(out))[d] = PyArray_DIM(x, d);
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* Shape_i(x): the length of one axis as a 0-d int64.  Params: the axis. */
static int run_shape_i(Entry *e)
{
    PyArrayObject *x = input_array(e, 0, -1, -1), *out;
    int axis = (int)e->p[0];
    if (x == NULL || axis >= PyArray_NDIM(x)) return SLOW;
    out = reuse_or_new(e->out[0], 0, NULL, NPY_INT64);
    if (out == NULL) return -1;
    *(npy_int64 *)PyArray_DATA(out) = PyArray_DIM(x, axis);
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* MakeVector(*scalars) of one dtype.  Params: dtype. */
static int run_makevector(Entry *e)
{
    int t = (int)e->p[0], i;
    npy_intp n = e->nin;
    PyArrayObject *out, *ins[MAX_ARGS];
    if (e->nin > MAX_ARGS) return SLOW;
    for (i = 0; i < e->nin; i++) {
        ins[i] = input_array(e, i, t, 0);
        if (ins[i] == NULL) return SLOW;
    }
    out = reuse_or_new(e->out[0], 1, &n, t);
    if (out == NULL) return -1;
    for (i = 0; i < e->nin; i++)
        memcpy(PyArray_BYTES(out) + i * PyArray_ITEMSIZE(out), PyArray_BYTES(ins[i]),
               PyArray_ITEMSIZE(out));
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* Join(axis, *tensors) of one dtype.  Params: dtype, ndim.  Each input is
 * copied into its block of a reused output: one memcpy per outer index for
 * a C-contiguous input, numpy's copy into a view of the block otherwise. */
/* The contiguous inputs of a Join, copied as ``outer`` blocks each: a job
 * the pool splits by blocks of rows (the copies write disjoint bytes). */
typedef struct {
    int n;
    const char *src[MAX_ARGS];
    npy_intp block[MAX_ARGS], offset[MAX_ARGS];
    char *dst;
    npy_intp outer, row;
} JoinJob;

static void join_part(void *arg, int part, int parts)
{
    const JoinJob *j = (const JoinJob *)arg;
    npy_intp o0 = j->outer * part / parts, o1 = j->outer * (part + 1) / parts, o;
    int i;
    for (o = o0; o < o1; o++)
        for (i = 0; i < j->n; i++)
            memcpy(j->dst + o * j->row + j->offset[i], j->src[i] + o * j->block[i],
                   j->block[i]);
}

/* Bytes from which a Join's copies are split over the pool: an LSTM's
 * backward step joins its four gate gradients (128 KB) into the row the
 * weight gradient reads, in memory no cache holds. */
#define JOIN_PARALLEL_BYTES (1 << 16)

static int run_join(Entry *e)
{
    const int t = (int)e->p[0], nd = (int)e->p[1], n = e->nin - 1;
    PyArrayObject *xs[MAX_ARGS], *out;
    npy_intp shape[MAX_DIMS], outer = 1, offset = 0, itemsize;
    long long axis;
    int i, d;
    if (n < 1 || n > MAX_ARGS || nd < 1) return SLOW;
    if (!scalar_index(cell_get(e->in[0]), &axis)) return SLOW;
    if (axis < 0) axis += nd;
    if (axis < 0 || axis >= nd) return SLOW;
    for (i = 0; i < n; i++) {
        xs[i] = input_array(e, i + 1, t, nd);
        if (xs[i] == NULL) return SLOW;
        for (d = 0; d < nd; d++) {
            if (i == 0)
                shape[d] = PyArray_DIM(xs[0], d);
            else if (d == axis)
                shape[d] += PyArray_DIM(xs[i], d);
            else if (PyArray_DIM(xs[i], d) != shape[d])
                return SLOW; /* the thunk raises the reference message */
        }
    }
    out = reuse_or_new(e->out[0], nd, shape, t);
    if (out == NULL) return -1;
    itemsize = PyArray_ITEMSIZE(out);
    for (d = 0; d < axis; d++) outer *= shape[d];
    if (pool.size > 1 && outer > 1 && PyArray_NBYTES(out) >= JOIN_PARALLEL_BYTES) {
        JoinJob job;
        job.n = n;
        job.dst = PyArray_BYTES(out);
        job.outer = outer;
        job.row = PyArray_NBYTES(out) / outer;
        for (i = 0; i < n && PyArray_IS_C_CONTIGUOUS(xs[i]); i++) {
            job.src[i] = PyArray_BYTES(xs[i]);
            job.block[i] = PyArray_NBYTES(xs[i]) / outer;
            job.offset[i] = offset;
            offset += job.block[i];
        }
        if (i == n) {
            pool_run(join_part, &job);
            cell_put(e->out[0], (PyObject *)out);
            return 0;
        }
        offset = 0;
    }
    for (i = 0; i < n; i++) {
        PyArrayObject *x = xs[i];
        npy_intp block = itemsize, row = itemsize * PyArray_SIZE(out) / (outer ? outer : 1);
        for (d = (int)axis; d < nd; d++) block *= PyArray_DIM(x, d);
        if (block == 0 || outer == 0) continue;
        if (PyArray_IS_C_CONTIGUOUS(x)) {
            const char *src = PyArray_BYTES(x);
            char *dst = PyArray_BYTES(out) + offset;
            npy_intp o;
            for (o = 0; o < outer; o++) memcpy(dst + o * row, src + o * block, block);
        } else {
            npy_intp vshape[MAX_DIMS];
            PyObject *view;
            int r;
            for (d = 0; d < nd; d++)
                vshape[d] = d == axis ? PyArray_DIM(x, d) : shape[d];
            view = make_view(out, nd, vshape, PyArray_STRIDES(out),
                             PyArray_BYTES(out) + offset);
            if (view == NULL) {
                Py_DECREF(out);
                return -1;
            }
            r = PyArray_CopyInto((PyArrayObject *)view, x);
            Py_DECREF(view);
            if (r < 0) {
                Py_DECREF(out);
                return -1;
            }
        }
        offset += block;
    }
    cell_put(e->out[0], (PyObject *)out);
    return 0;
}

/* The steps of the Scan op's loop (symbolic/scan_module/scan_perform.py).
 *
 * A slot ties an inner storage cell to a buffer of rows: step t uses row
 * (t + offset) % modulus, or t + offset when modulus is 0.  Each step stores
 * a view of every read slot's row in its cell, runs the inner program, then
 * copies every write slot's cell value into its row.  Values the copy below
 * does not handle (another dtype or shape, not an ndarray...) go through a
 * Python ``store(buf, index, value)``, so numpy's assignment rules and the
 * Python loop's error messages hold.
 *
 * When the inner program is a Program that computes a write slot's place (its
 * cell, or the cell of the array an in-place op then overwrites to make the
 * cell's value), the step first puts a view of the slot's row there and
 * registers it as placed (runtime.h): the entry computing that cell writes
 * straight into the row, and the copy is skipped when the slot's cell holds
 * that very view after the step.  A row is placed only when it is C-contiguous
 * and shares no memory with the rows the step reads or the other placed rows,
 * so that no entry sees its inputs change while it writes.
 */
#include "runtime.h"

typedef struct {
    PyObject *cell;     /* borrowed: the argument tuples hold them */
    PyArrayObject *buf;
    Py_ssize_t offset, modulus;
    /* Write slots: the cell of the array the cell's value is computed in
     * (the cell itself, or the input an in-place op overwrites), or NULL. */
    PyObject *place;
    int placeable;    /* write slots: the inner program computes ``place`` */
    PyObject *placed; /* write slots: the row view last put in ``place``, owned */
} Slot;

/* Rows written in place by the inner program, whose copy was skipped. */
static long long rows_in_place;

/* Fill ``slots`` from a tuple of (cell, buffer, offset, modulus[, place])
 * tuples; ``place`` (write slots) defaults to the cell, None: never place. */
static int parse_slots(PyObject *specs, Slot *slots)
{
    Py_ssize_t i;
    for (i = 0; i < PyTuple_GET_SIZE(specs); i++) {
        PyObject *spec = PyTuple_GET_ITEM(specs, i), *buf, *place = NULL;
        Slot *s = &slots[i];
        if (!PyTuple_Check(spec) ||
            !PyArg_ParseTuple(spec, "O!Onn|O", &PyList_Type, &s->cell, &buf, &s->offset,
                              &s->modulus, &place)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "a slot is a (cell, buffer, offset, "
                                                 "modulus[, place]) tuple");
            return -1;
        }
        if (place == NULL) place = s->cell;
        if (place != Py_None && (!PyList_Check(place) || PyList_GET_SIZE(place) < 1)) {
            PyErr_SetString(PyExc_TypeError, "a slot's place must be None or a cell");
            return -1;
        }
        s->place = place == Py_None ? NULL : place;
        if (PyList_GET_SIZE(s->cell) < 1 || !PyArray_Check(buf) ||
            PyArray_NDIM((PyArrayObject *)buf) < 1 ||
            PyArray_NDIM((PyArrayObject *)buf) > MAX_DIMS || s->offset < 0 ||
            s->modulus < 0) {
            PyErr_SetString(PyExc_ValueError, "a slot needs a cell, an ndarray of "
                                              "rows and non-negative offset and modulus");
            return -1;
        }
        s->buf = (PyArrayObject *)buf;
    }
    return 0;
}

static inline Py_ssize_t row_index(const Slot *s, Py_ssize_t t)
{
    Py_ssize_t i = t + s->offset;
    return s->modulus ? i % s->modulus : i;
}

/* Store a view of row ``t`` of ``s``'s buffer in its cell. */
static int read_row(const Slot *s, Py_ssize_t t)
{
    PyArrayObject *b = s->buf;
    Py_ssize_t i = row_index(s, t);
    PyObject *row, *key;
    if (PyArray_CheckExact(b) && i < PyArray_DIM(b, 0)) {
        row = make_view(b, PyArray_NDIM(b) - 1, PyArray_DIMS(b) + 1,
                        PyArray_STRIDES(b) + 1, PyArray_BYTES(b) + i * PyArray_STRIDE(b, 0));
    } else { /* a subclass keeps its own indexing; past the end, numpy's IndexError */
        key = Py_BuildValue("(nO)", i, Py_Ellipsis);
        if (key == NULL) return -1;
        row = PyObject_GetItem((PyObject *)b, key);
        Py_DECREF(key);
    }
    if (row == NULL) return -1;
    cell_put(s->cell, row);
    return 0;
}

/* Whether an array of this geometry is C-contiguous. */
static int c_contiguous(int nd, const npy_intp *dims, const npy_intp *strides,
                        npy_intp itemsize)
{
    npy_intp expected = itemsize;
    int d;
    for (d = nd - 1; d >= 0; d--) {
        if (dims[d] == 0) return 1;
        if (dims[d] != 1 && strides[d] != expected) return 0;
        expected *= dims[d];
    }
    return 1;
}

/* The address range [lo, hi) that an array of this geometry spans. */
static void extent(int nd, const npy_intp *dims, const npy_intp *strides,
                   npy_intp itemsize, const char *data, const char **lo, const char **hi)
{
    npy_intp low = 0, high = itemsize;
    int d;
    for (d = 0; d < nd; d++) {
        npy_intp span = strides[d] * (dims[d] - 1);
        if (span < 0) low += span;
        else high += span;
    }
    *lo = data + low;
    *hi = data + high;
}

/* Copy elements between two non-empty arrays of one shape (no overlap). */
static void strided_copy(int nd, const npy_intp *dims, char *dst, const npy_intp *ds,
                         const char *src, const npy_intp *ss, npy_intp itemsize)
{
    npy_intp idx[MAX_DIMS] = {0}, k, n = nd ? dims[nd - 1] : 1;
    npy_intp dstep = nd ? ds[nd - 1] : 0, sstep = nd ? ss[nd - 1] : 0;
    int d;
    for (;;) {
        switch (itemsize) {
        case 4:
            for (k = 0; k < n; k++) memcpy(dst + k * dstep, src + k * sstep, 4);
            break;
        case 8:
            for (k = 0; k < n; k++) memcpy(dst + k * dstep, src + k * sstep, 8);
            break;
        default:
            for (k = 0; k < n; k++) memcpy(dst + k * dstep, src + k * sstep, itemsize);
        }
        for (d = nd - 2; d >= 0; d--) {
            dst += ds[d];
            src += ss[d];
            if (++idx[d] < dims[d]) break;
            dst -= ds[d] * dims[d];
            src -= ss[d] * dims[d];
            idx[d] = 0;
        }
        if (d < 0) return;
    }
}

/* Copy ``value`` into row ``i`` of ``buf``: 0, or SLOW when it is not an
 * ndarray of the row's exact shape and dtype (or overlaps the row oddly). */
static int copy_row(PyArrayObject *buf, Py_ssize_t i, PyObject *value)
{
    PyArrayObject *v = (PyArrayObject *)value;
    PyArray_Descr *descr = PyArray_DESCR(buf);
    int nd = PyArray_NDIM(buf) - 1, d;
    const npy_intp *dims = PyArray_DIMS(buf) + 1, *strides = PyArray_STRIDES(buf) + 1;
    npy_intp itemsize = PyArray_ITEMSIZE(buf);
    char *dst;
    const char *dlo, *dhi, *slo, *shi;
    if (!PyArray_CheckExact(buf) || !PyArray_CheckExact(value) ||
        i >= PyArray_DIM(buf, 0) || PyArray_NDIM(v) != nd || !PyArray_ISWRITEABLE(buf))
        return SLOW;
    /* Object arrays hold references: a byte copy would not count them. */
    if (!PyArray_EquivTypes(descr, PyArray_DESCR(v)) ||
        PyDataType_FLAGCHK(descr, NPY_ITEM_REFCOUNT))
        return SLOW;
    for (d = 0; d < nd; d++)
        if (PyArray_DIM(v, d) != dims[d]) return SLOW;
    if (PyArray_SIZE(v) == 0) return 0;
    dst = PyArray_BYTES(buf) + i * PyArray_STRIDE(buf, 0);
    if (PyArray_IS_C_CONTIGUOUS(v) && c_contiguous(nd, dims, strides, itemsize)) {
        /* Same layout on both sides, so memmove is exact even if they overlap. */
        memmove(dst, PyArray_BYTES(v), PyArray_NBYTES(v));
        return 0;
    }
    extent(nd, dims, strides, itemsize, dst, &dlo, &dhi);
    extent(nd, PyArray_DIMS(v), PyArray_STRIDES(v), itemsize, PyArray_BYTES(v), &slo,
           &shi);
    if (slo < dhi && dlo < shi) return SLOW; /* numpy buffers overlapping copies */
    strided_copy(nd, dims, dst, strides, PyArray_BYTES(v), PyArray_STRIDES(v), itemsize);
    return 0;
}

/* Copy the value in ``s``'s cell into row ``t`` of its buffer. */
static int write_row(const Slot *s, Py_ssize_t t, PyObject *store)
{
    Py_ssize_t i = row_index(s, t);
    PyObject *value = cell_get(s->cell), *res;
    int r = copy_row(s->buf, i, value);
    if (r != SLOW) return r;
    Py_INCREF(value);
    res = PyObject_CallFunction(store, "OnO", (PyObject *)s->buf, i, value);
    Py_DECREF(value);
    if (res == NULL) return -1;
    Py_DECREF(res);
    return 0;
}

/* The address range of the row of read slot ``s`` at step ``t``: the whole
 * buffer's when it is not a plain row of it (a subclass, past the end). */
static void read_extent(const Slot *s, Py_ssize_t t, const char **lo, const char **hi)
{
    PyArrayObject *b = s->buf;
    Py_ssize_t i = row_index(s, t);
    npy_intp itemsize = PyArray_ITEMSIZE(b);
    if (PyArray_CheckExact(b) && i < PyArray_DIM(b, 0))
        extent(PyArray_NDIM(b) - 1, PyArray_DIMS(b) + 1, PyArray_STRIDES(b) + 1, itemsize,
               PyArray_BYTES(b) + i * PyArray_STRIDE(b, 0), lo, hi);
    else
        extent(PyArray_NDIM(b), PyArray_DIMS(b), PyArray_STRIDES(b), itemsize,
               PyArray_BYTES(b), lo, hi);
}

/* Put a view of row ``t`` of write slot ``w[k]`` in its cell, registered as
 * placed: 1, 0 when the row cannot be placed, -1 with an error set. */
static int place_row(Slot *w, Py_ssize_t k, Py_ssize_t t, const Slot *reads,
                     Py_ssize_t nr)
{
    Slot *s = &w[k];
    PyArrayObject *b = s->buf;
    Py_ssize_t i = row_index(s, t), j;
    int nd = PyArray_NDIM(b) - 1;
    npy_intp itemsize = PyArray_ITEMSIZE(b), *dims = PyArray_DIMS(b) + 1;
    npy_intp *strides = PyArray_STRIDES(b) + 1;
    const char *lo, *hi, *olo, *ohi;
    char *data;
    PyObject *row;
    if (!s->placeable || n_placed >= MAX_PLACED || !PyArray_CheckExact(b) ||
        i >= PyArray_DIM(b, 0) || PyArray_SIZE(b) == 0 || !PyArray_ISWRITEABLE(b) ||
        !PyArray_ISNOTSWAPPED(b) || PyDataType_FLAGCHK(PyArray_DESCR(b), NPY_ITEM_REFCOUNT) ||
        !c_contiguous(nd, dims, strides, itemsize))
        return 0;
    data = PyArray_BYTES(b) + i * PyArray_STRIDE(b, 0);
    extent(nd, dims, strides, itemsize, data, &lo, &hi);
    /* A state kept in a circular buffer may be read from the row it is
     * written to: the entry would overwrite its own input. */
    for (j = 0; j < nr; j++) {
        read_extent(&reads[j], t, &olo, &ohi);
        if (olo < hi && lo < ohi) return 0;
    }
    for (j = 0; j < k; j++) {
        PyArrayObject *o = (PyArrayObject *)w[j].placed;
        if (o == NULL) continue;
        extent(PyArray_NDIM(o), PyArray_DIMS(o), PyArray_STRIDES(o), itemsize,
               PyArray_BYTES(o), &olo, &ohi);
        if (olo < hi && lo < ohi) return 0;
    }
    row = make_view(b, nd, dims, strides, data);
    if (row == NULL) return -1;
    Py_INCREF(row);
    s->placed = row;
    cell_put(s->place, row);
    placed_stack[n_placed++] = row;
    return 1;
}

/* Decide which write slots may be placed: rows of at least ``min_bytes``
 * that the inner program computes in their place, which is no other slot's
 * cell or place, nor the cond cell. */
static void find_placeable(PyObject *vm, Slot *w, Py_ssize_t nw, PyObject *cond,
                           Py_ssize_t min_bytes)
{
    Py_ssize_t k, j;
    for (k = 0; k < nw; k++) {
        PyObject *place = w[k].place;
        PyArrayObject *b = w[k].buf;
        npy_intp row_bytes = PyArray_DIM(b, 0) ? PyArray_NBYTES(b) / PyArray_DIM(b, 0) : 0;
        w[k].placeable = place != NULL && place != cond && row_bytes >= min_bytes;
        for (j = 0; j < nw && w[k].placeable; j++)
            if (j != k && (w[j].cell == place || w[j].place == place ||
                           w[j].cell == w[k].cell))
                w[k].placeable = 0;
        if (w[k].placeable) w[k].placeable = program_computes(vm, place);
    }
}

/* Put None in ``cell`` when it holds ``row``. */
static void drop_row(PyObject *cell, PyObject *row)
{
    if (cell_get(cell) == row) {
        Py_INCREF(Py_None);
        cell_put(cell, Py_None);
    }
}

/* After the loop, no cell keeps a view of an output buffer: a cell holding
 * its placed row is emptied (run_loop empties every inner cell after the
 * loop anyway, so that the next call can reuse the buffers). */
static void release_rows(Slot *w, Py_ssize_t nw)
{
    Py_ssize_t k;
    for (k = 0; k < nw; k++) {
        PyObject *row = w[k].placed;
        if (row == NULL) continue;
        drop_row(w[k].cell, row);
        drop_row(w[k].place, row);
        Py_CLEAR(w[k].placed);
    }
}

static PyObject *scan_loop(PyObject *unused, PyObject *args)
{
    PyObject *vm, *reads, *writes, *cond, *store;
    Py_ssize_t start, stop, t, nr, nw, k, min_bytes = 0;
    Slot *slots = NULL, *w;
    int base = n_placed, r;
    if (!PyArg_ParseTuple(args, "OO!O!OOnn|n", &vm, &PyTuple_Type, &reads, &PyTuple_Type,
                          &writes, &cond, &store, &start, &stop, &min_bytes))
        return NULL;
    if (cond != Py_None && (!PyList_Check(cond) || PyList_GET_SIZE(cond) < 1)) {
        PyErr_SetString(PyExc_TypeError, "cond must be None or a cell");
        return NULL;
    }
    if (start < 0) {
        PyErr_SetString(PyExc_ValueError, "start must be non-negative");
        return NULL;
    }
    nr = PyTuple_GET_SIZE(reads);
    nw = PyTuple_GET_SIZE(writes);
    slots = PyMem_Calloc(nr + nw + 1, sizeof(Slot));
    if (slots == NULL) return PyErr_NoMemory();
    w = slots + nr;
    if (parse_slots(reads, slots) < 0 || parse_slots(writes, w) < 0) goto fail;
    find_placeable(vm, w, nw, cond, min_bytes);
    for (t = start; t < stop; t++) {
        for (k = 0; k < nr; k++)
            if (read_row(&slots[k], t) < 0) goto fail;
        for (k = 0; k < nw; k++) {
            /* The last step's row is done: no cell may keep it for an entry
             * to write in when this step's row is not placed there. */
            PyObject *prev = w[k].placed;
            w[k].placed = NULL;
            r = place_row(w, k, t, slots, nr);
            if (prev != NULL) {
                if (r != 1) drop_row(w[k].place, prev);
                Py_DECREF(prev);
            }
            if (r < 0) goto fail;
        }
        r = call_vm(vm);
        n_placed = base;
        if (r < 0) goto fail;
        for (k = 0; k < nw; k++) {
            if (w[k].placed != NULL && cell_get(w[k].cell) == w[k].placed) {
                rows_in_place++;
                continue;
            }
            if (write_row(&w[k], t, store) < 0) goto fail;
        }
        if (cond != Py_None) {
            int stop_now = PyObject_IsTrue(cell_get(cond));
            if (stop_now < 0) goto fail;
            if (stop_now) {
                t++;
                break;
            }
        }
        /* Ctrl-C stops a long loop between steps, as in the Python loop. */
        if (PyErr_CheckSignals() < 0) goto fail;
    }
    release_rows(w, nw);
    PyMem_Free(slots);
    return PyLong_FromSsize_t(t);
fail:
    n_placed = base;
    release_rows(w, nw);
    PyMem_Free(slots);
    return NULL;
}

/* rows_in_place(): how many Scan step outputs were computed in their row. */
static PyObject *rows_in_place_count(PyObject *self, PyObject *unused)
{
    return PyLong_FromLongLong(rows_in_place);
}

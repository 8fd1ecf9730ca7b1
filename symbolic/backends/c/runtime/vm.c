/* The Program type: runs the entries of a compiled graph in order. */
#include "runtime.h"

typedef struct {
    PyObject_HEAD
    Py_ssize_t n;
    Entry *entries;
    PyObject *keepalive; /* everything the entries point to */
    PyObject *on_error;  /* on_error(index, exception) raises it annotated */
    PyObject **clear;    /* cells emptied after each call */
    Py_ssize_t nclear;
    long long *slow_calls; /* per entry: times the Python thunk ran */
    PyObject *dict;        /* attributes set from Python (nodes, thunks...) */
} Program;

static int run_entry(Entry *e, long long *slow)
{
    int r;
    switch (e->kind) {
    case K_ELEMWISE: r = run_elemwise(e); break;
    case K_GEMM: r = run_gemm(e); break;
    case K_GEMV: r = run_gemv(e); break;
    case K_GER: r = run_ger(e); break;
    case K_DOT22:
    case K_DOT: r = run_dot(e); break;
    case K_REDUCE: r = run_reduce(e); break;
    case K_SOFTMAX:
    case K_LOGSOFTMAX:
    case K_SOFTMAX_BIAS: r = run_softmax(e); break;
    case K_SOFTMAX_GRAD: r = run_softmax_grad(e); break;
    case K_CE_SOFTMAX_BIAS: r = run_ce_softmax_bias(e); break;
    case K_CE_SOFTMAX_DX: r = run_ce_softmax_dx(e); break;
    case K_CE_1HOT: r = run_ce_1hot(e); break;
    case K_CE_1HOT_GRAD: r = run_ce_1hot_grad(e); break;
    case K_DIMSHUFFLE: r = run_dimshuffle(e); break;
    case K_RESHAPE: r = run_reshape(e); break;
    case K_SUBTENSOR: r = run_subtensor(e); break;
    case K_ALLOC: r = run_alloc(e); break;
    case K_SHAPE: r = run_shape(e); break;
    case K_SHAPE_I: r = run_shape_i(e); break;
    case K_MAKEVECTOR: r = run_makevector(e); break;
    case K_REBROADCAST: r = run_rebroadcast(e); break;
    case K_SKIP: r = 0; break;
    case K_REDUCE_MAP: r = run_reduce_map(e); break;
    case K_JOIN: r = run_join(e); break;
    case K_CONV: r = run_conv_forward(e); break;
    case K_CONV_GRAD_WEIGHTS: r = run_conv_grad_weights(e); break;
    case K_CONV_GRAD_INPUTS: r = run_conv_grad_inputs(e); break;
    case K_POOL:
    case K_MAXPOOL_GRAD:
    case K_AVGPOOL_GRAD: r = run_pool(e); break;
    case K_BN_TRAIN: r = run_bn_train(e); break;
    case K_BN_INFERENCE: r = run_bn_inference(e); break;
    case K_BN_TRAIN_GRAD: r = run_bn_train_grad(e); break;
    default: r = SLOW; break;
    }
    if (r == SLOW) {
        PyObject *res;
        if (e->kind != K_PYTHON) (*slow)++;
        res = PyObject_CallNoArgs(e->fallback);
        if (res == NULL) return -1;
        Py_DECREF(res);
        return 0;
    }
    return r;
}

/* Hand the pending exception of entry ``i`` to on_error; returns NULL. */
static PyObject *fail(Program *self, Py_ssize_t i)
{
    PyObject *type, *value, *tb, *res;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL) PyException_SetTraceback(value, tb);
    res = PyObject_CallFunction(self->on_error, "nO", i, value);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    Py_XDECREF(res);
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "program failed");
    return NULL;
}

static void clear_cells(Program *self)
{
    Py_ssize_t i;
    for (i = 0; i < self->nclear; i++) {
        PyObject *cell = self->clear[i];
        if (PyList_GET_ITEM(cell, 0) != Py_None) {
            Py_INCREF(Py_None);
            cell_put(cell, Py_None);
        }
    }
}

/* The entry after BRANCH entry ``e``: the next one for branch 0, p[0] for
 * branch 1 (its thunk picks); -1 with an exception set on failure. */
static Py_ssize_t branch_target(Entry *e, Py_ssize_t i)
{
    PyObject *res = PyObject_CallNoArgs(e->fallback);
    long branch;
    if (res == NULL) return -1;
    branch = PyLong_AsLong(res);
    Py_DECREF(res);
    if (branch == -1 && PyErr_Occurred()) return -1;
    if (branch != 0 && branch != 1) {
        PyErr_Format(PyExc_ValueError, "a lazy node chose branch %ld of 2", branch);
        return -1;
    }
    return branch == 0 ? i + 1 : (Py_ssize_t)e->p[0];
}

/* Run the entries once, in order but for the jumps of lazy nodes (only the
 * chosen branch runs): 0, or -1 with the error on_error annotated set. */
static int program_execute(Program *self)
{
    Py_ssize_t i = 0;
    while (i < self->n) {
        Entry *e = &self->entries[i];
        if (e->kind == K_JUMP) {
            i = (Py_ssize_t)e->p[0];
            continue;
        }
        if (e->kind == K_BRANCH) {
            Py_ssize_t next = branch_target(e, i);
            if (next < 0) goto failed;
            i = next;
            continue;
        }
        if (run_entry(e, &self->slow_calls[i]) < 0) goto failed;
        i++;
    }
    clear_cells(self);
    return 0;
failed:
    clear_cells(self);
    fail(self, i);
    return -1;
}

static PyObject *program_call(Program *self, PyObject *args, PyObject *kwargs)
{
    if ((args && PyTuple_GET_SIZE(args)) || (kwargs && PyDict_GET_SIZE(kwargs))) {
        PyErr_SetString(PyExc_TypeError, "a Program takes no arguments");
        return NULL;
    }
    if (program_execute(self) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *program_run(Program *self, PyObject *arg)
{
    Py_ssize_t i = PyLong_AsSsize_t(arg);
    if (i == -1 && PyErr_Occurred()) return NULL;
    if (i < 0 || i >= self->n) return PyErr_Format(PyExc_IndexError, "no entry %zd", i);
    if (self->entries[i].kind == K_BRANCH || self->entries[i].kind == K_JUMP)
        return PyErr_Format(PyExc_ValueError, "entry %zd is a jump: run the program", i);
    if (run_entry(&self->entries[i], &self->slow_calls[i]) < 0) return fail(self, i);
    Py_RETURN_NONE;
}

static PyObject *program_clear(Program *self, PyObject *unused)
{
    clear_cells(self);
    Py_RETURN_NONE;
}

static PyObject *program_slow_calls(Program *self, PyObject *unused)
{
    PyObject *out = PyList_New(self->n);
    Py_ssize_t i;
    if (out == NULL) return NULL;
    for (i = 0; i < self->n; i++)
        PyList_SET_ITEM(out, i, PyLong_FromLongLong(self->slow_calls[i]));
    return out;
}

static void program_dealloc(Program *self)
{
    Py_ssize_t i;
    if (self->entries != NULL) {
        for (i = 0; i < self->n; i++) {
            PyMem_Free(self->entries[i].in);
            PyMem_Free(self->entries[i].p);
            pack_state_free(self->entries[i].state);
        }
        PyMem_Free(self->entries);
    }
    PyMem_Free(self->clear);
    PyMem_Free(self->slow_calls);
    Py_XDECREF(self->keepalive);
    Py_XDECREF(self->on_error);
    Py_XDECREF(self->dict);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Check that ``seq`` is a tuple of cells (lists of length >= 1). */
static int cells_ok(PyObject *seq)
{
    Py_ssize_t i;
    if (!PyTuple_Check(seq)) return 0;
    for (i = 0; i < PyTuple_GET_SIZE(seq); i++) {
        PyObject *c = PyTuple_GET_ITEM(seq, i);
        if (!PyList_Check(c) || PyList_GET_SIZE(c) < 1) return 0;
    }
    return 1;
}

static int parse_entry(Entry *e, PyObject *spec)
{
    PyObject *ins, *outs, *fallback, *params;
    unsigned long long fn0, fn1;
    Py_ssize_t i;
    if (!PyArg_ParseTuple(spec, "iOOOOKK", &e->kind, &ins, &outs, &fallback, &params,
                          &fn0, &fn1))
        return -1;
    if (e->kind < 0 || e->kind >= N_KINDS) {
        PyErr_Format(PyExc_ValueError, "unknown entry kind %d", e->kind);
        return -1;
    }
    if (!cells_ok(ins) || !cells_ok(outs)) {
        PyErr_SetString(PyExc_TypeError, "entry cells must be tuples of 1-element lists");
        return -1;
    }
    if (!PyCallable_Check(fallback) || !PyTuple_Check(params)) {
        PyErr_SetString(PyExc_TypeError, "entry needs a callable thunk and a params tuple");
        return -1;
    }
    e->nin = (int)PyTuple_GET_SIZE(ins);
    e->nout = (int)PyTuple_GET_SIZE(outs);
    if ((e->kind == K_ELEMWISE || e->kind == K_SKIP) &&
        (e->nin + e->nout > MAX_ARGS || fn0 == 0 || fn1 == 0)) {
        PyErr_SetString(PyExc_ValueError, "elemwise entry: too many operands or no kernel");
        return -1;
    }
    e->in = PyMem_Malloc(sizeof(PyObject *) * (e->nin + e->nout + 1));
    e->np = PyTuple_GET_SIZE(params);
    e->p = PyMem_Malloc(sizeof(long long) * (e->np + 1));
    if (e->in == NULL || e->p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    e->out = e->in + e->nin;
    for (i = 0; i < e->nin; i++) e->in[i] = PyTuple_GET_ITEM(ins, i);
    for (i = 0; i < e->nout; i++) e->out[i] = PyTuple_GET_ITEM(outs, i);
    for (i = 0; i < e->np; i++) {
        e->p[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(params, i));
        if (e->p[i] == -1 && PyErr_Occurred()) return -1;
    }
    if (e->kind == K_REDUCE_MAP && (e->np < 6 || fn0 == 0 || e->nin != 1)) {
        PyErr_SetString(PyExc_ValueError, "reduce-map entry: bad parameters or no kernel");
        return -1;
    }
    if ((e->kind == K_ELEMWISE || e->kind == K_SKIP) &&
        e->np < 1 + 2 * e->nin + 2 * e->nout) {
        PyErr_SetString(PyExc_ValueError, "elemwise entry: too few parameters");
        return -1;
    }
    e->fallback = fallback;
    e->fn[0] = (void *)(uintptr_t)fn0;
    e->fn[1] = (void *)(uintptr_t)fn1;
    return 0;
}

static PyObject *program_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"entries", "clear", "on_error", NULL};
    PyObject *entries, *clear, *on_error;
    Program *self;
    Py_ssize_t i;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!O", names, &PyTuple_Type,
                                     &entries, &PyTuple_Type, &clear, &on_error))
        return NULL;
    if (!cells_ok(clear)) {
        PyErr_SetString(PyExc_TypeError, "clear must be a tuple of cells");
        return NULL;
    }
    self = (Program *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    self->keepalive = PyTuple_Pack(2, entries, clear);
    Py_INCREF(on_error);
    self->on_error = on_error;
    self->n = PyTuple_GET_SIZE(entries);
    self->entries = PyMem_Calloc(self->n + 1, sizeof(Entry));
    self->nclear = PyTuple_GET_SIZE(clear);
    self->clear = PyMem_Malloc(sizeof(PyObject *) * (self->nclear + 1));
    self->slow_calls = PyMem_Calloc(self->n + 1, sizeof(long long));
    if (self->keepalive == NULL || self->entries == NULL || self->clear == NULL ||
        self->slow_calls == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    for (i = 0; i < self->nclear; i++) self->clear[i] = PyTuple_GET_ITEM(clear, i);
    for (i = 0; i < self->n; i++) {
        PyObject *spec = PyTuple_GET_ITEM(entries, i);
        if (!PyTuple_Check(spec) || parse_entry(&self->entries[i], spec) < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "entry must be a tuple");
            Py_DECREF(self);
            return NULL;
        }
    }
    for (i = 0; i < self->n; i++) {
        Entry *e = &self->entries[i];
        long long k;
        if (e->kind == K_BRANCH || e->kind == K_JUMP) {
            /* Jumps go forward only, so every call ends. */
            if (e->np < 1 || e->p[0] <= i || e->p[0] > self->n) {
                PyErr_Format(PyExc_ValueError, "jump entry %zd: bad target", i);
                Py_DECREF(self);
                return NULL;
            }
            continue;
        }
        if (e->kind != K_REDUCE_MAP) continue;
        k = e->p[e->np - 1];
        if (k < 0 || k >= i || self->entries[k].kind != K_SKIP) {
            PyErr_Format(PyExc_ValueError, "reduce-map entry %zd: entry %lld is no SKIP", i, k);
            Py_DECREF(self);
            return NULL;
        }
        e->pre = &self->entries[k];
    }
    return (PyObject *)self;
}

static PyMethodDef program_methods[] = {
    {"run", (PyCFunction)program_run, METH_O, "Run entry i alone."},
    {"clear", (PyCFunction)program_clear, METH_NOARGS, "Empty the view cells."},
    {"slow_calls", (PyCFunction)program_slow_calls, METH_NOARGS,
     "Per entry, how many times the Python thunk ran instead of the C path."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ProgramType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "_runtime.Program",
    .tp_basicsize = sizeof(Program),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Program(entries, clear, on_error): run a graph's entries in order.",
    .tp_new = program_new,
    .tp_dealloc = (destructor)program_dealloc,
    .tp_call = (ternaryfunc)program_call,
    .tp_methods = program_methods,
    .tp_dictoffset = offsetof(Program, dict),
};

/* new_loop(): the operands a loop keeps fixed may differ from here on, so
 * packed copies of them are made again on their next use. */
static PyObject *new_loop(PyObject *self, PyObject *unused)
{
    pack_epoch++;
    Py_RETURN_NONE;
}

/* set_threads(n): threads of the runtime's own parallel kernels. */
static PyObject *set_threads(PyObject *self, PyObject *arg)
{
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    pool_set_size((int)n);
    Py_RETURN_NONE;
}

/* packed_isa(): 'avx512', 'avx2' or None: the packed product kernel in use. */
static PyObject *packed_isa(PyObject *self, PyObject *unused)
{
    pk_shape s = pk_native();
    if (s.isa == PK_AVX512) return PyUnicode_FromString("avx512");
    if (s.isa == PK_AVX2) return PyUnicode_FromString("avx2");
    Py_RETURN_NONE;
}

/* packed_products(): how many products took the packed path so far. */
static PyObject *packed_count(PyObject *self, PyObject *unused)
{
    return PyLong_FromLongLong(packed_products);
}

/* blocked_products(): how many matrix products gemm_blocked.c computed. */
static PyObject *blocked_count(PyObject *self, PyObject *unused)
{
    return PyLong_FromLongLong(blocked_products);
}

/* use_blocked_products(flag): whether products may go to gemm_blocked.c
 * (else always to BLAS); returns the previous setting.  For measurements. */
static PyObject *use_blocked(PyObject *self, PyObject *flag)
{
    int prev = blocked_enabled, on = PyObject_IsTrue(flag);
    if (on < 0) return NULL;
    blocked_enabled = on;
    return PyBool_FromLong(prev);
}

static const char *const gb_kernel_names[] = {"measured", "avx512", "avx2"};

/* blocked_kernel(): 'avx512' or 'avx2', the register kernel products take
 * on this CPU (timed now if that is how it is chosen and not done yet), or
 * None without one. */
static PyObject *blocked_kernel(PyObject *self, PyObject *unused)
{
    if (pk_native().isa == PK_NONE) Py_RETURN_NONE;
    return PyUnicode_FromString(gb_kernel_names[gb_kernel_choice()]);
}

/* use_blocked_kernel(name): 'avx512', 'avx2' or 'measured' (the default:
 * the faster of the two, timed once); returns the previous setting. */
static PyObject *use_blocked_kernel(PyObject *self, PyObject *arg)
{
    const char *name = PyUnicode_Check(arg) ? PyUnicode_AsUTF8(arg) : NULL;
    const int prev = blocked_kernel_setting;
    int i, found = -1;
    if (name == NULL) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "use_blocked_kernel: expected a kernel name, got %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    for (i = 0; i < 3; i++)
        if (strcmp(name, gb_kernel_names[i]) == 0) found = i;
    if (found < 0) {
        PyErr_Format(PyExc_ValueError, "use_blocked_kernel: expected 'measured', 'avx512' or "
                                       "'avx2', got %R", arg);
        return NULL;
    }
    if (found == GB_ZMM && pk_native().isa != PK_AVX512) {
        PyErr_SetString(PyExc_ValueError, "use_blocked_kernel: 'avx512' needs a CPU (and a "
                                          "cpu__isa setting) with AVX-512");
        return NULL;
    }
    blocked_kernel_setting = found;
    return PyUnicode_FromString(gb_kernel_names[prev]);
}

/* pooled_elemwise(): how many elemwise calls were split over the pool so far. */
static PyObject *pooled_count(PyObject *self, PyObject *unused)
{
    return PyLong_FromLongLong(pooled_calls);
}

/* split_thresholds(gemm=-1, hot=-1, cold=-1): the work above which BLAS
 * products and elemwise calls (while the pool's workers spin, and while they
 * sleep) are split over the pool, as a tuple, after setting those given as
 * non-negative numbers.  For measurements; the defaults are the tuned ones. */
static PyObject *split_thresholds(PyObject *self, PyObject *args)
{
    long long gemm = -1, hot = -1, cold = -1;
    if (!PyArg_ParseTuple(args, "|LLL", &gemm, &hot, &cold)) return NULL;
    if (gemm >= 0) gemm_parallel_work = gemm;
    if (hot >= 0) pool_work_hot = hot;
    if (cold >= 0) pool_work_cold = cold;
    return Py_BuildValue("LLL", gemm_parallel_work, pool_work_hot, pool_work_cold);
}

/* pool_pick(left, own): the part a pool thread claims next (see pool.c). */
static PyObject *pool_pick_part(PyObject *self, PyObject *args)
{
    long long left;
    int own;
    if (!PyArg_ParseTuple(args, "Li", &left, &own)) return NULL;
    if (left <= 0 || left > POOL_MASK || own < 0 || own >= POOL_MAX) {
        PyErr_SetString(PyExc_ValueError, "pool_pick: left must be a non-empty mask of "
                                          "parts and own a part number");
        return NULL;
    }
    return PyLong_FromLong(pool_pick(left, own));
}

/* pool_deal_claims(slots, parts, claimers): the slots that the parts in
 * ``claimers`` get, claiming one after another from a fresh deal (-1: none
 * left); see pool_deal in pool.c. */
static PyObject *pool_deal_claims(PyObject *self, PyObject *args)
{
    int slots, parts;
    PyObject *claimers, *seq, *out;
    pool_deal deal;
    Py_ssize_t i, n;
    if (!PyArg_ParseTuple(args, "iiO", &slots, &parts, &claimers)) return NULL;
    if (slots < 0 || parts < 1 || parts > POOL_MAX) {
        PyErr_Format(PyExc_ValueError,
                     "pool_deal_claims: expected 0 or more slots and 1 to %d parts, got %d "
                     "slots and %d parts", POOL_MAX, slots, parts);
        return NULL;
    }
    seq = PySequence_Fast(claimers, "pool_deal_claims: claimers must be a sequence");
    if (seq == NULL) return NULL;
    n = PySequence_Fast_GET_SIZE(seq);
    out = PyList_New(n);
    if (out == NULL) goto fail;
    pool_deal_init(&deal, slots, parts);
    for (i = 0; i < n; i++) {
        long part = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (part == -1 && PyErr_Occurred()) goto fail;
        if (part < 0 || part >= parts) {
            PyErr_Format(PyExc_ValueError, "pool_deal_claims: claimer %ld is not one of the "
                                           "%d parts", part, parts);
            goto fail;
        }
        PyList_SET_ITEM(out, i, PyLong_FromLong(pool_deal_next(&deal, (int)part)));
    }
    Py_DECREF(seq);
    return out;
fail:
    Py_XDECREF(out);
    Py_DECREF(seq);
    return NULL;
}

static int call_vm(PyObject *vm)
{
    PyObject *res;
    if (Py_TYPE(vm) == &ProgramType) return program_execute((Program *)vm);
    res = PyObject_CallNoArgs(vm);
    if (res == NULL) return -1;
    Py_DECREF(res);
    return 0;
}

static int program_computes(PyObject *vm, PyObject *cell)
{
    Program *self = (Program *)vm;
    Py_ssize_t i;
    int j, found = 0;
    if (Py_TYPE(vm) != &ProgramType) return 0;
    for (i = 0; i < self->nclear; i++)
        if (self->clear[i] == cell) return 0;
    for (i = 0; i < self->n && !found; i++) {
        Entry *e = &self->entries[i];
        if (e->kind == K_SKIP) continue; /* its REDUCE_MAP computes it */
        for (j = 0; j < e->nout; j++)
            if (e->out[j] == cell) found = 1;
    }
    return found;
}

static PyMethodDef module_methods[] = {
    {"packed_products", packed_count, METH_NOARGS,
     "How many matrix products the packed kernel computed in this process."},
    {"blocked_products", blocked_count, METH_NOARGS,
     "How many matrix products the blocked AVX-512 kernel computed in this process."},
    {"use_blocked_products", use_blocked, METH_O,
     "use_blocked_products(flag): allow the blocked kernel (else BLAS only); "
     "returns the previous setting."},
    {"pooled_elemwise", pooled_count, METH_NOARGS,
     "How many elemwise kernel calls were split over the thread pool in this process."},
    {"split_thresholds", split_thresholds, METH_VARARGS,
     "split_thresholds(gemm=-1, hot=-1, cold=-1): the pool's split thresholds."},
    {"blocked_kernel", blocked_kernel, METH_NOARGS,
     "blocked_kernel(): 'avx512' or 'avx2', the register kernel of this CPU's blocked "
     "products, or None"},
    {"use_blocked_kernel", use_blocked_kernel, METH_O,
     "use_blocked_kernel(name): 'avx512', 'avx2' or 'measured' (the faster, timed once); "
     "returns the previous setting"},
    {"pool_deal_claims", pool_deal_claims, METH_VARARGS,
     "pool_deal_claims(slots, parts, claimers): the slots the parts in claimers get, "
     "claiming in turn from a fresh deal (-1: none left); for tests"},
    {"pool_pick", pool_pick_part, METH_VARARGS,
     "pool_pick(left, own): the part a pool thread claims next from the mask of "
     "unclaimed parts."},
    {"new_loop", new_loop, METH_NOARGS,
     "Mark the start of a loop: packed copies of loop-invariant operands are redone."},
    {"set_threads", set_threads, METH_O,
     "set_threads(n): threads used by the runtime's parallel kernels."},
    {"packed_isa", packed_isa, METH_NOARGS,
     "The instruction set of the packed product kernel ('avx512', 'avx2' or None)."},
    {"load_blas", load_blas, METH_VARARGS,
     "load_blas(ilp64_addresses=None): use the given ILP64 BLAS functions, or "
     "fetch BLAS pointers from scipy.linalg.cython_blas; True when ready."},
    {"blas_source", blas_source, METH_NOARGS,
     "Which BLAS the runtime calls: 'ilp64', 'scipy' or None before loading."},
    {"rows_in_place", rows_in_place_count, METH_NOARGS,
     "How many Scan step outputs were computed in their output buffer row "
     "(no copy) in this process."},
    {"scan_loop", scan_loop, METH_VARARGS,
     "scan_loop(vm, reads, writes, cond, store, start, stop, min_bytes=0): run "
     "steps start..stop-1 of a Scan loop, computing output rows of at least "
     "min_bytes in place; returns the number of steps done (fewer when the "
     "cond cell turns true)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef runtime_module = {
    PyModuleDef_HEAD_INIT, "_runtime", "The C runtime of the C backend.", -1,
    module_methods};

/* Export the entry kinds as KINDS, a dict {name: number}, for Python's
 * lowerings to read instead of keeping their own copy. */
static int add_kinds(PyObject *m)
{
#define RT_KIND_NAME(name) #name,
    static const char *names[] = {ENTRY_KINDS(RT_KIND_NAME)};
#undef RT_KIND_NAME
    PyObject *kinds = PyDict_New();
    int i;
    if (kinds == NULL) return -1;
    for (i = 0; i < N_KINDS; i++) {
        PyObject *number = PyLong_FromLong(i);
        int failed = number == NULL || PyDict_SetItemString(kinds, names[i], number) < 0;
        Py_XDECREF(number);
        if (failed) {
            Py_DECREF(kinds);
            return -1;
        }
    }
    if (PyModule_AddObject(m, "KINDS", kinds) < 0) {
        Py_DECREF(kinds);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__runtime(void)
{
    PyObject *m;
    import_array();
    if (PyType_Ready(&ProgramType) < 0) return NULL;
    m = PyModule_Create(&runtime_module);
    if (m == NULL) return NULL;
    Py_INCREF(&ProgramType);
    if (PyModule_AddObject(m, "Program", (PyObject *)&ProgramType) < 0) return NULL;
    PyModule_AddIntConstant(m, "ABI_VERSION", 1);
    if (PyModule_AddIntConstant(m, "MAX_ARGS", MAX_ARGS) < 0 ||
        PyModule_AddIntConstant(m, "MAX_DIMS", MAX_DIMS) < 0 || add_kinds(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

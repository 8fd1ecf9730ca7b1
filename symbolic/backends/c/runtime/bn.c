/* Batch normalization of symbolic.ops.nnet.bn, float32/float64: the training
 * pass (AbstractBatchNormTrain), the pass with given statistics
 * (AbstractBatchNormInference) and the training gradient
 * (AbstractBatchNormTrainGrad).
 *
 * Parameters: the float dtype and a bit mask of the normalized ("reduced")
 * axes.  The other ("kept") axes index the channels, each with its own
 * statistics; channels are numbered in C order of the kept axes, which is
 * also the order of the statistics arrays (x's shape with 1 on the reduced
 * axes, C-ordered).  A parameter array (scale, bias, mean...) has length 1
 * on the reduced axes and x's length or 1 on the kept ones; its values are
 * first gathered into one double per channel.
 *
 * x's axes are put in memory order (length-1 axes dropped, neighbours that
 * are one block in every array merged).  The work is cut into units that
 * touch disjoint channels, so units run in parallel with no merging of sums:
 *   - when the innermost axis is reduced, each row (a run along it) belongs
 *     to one channel; a unit is a range of the outermost kept axis, and its
 *     passes walk its rows in memory order (streaming, the channels
 *     interleaved), adding each row's sums to its channel's;
 *   - when it is kept, a unit is a block of up to BN_BLOCK consecutive
 *     channels along it, and each row is a run of those channels.
 * A unit reads its cells two or three times (sums, centred sums, output).
 * Sums accumulate in double for both dtypes, each channel's in an order
 * that does not depend on the units, so neither do the results.
 *
 * Values outside what the checks accept (other layouts of the parameters,
 * a batch of one with running averages, whose unbiased variance divides by
 * zero) run the Python thunk, which computes or raises the reference result.
 */
#include "runtime.h"
#include "bn_kernels.c"

enum { BN_KIND_TRAIN, BN_KIND_INFERENCE, BN_KIND_GRAD };

/* Per-channel double arrays of a job; V_S0..V_S2 are running sums. */
enum { V_SCALE, V_BIAS, V_MEAN, V_VAR, V_INVSTD, V_S0, V_S1, V_S2, V_COUNT,
       V_GSCALE = V_VAR, V_GBIAS = V_INVSTD };

typedef struct {
    int kind;
    const BnKernels *k;
    double eps;
    npy_intp m, C; /* cells per channel, channels */
    char *base[3]; /* x, dy, out */
    BnAxis inner;
    int inner_reduced;
    /* A kept inner axis: the reduced axes are the row axes, the last walked
     * by the kernels (a span's rows), the others (``nr``) by a cursor; a
     * unit is a block along the inner axis at one index of the other kept
     * axes (``kept``). */
    BnAxis run;
    int nr, nk;
    BnAxis rows[MAX_DIMS], kept[MAX_DIMS];
    npy_intp spans;   /* spans per unit */
    npy_intp block, nblocks; /* channels per block along a kept inner axis */
    /* A reduced inner axis: the walk goes through every other axis in
     * memory order (``outer``, a trailing reduced one being ``run``); a
     * unit is a range of the outermost kept axis (``split``, -1: none). */
    int nouter, split;
    BnAxis outer[MAX_DIMS];
    npy_intp units;
    double *v[V_COUNT];
    atomic_llong next;
} BnJob;

/* The spans of a unit, stepping through the outer row axes. */
typedef struct {
    npy_intp idx[MAX_DIMS];
    npy_intp off[3];
    BnSpan span;
} BnCursor;

static inline void bn_cursor_start(BnCursor *c, const BnJob *j, const npy_intp *off,
                                   npy_intp n)
{
    int a;
    for (a = 0; a < j->nr; a++) c->idx[a] = 0;
    for (a = 0; a < 3; a++) {
        c->off[a] = off[a];
        c->span.rs[a] = j->run.st[a];
        c->span.es[a] = j->inner.st[a];
    }
    c->span.rows = j->run.dim;
    c->span.n = n;
}

/* The cursor's span (pointers at its current offsets). */
static inline const BnSpan *bn_span(BnCursor *c, const BnJob *j)
{
    c->span.x = j->base[BN_X] + c->off[BN_X];
    c->span.dy = j->base[BN_DY] != NULL ? j->base[BN_DY] + c->off[BN_DY] : NULL;
    c->span.out = j->base[BN_OUT] + c->off[BN_OUT];
    return &c->span;
}

static inline void bn_cursor_next(BnCursor *c, const BnJob *j)
{
    int a, s;
    for (a = j->nr - 1; a >= 0; a--) {
        const BnAxis *ax = &j->rows[a];
        if (++c->idx[a] < ax->dim) {
            for (s = 0; s < 3; s++) c->off[s] += ax->st[s];
            return;
        }
        c->idx[a] = 0;
        for (s = 0; s < 3; s++) c->off[s] -= ax->st[s] * (ax->dim - 1);
    }
}

#define BN_FOR_SPANS(j, start, n, cur)                                                \
    for (npy_intp r_ = (bn_cursor_start(&(cur), (j), (start), (n)), 0); r_ < (j)->spans; \
         r_++, bn_cursor_next(&(cur), (j)))

/* The rows of a unit whose inner axis is reduced, in memory order. */
typedef struct {
    npy_intp idx[MAX_DIMS], lo[MAX_DIMS], hi[MAX_DIMS];
    npy_intp off[BN_STRIDED]; /* x, dy, out; the channel number */
    BnSpan span;
} BnWalk;

/* Start at the first span of unit u; 0 when the unit has none. */
static int bn_walk_start(BnWalk *w, const BnJob *j, npy_intp u)
{
    int a, s;
    for (s = 0; s < BN_STRIDED; s++) w->off[s] = 0;
    for (a = 0; a < j->nouter; a++) {
        const BnAxis *ax = &j->outer[a];
        w->lo[a] = a == j->split ? ax->dim * u / j->units : 0;
        w->hi[a] = a == j->split ? ax->dim * (u + 1) / j->units : ax->dim;
        if (w->lo[a] >= w->hi[a]) return 0;
        w->idx[a] = w->lo[a];
        for (s = 0; s < BN_STRIDED; s++) w->off[s] += w->lo[a] * ax->st[s];
    }
    for (s = 0; s < 3; s++) {
        w->span.rs[s] = j->run.st[s];
        w->span.es[s] = j->inner.st[s];
    }
    w->span.rows = j->run.dim;
    w->span.n = j->inner.dim;
    return 1;
}

/* Step to the next span; 0 past the last. */
static int bn_walk_next(BnWalk *w, const BnJob *j)
{
    int a, s;
    for (a = j->nouter - 1; a >= 0; a--) {
        const BnAxis *ax = &j->outer[a];
        if (++w->idx[a] < w->hi[a]) {
            for (s = 0; s < BN_STRIDED; s++) w->off[s] += ax->st[s];
            return 1;
        }
        for (s = 0; s < BN_STRIDED; s++) w->off[s] -= (w->hi[a] - 1 - w->lo[a]) * ax->st[s];
        w->idx[a] = w->lo[a];
    }
    return 0;
}

static inline const BnSpan *bn_walk_span(BnWalk *w, const BnJob *j)
{
    w->span.x = j->base[BN_X] + w->off[BN_X];
    w->span.dy = j->base[BN_DY] != NULL ? j->base[BN_DY] + w->off[BN_DY] : NULL;
    w->span.out = j->base[BN_OUT] + w->off[BN_OUT];
    return &w->span;
}

/* Channel c's statistics from its running sums (training pass). */
static inline double bn_mean_of(const BnJob *j, npy_intp c)
{
    return j->v[V_S0][c] / (double)j->m;
}

static inline double bn_invstd_of(const BnJob *j, npy_intp c)
{
    return 1.0 / sqrt(j->v[V_S1][c] / (double)j->m + j->eps);
}

/* gx = dy coef[0] + x coef[1] + coef[2] for channel c, from the sums of dy,
 * dy (x - mean) and x - mean: scale (dy inv - (x - mean) k - the channel's
 * mean of that), k = mean(dy (x - mean)) inv^3. */
static void bn_grad_coef(const BnJob *j, npy_intp c, double s0, double s1, double s2,
                         double *coef)
{
    double m = (double)j->m, inv = j->v[V_INVSTD][c], scale = j->v[V_SCALE][c];
    double kk = s1 / m * (inv * inv * inv);
    coef[0] = scale * inv;
    coef[1] = -scale * kk;
    coef[2] = -scale * (inv * s0 / m - s2 / m * kk) - j->v[V_MEAN][c] * coef[1];
}

/* Unit u of a job whose inner axis is reduced: every pass walks the unit's
 * rows in memory order (streaming, however the channels interleave),
 * adding each row's sums to its channel's. */
static void bn_rowwise(BnJob *j, npy_intp u)
{
    const BnKernels *k = j->k;
    double **v = j->v;
    int pass, passes = j->kind == BN_KIND_TRAIN ? 3 : j->kind == BN_KIND_GRAD ? 2 : 1;
    BnWalk w;
    for (pass = 0; pass < passes; pass++) {
        int more;
        for (more = bn_walk_start(&w, j, u); more; more = bn_walk_next(&w, j)) {
            const BnSpan *s = bn_walk_span(&w, j);
            npy_intp c = w.off[BN_CHAN];
            if (j->kind == BN_KIND_INFERENCE) {
                double a = v[V_SCALE][c] / sqrt(v[V_VAR][c] + j->eps);
                k->raffine(s, a, v[V_BIAS][c] - v[V_MEAN][c] * a);
            } else if (j->kind == BN_KIND_TRAIN) {
                if (pass == 0) {
                    v[V_S0][c] += k->rsum(s);
                } else if (pass == 1) {
                    v[V_S1][c] += k->rsq(s, bn_mean_of(j, c));
                } else {
                    double a = v[V_SCALE][c] * bn_invstd_of(j, c);
                    k->raffine(s, a, v[V_BIAS][c] - bn_mean_of(j, c) * a);
                }
            } else if (pass == 0) {
                double sums[3] = {v[V_S0][c], v[V_S1][c], v[V_S2][c]};
                k->rgsum(s, v[V_MEAN][c], sums);
                v[V_S0][c] = sums[0];
                v[V_S1][c] = sums[1];
                v[V_S2][c] = sums[2];
            } else {
                double coef[3];
                bn_grad_coef(j, c, v[V_S0][c], v[V_S1][c], v[V_S2][c], coef);
                k->rgout(s, coef);
            }
        }
    }
}

/* The outputs of a rowwise job from its channels' sums. */
static void bn_rowwise_finish(BnJob *j)
{
    npy_intp c;
    double m = (double)j->m, **v = j->v;
    for (c = 0; c < j->C; c++) {
        if (j->kind == BN_KIND_TRAIN) {
            v[V_MEAN][c] = bn_mean_of(j, c);
            v[V_VAR][c] = v[V_S1][c] / m;
            v[V_INVSTD][c] = bn_invstd_of(j, c);
        } else if (j->kind == BN_KIND_GRAD) {
            v[V_GSCALE][c] = v[V_INVSTD][c] * v[V_S1][c];
            v[V_GBIAS][c] = v[V_S0][c];
        }
    }
}

/* ``n`` doubles of ``src`` as the job's dtype into ``dst``. */
static void bn_as_dtype(const BnJob *j, const double *src, void *dst, npy_intp n)
{
    npy_intp i;
    if (j->k == &bn_kernels_float)
        for (i = 0; i < n; i++) ((float *)dst)[i] = (float)src[i];
    else
        memcpy(dst, src, (size_t)n * sizeof(double));
}

/* The n channels c0, c0 + cs, ... of a block, the innermost axis being kept. */
static void bn_block(BnJob *j, npy_intp c0, npy_intp n, const npy_intp *start)
{
    const BnKernels *k = j->k;
    npy_intp cs = j->inner.st[BN_CHAN], i;
    double m = (double)j->m, **v = j->v;
    double mean[BN_BLOCK], a[BN_BLOCK], b[BN_BLOCK], s0[BN_BLOCK], s1[BN_BLOCK],
        s2[BN_BLOCK];
    /* The coefficients in the dtype (doubles hold either). */
    double ta[BN_BLOCK], tb[BN_BLOCK], tg[BN_BLOCK];
    BnCursor cur;
    for (i = 0; i < n; i++) {
        s0[i] = s1[i] = s2[i] = 0.0;
        if (j->kind != BN_KIND_TRAIN) mean[i] = v[V_MEAN][c0 + i * cs];
    }
    if (j->kind == BN_KIND_INFERENCE) {
        for (i = 0; i < n; i++) {
            npy_intp c = c0 + i * cs;
            a[i] = v[V_SCALE][c] / sqrt(v[V_VAR][c] + j->eps);
            b[i] = v[V_BIAS][c] - mean[i] * a[i];
        }
        bn_as_dtype(j, a, ta, n);
        bn_as_dtype(j, b, tb, n);
        BN_FOR_SPANS(j, start, n, cur) k->caffine(bn_span(&cur, j), ta, tb);
    } else if (j->kind == BN_KIND_TRAIN) {
        BN_FOR_SPANS(j, start, n, cur) k->csum(bn_span(&cur, j), s0);
        for (i = 0; i < n; i++) mean[i] = s0[i] / m;
        BN_FOR_SPANS(j, start, n, cur) k->csq(bn_span(&cur, j), mean, s1);
        for (i = 0; i < n; i++) {
            npy_intp c = c0 + i * cs;
            double var = s1[i] / m, invstd = 1.0 / sqrt(var + j->eps);
            a[i] = v[V_SCALE][c] * invstd;
            b[i] = v[V_BIAS][c] - mean[i] * a[i];
            v[V_MEAN][c] = mean[i];
            v[V_VAR][c] = var;
            v[V_INVSTD][c] = invstd;
        }
        bn_as_dtype(j, a, ta, n);
        bn_as_dtype(j, b, tb, n);
        BN_FOR_SPANS(j, start, n, cur) k->caffine(bn_span(&cur, j), ta, tb);
    } else {
        double ga[BN_BLOCK];
        BN_FOR_SPANS(j, start, n, cur) k->cgsum(bn_span(&cur, j), mean, s0, s1, s2);
        for (i = 0; i < n; i++) {
            npy_intp c = c0 + i * cs;
            double coef[3];
            bn_grad_coef(j, c, s0[i], s1[i], s2[i], coef);
            a[i] = coef[0];
            b[i] = coef[1];
            ga[i] = coef[2];
            v[V_GSCALE][c] = v[V_INVSTD][c] * s1[i];
            v[V_GBIAS][c] = s0[i];
        }
        bn_as_dtype(j, a, ta, n);
        bn_as_dtype(j, b, tb, n);
        bn_as_dtype(j, ga, tg, n);
        BN_FOR_SPANS(j, start, n, cur) k->cgout(bn_span(&cur, j), ta, tb, tg);
    }
}

/* Unit u (a kept inner axis: its first channel and first cell). */
static void bn_unit(BnJob *j, npy_intp u)
{
    npy_intp off[3] = {0, 0, 0}, c = 0, o = u, block = 0, first, n;
    int a, s;
    if (j->inner_reduced) {
        bn_rowwise(j, u);
        return;
    }
    block = u % j->nblocks;
    o = u / j->nblocks;
    for (a = j->nk - 1; a >= 0; a--) {
        const BnAxis *ax = &j->kept[a];
        npy_intp i = o % ax->dim;
        o /= ax->dim;
        for (s = 0; s < 3; s++) off[s] += i * ax->st[s];
        c += i * ax->st[BN_CHAN];
    }
    first = block * j->block;
    n = j->inner.dim - first < j->block ? j->inner.dim - first : j->block;
    for (s = 0; s < 3; s++) off[s] += first * j->inner.st[s];
    bn_block(j, c + first * j->inner.st[BN_CHAN], n, off);
}

static void bn_part(void *arg, int part, int parts)
{
    BnJob *j = (BnJob *)arg;
    long long u;
    (void)part;
    (void)parts;
    while ((u = atomic_fetch_add(&j->next, 1)) < j->units) bn_unit(j, (npy_intp)u);
}

static inline double bn_load(const char *p, int f32)
{
    return f32 ? (double)*(const float *)p : *(const double *)p;
}

/* Whether parameter ``a`` has length 1 on the reduced axes and x's length or 1
 * on the kept ones. */
static int bn_param_fits(PyArrayObject *a, PyArrayObject *x, long long mask)
{
    int d;
    if (a == NULL || PyArray_NDIM(a) != PyArray_NDIM(x)) return 0;
    for (d = 0; d < PyArray_NDIM(x); d++) {
        npy_intp pd = PyArray_DIM(a, d);
        if ((mask >> d) & 1 ? pd != 1 : pd != 1 && pd != PyArray_DIM(x, d)) return 0;
    }
    return 1;
}

/* The C channel values of parameter ``a`` (see bn_param_fits) into ``dst``. */
static void bn_gather(PyArrayObject *a, PyArrayObject *x, long long mask, int f32,
                      double *dst, npy_intp C)
{
    int nd = PyArray_NDIM(x), d;
    npy_intp idx[MAX_DIMS], off = 0, c;
    for (d = 0; d < nd; d++) idx[d] = 0;
    for (c = 0; c < C; c++) {
        dst[c] = bn_load(PyArray_BYTES(a) + off, f32);
        for (d = nd - 1; d >= 0; d--) {
            npy_intp st = PyArray_DIM(a, d) == 1 ? 0 : PyArray_STRIDE(a, d);
            if ((mask >> d) & 1) continue;
            if (++idx[d] < PyArray_DIM(x, d)) {
                off += st;
                break;
            }
            off -= st * (PyArray_DIM(x, d) - 1);
            idx[d] = 0;
        }
    }
}

/* Write the C doubles of ``src`` into output cell ``cell`` as an array of the
 * statistics' shape; 0, or -1 with an error set. */
static int bn_put_stats(PyObject *cell, int nd, const npy_intp *shape, int t,
                        const double *src, npy_intp C)
{
    PyArrayObject *a = reuse_or_new(cell, nd, shape, t);
    npy_intp c;
    if (a == NULL) return -1;
    if (t == NPY_FLOAT)
        for (c = 0; c < C; c++) ((float *)PyArray_DATA(a))[c] = (float)src[c];
    else
        memcpy(PyArray_DATA(a), src, (size_t)C * sizeof(double));
    cell_put(cell, (PyObject *)a);
    return 0;
}

/* x's axes in memory order (by x's stride, largest first), length-1 axes
 * dropped and mergeable neighbours merged; returns how many are left. */
static int bn_axes(BnAxis *axes, PyArrayObject *x, PyArrayObject *dy, PyArrayObject *out,
                   long long mask)
{
    int nd = PyArray_NDIM(x), n = 0, d, i, s;
    npy_intp chan = 1;
    BnAxis all[MAX_DIMS];
    for (d = nd - 1; d >= 0; d--) {
        BnAxis *ax = &all[d];
        ax->dim = PyArray_DIM(x, d);
        ax->reduced = (int)((mask >> d) & 1);
        ax->st[BN_X] = PyArray_STRIDE(x, d);
        ax->st[BN_DY] = dy != NULL ? PyArray_STRIDE(dy, d) : 0;
        ax->st[BN_OUT] = PyArray_STRIDE(out, d);
        ax->st[BN_CHAN] = ax->reduced ? 0 : chan;
        if (!ax->reduced) chan *= ax->dim;
    }
    for (d = 0; d < nd; d++) {
        BnAxis cur = all[d];
        npy_intp key;
        if (cur.dim == 1) continue;
        key = cur.st[BN_X] < 0 ? -cur.st[BN_X] : cur.st[BN_X];
        /* Insertion sort, stable: equal strides keep the axes' order. */
        for (i = n; i > 0; i--) {
            npy_intp prev = axes[i - 1].st[BN_X];
            if ((prev < 0 ? -prev : prev) >= key) break;
            axes[i] = axes[i - 1];
        }
        axes[i] = cur;
        n++;
    }
    /* Merge an axis into the next one when together they are one run. */
    for (i = n - 2; i >= 0; i--) {
        BnAxis *outer = &axes[i], *inner = &axes[i + 1];
        int ok = outer->reduced == inner->reduced;
        for (s = 0; s < BN_STRIDED && ok; s++)
            ok = outer->st[s] == inner->st[s] * inner->dim;
        if (!ok) continue;
        inner->dim *= outer->dim;
        for (d = i; d < n - 1; d++) axes[d] = axes[d + 1];
        n--;
    }
    return n;
}

/* Run the job's units, over ``parts`` threads of the pool. */
static void bn_run(BnJob *j, npy_intp cells, int parts)
{
    atomic_store(&j->next, 0);
    if (cells < RELEASE_GIL_SIZE) {
        bn_part(j, 0, 1);
        return;
    }
    Py_BEGIN_ALLOW_THREADS
    if (parts > 1 && j->units > 1)
        pool_run(bn_part, j);
    else
        bn_part(j, 0, 1);
    Py_END_ALLOW_THREADS
}

/* Lay out the job over x (and dy, out); then run it unless x is empty. */
static void bn_plan_and_run(BnJob *j, PyArrayObject *x, PyArrayObject *dy,
                            PyArrayObject *out, long long mask)
{
    BnAxis axes[MAX_DIMS];
    int n = bn_axes(axes, x, dy, out, mask), a, parts = 1;
    j->base[BN_X] = PyArray_BYTES(x);
    j->base[BN_DY] = dy != NULL ? PyArray_BYTES(dy) : NULL;
    j->base[BN_OUT] = PyArray_BYTES(out);
    if (PyArray_SIZE(x) == 0) return;
    if (n == 0) { /* a single cell */
        memset(&axes[0], 0, sizeof(BnAxis));
        axes[0].dim = 1;
        axes[0].reduced = 1;
        n = 1;
    }
    j->inner = axes[n - 1];
    j->inner_reduced = j->inner.reduced;
    memset(&j->run, 0, sizeof(BnAxis));
    j->run.dim = 1;
    if (pool.size > 1 && PyArray_SIZE(x) >= BN_PARALLEL_SIZE) parts = pool_ready();
    if (j->inner_reduced) {
        j->nouter = n - 1;
        for (a = 0; a < n - 1; a++) j->outer[a] = axes[a];
        /* A reduced axis next to the inner one is the kernels' own. */
        if (j->nouter > 0 && j->outer[j->nouter - 1].reduced)
            j->run = j->outer[--j->nouter];
        j->split = -1;
        for (a = 0; a < j->nouter && j->split < 0; a++)
            if (!j->outer[a].reduced) j->split = a;
        j->units = 1;
        if (j->split >= 0 && parts > 1) {
            /* A few ranges per thread, claimed in turn. */
            npy_intp dim = j->outer[j->split].dim;
            j->units = dim < 4 * parts ? dim : 4 * parts;
        }
        for (a = V_S0; a <= V_S2; a++) memset(j->v[a], 0, (size_t)j->C * sizeof(double));
        bn_run(j, PyArray_SIZE(x), parts);
        bn_rowwise_finish(j);
        return;
    }
    j->nr = j->nk = 0;
    j->spans = 1;
    for (a = 0; a < n - 1; a++) {
        if (axes[a].reduced) {
            j->rows[j->nr++] = axes[a];
            j->spans *= axes[a].dim;
        } else {
            j->kept[j->nk++] = axes[a];
        }
    }
    /* The last row axis is the kernels' own. */
    if (j->nr > 0) {
        j->run = j->rows[--j->nr];
        j->spans /= j->run.dim;
    }
    {
        /* Long blocks (few kernel calls per row), but enough for the threads. */
        npy_intp units_left = j->C / j->inner.dim, want = (parts + units_left - 1) / units_left;
        j->block = (j->inner.dim + want - 1) / want;
        j->block = (j->block + 15) / 16 * 16;
        if (j->block > BN_BLOCK) j->block = BN_BLOCK;
        j->nblocks = (j->inner.dim + j->block - 1) / j->block;
        j->units = units_left * j->nblocks;
    }
    bn_run(j, PyArray_SIZE(x), parts);
}

/* The channel count; the statistics' shape (x's, with 1 on the reduced axes)
 * and the cells per channel ``m`` (the product of the reduced lengths). */
static npy_intp bn_channels(PyArrayObject *x, long long mask, npy_intp *shape,
                            npy_intp *m)
{
    npy_intp C = 1;
    int d;
    *m = 1;
    for (d = 0; d < PyArray_NDIM(x); d++) {
        shape[d] = (mask >> d) & 1 ? 1 : PyArray_DIM(x, d);
        C *= shape[d];
        if ((mask >> d) & 1) *m *= PyArray_DIM(x, d);
    }
    return C;
}

/* Common checks: x, its dtype and axes, the parameters at ``params``
 * (-1 ends the list).  Returns x or NULL (SLOW). */
static PyArrayObject *bn_inputs(Entry *e, int t, long long mask, const int *params)
{
    PyArrayObject *x = input_array(e, 0, t, -1);
    int nd, i;
    if (x == NULL || (t != NPY_FLOAT && t != NPY_DOUBLE)) return NULL;
    nd = PyArray_NDIM(x);
    if (nd < 1 || nd > MAX_DIMS || mask == 0 || (nd < 63 && (mask >> nd) != 0))
        return NULL;
    for (i = 0; params[i] >= 0; i++)
        if (!bn_param_fits(input_array(e, params[i], t, nd), x, mask)) return NULL;
    return x;
}

static double *bn_buffers(BnJob *j, npy_intp C)
{
    double *buf = (double *)malloc((size_t)(C > 0 ? C : 1) * V_COUNT * sizeof(double));
    int i;
    if (buf == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (i = 0; i < V_COUNT; i++) j->v[i] = buf + (size_t)i * (C > 0 ? C : 1);
    return buf;
}

/* AbstractBatchNormTrain(x, scale, bias, epsilon, factor[, running_mean,
 * running_var]) -> out, mean, invstd[, new running mean, new running var]. */
static int run_bn_train(Entry *e)
{
    static const int with_running[] = {1, 2, 5, 6, -1}, without[] = {1, 2, -1};
    int t = (int)e->p[0], f32 = t == NPY_FLOAT, running = e->nin == 7, nd, r = -1;
    long long mask = e->p[1];
    PyArrayObject *x, *out;
    npy_intp shape[MAX_DIMS], C, c;
    double factor, *buf;
    BnJob j;
    if (e->nin != (running ? 7 : 5) || e->nout != (running ? 5 : 3)) return SLOW;
    x = bn_inputs(e, t, mask, running ? with_running : without);
    if (x == NULL) return SLOW;
    memset(&j, 0, sizeof(j));
    if (!scalar_double(cell_get(e->in[3]), &j.eps) ||
        !scalar_double(cell_get(e->in[4]), &factor))
        return SLOW;
    nd = PyArray_NDIM(x);
    C = bn_channels(x, mask, shape, &j.m);
    /* perform's unbiased variance divides m by m - 1 as Python floats. */
    if (running && j.m == 1) return SLOW;
    j.kind = BN_KIND_TRAIN;
    j.k = f32 ? &bn_kernels_float : &bn_kernels_double;
    j.C = C;
    buf = bn_buffers(&j, C);
    if (buf == NULL) return -1;
    bn_gather(input_array(e, 1, t, nd), x, mask, f32, j.v[V_SCALE], C);
    bn_gather(input_array(e, 2, t, nd), x, mask, f32, j.v[V_BIAS], C);
    /* The mean of no cell is nan, as numpy's. */
    if (j.m == 0)
        for (c = 0; c < C; c++) j.v[V_MEAN][c] = j.v[V_VAR][c] = j.v[V_INVSTD][c] = NAN;
    out = reuse_or_new(e->out[0], nd, PyArray_DIMS(x), t);
    if (out == NULL) goto done;
    bn_plan_and_run(&j, x, NULL, out, mask);
    cell_put(e->out[0], (PyObject *)out);
    if (bn_put_stats(e->out[1], nd, shape, t, j.v[V_MEAN], C) < 0 ||
        bn_put_stats(e->out[2], nd, shape, t, j.v[V_INVSTD], C) < 0)
        goto done;
    if (running) {
        double m = (double)j.m, unbiased = m / (m - 1.0);
        /* Scale and bias are spent: their buffers take the running averages. */
        double *rm = j.v[V_SCALE], *rv = j.v[V_BIAS];
        bn_gather(input_array(e, 5, t, nd), x, mask, f32, rm, C);
        bn_gather(input_array(e, 6, t, nd), x, mask, f32, rv, C);
        for (c = 0; c < C; c++) {
            rm[c] = rm[c] * (1.0 - factor) + j.v[V_MEAN][c] * factor;
            rv[c] = rv[c] * (1.0 - factor) + unbiased * j.v[V_VAR][c] * factor;
        }
        if (bn_put_stats(e->out[3], nd, shape, t, rm, C) < 0 ||
            bn_put_stats(e->out[4], nd, shape, t, rv, C) < 0)
            goto done;
    }
    r = 0;
done:
    free(buf);
    return r;
}

/* AbstractBatchNormInference(x, scale, bias, mean, var, epsilon) -> out. */
static int run_bn_inference(Entry *e)
{
    static const int params[] = {1, 2, 3, 4, -1};
    int t = (int)e->p[0], f32 = t == NPY_FLOAT, nd;
    long long mask = e->p[1];
    PyArrayObject *x = bn_inputs(e, t, mask, params), *out;
    npy_intp shape[MAX_DIMS], C;
    double *buf;
    BnJob j;
    if (x == NULL || e->nin != 6 || e->nout != 1) return SLOW;
    memset(&j, 0, sizeof(j));
    if (!scalar_double(cell_get(e->in[5]), &j.eps)) return SLOW;
    nd = PyArray_NDIM(x);
    C = bn_channels(x, mask, shape, &j.m);
    j.kind = BN_KIND_INFERENCE;
    j.k = f32 ? &bn_kernels_float : &bn_kernels_double;
    j.C = C;
    buf = bn_buffers(&j, C);
    if (buf == NULL) return -1;
    bn_gather(input_array(e, 1, t, nd), x, mask, f32, j.v[V_SCALE], C);
    bn_gather(input_array(e, 2, t, nd), x, mask, f32, j.v[V_BIAS], C);
    bn_gather(input_array(e, 3, t, nd), x, mask, f32, j.v[V_MEAN], C);
    bn_gather(input_array(e, 4, t, nd), x, mask, f32, j.v[V_VAR], C);
    out = reuse_or_new(e->out[0], nd, PyArray_DIMS(x), t);
    if (out == NULL) {
        free(buf);
        return -1;
    }
    bn_plan_and_run(&j, x, NULL, out, mask);
    cell_put(e->out[0], (PyObject *)out);
    free(buf);
    return 0;
}

/* AbstractBatchNormTrainGrad(x, dy, scale, x_mean, x_invstd, epsilon)
 * -> gx, gscale, gbias. */
static int run_bn_train_grad(Entry *e)
{
    static const int params[] = {2, 3, 4, -1};
    int t = (int)e->p[0], f32 = t == NPY_FLOAT, nd, d, r = -1;
    long long mask = e->p[1];
    PyArrayObject *x = bn_inputs(e, t, mask, params), *dy, *out;
    npy_intp shape[MAX_DIMS], C, c;
    double *buf;
    BnJob j;
    if (x == NULL || e->nin != 6 || e->nout != 3) return SLOW;
    nd = PyArray_NDIM(x);
    dy = input_array(e, 1, t, nd);
    if (dy == NULL) return SLOW;
    for (d = 0; d < nd; d++)
        if (PyArray_DIM(dy, d) != PyArray_DIM(x, d)) return SLOW;
    memset(&j, 0, sizeof(j));
    C = bn_channels(x, mask, shape, &j.m);
    j.kind = BN_KIND_GRAD;
    j.k = f32 ? &bn_kernels_float : &bn_kernels_double;
    j.C = C;
    buf = bn_buffers(&j, C);
    if (buf == NULL) return -1;
    bn_gather(input_array(e, 2, t, nd), x, mask, f32, j.v[V_SCALE], C);
    bn_gather(input_array(e, 3, t, nd), x, mask, f32, j.v[V_MEAN], C);
    bn_gather(input_array(e, 4, t, nd), x, mask, f32, j.v[V_INVSTD], C);
    /* Sums over no cell are 0, whatever the statistics. */
    if (j.m == 0)
        for (c = 0; c < C; c++) j.v[V_GSCALE][c] = j.v[V_GBIAS][c] = 0.0;
    out = reuse_or_new(e->out[0], nd, PyArray_DIMS(x), t);
    if (out == NULL) goto done;
    bn_plan_and_run(&j, x, dy, out, mask);
    cell_put(e->out[0], (PyObject *)out);
    if (bn_put_stats(e->out[1], nd, shape, t, j.v[V_GSCALE], C) < 0 ||
        bn_put_stats(e->out[2], nd, shape, t, j.v[V_GBIAS], C) < 0)
        goto done;
    r = 0;
done:
    free(buf);
    return r;
}

/* Single-precision products with a packed right operand, for loops.
 *
 * In a scan step the weight matrix of ``dot(h, W)`` is the same on every
 * step, while ``h`` has only a few rows (the batch).  BLAS repacks ``W`` on
 * each call and splits such a short product poorly over threads.  Here ``W``
 * is packed once per loop into panels of NR columns (``pk_pack_b``); each
 * call packs the few rows of ``h`` (cheap) and every thread computes its
 * own range of panels, so each core keeps its part of ``W`` in its cache
 * from step to step.
 *
 * The register kernel keeps an MR x NR block of the result in vector
 * registers and adds one rank-1 update per k: NR/VW vector loads of the
 * packed panel, MR broadcasts of packed ``h``.  AVX-512 and AVX2 versions
 * are chosen at load time; without either the caller uses BLAS.  Pure C.
 */
#include <immintrin.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define PK_KC 256 /* k-block: a block of packed h and of a panel stay in L1 */

enum { PK_NONE = 0, PK_AVX2 = 1, PK_AVX512 = 2 };

/* The packed layout of one ISA: panels of nr columns, tiles of mr rows. */
typedef struct {
    int isa, mr, nr;
} pk_shape;

typedef struct {
    long long m, n, k;
    float alpha, beta;
    const float *ap;  /* h packed: tile t, row i, k at ap[(t * k + kk) * mr + i] */
    const float *a;   /* or, when ap is NULL, h itself: rows of unit k-stride */
    long long lda;    /* its row stride, in floats */
    const float *bp;  /* W packed: panel p, k, column r at bp[(p * k + kk) * nr + r] */
    const float *c0;  /* the added matrix (beta != 0), unit column stride */
    long long c0s;    /* its row stride, in floats */
    float *c;         /* the result, unit column stride (may equal c0) */
    long long ldc;
    pk_shape shape;
    int ranges; /* the panels are split into this many ranges */
    /* Per range: its next panel.  One cache line each, apart from the job's
     * fields: every panel bumps a counter, and counters sharing a line with
     * each other or with what pk_panel reads bounced that line between the
     * cores on every panel. */
    struct {
        _Alignas(64) atomic_llong panel;
    } next[POOL_MAX];
} pk_job;

/* A 64-byte aligned buffer of at least ``n`` floats in *buf (capacity *cap). */
static int pack_reserve(float **buf, size_t *cap, size_t n)
{
    if (*cap >= n && *buf != NULL) return 0;
    free(*buf);
    *buf = aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64);
    *cap = *buf ? n : 0;
    return *buf ? 0 : -1;
}

/* Number of floats of the packed form of a k x n matrix. */
static size_t pk_b_size(pk_shape s, long long k, long long n)
{
    return (size_t)((n + s.nr - 1) / s.nr) * (size_t)k * (size_t)s.nr;
}

/* Pack panels [p0, p1) of the k x n matrix at ``b`` (element strides sk,
 * sn). */
static void pk_pack_panels(pk_shape s, const float *b, long long sk, long long sn,
                           long long k, long long n, float *out, long long p0, long long p1)
{
    long long p, kk, r;
    for (p = p0; p < p1; p++) {
        long long j0 = p * s.nr, w = n - j0 < s.nr ? n - j0 : s.nr;
        for (kk = 0; kk < k; kk++) {
            float *dst = out + (p * k + kk) * s.nr;
            const float *src = b + kk * sk + j0 * sn;
            if (sn == 1) {
                memcpy(dst, src, sizeof(float) * (size_t)w);
            } else {
                for (r = 0; r < w; r++) dst[r] = src[r * sn];
            }
            for (r = w; r < s.nr; r++) dst[r] = 0.0f;
        }
    }
}

typedef struct {
    pk_shape s;
    const float *b;
    long long sk, sn, k, n;
    float *out;
} pk_pack_job;

static void pk_pack_part(void *arg, int part, int parts)
{
    const pk_pack_job *j = (const pk_pack_job *)arg;
    long long panels = (j->n + j->s.nr - 1) / j->s.nr;
    pk_pack_panels(j->s, j->b, j->sk, j->sn, j->k, j->n, j->out, panels * part / parts,
                   panels * (part + 1) / parts);
}

/* Elements above which packing is split over the pool: a loop packs its
 * weight matrix on its first step, with the other threads idle. */
#define PK_PACK_PARALLEL (1LL << 16)

/* Pack the k x n matrix at ``b`` (element strides sk, sn) into panels. */
static void pk_pack_b(pk_shape s, const float *b, long long sk, long long sn, long long k,
                      long long n, float *out)
{
    pk_pack_job job = {s, b, sk, sn, k, n, out};
    if (pool.size > 1 && k * n >= PK_PACK_PARALLEL && n >= 2 * s.nr)
        pool_run(pk_pack_part, &job);
    else
        pk_pack_part(&job, 0, 1);
}

/* Pack the m x k matrix at ``a`` (element strides sm, sk) into row tiles. */
static void pk_pack_a(pk_shape s, const float *a, long long sm, long long sk, long long m,
                      long long k, float *out)
{
    long long tiles = (m + s.mr - 1) / s.mr, t, kk, i;
    for (t = 0; t < tiles; t++) {
        long long i0 = t * s.mr, h = m - i0 < s.mr ? m - i0 : s.mr;
        float *dst = out + t * k * s.mr;
        if (sk == 1) {
            for (i = 0; i < h; i++) {
                const float *row = a + (i0 + i) * sm;
                for (kk = 0; kk < k; kk++) dst[kk * s.mr + i] = row[kk];
            }
        } else {
            for (kk = 0; kk < k; kk++)
                for (i = 0; i < h; i++) dst[kk * s.mr + i] = a[(i0 + i) * sm + kk * sk];
        }
        for (kk = 0; kk < k && h < s.mr; kk++)
            for (i = h; i < s.mr; i++) dst[kk * s.mr + i] = 0.0f;
    }
}

/* One register block: rows [i0, i0+rows) and columns [j0, j0+cols) of the
 * result, over k-block [kb, kb+kc).  ``first``: the block's first k-block
 * (the result is alpha*acc + beta*c0), else acc is added to the result. */
#define PK_KERNEL(NAME, DIRECT, TARGET, VEC, VW, MR, NV, ZERO, LOAD, BCAST, FMA, MUL, ADD,  \
                  LOADU, STOREU, MASKT, MASK, MLOADU, MSTOREU)                           \
    __attribute__((target(TARGET))) static void NAME(const pk_job *jb, long long t,       \
                                                     long long p, long long kb,           \
                                                     long long kc)                        \
    {                                                                                     \
        VEC acc[MR][NV];                                                                  \
        const long long K = jb->k;                                                        \
        const float *a = jb->ap + (t * K + kb) * MR;                                      \
        const float *b = jb->bp + (p * K + kb) * (NV * VW);                               \
        const long long i0 = t * MR, j0 = p * (NV * VW);                                  \
        const int rows = (int)(jb->m - i0 < MR ? jb->m - i0 : MR);                        \
        const int cols = (int)(jb->n - j0 < NV * VW ? jb->n - j0 : NV * VW);              \
        const int first = kb == 0;                                                        \
        const float *ar[MR];                                                              \
        int i, v;                                                                         \
        long long kk;                                                                     \
        for (i = 0; i < MR; i++) {                                                        \
            /* Rows past the end read row i0 again; their sums are not stored. */         \
            ar[i] = jb->a + (i0 + (i < rows ? i : 0)) * jb->lda + kb;                     \
            for (v = 0; v < NV; v++) acc[i][v] = ZERO();                                  \
        }                                                                                 \
        for (kk = 0; kk < kc; kk++) {                                                     \
            VEC bv[NV];                                                                   \
            for (v = 0; v < NV; v++) bv[v] = LOAD(b + kk * (NV * VW) + v * VW);           \
            for (i = 0; i < MR; i++) {                                                    \
                VEC ai = BCAST(DIRECT ? ar[i] + kk : a + kk * MR + i);                    \
                for (v = 0; v < NV; v++) acc[i][v] = FMA(ai, bv[v], acc[i][v]);           \
            }                                                                             \
        }                                                                                 \
        {                                                                                 \
            const VEC alpha = BCAST(&jb->alpha), beta = BCAST(&jb->beta);                 \
            const int add0 = first && jb->beta != 0.0f;                                   \
            for (i = 0; i < rows; i++) {                                                  \
                float *crow = jb->c + (i0 + i) * jb->ldc + j0;                            \
                const float *c0row = add0 ? jb->c0 + (i0 + i) * jb->c0s + j0 : NULL;      \
                for (v = 0; v < NV; v++) {                                                \
                    int left = cols - v * VW;                                             \
                    VEC r = MUL(acc[i][v], alpha);                                        \
                    if (left <= 0) break;                                                 \
                    if (left >= VW) {                                                     \
                        if (add0)                                                         \
                            r = FMA(LOADU(c0row + v * VW), beta, r);                      \
                        else if (!first)                                                  \
                            r = ADD(r, LOADU(crow + v * VW));           \
                        STOREU(crow + v * VW, r);                                         \
                    } else {                                                              \
                        MASKT m = MASK(left);                                             \
                        if (add0)                                                         \
                            r = FMA(MLOADU(c0row + v * VW, m), beta, r);                  \
                        else if (!first)                                                  \
                            r = ADD(r, MLOADU(crow + v * VW, m));       \
                        MSTOREU(crow + v * VW, m, r);                                     \
                    }                                                                     \
                }                                                                         \
            }                                                                             \
        }                                                                                 \
    }

/* AVX-512 */
#define PK512_MR 8
#define PK512_NV 2
__attribute__((target("avx512f"))) static inline __mmask16 pk512_mask(int left)
{
    return (__mmask16)((1u << left) - 1u);
}
__attribute__((target("avx512f"))) static inline __m512 pk512_mload(const float *p,
                                                                   __mmask16 m)
{
    return _mm512_maskz_loadu_ps(m, p);
}
__attribute__((target("avx512f"))) static inline void pk512_mstore(float *p, __mmask16 m,
                                                                  __m512 v)
{
    _mm512_mask_storeu_ps(p, m, v);
}
__attribute__((target("avx512f"))) static inline __m512 pk512_bcast(const float *p)
{
    return _mm512_set1_ps(*p);
}
#define PK512_KERNEL(NAME, DIRECT)                                                        \
    PK_KERNEL(NAME, DIRECT, "avx512f", __m512, 16, PK512_MR, PK512_NV, _mm512_setzero_ps,  \
              _mm512_load_ps, pk512_bcast, _mm512_fmadd_ps, _mm512_mul_ps, _mm512_add_ps,  \
              _mm512_loadu_ps, _mm512_storeu_ps, __mmask16, pk512_mask, pk512_mload,       \
              pk512_mstore)
PK512_KERNEL(pk512_block, 0)
PK512_KERNEL(pk512_block_direct, 1)

/* AVX2 (16 vector registers: 6 x 2 accumulators) */
#define PK256_MR 6
#define PK256_NV 2
__attribute__((target("avx2,fma"))) static inline __m256i pk256_mask(int left)
{
    const int lanes[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    __m256i idx = _mm256_loadu_si256((const __m256i *)lanes);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(left), idx);
}
__attribute__((target("avx2,fma"))) static inline __m256 pk256_mload(const float *p,
                                                                    __m256i m)
{
    return _mm256_maskload_ps(p, m);
}
__attribute__((target("avx2,fma"))) static inline void pk256_mstore(float *p, __m256i m,
                                                                   __m256 v)
{
    _mm256_maskstore_ps(p, m, v);
}
/* set1 of the value, not _mm256_broadcast_ss(p): with that builtin in the
 * loop, GCC 12 stored every accumulator to memory on each multiply-add. */
__attribute__((target("avx2,fma"))) static inline __m256 pk256_bcast(const float *p)
{
    return _mm256_set1_ps(*p);
}
#define PK256_KERNEL(NAME, DIRECT)                                                        \
    PK_KERNEL(NAME, DIRECT, "avx2,fma", __m256, 8, PK256_MR, PK256_NV, _mm256_setzero_ps,  \
              _mm256_load_ps, pk256_bcast, _mm256_fmadd_ps, _mm256_mul_ps, _mm256_add_ps,  \
              _mm256_loadu_ps, _mm256_storeu_ps, __m256i, pk256_mask, pk256_mload,         \
              pk256_mstore)
PK256_KERNEL(pk256_block, 0)
PK256_KERNEL(pk256_block_direct, 1)

/* The packed layout this CPU's kernel uses (isa PK_NONE: no kernel). */
static pk_shape pk_native(void)
{
    static pk_shape s = {-1, 0, 0};
    if (s.isa < 0) {
        pk_shape none = {PK_NONE, 1, 1};
        s = none;
#if defined(__x86_64__) && defined(__GNUC__)
        __builtin_cpu_init();
#if defined(SYMBOLIC_ISA_AVX2)
        /* config.cpu__isa = avx2: the AVX2 kernel even on an AVX-512 CPU. */
        const int avx512 = 0;
#else
        const int avx512 = __builtin_cpu_supports("avx512f");
#endif
        if (avx512) {
            pk_shape z = {PK_AVX512, PK512_MR, 16 * PK512_NV};
            s = z;
        } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            pk_shape y = {PK_AVX2, PK256_MR, 8 * PK256_NV};
            s = y;
        }
#endif
    }
    return s;
}

/* All k-blocks and row tiles of panel ``p``. */
static void pk_panel(const pk_job *jb, long long p)
{
    const long long tiles = (jb->m + jb->shape.mr - 1) / jb->shape.mr;
    long long kb, t;
    for (kb = 0; kb < jb->k; kb += PK_KC) {
        long long kc = jb->k - kb < PK_KC ? jb->k - kb : PK_KC;
        for (t = 0; t < tiles; t++) {
            if (jb->shape.isa == PK_AVX512) {
                if (jb->ap)
                    pk512_block(jb, t, p, kb, kc);
                else
                    pk512_block_direct(jb, t, p, kb, kc);
            } else if (jb->ap) {
                pk256_block(jb, t, p, kb, kc);
            } else {
                pk256_block_direct(jb, t, p, kb, kc);
            }
        }
    }
}

/* Thread ``part`` of ``parts`` takes the panels of its own range first (so
 * each core sees the same panels on every step and keeps them in cache),
 * then helps with the others' ranges: a thread the OS has descheduled then
 * delays the product by at most one panel. */
static void pk_task(void *arg, int part, int parts)
{
    pk_job *jb = (pk_job *)arg;
    const long long panels = (jb->n + jb->shape.nr - 1) / jb->shape.nr;
    const int ranges = jb->ranges;
    int q;
    (void)parts; /* with fewer threads than ranges, the stealing covers the rest */
    for (q = 0; q < ranges; q++) {
        int owner = (part + q) % ranges;
        const long long end = panels * (owner + 1) / ranges;
        for (;;) {
            long long p = atomic_fetch_add_explicit(&jb->next[owner].panel, 1,
                                                     memory_order_relaxed);
            if (p >= end) break;
            pk_panel(jb, p);
        }
    }
}

/* Start every range of ``jb`` for a run over ``parts`` threads. */
static void pk_ranges(pk_job *jb, int parts)
{
    const long long panels = (jb->n + jb->shape.nr - 1) / jb->shape.nr;
    int q;
    jb->ranges = parts;
    for (q = 0; q < parts; q++) atomic_store(&jb->next[q].panel, panels * q / parts);
}

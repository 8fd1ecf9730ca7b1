/* Single-precision products C = alpha A B + beta C0 of any size on CPUs
 * with AVX-512, in place of BLAS's sgemm (blas.c's dispatch).
 *
 * A training step's large products (an MLP layer's dot(x, W) and its weight
 * gradient x^T d) have a few hundred columns at most.  BLAS packs both
 * operands on every call and pads the columns to its own tile: a layer of
 * 100 units ran at 77% of this machine's peak over two cores.  Here A is
 * read in place, with any strides (x^T is x itself), and only a block of B
 * is packed: up to GB_KC_MAX rows and as many columns as fill half of L2,
 * in chunks of up to seven 16-lane vectors, the last one padded with zeros
 * to 16 or 8 lanes.
 *
 * The kernel keeps GB_MR = 4 rows of a chunk in registers: up to 28
 * accumulators, so four broadcasts of A serve up to 28 multiply-adds (a
 * layer of 100 units is one chunk of 6 x 16 + 4 columns, the last ones in an
 * 8-lane vector, so that no multiply-add is spent on padding beyond it).
 * Threads take ranges of rows, or of chunks when there are few rows; each
 * packs its own copy of the block.
 *
 * An AVX2 version (6 rows of 16 columns) measured slower than OpenBLAS's
 * Haswell kernels on the same shapes, so AVX2-only CPUs keep BLAS.
 */

/* A packed block of B holds about GB_BLOCK floats (half of a 1 MB L2): up
 * to GB_KC_MAX rows, so that each register block sums as many terms as it
 * can before it goes back to C, and as many chunks as then fit. */
#define GB_BLOCK (128 * 1024)
#define GB_KC_MAX 1024

typedef struct {
    long long m, n, k;
    float alpha, beta;
    const float *a; /* A(i, kk) = a[i * sam + kk * sak] */
    long long sam, sak;
    const float *b; /* B(kk, j) = b[kk * sbk + j * sbn] */
    long long sbk, sbn;
    const float *c0; /* beta != 0: C0(i, j) = c0[i * ldc0 + j]; may equal c */
    long long ldc0;
    float *c; /* C(i, j) = c[i * ldc + j] */
    long long ldc;
    int split_rows; /* parts take ranges of rows, else of chunks */
} gb_job;

/* The register block at rows [i0, i0 + rows), columns [j0, j0 + cols) of C,
 * over rows [kb, kb + kc) of B.  Row i of the block reads A at
 * a + i * sa + kk * sk (A in place, or a tile of it packed); B's chunk is
 * packed at ``bp`` (row kk at bp + kk * bw).  The first block of k writes
 * alpha acc (+ beta C0), the later ones add alpha acc to C.  NV full
 * vectors of VW lanes, and with HALF one more of HW lanes, whose broadcast
 * is the low half of the full one (HSET1): a broadcast of its own cost a
 * shuffle per row and k. */
#define GB_KERNEL(NAME, TARGET, VEC, VW, MR, NV, HALF, HVEC, HW, ZERO, HZERO, LOAD, HLOAD,   \
                  SET1, HSET1, FMA, HFMA, PUT, HPUT)                                      \
    __attribute__((target(TARGET))) static void NAME(                                     \
        const gb_job *jb, const float *a, long long sa, long long sk, const float *bp,    \
        long long bw, long long i0, long long j0, long long kb, long long kc, int rows,   \
        int cols)                                                                         \
    {                                                                                     \
        VEC acc[MR][NV + 1];                                                              \
        HVEC hacc[MR];                                                                    \
        const float *ar[MR];                                                              \
        const int mode = kb > 0 ? 1 : jb->beta != 0.0f ? 2 : 0;                           \
        int i, v;                                                                         \
        long long kk;                                                                     \
        for (i = 0; i < MR; i++) {                                                        \
            /* Rows past the end read row i0 again; their sums are not stored. */         \
            ar[i] = a + (i < rows ? i : 0) * sa;                                          \
            for (v = 0; v < NV; v++) acc[i][v] = ZERO();                                  \
            if (HALF) hacc[i] = HZERO();                                                  \
        }                                                                                 \
        for (kk = 0; kk < kc; kk++) {                                                     \
            const float *b = bp + kk * bw;                                                \
            VEC bv[NV + 1];                                                               \
            HVEC hb = HZERO();                                                            \
            for (v = 0; v < NV; v++) bv[v] = LOAD(b + v * VW);                            \
            if (HALF) hb = HLOAD(b + NV * VW);                                            \
            for (i = 0; i < MR; i++) {                                                    \
                const float s = ar[i][kk * sk];                                           \
                VEC ai = SET1(s);                                                         \
                for (v = 0; v < NV; v++) acc[i][v] = FMA(ai, bv[v], acc[i][v]);           \
                if (HALF) hacc[i] = HFMA(HSET1(ai), hb, hacc[i]);                         \
            }                                                                             \
        }                                                                                 \
        for (i = 0; i < MR; i++) {                                                        \
            float *cr;                                                                    \
            const float *c0r;                                                             \
            if (i >= rows) break;                                                         \
            cr = jb->c + (i0 + i) * jb->ldc + j0;                                         \
            c0r = mode == 2 ? jb->c0 + (i0 + i) * jb->ldc0 + j0 : NULL;                  \
            for (v = 0; v < NV; v++) {                                                    \
                if (cols - v * VW <= 0) break;                                            \
                PUT(jb, cr + v * VW, c0r ? c0r + v * VW : NULL, cols - v * VW, acc[i][v], \
                    mode);                                                                \
            }                                                                             \
            if (HALF && cols > NV * VW)                                                   \
                HPUT(jb, cr + NV * VW, c0r ? c0r + NV * VW : NULL, cols - NV * VW,        \
                     hacc[i], mode);                                                      \
        }                                                                                 \
    }

/* Store ``acc`` (its first ``left`` lanes, at most the vector's) at ``cr``:
 * mode 0 writes alpha acc, 1 adds it to cr, 2 writes it plus beta c0r. */
__attribute__((target("avx512f,avx512vl,fma"))) static inline void
gb512_put(const gb_job *jb, float *cr, const float *c0r, int left, __m512 acc, int mode)
{
    const __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
    __m512 r = _mm512_mul_ps(acc, _mm512_set1_ps(jb->alpha));
    if (mode == 1)
        r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(m, cr));
    else if (mode == 2)
        r = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, c0r), _mm512_set1_ps(jb->beta), r);
    _mm512_mask_storeu_ps(cr, m, r);
}
__attribute__((target("avx512f,avx512vl,fma"))) static inline void
gb512_hput(const gb_job *jb, float *cr, const float *c0r, int left, __m256 acc, int mode)
{
    gb512_put(jb, cr, c0r, left > 8 ? 8 : left, _mm512_castps256_ps512(acc), mode);
}
__attribute__((target("avx512f,avx512vl,fma"))) static inline __m256 gb512_hzero(void)
{
    return _mm256_setzero_ps();
}

#define GB_MR 4     /* rows of a register block */
#define GB_CHUNK 112 /* columns of a packed chunk: at most seven vectors */
#define GB512(NAME, NV, HALF)                                                             \
    GB_KERNEL(NAME, "avx512f,avx512vl,fma", __m512, 16, GB_MR, NV, HALF, __m256, 8,     \
              _mm512_setzero_ps, gb512_hzero, _mm512_load_ps, _mm256_load_ps,              \
              _mm512_set1_ps, _mm512_castps512_ps256, _mm512_fmadd_ps, _mm256_fmadd_ps,    \
              gb512_put,                                                                   \
              gb512_hput)
GB512(gb512_0h, 0, 1)
GB512(gb512_1, 1, 0)
GB512(gb512_1h, 1, 1)
GB512(gb512_2, 2, 0)
GB512(gb512_2h, 2, 1)
GB512(gb512_3, 3, 0)
GB512(gb512_3h, 3, 1)
GB512(gb512_4, 4, 0)
GB512(gb512_4h, 4, 1)
GB512(gb512_5, 5, 0)
GB512(gb512_5h, 5, 1)
GB512(gb512_6, 6, 0)
GB512(gb512_6h, 6, 1)
GB512(gb512_7, 7, 0)

typedef void (*gb_kernel)(const gb_job *, const float *, long long, long long,
                          const float *, long long, long long, long long, long long,
                          long long, int, int);

/* The kernel for a chunk of ``w`` columns: the fewest vectors that hold it. */
static gb_kernel gb_kernel_for(int w)
{
    static const gb_kernel full[8] = {NULL,    gb512_1, gb512_2, gb512_3,
                                      gb512_4, gb512_5, gb512_6, gb512_7};
    static const gb_kernel half[7] = {gb512_0h, gb512_1h, gb512_2h, gb512_3h,
                                      gb512_4h, gb512_5h, gb512_6h};
    const int nv = w / 16, rem = w % 16;
    if (rem == 0) return full[nv];
    return rem <= 8 ? half[nv] : full[nv + 1];
}

/* Pack rows [kb, kb + kc) and columns [j0, j0 + nb) of B into chunks of
 * ``cw`` columns: chunk q, row kk, column r at out[(q * kc + kk) * cw + r],
 * zero past the last column. */
static void gb_pack(const gb_job *jb, long long kb, long long kc, long long j0, long long nb,
                    int cw, float *out)
{
    const long long chunks = (nb + cw - 1) / cw;
    long long q, kk, r;
    for (q = 0; q < chunks; q++) {
        const long long c0 = j0 + q * cw, w = nb - q * cw < cw ? nb - q * cw : cw;
        for (kk = 0; kk < kc; kk++) {
            float *dst = out + (q * kc + kk) * cw;
            const float *src = jb->b + (kb + kk) * jb->sbk + c0 * jb->sbn;
            if (jb->sbn == 1) {
                memcpy(dst, src, sizeof(float) * (size_t)w);
            } else {
                for (r = 0; r < w; r++) dst[r] = src[r * jb->sbn];
            }
            for (r = w; r < cw; r++) dst[r] = 0.0f;
        }
    }
}

/* Rows of B per packed block: all of k when it fits, else equal parts. */
static long long gb_kc(long long k)
{
    long long blocks = (k + GB_KC_MAX - 1) / GB_KC_MAX;
    return (k + blocks - 1) / blocks;
}

/* Columns of B per packed block of ``kc`` rows: whole chunks, at least one. */
static long long gb_nc(long long kc, int cw)
{
    long long chunks = GB_BLOCK / (kc * cw);
    return (chunks > 0 ? chunks : 1) * cw;
}

/* This thread's packing buffer: the largest block of B, 64-byte aligned. */
static float *gb_buffer(void)
{
    static __thread float *buf = NULL;
    if (buf == NULL) buf = aligned_alloc(64, sizeof(float) * (GB_BLOCK + GB_KC_MAX * GB_CHUNK));
    return buf;
}

/* Rows [r0, r1) and columns [c0, c1) of C (c0 on a chunk boundary).  Each
 * packed block of B is swept by every row tile in turn, and each row tile
 * by every chunk of the block.  A is read in place: packing its tiles (for
 * x^T's columns too) measured slower. */
static int gb_block(const gb_job *jb, long long r0, long long r1, long long c0, long long c1)
{
    const int cw = GB_CHUNK, mr = GB_MR;
    const long long kcb = gb_kc(jb->k), ncb = gb_nc(kcb, cw);
    float *buf = gb_buffer();
    long long jc, kb, i, q;
    if (buf == NULL) return -1;
    for (jc = c0; jc < c1; jc += ncb) {
        const long long nb = c1 - jc < ncb ? c1 - jc : ncb, chunks = (nb + cw - 1) / cw;
        for (kb = 0; kb < jb->k; kb += kcb) {
            const long long kc = jb->k - kb < kcb ? jb->k - kb : kcb;
            gb_pack(jb, kb, kc, jc, nb, cw, buf);
            for (i = r0; i < r1; i += mr) {
                const int rows = (int)(r1 - i < mr ? r1 - i : mr);
                const float *a = jb->a + i * jb->sam + kb * jb->sak;
                for (q = 0; q < chunks; q++) {
                    const int w = (int)(nb - q * cw < cw ? nb - q * cw : cw);
                    gb_kernel_for(w)(jb, a, jb->sam, jb->sak, buf + q * kc * cw, cw, i,
                                     jc + q * cw, kb, kc, rows, w);
                }
            }
        }
    }
    return 0;
}

typedef struct {
    const gb_job *jb;
    atomic_int failed;
} gb_run;

static void gb_part(void *arg, int part, int parts)
{
    gb_run *run = (gb_run *)arg;
    const gb_job *jb = run->jb;
    long long lo, hi, units, unit;
    int r;
    if (jb->split_rows) {
        unit = GB_MR;
        units = (jb->m + unit - 1) / unit;
        lo = units * part / parts * unit;
        hi = units * (part + 1) / parts * unit;
        r = gb_block(jb, lo, hi < jb->m ? hi : jb->m, 0, jb->n);
    } else {
        unit = GB_CHUNK;
        units = (jb->n + unit - 1) / unit;
        lo = units * part / parts * unit;
        hi = units * (part + 1) / parts * unit;
        r = lo < jb->n ? gb_block(jb, 0, jb->m, lo, hi < jb->n ? hi : jb->n) : 0;
    }
    if (r < 0) atomic_store(&run->failed, 1);
}

/* Multiply-adds above which a blocked product is split over the pool. */
#define GB_PARALLEL_WORK (1LL << 20)

/* Run ``jb`` over the pool when it is large.  0, or -1 when
 * a thread could not allocate its packing buffer (C is then partly written:
 * the caller raises MemoryError). */
static int gb_run_job(gb_job *jb)
{
    gb_run run;
    const long long row_units = (jb->m + GB_MR - 1) / GB_MR;
    const long long chunks = (jb->n + GB_CHUNK - 1) / GB_CHUNK;
    int parts = 1;
    run.jb = jb;
    atomic_init(&run.failed, 0);
    if (pool.size > 1 && jb->m * jb->n * jb->k >= GB_PARALLEL_WORK) parts = pool_ready();
    jb->split_rows = row_units >= 2 * parts || chunks < parts;
    if (parts > 1 && (jb->split_rows ? row_units : chunks) >= parts)
        pool_run(gb_part, &run);
    else
        gb_part(&run, 0, 1);
    return atomic_load(&run.failed) ? -1 : 0;
}

/* Single-precision products C = alpha A B + beta C0, in place of BLAS's
 * sgemm where blas.c's dispatch (blocked_wins) measured them faster.
 *
 * A training step's large products (an MLP layer's dot(x, W) and its weight
 * gradient x^T d) have a few hundred columns at most.  BLAS packs both
 * operands on every call and pads the columns to its own tile: a layer of
 * 100 units ran at 77% of this machine's peak over two cores.
 *
 * AVX-512: A is read in place, with any strides (x^T is x itself), and only
 * a block of B is packed: up to GB_KC_MAX rows and as many columns as fill
 * half of L2, in chunks of up to seven 16-lane vectors, the last one padded
 * with zeros to 16 or 8 lanes.  The kernel keeps GB_MR = 4 rows of a chunk
 * in registers: up to 28 accumulators, so four broadcasts of A serve up to
 * 28 multiply-adds (a layer of 100 units is one chunk of 6 x 16 + 4
 * columns, the last ones in an 8-lane vector).  90-94% of peak.
 *
 * AVX2 (16 registers): 6 rows of 16-column chunks, BLIS's loop order; A's
 * rows are read in place, x^T's columns are packed into tiles.  It beats
 * OpenBLAS's Haswell kernels on thin products only.
 *
 * Threads take ranges of rows (or of chunks when there are few rows), four
 * per thread dealt out by pool_deal, so a core slowed by other work hands
 * its last ranges to the other; each thread packs its own copy of B's
 * blocks, once per product.
 */

/* A packed block of B holds about GB_BLOCK floats (half of a 1 MB L2): up
 * to GB_KC_MAX rows, so that each register block sums as many terms as it
 * can before it goes back to C, and as many chunks as then fit. */
#define GB_BLOCK (128 * 1024)
/* Rows of k ahead at which the kernel prefetches A's columns (x^T). */
#define GB_AHEAD 8
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
    int split_rows; /* slots are ranges of rows, else of chunks */
    int avx2;       /* the AVX2 kernel and order (no AVX-512) */
    unsigned long long seq; /* this job among all (for gb_pack_once) */
} gb_job;

/* The end of a register kernel: rows [0, rows) of acc[MR][NV] (vectors of
 * VW lanes) to rows i0.. and columns [j0, j0 + cols) of C through PUT (see
 * gb512_put), then TAIL for each row. */
#define GB_STORE(MR, NV, VW, PUT, TAIL)                                                   \
    for (i = 0; i < MR; i++) {                                                            \
        float *cr;                                                                        \
        const float *c0r;                                                                 \
        if (i >= rows) break;                                                             \
        cr = jb->c + (i0 + i) * jb->ldc + j0;                                             \
        c0r = mode == 2 ? jb->c0 + (i0 + i) * jb->ldc0 + j0 : NULL;                      \
        for (v = 0; v < NV; v++) {                                                        \
            if (cols - v * VW <= 0) break;                                                \
            PUT(jb, cr + v * VW, c0r ? c0r + v * VW : NULL, cols - v * VW, acc[i][v], mode); \
        }                                                                                 \
        TAIL;                                                                             \
    }

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
            if (sk != 1)                                                                  \
                _mm_prefetch((const char *)(ar[0] + (kk + GB_AHEAD) * sk), _MM_HINT_T0);  \
            else if ((kk & 3) == 0)                                                       \
                _mm_prefetch((const char *)(a + (MR + ((kk >> 2) & 3)) * sa + kk),        \
                             _MM_HINT_T0);                                                \
            for (v = 0; v < NV; v++) bv[v] = LOAD(b + v * VW);                            \
            if (HALF) hb = HLOAD(b + NV * VW);                                            \
            for (i = 0; i < MR; i++) {                                                    \
                const float s = ar[i][kk * sk];                                           \
                VEC ai = SET1(s);                                                         \
                for (v = 0; v < NV; v++) acc[i][v] = FMA(ai, bv[v], acc[i][v]);           \
                if (HALF) hacc[i] = HFMA(HSET1(ai), hb, hacc[i]);                         \
            }                                                                             \
        }                                                                                 \
        GB_STORE(MR, NV, VW, PUT,                                                         \
                 if (HALF && cols > NV * VW)                                              \
                     HPUT(jb, cr + NV * VW, c0r ? c0r + NV * VW : NULL, cols - NV * VW,   \
                          hacc[i], mode));                                                \
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

/* As gb512_put.  Full vectors use plain loads and stores: AMD CPUs run
 * AVX2's masked ones as microcode, and with them on every block the AVX2
 * kernel lost a fifth of its speed. */
__attribute__((target("avx2,fma"))) static inline void
gb256_put(const gb_job *jb, float *cr, const float *c0r, int left, __m256 acc, int mode)
{
    const int lanes[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    __m256i m;
    __m256 r = _mm256_mul_ps(acc, _mm256_set1_ps(jb->alpha));
    if (left >= 8) {
        if (mode == 1)
            r = _mm256_add_ps(r, _mm256_loadu_ps(cr));
        else if (mode == 2)
            r = _mm256_fmadd_ps(_mm256_loadu_ps(c0r), _mm256_set1_ps(jb->beta), r);
        _mm256_storeu_ps(cr, r);
        return;
    }
    m = _mm256_cmpgt_epi32(_mm256_set1_epi32(left), _mm256_loadu_si256((const __m256i *)lanes));
    if (mode == 1)
        r = _mm256_add_ps(r, _mm256_maskload_ps(cr, m));
    else if (mode == 2)
        r = _mm256_fmadd_ps(_mm256_maskload_ps(c0r, m), _mm256_set1_ps(jb->beta), r);
    _mm256_maskstore_ps(cr, m, r);
}

#define GB2_MR 6   /* AVX2: rows of a register block */
#define GB2_NR 16  /* and its columns (two vectors) */
#define GB2_MC 96  /* rows of A per block (packed when A's rows are strided) */

/* The AVX2 register block: GB2_MR rows of A times NV vectors of a packed
 * 16-column chunk of B; otherwise as GB_KERNEL.  A's rows are read in place
 * (DIRECT: row i at ap + i * sa, unit k-stride) or from a packed tile
 * (column kk, row i at ap[kk * GB2_MR + i]).  Written out, not through the
 * template: its general addressing of A cost a fifth of the speed with 16
 * registers. */
#define GB2_KERNEL(NAME, NV, DIRECT)                                                      \
    __attribute__((target("avx2,fma"))) static void NAME(                                 \
        const gb_job *jb, const float *ap, long long sa, const float *bp, long long i0,   \
        long long j0, long long kb, long long kc, int rows, int cols)                     \
    {                                                                                     \
        __m256 acc[GB2_MR][NV];                                                           \
        const float *ar[GB2_MR];                                                          \
        const int mode = kb > 0 ? 1 : jb->beta != 0.0f ? 2 : 0;                           \
        int i, v;                                                                         \
        long long kk;                                                                     \
        for (i = 0; i < GB2_MR; i++) {                                                    \
            ar[i] = ap + (i < rows ? i : 0) * sa;                                         \
            for (v = 0; v < NV; v++) acc[i][v] = _mm256_setzero_ps();                     \
        }                                                                                 \
        for (kk = 0; kk < kc; kk++) {                                                     \
            __m256 bv[NV];                                                                \
            if (DIRECT && (kk & 1) == 0) /* the next tile's rows, as GB_KERNEL */         \
                _mm_prefetch((const char *)(ap + (GB2_MR + (kk >> 1) % GB2_MR) * sa + kk), \
                             _MM_HINT_T0);                                                \
            for (v = 0; v < NV; v++) bv[v] = _mm256_load_ps(bp + kk * GB2_NR + v * 8);    \
            for (i = 0; i < GB2_MR; i++) {                                                \
                const __m256 ai = _mm256_set1_ps(DIRECT ? ar[i][kk] : ap[kk * GB2_MR + i]); \
                for (v = 0; v < NV; v++)                                                  \
                    acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);                    \
            }                                                                             \
        }                                                                                 \
        GB_STORE(GB2_MR, NV, 8, gb256_put, (void)0);                                      \
    }
GB2_KERNEL(gb256_1, 1, 0)
GB2_KERNEL(gb256_2, 2, 0)
GB2_KERNEL(gb256_1_direct, 1, 1)
GB2_KERNEL(gb256_2_direct, 2, 1)

typedef void (*gb2_kernel)(const gb_job *, const float *, long long, const float *,
                           long long, long long, long long, long long, int, int);

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
    const long long chunks = (nb + cw - 1) / cw, full = nb / cw;
    long long q, kk, r;
    if (jb->sbn == 1 && (cw == GB2_NR || cw == GB_CHUNK)) {
        /* Rows of B read once, in order, and whole chunks moved by copies of
         * a fixed size, which the compiler inlines: for an MLP layer's
         * 784 x 100 weights on AVX2, 10 us less per product on one core
         * than the general loop's library calls (about half its time). */
        for (kk = 0; kk < kc; kk++) {
            const float *src = jb->b + (kb + kk) * jb->sbk + j0;
            for (q = 0; q < full; q++) {
                float *dst = out + (q * kc + kk) * cw;
                if (cw == GB2_NR)
                    memcpy(dst, src + q * cw, sizeof(float) * GB2_NR);
                else
                    memcpy(dst, src + q * cw, sizeof(float) * GB_CHUNK);
            }
        }
        if (full == chunks) return;
        q = full;
    } else {
        q = 0;
    }
    for (; q < chunks; q++) {
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

/* gb_pack, unless this thread's buffer holds that block of this job already:
 * a thread that takes several slots of a job packs each block once. */
static void gb_pack_once(const gb_job *jb, long long kb, long long kc, long long j0,
                         long long nb, int cw, float *out)
{
    static __thread unsigned long long seq = 0;
    static __thread long long at_kb, at_j0, at_nb;
    if (seq == jb->seq && at_kb == kb && at_j0 == j0 && at_nb == nb) return;
    gb_pack(jb, kb, kc, j0, nb, cw, out);
    seq = jb->seq;
    at_kb = kb;
    at_j0 = j0;
    at_nb = nb;
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
            const float *bp = buf;
            gb_pack_once(jb, kb, kc, jc, nb, cw, buf);
            for (i = r0; i < r1; i += mr) {
                const int rows = (int)(r1 - i < mr ? r1 - i : mr);
                const float *a = jb->a + i * jb->sam + kb * jb->sak;
                for (q = 0; q < chunks; q++) {
                    const int w = (int)(nb - q * cw < cw ? nb - q * cw : cw);
                    gb_kernel_for(w)(jb, a, jb->sam, jb->sak, bp + q * kc * cw, cw, i,
                                     jc + q * cw, kb, kc, rows, w);
                }
            }
        }
    }
    return 0;
}

/* Pack rows [i0, i0 + rows) and columns [kb, kb + kc) of A into a tile of
 * GB2_MR rows: column kk, row i at out[kk * GB2_MR + i]; rows past the end
 * repeat row i0 (their sums are not stored). */
static void gb_pack_tile(const gb_job *jb, long long i0, int rows, long long kb, long long kc,
                         float *out)
{
    const float *src[GB2_MR];
    const long long sak = jb->sak;
    long long kk;
    int i;
    for (i = 0; i < GB2_MR; i++)
        src[i] = jb->a + (i0 + (i < rows ? i : 0)) * jb->sam + kb * sak;
    if (jb->sam == 1 && rows == GB2_MR) {
        /* Columns of A (x^T's rows): a column of the tile is one copy. */
        for (kk = 0; kk < kc; kk++)
            memcpy(out + kk * GB2_MR, src[0] + kk * sak, sizeof(float) * GB2_MR);
        return;
    }
    for (kk = 0; kk < kc; kk++)
        for (i = 0; i < GB2_MR; i++) out[kk * GB2_MR + i] = src[i][kk * sak];
}

/* The AVX2 order (BLIS's): a block of B packed into 16-column chunks; then
 * for GB2_MC rows of A at a time (their tiles packed when A's rows are
 * strided), each chunk is swept by every row tile. */
static int gb_block_avx2(const gb_job *jb, long long r0, long long r1, long long c0,
                         long long c1)
{
    float *buf = gb_buffer(), *tiles = buf + GB_BLOCK;
    const int direct = jb->sak == 1;
    const long long kcb = gb_kc(jb->k), ncb = gb_nc(kcb, GB2_NR);
    long long jc, kb, ic, t, q;
    if (buf == NULL) return -1;
    for (jc = c0; jc < c1; jc += ncb) {
        const long long nb = c1 - jc < ncb ? c1 - jc : ncb;
        const long long chunks = (nb + GB2_NR - 1) / GB2_NR;
        for (kb = 0; kb < jb->k; kb += kcb) {
            const long long kc = jb->k - kb < kcb ? jb->k - kb : kcb;
            const float *bp = buf;
            gb_pack_once(jb, kb, kc, jc, nb, GB2_NR, buf);
            for (ic = r0; ic < r1; ic += GB2_MC) {
                const long long mb = r1 - ic < GB2_MC ? r1 - ic : GB2_MC;
                const long long count = (mb + GB2_MR - 1) / GB2_MR;
                for (t = 0; t < count && !direct; t++) {
                    const long long left = mb - t * GB2_MR;
                    gb_pack_tile(jb, ic + t * GB2_MR, (int)(left < GB2_MR ? left : GB2_MR),
                                 kb, kc, tiles + t * kc * GB2_MR);
                }
                for (q = 0; q < chunks; q++) {
                    const int w = (int)(nb - q * GB2_NR < GB2_NR ? nb - q * GB2_NR : GB2_NR);
                    const gb2_kernel kernel = direct ? (w > 8 ? gb256_2_direct : gb256_1_direct)
                                                     : (w > 8 ? gb256_2 : gb256_1);
                    for (t = 0; t < count; t++) {
                        const long long left = mb - t * GB2_MR, i0 = ic + t * GB2_MR;
                        const float *a = direct ? jb->a + i0 * jb->sam + kb
                                                : tiles + t * kc * GB2_MR;
                        kernel(jb, a, jb->sam, bp + q * kc * GB2_NR, i0, jc + q * GB2_NR,
                               kb, kc, (int)(left < GB2_MR ? left : GB2_MR), w);
                    }
                }
            }
        }
    }
    return 0;
}

static atomic_ullong gb_jobs = 0; /* jobs so far: gb_job.seq */

typedef struct {
    const gb_job *jb;
    long long unit, units; /* rows (or columns) per unit, units in all */
    int slots;             /* units dealt out in this many ranges */
    pool_deal deal;
    atomic_int failed;
} gb_run;

static void gb_part(void *arg, int part, int parts)
{
    gb_run *run = (gb_run *)arg;
    const gb_job *jb = run->jb;
    int s;
    (void)parts;
    while ((s = pool_deal_next(&run->deal, part)) >= 0) {
        const long long lo = run->units * s / run->slots * run->unit;
        const long long hi = run->units * (s + 1) / run->slots * run->unit;
        int r;
        if (jb->split_rows)
            r = (jb->avx2 ? gb_block_avx2 : gb_block)(jb, lo, hi < jb->m ? hi : jb->m, 0,
                                                        jb->n);
        else
            r = lo >= jb->n ? 0
                : (jb->avx2 ? gb_block_avx2 : gb_block)(jb, 0, jb->m, lo,
                                                          hi < jb->n ? hi : jb->n);
        if (r < 0) atomic_store(&run->failed, 1);
    }
}

/* Multiply-adds above which a blocked product is split over the pool: all
 * that blocked_wins() lets through. */
#define GB_PARALLEL_WORK (1LL << 17)
/* Slots of rows (or columns) per thread, dealt out by pool_deal. */
#define GB_SLOTS_PER_PART 4
/* Run ``jb`` over the pool when it is large, in slots dealt out to the
 * threads (pool_deal): with fixed halves, an MLP layer's product took 8%
 * longer on average on this shared machine, and at the 90th percentile
 * 15% (319 us against 279).  Each thread packs its own copy of B's blocks: packing B once, shared (each thread a share of the rows,
 * then a second pool run to compute), measured 10-15% slower for an MLP
 * layer, whose threads then read half of B from the other core's cache.  0,
 * or -1 when a thread could not allocate its packing buffer (C is then
 * partly written: the caller raises MemoryError). */
static int gb_run_job(gb_job *jb)
{
    gb_run run;
    const long long mr = jb->avx2 ? GB2_MR : GB_MR, cw = jb->avx2 ? GB2_NR : GB_CHUNK;
    const long long row_units = (jb->m + mr - 1) / mr, chunks = (jb->n + cw - 1) / cw;
    const long long kc = gb_kc(jb->k);
    int parts = 1, one_block;
    jb->seq = atomic_fetch_add(&gb_jobs, 1) + 1;
    if (pool.size > 1 && jb->m * jb->n * jb->k >= GB_PARALLEL_WORK) parts = pool_ready();
    jb->split_rows = row_units >= 2 * parts || chunks < parts;
    run.jb = jb;
    run.unit = jb->split_rows ? mr : cw;
    run.units = jb->split_rows ? row_units : chunks;
    /* Ranges of rows that share one packed block of B (all of k, all
     * columns), or ranges of columns, can be cut finer than one per thread
     * at no cost in packing; otherwise each range would pack every block. */
    one_block = kc >= jb->k && gb_nc(kc, (int)cw) >= jb->n;
    run.slots = parts == 1 ? 1 : !jb->split_rows || one_block ? parts * GB_SLOTS_PER_PART : parts;
    if (run.slots > run.units) run.slots = (int)run.units;
    atomic_init(&run.failed, 0);
    if (parts > 1 && run.units >= parts) {
        pool_deal_init(&run.deal, run.slots, parts);
        pool_run(gb_part, &run);
    } else {
        run.slots = 1;
        pool_deal_init(&run.deal, 1, 1);
        gb_part(&run, 0, 1);
    }
    return atomic_load(&run.failed) ? -1 : 0;
}

static long long blocked_products = 0; /* products done here (tests read it) */
static int blocked_enabled = 1;         /* use_blocked_products() */

/* The register kernel of an AVX-512 CPU's products: GB_ZMM (4 rows of up
 * to seven 16-lane vectors) or GB_YMM (the AVX2 kernel: 6 rows of two
 * 8-lane vectors, here with 32 registers to spare).  Where 512-bit
 * multiply-adds run as two 256-bit halves (AMD Zen 4), the 16-lane kernel
 * has no more arithmetic per cycle, but its 28 accumulators leave no
 * register for B, which it reads from L1 four times per row of k: on this
 * machine an MLP layer's product ran at 90 GFLOP/s on one core with it and
 * at 101 with the AVX2 kernel.  Where 512-bit units are whole, the 16-lane
 * kernel does twice the work per instruction.  So GB_MEASURED times both
 * once per process (gb_measure_kernels) and keeps the faster. */
enum { GB_MEASURED = 0, GB_ZMM = 1, GB_YMM = 2 };
static int blocked_kernel_setting = GB_MEASURED; /* use_blocked_kernel() */
static int blocked_kernel_measured = GB_MEASURED; /* the timing's verdict, once made */

/* Time both kernels on one thread over a 48 x 256 x 100 product in cache
 * (packing included), alternated over five rounds of eight products: about
 * 2 ms, once.  GB_YMM when it took less than 97% of GB_ZMM's best time. */
static int gb_measure_kernels(void)
{
    enum { M = 48, K = 256, N = 100, ROUNDS = 5, REPS = 8 };
    float *a = malloc(sizeof(float) * (M * K + K * N + M * N));
    long long best[2] = {-1, -1};
    gb_job jb;
    int round, which, rep, i;
    if (a == NULL || gb_buffer() == NULL) {
        free(a);
        return GB_ZMM;
    }
    for (i = 0; i < M * K + K * N; i++) a[i] = (float)(i % 7) * 0.125f;
    memset(&jb, 0, sizeof(jb));
    jb.m = M;
    jb.n = N;
    jb.k = K;
    jb.alpha = 1.0f;
    jb.a = a;
    jb.sam = K;
    jb.sak = 1;
    jb.b = a + M * K;
    jb.sbk = N;
    jb.sbn = 1;
    jb.c = a + M * K + K * N;
    jb.ldc = N;
    jb.c0 = jb.c;
    jb.ldc0 = N;
    jb.split_rows = 1;
    for (round = 0; round < ROUNDS; round++) {
        for (which = 0; which < 2; which++) {
            const long long start = pool_now_ns();
            long long spent;
            jb.avx2 = which;
            for (rep = 0; rep < REPS; rep++) {
                jb.seq = atomic_fetch_add(&gb_jobs, 1) + 1;
                (which ? gb_block_avx2 : gb_block)(&jb, 0, M, 0, N);
            }
            spent = pool_now_ns() - start;
            if (best[which] < 0 || spent < best[which]) best[which] = spent;
        }
    }
    free(a);
    return (double)best[1] < 0.97 * (double)best[0] ? GB_YMM : GB_ZMM;
}

/* The kernel of this CPU's products: GB_YMM on AVX2-only CPUs; on AVX-512
 * ones use_blocked_kernel()'s choice, else the measured one. */
static int gb_kernel_choice(void)
{
    if (pk_native().isa != PK_AVX512) return GB_YMM;
    if (blocked_kernel_setting != GB_MEASURED) return blocked_kernel_setting;
    if (blocked_kernel_measured == GB_MEASURED) blocked_kernel_measured = gb_measure_kernels();
    return blocked_kernel_measured;
}

/* Whether this file computes a float32 product of this size faster than
 * BLAS (measured with benchmarks/gemm_shapes.py and mlp_epoch.py, two
 * threads): products of 2**17 multiply-adds or more, with at least 64 rows
 * below 2**20, and at least 4 terms per sum.  With AVX-512 and the 16-lane
 * kernel: all of them (0.90-0.96 of OpenBLAS's time on wide products,
 * 0.43-0.8 on thin or small ones, such as an MLP's 100 -> 10 layer, which
 * BLAS runs on one thread).  With AVX-512 and the AVX2 kernel (where it
 * measured faster, see gb_measure_kernels): those of at most 128 columns,
 * x^T's included (an MLP layer 0.93 of the 16-lane kernel's time, about
 * BLAS's in cache); wider ones, 1.01-1.14 of the 16-lane kernel's time and
 * more than BLAS's, go to BLAS.  With AVX2 only:
 * the products of at most 64 columns (0.43-0.85), and those of at most 128
 * whose left operand's rows are read in place (``rows_in_place``: unit
 * k-stride), for its prefetching: on batches fresh from memory, the MLP
 * epoch's input layer, 7-19 ms less an epoch in 3 of 4 paired runs.  On
 * operands already in cache OpenBLAS's Haswell kernels were up to 5%
 * faster there, faster on x^T's columns, and 1.3 times faster on a
 * 1024-square product. */
static int blocked_wins(npy_intp m, npy_intp n, npy_intp k, int rows_in_place)
{
    const int isa = pk_native().isa;
    const long long work = (long long)m * n * k;
    if (!blocked_enabled || isa == PK_NONE || m < 16 || n < 8 || k < 4 || work < (1LL << 17) ||
        (work < (1LL << 20) && m < 64))
        return 0;
    if (isa == PK_AVX512) return gb_kernel_choice() == GB_ZMM || n <= 128;
    return n <= 64 || (rows_in_place && n <= 128);
}

/* Z = alpha X Y + beta Z0 here, for blas.c's gemm_from.  Z (layout lz, leading
 * dimension ldz) and Z0 (the same layout, ldf; Z0 may be Z) as for
 * gemm_from; X and Y of any strides.  0, SLOW (a product blocked_wins()
 * leaves to BLAS, or a layout this file does not take) or -1. */
static int blocked_from(PyArrayObject *Z, int lz, int ldz, PyArrayObject *Z0, int ldf,
                        PyArrayObject *X, PyArrayObject *Y, double alpha, double beta)
{
    gb_job jb;
    npy_intp xs0 = PyArray_STRIDE(X, 0), xs1 = PyArray_STRIDE(X, 1);
    npy_intp ys0 = PyArray_STRIDE(Y, 0), ys1 = PyArray_STRIDE(Y, 1);
    if (!blocked_wins(PyArray_DIM(X, 0), PyArray_DIM(Y, 1), PyArray_DIM(X, 1),
                      lz == 'C' ? xs1 == 4 : ys0 == 4))
        return SLOW;
    if (!PyArray_ISALIGNED(X) || !PyArray_ISALIGNED(Y) || !PyArray_ISALIGNED(Z) ||
        !PyArray_ISALIGNED(Z0) || xs0 % 4 || xs1 % 4 || ys0 % 4 || ys1 % 4)
        return SLOW;
    memset(&jb, 0, sizeof(jb));
    jb.k = PyArray_DIM(X, 1);
    jb.alpha = (float)alpha;
    jb.beta = (float)beta;
    jb.c = (float *)PyArray_DATA(Z);
    jb.ldc = ldz;
    jb.c0 = (const float *)PyArray_DATA(Z0);
    jb.ldc0 = ldf;
    jb.avx2 = gb_kernel_choice() == GB_YMM;
    if (lz == 'C') {
        jb.m = PyArray_DIM(X, 0);
        jb.n = PyArray_DIM(Y, 1);
        jb.a = (const float *)PyArray_DATA(X);
        jb.sam = xs0 / 4;
        jb.sak = xs1 / 4;
        jb.b = (const float *)PyArray_DATA(Y);
        jb.sbk = ys0 / 4;
        jb.sbn = ys1 / 4;
    } else {
        /* Z^T = Y^T X^T, with Z^T in rows. */
        jb.m = PyArray_DIM(Y, 1);
        jb.n = PyArray_DIM(X, 0);
        jb.a = (const float *)PyArray_DATA(Y);
        jb.sam = ys1 / 4;
        jb.sak = ys0 / 4;
        jb.b = (const float *)PyArray_DATA(X);
        jb.sbk = xs1 / 4;
        jb.sbn = xs0 / 4;
    }
    if (gb_run_job(&jb) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    blocked_products++;
    return 0;
}


static void k0_loop(long long start, long long stop, const double *restrict in0, double *restrict out0) {
    /* Element i reads its inputs and writes its outputs at index i only,
       and an output is a new buffer or exactly one input: no iteration
       depends on another.  Without ivdep, gcc proves that by runtime alias
       checks, which it gives up on past 10 pointer pairs (a multi-output
       kernel, whose pointers carry no restrict): the loop stayed scalar. */
    #pragma GCC ivdep
    for (long long i = start; i < stop; ++i) {
        const double a0 = in0[i];
        const double v0 = (a0 * a0);
        out0[i] = v0;
    }
}

static void k0_range(long long start, long long stop, char **args) {
    k0_loop(start, stop, (const double *)args[0], (double *)args[1]);
}

void k0_contig(long long n, char **args) {
    vm_parallel(n, args, k0_range, 1);
}

void k0_strided(int nd, const long long *shape, char **args,
                   const long long *strides) {
    static const int itemsize[2] = {8, 8};
    vm_strided(nd, shape, args, strides, 1, 2, itemsize, k0_range);
}

static inline __attribute__((always_inline)) double k0_one(long long i, const double *restrict in0) {
    const double a0 = in0[i];
    const double v0 = (a0 * a0);
    return (double)(v0);
}

double k0_sum(long long n, char **args) {
    double part[VM_SUM_PARTS] = {0};
    double total = 0.0;
    long long i = 0;
    for (; i + VM_SUM_PARTS <= n; i += VM_SUM_PARTS)
        for (int k = 0; k < VM_SUM_PARTS; ++k) part[k] += k0_one(i + k, (const double *)args[0]);
    for (; i < n; ++i) total += k0_one(i, (const double *)args[0]);
    for (int k = 0; k < VM_SUM_PARTS; ++k) total += part[k];
    return total;
}


static void k0_loop(long long start, long long stop, const float *restrict in0, const float *restrict in1, const float *restrict in2, float *restrict out0) {
    /* Element i reads its inputs and writes its outputs at index i only,
       and an output is a new buffer or exactly one input: no iteration
       depends on another.  Without ivdep, gcc proves that by runtime alias
       checks, which it gives up on past 10 pointer pairs (a multi-output
       kernel, whose pointers carry no restrict): the loop stayed scalar. */
    #pragma GCC ivdep
    for (long long i = start; i < stop; ++i) {
        const float a0 = in0[i];
        const float a1 = in1[i];
        const float a2 = in2[i];
        const float v0 = (a0 * a1);
        const float v1 = vm_expf(a2);
        const float v2 = (v0 + v1);
        out0[i] = v2;
    }
}

static void k0_range(long long start, long long stop, char **args) {
    k0_loop(start, stop, (const float *)args[0], (const float *)args[1], (const float *)args[2], (float *)args[3]);
}

void k0_contig(long long n, char **args) {
    vm_parallel(n, args, k0_range, 17);
}

void k0_strided(int nd, const long long *shape, char **args,
                   const long long *strides) {
    static const int itemsize[4] = {4, 4, 4, 4};
    vm_strided(nd, shape, args, strides, 3, 4, itemsize, k0_range);
}

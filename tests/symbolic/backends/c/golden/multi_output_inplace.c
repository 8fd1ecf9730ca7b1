
static inline double vm_floordiv_float64(double a, double b) {
    if (b == 0) return a / b;
    double mod = fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;
    if (div == 0) return copysign(0, a / b);
    double fl = floor(div);
    return div - fl > (double)0.5 ? fl + 1 : fl;
}
static inline double vm_mod_float64(double a, double b) {
    double mod = fmod(a, b);
    if (b == 0) return mod;
    if (mod == 0) return copysign(0, b);
    return ((b < 0) != (mod < 0)) ? mod + b : mod;
}

static void k0_loop(long long start, long long stop, const double *in0, const double *in1, double *out0, double *out1) {
    /* Element i reads its inputs and writes its outputs at index i only,
       and an output is a new buffer or exactly one input: no iteration
       depends on another.  Without ivdep, gcc proves that by runtime alias
       checks, which it gives up on past 10 pointer pairs (a multi-output
       kernel, whose pointers carry no restrict): the loop stayed scalar. */
    #pragma GCC ivdep
    for (long long i = start; i < stop; ++i) {
        const double a0 = in0[i];
        const double a1 = in1[i];
        const double v0 = (a0 + a1);
        const double v1 = vm_mod_float64(a0, a1);
        out0[i] = v0;
        out1[i] = v1;
    }
}

static void k0_range(long long start, long long stop, char **args) {
    k0_loop(start, stop, (const double *)args[0], (const double *)args[1], (double *)args[2], (double *)args[3]);
}

void k0_contig(long long n, char **args) {
    vm_parallel(n, args, k0_range, 9);
}

void k0_strided(int nd, const long long *shape, char **args,
                   const long long *strides) {
    static const int itemsize[4] = {8, 8, 8, 8};
    vm_strided(nd, shape, args, strides, 2, 4, itemsize, k0_range);
}

"""Fused elemwise kernels: one small pure-C library per compiled graph.

:func:`build_kernels` renders the scalar expression of every given Elemwise
node into C, puts all kernels in ONE source (no Python or numpy headers, so
gcc is quick) and compiles it with one :func:`~symbolic.backends.c.build.
compile_library` call.  Each kernel exports two functions, the ABI the C
runtime calls through raw pointers::

    void <sym>_contig(long long n, char **args);
    void <sym>_strided(int nd, const long long *shape, char **args,
                       const long long *strides);

``args`` holds the ``nin`` input then the ``nout`` output data pointers.
``_contig`` needs every operand C-contiguous with ``n`` elements;
``_strided`` takes ``nin + nout`` rows of ``nd`` byte strides (0 for a
broadcast dimension, negative strides allowed).  An output may be the very
same buffer as an input (in-place), never a partial overlap.

The contiguous loop uses ``restrict`` pointers and branch-free math
(``vecmath.h``), so gcc vectorizes it; above a size threshold it is split
over threads, each writing its own slice, so results do not depend on the
thread count.  The C runtime, which splits large calls over its own thread
pool, hands each thread ranges of at most ``serial_elements``, so the two
never nest.  The strided driver drops length-1 dimensions, merges
dimensions that are contiguous for every operand and runs the vectorized
loop on every row that is contiguous.
"""

import ctypes
import logging
import os
from typing import NamedTuple

import numpy

from symbolic.backends.c import build
from symbolic.backends.c.scalar_c import (
    C_TYPES,
    CRenderer,
    convert,
    helper_source,
)
from symbolic.backends.kernel_support import (
    FLOATS,
    Unsupported,
    call_kernel,
    node_expressions,
)
from symbolic.config import config

_logger = logging.getLogger(__name__)

#: Extra flags of kernel libraries: -O2 with the full vectorizer (as fast as
#: -O3 here and a quarter quicker to compile); no fused multiply-add
#: contraction, so ``x * y + z`` rounds twice as in numpy; 512-bit vectors
#: where the CPU has them, since the kernels are compute bound.  Without
#: -fno-trapping-math gcc keeps the selects of vecmath.h's log (and softplus)
#: as branches, and tanh's too without AVX-512's masks, so those loops ran
#: one element at a time; the values are the same (no kernel reads the
#: floating-point exception flags).
KERNEL_FLAGS = (
    "-O2",
    "-ftree-vectorize",
    "-fvect-cost-model=dynamic",
    "-ffp-contract=off",
    "-fno-trapping-math",
    "-fno-semantic-interposition",
    "-mprefer-vector-width=512",
)

#: Elements-times-cost above which the contiguous loop is split over threads.
PARALLEL_WORK = 1 << 21

_VECMATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vecmath.h")

_PRELUDE = """\
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
{vecmath}
#define VM_THREADS {threads}
#define VM_MAXDIM 64
#define VM_MAXOP 64
/* Shared drivers stay single copies: no per-kernel clone or inlining. */
#define VM_NOCLONE __attribute__((noinline, noclone))

typedef void (*vm_range_fn)(long long start, long long stop, char **args);

typedef struct {{
    vm_range_fn body;
    long long start, stop;
    char **args;
}} vm_task;

static void *vm_run_task(void *arg) {{
    vm_task *task = (vm_task *)arg;
    task->body(task->start, task->stop, task->args);
    return NULL;
}}

/* Run body over [0, n) in VM_THREADS slices once the work is large enough. */
static VM_NOCLONE void vm_parallel(long long n, char **args, vm_range_fn body,
                                   long long cost) {{
    int threads = VM_THREADS;
    if (threads > 1 && n * cost >= {parallel_work}LL) {{
        pthread_t ids[VM_THREADS];
        vm_task tasks[VM_THREADS];
        int started[VM_THREADS];
        long long chunk = ((n + threads - 1) / threads + 63) & ~63LL;
        for (int t = 0; t < threads; ++t) {{
            long long start = t * chunk, stop = start + chunk;
            tasks[t].body = body;
            tasks[t].start = start < n ? start : n;
            tasks[t].stop = stop < n ? stop : n;
            tasks[t].args = args;
            started[t] = 0;
        }}
        for (int t = 1; t < threads; ++t)
            started[t] = pthread_create(&ids[t], NULL, vm_run_task, &tasks[t]) == 0;
        body(tasks[0].start, tasks[0].stop, args);
        for (int t = 1; t < threads; ++t) {{
            if (started[t])
                pthread_join(ids[t], NULL);
            else
                body(tasks[t].start, tasks[t].stop, args);
        }}
        return;
    }}
    body(0, n, args);
}}

#define VM_CHUNK 256
/* Float64 partial sums of a fused sum: sixteen fill two AVX-512 registers;
   an AVX2 build ran them at half the speed of eight (78400 float32 squares
   on one core: 18.3 against 10.4 us; float64 values 19.5 against 8.5 us).
   So the last bits of a float64 sum can differ between the two builds. */
#ifdef __AVX512F__
#define VM_SUM_PARTS 16
#else
#define VM_SUM_PARTS 8
#endif
/* Elements per call over blocks of short rows, and the most bytes of
   their repeated rows' buffers (on the stack). */
#define VM_BLOCK 1024
#define VM_BLOCK_BYTES 65536

static VM_NOCLONE void vm_copy(char *dst, long long dstep, const char *src,
                               long long sstep, long long n, int size) {{
    switch (size) {{
    case 1: for (long long i = 0; i < n; ++i) dst[i * dstep] = src[i * sstep]; break;
#define VM_COPY_CASE(bytes, type) \
    case bytes: \
        for (long long i = 0; i < n; ++i) \
            *(type *)(dst + i * dstep) = *(const type *)(src + i * sstep); \
        break;
    VM_COPY_CASE(2, uint16_t)
    VM_COPY_CASE(4, uint32_t)
    VM_COPY_CASE(8, uint64_t)
#undef VM_COPY_CASE
    default:
        for (long long i = 0; i < n; ++i)
            memcpy(dst + i * dstep, src + i * sstep, size);
    }}
}}

/* One strided row: gather the strided inputs into contiguous chunks, run the
   vectorized loop, scatter the strided outputs.  A broadcast input (step 0,
   a learning rate beside a weight matrix) repeats one value, so its chunk is
   filled once for the whole row. */
static VM_NOCLONE void vm_row(long long n, char **ptrs, const long long *steps, int nin,
                   int nop, const int *itemsize, vm_range_fn range) {{
    char buf[nop][VM_CHUNK * 8];
    char *args[VM_MAXOP];
    long long first = n < VM_CHUNK ? n : VM_CHUNK;
    for (int k = 0; k < nin; ++k)
        if (steps[k] == 0 && itemsize[k] != 0)
            vm_copy(buf[k], itemsize[k], ptrs[k], 0, first, itemsize[k]);
    for (long long start = 0; start < n; start += VM_CHUNK) {{
        long long m = n - start < VM_CHUNK ? n - start : VM_CHUNK;
        for (int k = 0; k < nop; ++k) {{
            char *p = ptrs[k] + start * steps[k];
            if (steps[k] == itemsize[k]) {{
                args[k] = p;
            }} else {{
                args[k] = buf[k];
                if (k < nin && steps[k] != 0)
                    vm_copy(buf[k], itemsize[k], p, steps[k], m, itemsize[k]);
            }}
        }}
        range(0, m, args);
        for (int k = nin; k < nop; ++k)
            if (args[k] == buf[k])
                vm_copy(ptrs[k] + start * steps[k], steps[k], buf[k], itemsize[k], m,
                        itemsize[k]);
    }}
}}

/* Kernel calls over ``rows`` short rows of ``n`` elements, each call on as
   many whole rows as fit in VM_BLOCK elements.  Every operand is contiguous
   along a row or repeats one value along it (step 0, an input), and from row
   to row it either continues contiguously or repeats the same row (row step
   0, an input: a bias).  Repeating operands are copied once into buffers of
   one call's length; the others are read in place.  One call per row cost
   about as much as a 100-element row itself. */
static VM_NOCLONE void vm_blocks(long long rows, long long n, char **ptrs,
                                 const long long *row_steps, const long long *steps,
                                 int nin, int nop, const int *itemsize,
                                 vm_range_fn range) {{
    int nbuf = 0;
    for (int k = 0; k < nin; ++k) nbuf += row_steps[k] == 0 && itemsize[k] != 0;
    long long block = VM_BLOCK / n;
    if (nbuf && block * n * 8 * nbuf > VM_BLOCK_BYTES)
        block = VM_BLOCK_BYTES / (n * 8 * nbuf);
    if (block > rows) block = rows;
    if (block < 2) {{
        for (long long r = 0; r < rows; ++r) {{
            char *row[VM_MAXOP];
            for (int k = 0; k < nop; ++k) row[k] = ptrs[k] + r * row_steps[k];
            vm_row(n, row, steps, nin, nop, itemsize, range);
        }}
        return;
    }}
    long long len = block * n;
    char store[nbuf ? nbuf * len * 8 : 1] __attribute__((aligned(64)));
    char *args[VM_MAXOP];
    for (int k = 0, b = 0; k < nop; ++k) {{
        args[k] = ptrs[k];
        if (k >= nin || row_steps[k] != 0 || itemsize[k] == 0) continue;
        args[k] = store + (b++) * len * 8;
        if (steps[k] == 0)
            vm_copy(args[k], itemsize[k], ptrs[k], 0, len, itemsize[k]);
        else
            for (long long r = 0; r < block; ++r)
                memcpy(args[k] + r * n * itemsize[k], ptrs[k], n * itemsize[k]);
    }}
    for (long long r = 0; r < rows; r += block) {{
        long long m = (rows - r < block ? rows - r : block) * n;
        range(0, m, args);
        for (int k = 0; k < nop; ++k)
            if (row_steps[k] != 0) args[k] += block * row_steps[k];
    }}
}}

/* Walk an nd-dimensional strided iteration, after dropping length-1
   dimensions and merging dimensions contiguous for every operand: short
   rows in blocks of rows (vm_blocks) when every operand is contiguous or
   repeated along the two innermost dimensions, else row by row, gathering
   strided operands and repeating broadcast ones in chunks (vm_row). */
static VM_NOCLONE void vm_strided(int nd, const long long *shape, char **args,
                       const long long *strides, int nin, int nop,
                       const int *itemsize, vm_range_fn range) {{
    long long sh[VM_MAXDIM], st[VM_MAXDIM][VM_MAXOP];
    int m = 0;
    for (int d = 0; d < nd; ++d) {{
        if (shape[d] == 0) return;
        if (shape[d] == 1) continue;
        int merge = m > 0;
        for (int k = 0; merge && k < nop; ++k)
            merge = st[m - 1][k] == strides[k * nd + d] * shape[d];
        if (merge) {{
            sh[m - 1] *= shape[d];
            for (int k = 0; k < nop; ++k) st[m - 1][k] = strides[k * nd + d];
            continue;
        }}
        sh[m] = shape[d];
        for (int k = 0; k < nop; ++k) st[m][k] = strides[k * nd + d];
        ++m;
    }}
    char *ptrs[VM_MAXOP];
    for (int k = 0; k < nop; ++k) ptrs[k] = args[k];
    if (m == 0) {{
        range(0, 1, ptrs);
        return;
    }}
    /* Blocks of rows: each operand continues contiguously from row to row
       (a repeated value stays repeated), or is an input repeating its row. */
    int blocks = m >= 2 && sh[m - 1] < VM_BLOCK / 2;
    for (int k = 0; blocks && k < nop; ++k) {{
        long long along = st[m - 1][k], row = st[m - 2][k];
        if (along == itemsize[k])
            blocks = row == sh[m - 1] * along || (k < nin && row == 0);
        else
            blocks = k < nin && along == 0 && row == 0;
    }}
    int walk = m - 1 - blocks;
    long long idx[VM_MAXDIM] = {{0}};
    for (;;) {{
        if (blocks)
            vm_blocks(sh[m - 2], sh[m - 1], ptrs, st[m - 2], st[m - 1], nin, nop,
                      itemsize, range);
        else
            vm_row(sh[m - 1], ptrs, st[m - 1], nin, nop, itemsize, range);
        int d = walk - 1;
        for (; d >= 0; --d) {{
            for (int k = 0; k < nop; ++k) ptrs[k] += st[d][k];
            if (++idx[d] < sh[d]) break;
            for (int k = 0; k < nop; ++k) ptrs[k] -= st[d][k] * sh[d];
            idx[d] = 0;
        }}
        if (d < 0) return;
    }}
}}
"""

_KERNEL = """
static void {sym}_loop(long long start, long long stop, {params}) {{
    /* Element i reads its inputs and writes its outputs at index i only,
       and an output is a new buffer or exactly one input: no iteration
       depends on another.  Without ivdep, gcc proves that by runtime alias
       checks, which it gives up on past 10 pointer pairs (a multi-output
       kernel, whose pointers carry no restrict): the loop stayed scalar. */
    #pragma GCC ivdep
    for (long long i = start; i < stop; ++i) {{
{range_loads}
{body}
{range_stores}
    }}
}}

static void {sym}_range(long long start, long long stop, char **args) {{
    {sym}_loop(start, stop, {casts});
}}

void {sym}_contig(long long n, char **args) {{
    vm_parallel(n, args, {sym}_range, {cost});
}}

void {sym}_strided(int nd, const long long *shape, char **args,
                   const long long *strides) {{
    static const int itemsize[{nop}] = {{{itemsizes}}};
    vm_strided(nd, shape, args, strides, {nin}, {nop}, itemsize, {sym}_range);
}}
"""


def _indent(lines, depth):
    pad = "    " * depth
    return "\n".join(pad + line for line in lines)


_SUM = """
static inline __attribute__((always_inline)) double {sym}_one(long long i, {params}) {{
{loads}
{body}
    return (double)({value});
}}

double {sym}_sum(long long n, char **args) {{
    double part[VM_SUM_PARTS] = {{0}};
    double total = 0.0;
    long long i = 0;
    for (; i + VM_SUM_PARTS <= n; i += VM_SUM_PARTS)
        for (int k = 0; k < VM_SUM_PARTS; ++k) part[k] += {sym}_one(i + k, {casts});
    for (; i < n; ++i) total += {sym}_one(i, {casts});
    for (int k = 0; k < VM_SUM_PARTS; ++k) total += part[k];
    return total;
}}
"""

#: The fused sum of float32 values that cannot be negative (squares,
#: absolute values): 16 float32 lanes add sixteen values each per block of
#: 256, then the lanes go into float64 partial sums.  With no negative term
#: nothing cancels, so each lane's sum is within fifteen float32 roundings of
#: its value, as the blocks of numpy's own float32 sum, and no lane overflows
#: unless the sum itself does.  Converting every value to float64 bounds the
#: loop: 78400 squares took 7.0 us with AVX-512 and 17.4 us with AVX2 on one
#: core, 2.9 and 3.6 us this way (32 lanes of 8 values: 2.7 and 8.9 us).
_SUM_NONNEGATIVE_FLOAT32 = """
static inline __attribute__((always_inline)) float {sym}_one(long long i, {params}) {{
{loads}
{body}
    return {value};
}}

double {sym}_sum(long long n, char **args) {{
    double part[16] = {{0}};
    double total = 0.0;
    long long i = 0;
    for (; i + 256 <= n; i += 256) {{
        float lanes[16] = {{0}};
        for (long long j = 0; j < 256; j += 16)
            for (int k = 0; k < 16; ++k) lanes[k] += {sym}_one(i + j + k, {casts});
        for (int k = 0; k < 16; ++k) part[k] += lanes[k];
    }}
    for (; i < n; ++i) total += {sym}_one(i, {casts});
    for (int k = 0; k < 16; ++k) total += part[k];
    return total;
}}
"""


def _nonnegative(expr):
    """True when ``expr`` cannot be negative (nan aside) for any argument.

    Floating-point expressions only: an integer square may wrap negative.
    """
    op = expr.op
    if expr.dtype not in FLOATS:
        return False
    if op == "mul":
        return expr.args[0] == expr.args[1] or all(map(_nonnegative, expr.args))
    if op == "add":
        return all(map(_nonnegative, expr.args))
    if op in ("abs", "exp", "sqrt"):
        return True
    if op == "const":
        return expr.value >= 0
    return False


class RenderedKernel(NamedTuple):
    """A kernel's C source, the helpers it calls and its cost per element."""

    source: str
    helpers: set
    cost: int


def render_kernel(sym, outputs, in_dtypes, out_dtypes, with_sum=False):
    """Return the :class:`RenderedKernel` ``sym`` computing the Exprs ``outputs``.

    With ``with_sum`` (one output), the library also exports
    ``double <sym>_sum(long long n, char **args)``: the sum, in float64, of
    the output's values (each rounded to the output dtype first) over ``n``
    contiguous elements, without storing them; partial sums (sixteen with
    AVX-512, eight without) keep the loop vectorized.  Float32 values that
    cannot be negative add in float32 lanes, sixteen values a lane, before
    float64 (``_SUM_NONNEGATIVE_FLOAT32``).

    Raises
    ------
    Unsupported
        When an expression or dtype has no C rendering.
    """
    for dtype in (*in_dtypes, *out_dtypes):
        if dtype not in C_TYPES:
            raise Unsupported(f"dtype {dtype} has no C rendering")
    nin = len(in_dtypes)
    renderer = CRenderer({i: (f"a{i}", d) for i, d in enumerate(in_dtypes)})
    results = [renderer.render(expr) for expr in outputs]
    stores = [
        convert(name, expr.dtype, dtype)
        for name, expr, dtype in zip(results, outputs, out_dtypes)
    ]
    used = renderer.used_args
    ctypes_in = [C_TYPES[d] for d in in_dtypes]
    ctypes_out = [C_TYPES[d] for d in out_dtypes]
    # restrict on parameters (not on locals) spares gcc an aliasing check and
    # a second, scalar copy of the loop. An in-place node's output shares its
    # buffer with an input, which restrict then wrongly denies: with one output
    # that is harmless (each element is read before its only store), but with
    # several gcc may reload an input after an earlier output overwrote it, so
    # the pointers of a multi-output kernel carry no restrict.
    qualifier = " *restrict " if len(out_dtypes) == 1 else " *"
    pointers = [(i, f"const {t}", f"in{i}") for i, t in enumerate(ctypes_in)]
    pointers += [(nin + j, t, f"out{j}") for j, t in enumerate(ctypes_out)]
    pointers = [p for p in pointers if p[0] >= nin or p[0] in used]
    params = ", ".join(f"{t}{qualifier}{name}" for _, t, name in pointers)
    casts = ", ".join(f"({t} *)args[{k}]" for k, t, _ in pointers)
    range_loads = [f"const {ctypes_in[i]} a{i} = in{i}[i];" for i in sorted(used)]
    range_stores = [f"out{j}[i] = {code};" for j, code in enumerate(stores)]
    nop = nin + len(out_dtypes)
    source = _KERNEL.format(
        sym=sym,
        params=params,
        casts=casts,
        range_loads=_indent(range_loads, 2),
        range_stores=_indent(range_stores, 2),
        body=_indent(renderer.lines, 2),
        cost=max(1, renderer.cost),
        nin=nin,
        nop=nop,
        itemsizes=", ".join(
            str(numpy.dtype(d).itemsize) for d in (*in_dtypes, *out_dtypes)
        ),
    )
    if with_sum:
        if len(outputs) != 1:
            raise Unsupported("a summed kernel has one output")
        inputs = [p for p in pointers if p[0] < nin]
        template = _SUM
        if out_dtypes[0] == "float32" and _nonnegative(outputs[0]):
            template = _SUM_NONNEGATIVE_FLOAT32
        source += template.format(
            sym=sym,
            params=", ".join(f"{t} *restrict {name}" for _, t, name in inputs)
            or "int unused",
            casts=", ".join(f"({t} *)args[{k}]" for k, t, _ in inputs) or "0",
            loads=_indent(range_loads, 1),
            body=_indent(renderer.lines, 1),
            value=stores[0],
        )
    return RenderedKernel(source, renderer.helpers, max(1, renderer.cost))


#: Primitives whose C rendering gives, bit for bit, what numpy gives: IEEE
#: arithmetic (no contraction: KERNEL_FLAGS has -ffp-contract=off), exact
#: rounding and comparisons, sqrt, numpy's floor-division rules, integer
#: powers (rendered only when the exponent cannot be negative).  Functions
#: such as exp, log or tanh come from vecmath.h or libm, whose last bit may
#: differ from numpy's own loops.
EXACT_PRIMITIVES = frozenset(
    (
        "arg const cast add sub mul div neg abs sign max min lt le gt ge eq ne "
        "band bor bxor bnot land lor lnot isnan isinf select floor ceil trunc "
        "round_half_even sqrt floordiv mod"
    ).split()
)


def computes_as_numpy(spec):
    """True when the kernel of ``spec`` gives numpy's values bit for bit.

    ``spec`` is a :func:`node_expressions` result (a trailing True asks for
    the fused ``_sum``, whose summation order is not the runtime's: not
    exact).  A graph whose kernels all compute as numpy may run its Python
    thunks while they compile (see ``CLinker``): results do not depend on
    when the compiler finishes.
    """
    outputs = spec[0]
    if spec[3:] == (True,):
        return False
    stack = list(outputs)
    while stack:
        expr = stack.pop()
        op = expr.op
        if op == "pow":
            # Integer powers are exact; float ones call libm's pow.
            if expr.dtype in FLOATS:
                return False
        elif op not in EXACT_PRIMITIVES:
            return False
        stack.extend(expr.args)
    return True


def supports(node):
    """True when the node's kernel can be rendered as C."""
    try:
        render_kernel("k", *node_expressions(node))
    except Unsupported:
        return False
    return True


def _threads():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def render_library(kernels):
    """Join :class:`RenderedKernel` s into one C source."""
    with open(_VECMATH) as handle:
        vecmath = handle.read()
    helpers = set()
    for kernel in kernels:
        helpers |= kernel.helpers
    parts = [
        _PRELUDE.format(
            vecmath=vecmath, threads=_threads(), parallel_work=PARALLEL_WORK
        ),
        helper_source(helpers),
    ]
    parts += [kernel.source for kernel in kernels]
    return "".join(parts)


class ElemwiseKernel:
    """A compiled kernel of the two-function ABI plus a numpy-level call.

    Attributes
    ----------
    contig_address, strided_address : int
        Addresses of ``<sym>_contig`` and ``<sym>_strided``.
    sum_address : int
        Address of ``<sym>_sum`` (0 when the kernel was built without it).
    nin, nout : int
    in_dtypes, out_dtypes : tuple of str
    cost : int
        Rough work per element, in simple-operation units.
    serial_elements : int
        The most elements one ``<sym>_contig`` call runs on the calling
        thread alone; larger calls start threads of their own.
    """

    def __init__(self, library, sym, in_dtypes, out_dtypes, with_sum=False, cost=1):
        self.library = library
        self.sym = sym
        self.cost = cost
        self.serial_elements = max(1, (PARALLEL_WORK - 1) // cost)
        self.in_dtypes = tuple(in_dtypes)
        self.out_dtypes = tuple(out_dtypes)
        self.nin = len(self.in_dtypes)
        self.nout = len(self.out_dtypes)
        self._contig = getattr(library, f"{sym}_contig")
        self._contig.restype = None
        self._contig.argtypes = [ctypes.c_longlong, ctypes.c_void_p]
        self._strided = getattr(library, f"{sym}_strided")
        self._strided.restype = None
        self._strided.argtypes = [
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self.contig_address = ctypes.cast(self._contig, ctypes.c_void_p).value
        self.strided_address = ctypes.cast(self._strided, ctypes.c_void_p).value
        self.sum_address = 0
        if with_sum:
            summed = getattr(library, f"{sym}_sum")
            self.sum_address = ctypes.cast(summed, ctypes.c_void_p).value

    def __repr__(self):
        return f"ElemwiseKernel({self.sym}, {self.in_dtypes} -> {self.out_dtypes})"

    def __call__(self, inputs, outputs=None):
        """Run on numpy arrays, broadcasting the inputs; return the outputs.

        ``outputs`` (optional) are preallocated arrays of the broadcast shape
        and the output dtypes; they are written in place.
        """
        return call_kernel(self, inputs, outputs)


class KernelPlan:
    """The rendered library of a set of kernel specs, not yet compiled.

    ``cached()`` loads it when the disk cache has it (no compiler call);
    ``build()`` compiles it when needed. Both return ``{spec: ElemwiseKernel}``.
    """

    def __init__(self, specs, context="elemwise kernels"):
        self.context = context
        self.rendered = {}
        for spec in dict.fromkeys(specs):
            sym = f"k{len(self.rendered)}"
            try:
                self.rendered[spec] = (sym, render_kernel(sym, *spec))
            except Unsupported as exc:
                _logger.debug("no C kernel for %s: %s", context, exc)
        self.source = (
            render_library([entry[1] for entry in self.rendered.values()])
            if self.rendered
            else None
        )

    def _load(self, path):
        library = build.load_library(path)
        return {
            spec: ElemwiseKernel(
                library, sym, spec[1], spec[2], spec[3:] == (True,), rendered.cost
            )
            for spec, (sym, rendered) in self.rendered.items()
        }

    def cached(self):
        if self.source is None:
            return {}
        path = build.cached_library(self.source, name="elemwise", flags=KERNEL_FLAGS)
        return None if path is None else self._load(path)

    def build(self):
        if self.source is None:
            return {}
        path = build.compile_library(
            self.source, name="elemwise", flags=KERNEL_FLAGS, context=self.context
        )
        return self._load(path)


def compile_kernels(specs, context="elemwise kernels"):
    """Compile kernel specs ``(outputs, in_dtypes, out_dtypes)`` into one library.

    Returns ``{spec: ElemwiseKernel}`` for the specs that render; the others
    are left out.
    """
    return KernelPlan(specs, context).build()


class NodeKernels:
    """The kernels of a graph's Elemwise nodes, from cache or compiled later.

    ``cached()``/``build()`` return ``{node: ElemwiseKernel}`` (None from
    ``cached()`` when the library still has to be compiled).  The kernels of
    the ``summed`` nodes also get the ``_sum`` entry point.
    """

    def __init__(self, nodes, summed=()):
        self.specs = {}
        summed = set(summed)
        for node in nodes:
            try:
                spec = node_expressions(node)
                if node in summed:
                    spec = (*spec, True)
                self.specs[node] = spec
            except Unsupported as exc:
                _logger.debug("no C kernel for %s: %s", node, exc)
        names = dict.fromkeys(str(node.op) for node in self.specs)
        self.plan = KernelPlan(
            list(self.specs.values()), "elemwise kernels of " + ", ".join(names)
        )

    @property
    def computes_as_numpy(self):
        """True when every kernel gives numpy's values bit for bit."""
        return all(computes_as_numpy(spec) for spec in self.specs.values())

    def _by_node(self, kernels):
        return {n: kernels[s] for n, s in self.specs.items() if s in kernels}

    def cached(self):
        kernels = self.plan.cached()
        return None if kernels is None else self._by_node(kernels)

    def build(self):
        return self._by_node(self.plan.build())


def build_kernels(nodes):
    """Compile the kernels of the Elemwise ``nodes`` (one library, one gcc call).

    Returns
    -------
    dict
        ``{node: ElemwiseKernel}`` for every node whose expression renders;
        the others are left out (they keep their Python thunk).  Nodes with
        the same expression and dtypes share one kernel.  With no C
        compiler (``config.cxx == ""``) the LLVM backend builds them.

    Raises
    ------
    CompileError
        When gcc rejects the generated source (the message names the ops).
    """
    if not config.cxx:
        from symbolic.backends.llvm import elemwise_kernels as llvm_kernels

        return llvm_kernels.build_kernels(nodes)
    return NodeKernels(nodes).build()

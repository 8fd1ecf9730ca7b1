"""Reduction kernels: sum, prod, max and min over any set of axes.

The combining step is the C backend's rendering of the reduction's scalar op
(``Add``, ``Mul``, ``Maximum``, ``Minimum``: max and min propagate nan as
numpy does) in the accumulator dtype.  One block computes one output
element: its threads stride over the reduced elements, then combine their
partial results in shared memory.  Signature::

    SYM(const char *x, char *out, long long n_out, long long n_red,
        long long k0..                (kept dimensions' lengths)
        long long xk0.., ok0..        (their input and output byte strides)
        long long r0.., xr0..)        (reduced dimensions' lengths, strides)

Launch it with a power-of-two block of at most :data:`BLOCK` threads.
"""

import hashlib

import numpy

from symbolic.backends.c.scalar_c import (
    C_TYPES,
    FLOATS,
    CRenderer,
    Unsupported,
    convert,
    literal,
)
from symbolic.backends.cuda.kernels.source import CudaKernel, indent
from symbolic.ops.scalar import expr as E

#: Threads per block of a reduction (the shared-memory tree assumes it).
BLOCK = 256

_TEMPLATE = """
static __device__ __forceinline__ {acc} {sym}_combine({acc} a0, {acc} a1)
{{
{body}
    return {result};
}}

extern "C" __global__ void {sym}(const char *x, char *out, long long n_out,
                                 long long n_red{geometry})
{{
    __shared__ {acc} partial[{block}];
    for (long long o = blockIdx.x; o < n_out; o += gridDim.x) {{
        long long rest = o, xo = 0, oo = 0;
{kept}
        {acc} acc = {identity};
        for (long long r = threadIdx.x; r < n_red; r += blockDim.x) {{
            long long rrest = r, xr = xo;
{reduced}
            const {acc} value = {load};
            acc = {sym}_combine(acc, value);
        }}
        partial[threadIdx.x] = acc;
        __syncthreads();
        for (int half = blockDim.x / 2; half > 0; half /= 2) {{
            if (threadIdx.x < half)
                partial[threadIdx.x] = {sym}_combine(partial[threadIdx.x],
                                                   partial[threadIdx.x + half]);
            __syncthreads();
        }}
        if (threadIdx.x == 0)
            *({out} *)(out + oo) = {store};
        __syncthreads();
    }}
}}
"""

#: The scalar op name of each reduction -> its identity (None: no identity).
_IDENTITY = {"add": 0, "mul": 1, "max": None, "min": None}


def identity_literal(op, dtype):
    """The C literal of the identity of ``op`` in ``dtype``."""
    if _IDENTITY[op] is not None:
        return literal(_IDENTITY[op], dtype)
    if dtype in FLOATS:
        return literal(float("-inf") if op == "max" else float("inf"), dtype)
    if dtype == "bool":
        return literal(op == "min", dtype)
    info = numpy.iinfo(dtype)
    return literal(info.min if op == "max" else info.max, dtype)


def combine_expression(scalar_op, acc_dtype):
    """The Expr combining two accumulators: the scalar op's own expression."""
    args = [E.arg(0, acc_dtype), E.arg(1, acc_dtype)]
    try:
        (result,) = scalar_op.expression(args, (acc_dtype,) * 2, (acc_dtype,))
    except NotImplementedError as exc:
        raise Unsupported(str(exc)) from None
    if result.op not in _IDENTITY:
        raise Unsupported(f"reduction by {scalar_op} has no CUDA kernel")
    return result


def render_reduction(scalar_op, in_dtype, acc_dtype, out_dtype, n_kept, n_reduced):
    """Return the :class:`CudaKernel` reducing ``n_reduced`` dimensions.

    Parameters
    ----------
    scalar_op : ScalarOp
        Add, Mul, Maximum or Minimum.
    in_dtype, acc_dtype, out_dtype : str
    n_kept, n_reduced : int
        How many dimensions the output keeps and how many are reduced.
    """
    for dtype in (in_dtype, acc_dtype, out_dtype):
        if dtype not in C_TYPES:
            raise Unsupported(f"dtype {dtype} has no CUDA rendering")
    expr = combine_expression(scalar_op, acc_dtype)
    renderer = CRenderer({0: ("a0", acc_dtype), 1: ("a1", acc_dtype)})
    result = renderer.render(expr)
    geometry = "".join(f", long long k{d}" for d in range(n_kept))
    geometry += "".join(f", long long xk{d}, long long ok{d}" for d in range(n_kept))
    geometry += "".join(f", long long r{d}, long long xr{d}" for d in range(n_reduced))
    kept = [
        f"{{ long long c = rest % k{d}; rest /= k{d}; xo += c * xk{d}; "
        f"oo += c * ok{d}; }}"
        for d in reversed(range(n_kept))
    ]
    reduced = [
        f"{{ long long c = rrest % r{d}; rrest /= r{d}; xr += c * xr{d}; }}"
        for d in reversed(range(n_reduced))
    ]
    in_type = C_TYPES[in_dtype]
    key = repr((expr, in_dtype, acc_dtype, out_dtype, n_kept, n_reduced))
    sym = "red_" + hashlib.sha1(key.encode()).hexdigest()[:16]
    source = _TEMPLATE.format(
        sym=sym,
        acc=C_TYPES[acc_dtype],
        out=C_TYPES[out_dtype],
        body=indent(renderer.lines, 1),
        result=result,
        geometry=geometry,
        block=BLOCK,
        kept=indent(kept, 2),
        reduced=indent(reduced, 3),
        identity=identity_literal(expr.op, acc_dtype),
        load=convert(f"*(const {in_type} *)(x + xr)", in_dtype, acc_dtype),
        store=convert("partial[0]", acc_dtype, out_dtype),
    )
    return CudaKernel(sym, source, frozenset(renderer.helpers), tuple(renderer.lines))


def render_node(node):
    """The :class:`CudaKernel` of a CAReduce ``node`` (Sum, Prod, Max, Min)."""
    op = node.op
    (x,) = node.inputs
    axes = tuple(range(x.ndim)) if op.axis is None else tuple(op.axis)
    acc_dtype = accumulator_dtype(node)
    out_dtype = node.outputs[0].dtype
    return render_reduction(
        op.scalar_op, x.dtype, acc_dtype, out_dtype, x.ndim - len(axes), len(axes)
    )


def accumulator_dtype(node):
    """The dtype a reduction node accumulates in (as its ``perform`` does)."""
    op = node.op
    x_dtype = node.inputs[0].dtype
    out_dtype = node.outputs[0].dtype
    acc = getattr(op, "acc_dtype", None)
    if acc:
        return acc
    if op.scalar_op.__class__.__name__ in ("Add", "Mul"):
        return "float64" if x_dtype in ("float16", "float32") else out_dtype
    return x_dtype

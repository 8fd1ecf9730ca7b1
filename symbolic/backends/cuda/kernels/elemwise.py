"""Fused elemwise kernels: the C backend's scalar code inside a CUDA grid loop.

A node's scalar expression (the same ``Expr`` the C backend renders, from
:func:`~symbolic.backends.c.elemwise_kernels.node_expressions`) is rendered
by the C backend's :class:`~symbolic.backends.c.scalar_c.CRenderer`; its
statements become the body of two kernels::

    SYM_contig(long long n, const T0 *in0, ..., U0 *out0, ...)
    SYM(long long n, char *p0, ..., long long d0..d{nd-1},
        long long s{k}_{d} (byte strides of operand k, row-major))

The contiguous one needs every operand C-contiguous with ``n`` elements.
The strided one maps each flat output index to its ``nd``-dimensional index
and reads every operand at its own strides; a broadcast dimension has
stride 0, so broadcasting costs nothing.  An output may be the very buffer
of an input (in place): each element is read before it is written.
"""

import functools
import hashlib

from symbolic.backends.c.elemwise_kernels import node_expressions
from symbolic.backends.c.scalar_c import C_TYPES, CRenderer, Unsupported, convert
from symbolic.backends.cuda.kernels.source import CudaKernel, indent
from symbolic.ops.scalar import expr as E

_TEMPLATE = """
extern "C" __global__ void {sym}_contig(long long n, {pointers})
{{
    VM_FOR(i, n) {{
{contig_loads}
{body}
{contig_stores}
    }}
}}

extern "C" __global__ void {sym}(long long n, {byte_pointers}{geometry})
{{
    VM_FOR(i, n) {{
        long long rest = i;
{offsets}
{strided_loads}
{body}
{strided_stores}
    }}
}}
"""


def render_expressions(outputs, in_dtypes, out_dtypes, ndim):
    """Return the :class:`CudaKernel` computing the Exprs ``outputs``.

    Parameters
    ----------
    outputs : tuple of Expr
        One expression per output, over ``arg`` inputs ``0..len(in_dtypes)``.
    in_dtypes, out_dtypes : tuple of str
    ndim : int
        Dimensions of the strided kernel's index space.

    Raises
    ------
    Unsupported
        When the C renderer cannot render an expression or a dtype.
    """
    for dtype in (*in_dtypes, *out_dtypes):
        if dtype not in C_TYPES:
            raise Unsupported(f"dtype {dtype} has no CUDA rendering")
    nin, nout = len(in_dtypes), len(out_dtypes)
    renderer = CRenderer({i: (f"a{i}", d) for i, d in enumerate(in_dtypes)})
    results = [renderer.render(expr) for expr in outputs]
    stores = [
        convert(name, expr.dtype, dtype)
        for name, expr, dtype in zip(results, outputs, out_dtypes)
    ]
    in_types = [C_TYPES[d] for d in in_dtypes]
    out_types = [C_TYPES[d] for d in out_dtypes]
    used = sorted(renderer.used_args)
    nop = nin + nout
    pointers = [f"const {t} *in{i}" for i, t in enumerate(in_types)]
    pointers += [f"{t} *out{j}" for j, t in enumerate(out_types)]
    byte_pointers = ", ".join(f"char *p{k}" for k in range(nop))
    geometry = "".join(f", long long d{d}" for d in range(ndim))
    geometry += "".join(
        f", long long s{k}_{d}" for k in range(nop) for d in range(ndim)
    )
    offsets = [f"long long o{k} = 0;" for k in range(nop)]
    for d in reversed(range(ndim)):
        steps = " ".join(f"o{k} += c * s{k}_{d};" for k in range(nop))
        offsets.append(f"{{ long long c = rest % d{d}; rest /= d{d}; {steps} }}")
    body_key = "\n".join(renderer.lines + stores) + repr((in_dtypes, out_dtypes, ndim))
    sym = "ew_" + hashlib.sha1(body_key.encode()).hexdigest()[:16]
    source = _TEMPLATE.format(
        sym=sym,
        pointers=", ".join(pointers),
        byte_pointers=byte_pointers,
        geometry=geometry,
        contig_loads=indent([f"const {in_types[i]} a{i} = in{i}[i];" for i in used], 2),
        contig_stores=indent([f"out{j}[i] = {c};" for j, c in enumerate(stores)], 2),
        offsets=indent(offsets, 2),
        strided_loads=indent(
            [
                f"const {in_types[i]} a{i} = *(const {in_types[i]} *)(p{i} + o{i});"
                for i in used
            ],
            2,
        ),
        strided_stores=indent(
            [
                f"*({out_types[j]} *)(p{nin + j} + o{nin + j}) = {c};"
                for j, c in enumerate(stores)
            ],
            2,
        ),
        body=indent(renderer.lines, 2),
    )
    return CudaKernel(sym, source, frozenset(renderer.helpers), tuple(renderer.lines))


def render_node(node):
    """The :class:`CudaKernel` of an Elemwise ``node`` (Unsupported if none)."""
    outputs, in_dtypes, out_dtypes = node_expressions(node)
    return render_expressions(outputs, in_dtypes, out_dtypes, node.outputs[0].ndim)


def supports(node):
    """True when the Elemwise ``node`` has a CUDA kernel."""
    try:
        render_node(node)
    except Unsupported:
        return False
    return True


@functools.cache
def copy_kernel(dtype, ndim):
    """The kernel copying an ``ndim``-d ``dtype`` array between any strides."""
    return render_expressions((E.arg(0, dtype),), (dtype,), (dtype,), ndim)

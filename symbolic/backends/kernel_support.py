"""The elemwise-kernel contract the C, LLVM and CUDA backends share.

A kernel backend compiles an Elemwise node from the scalar expression its
scalar op states (:func:`node_expressions`), computing each primitive in the
dtype numpy picks for it (:func:`compute_dtype`).  What a backend cannot
render raises :class:`Unsupported`, and the node keeps its Python thunk.
The C and LLVM kernels export the same two entry points, which
:func:`call_kernel` runs on numpy arrays.

This module sits below the backends that use it, so the LLVM backend (which
the C backend falls back to without a compiler) imports nothing of C's.
"""

import ctypes
import functools

import numpy

from symbolic.ops.elemwise import Elemwise
from symbolic.ops.scalar import expr as E

FLOATS = ("float32", "float64")
SIGNED = ("int8", "int16", "int32", "int64")
UNSIGNED = ("uint8", "uint16", "uint32", "uint64")
#: The dtypes every kernel backend renders.
KERNEL_DTYPES = ("bool", *SIGNED, *UNSIGNED, *FLOATS)


class Unsupported(NotImplementedError):
    """A backend cannot render this expression (the node stays in Python)."""


@functools.cache
def compute_dtype(op, arg_dtypes):
    """Return the dtype numpy computes ``op`` in for these argument dtypes.

    Raises
    ------
    Unsupported
        When numpy rejects the dtypes, or computes in a dtype outside
        :data:`KERNEL_DTYPES` (complex, float16...).
    """
    arrays = [numpy.ones(2, dtype=d) for d in arg_dtypes]
    if op == "select":
        arrays[0] = arrays[0].astype(bool)
    try:
        with numpy.errstate(all="ignore"):
            result = numpy.asarray(E.PRIMITIVES[op](*arrays))
    except (TypeError, ValueError) as exc:
        raise Unsupported(f"{op}{arg_dtypes}: numpy rejects it ({exc})") from None
    dtype = result.dtype.name
    if dtype not in KERNEL_DTYPES:
        raise Unsupported(f"{op}: dtype {dtype} has no kernel rendering")
    return dtype


def check_integer_power(expr):
    """Raise Unsupported for an integer power whose exponent may be negative.

    numpy raises ValueError for a negative integer exponent; a kernel has no
    way to report an error, so such a node keeps its Python thunk, which
    raises as numpy does.  Unsigned or constant non-negative exponents render.
    """
    exponent = expr.args[1]
    if exponent.dtype in SIGNED and not _never_negative(exponent):
        raise Unsupported(
            "integer power with a signed exponent: a negative one must raise "
            "as in numpy, so the node runs in Python"
        )


def _never_negative(expr):
    """True when integer ``expr`` cannot be negative (constants, widened unsigned)."""
    if expr.dtype not in SIGNED:
        return True
    if expr.op == "const":
        return expr.value >= 0
    if expr.op == "cast":
        source = expr.args[0]
        wider = numpy.dtype(expr.dtype).itemsize > numpy.dtype(source.dtype).itemsize
        if source.dtype in SIGNED:
            return wider and _never_negative(source)
        return source.dtype in UNSIGNED + ("bool",) and wider
    return False


def node_expressions(node):
    """Return ``(outputs, in_dtypes, out_dtypes)`` of an Elemwise node's kernel."""
    if not isinstance(node.op, Elemwise):
        raise Unsupported(f"{node.op} is not an Elemwise")
    in_dtypes = tuple(v.dtype for v in node.inputs)
    out_dtypes = tuple(v.dtype for v in node.outputs)
    args = [E.arg(i, d) for i, d in enumerate(in_dtypes)]
    try:
        outputs = node.op.scalar_op.expression(args, in_dtypes, out_dtypes)
    except NotImplementedError as exc:
        raise Unsupported(str(exc)) from None
    outputs = tuple(outputs)
    if len(outputs) != len(out_dtypes):
        raise Unsupported(
            f"{node.op}: {len(outputs)} expressions for {len(out_dtypes)}"
        )
    return outputs, in_dtypes, out_dtypes


def call_kernel(kernel, inputs, outputs=None):
    """Run ``kernel`` on numpy arrays, broadcasting the inputs; return the outputs.

    ``kernel`` is anything with the two-function ABI: ``_contig(n, args)``
    and ``_strided(nd, shape, args, strides)`` callables, ``nin``, ``nout``,
    ``in_dtypes`` and ``out_dtypes``.  ``outputs`` (optional) are
    preallocated arrays of the broadcast shape and the output dtypes.
    """
    if len(inputs) != kernel.nin:
        raise ValueError(f"{kernel}: expected {kernel.nin} inputs, got {len(inputs)}")
    inputs = [numpy.asarray(x, dtype=d) for x, d in zip(inputs, kernel.in_dtypes)]
    shape = numpy.broadcast_shapes(*(x.shape for x in inputs))
    if outputs is None:
        outputs = [numpy.empty(shape, dtype=d) for d in kernel.out_dtypes]
    outputs = list(outputs)
    if len(outputs) != kernel.nout:
        raise ValueError(
            f"{kernel}: expected {kernel.nout} outputs, got {len(outputs)}"
        )
    for j, (out, dtype) in enumerate(zip(outputs, kernel.out_dtypes)):
        if not isinstance(out, numpy.ndarray) or out.dtype != dtype:
            raise TypeError(
                f"{kernel}: output {j} must be a {dtype} ndarray, got "
                f"{getattr(out, 'dtype', type(out).__name__)}"
            )
        if out.shape != shape:
            raise ValueError(
                f"{kernel}: output {j} has shape {out.shape}, the inputs "
                f"broadcast to {shape}"
            )
    operands = inputs + outputs
    pointers = (ctypes.c_void_p * len(operands))(*[a.ctypes.data for a in operands])
    size = int(numpy.prod(shape, dtype=numpy.int64))
    if size == 0:
        return outputs
    if all(a.shape == shape and a.flags.c_contiguous for a in operands):
        kernel._contig(size, pointers)
        return outputs
    nd = len(shape)
    strides = []
    for a in operands:
        view = numpy.broadcast_to(a, shape) if a.shape != shape else a
        strides.extend(view.strides)
    shape_arr = (ctypes.c_longlong * max(nd, 1))(*shape)
    stride_arr = (ctypes.c_longlong * max(len(strides), 1))(*strides)
    kernel._strided(nd, shape_arr, pointers, stride_arr)
    return outputs

"""Dot22, Dot (matrix-matrix, matrix-vector), Gemm and Gemv through cuBLAS."""

import numpy

from symbolic.backends.c.scalar_c import FLOATS, Unsupported
from symbolic.backends.cuda.kernels.elemwise import copy_kernel
from symbolic.backends.cuda.lower import register
from symbolic.backends.cuda.lower.elemwise import cells
from symbolic.ops.blas import Dot22, Gemm, Gemv
from symbolic.ops.dot import Dot


def _float_operands(host):
    dtypes = {v.dtype for v in host.inputs if v.ndim > 0} | {host.outputs[0].dtype}
    if len(dtypes) != 1 or not dtypes <= set(FLOATS):
        raise Unsupported(f"{host.op}: cuBLAS takes one float dtype, got {dtypes}")
    return dtypes.pop()


def _copy_kernels(host):
    dtype = _float_operands(host)
    ndims = sorted({v.ndim for v in host.inputs if v.ndim > 0})
    return [copy_kernel(dtype, ndim) for ndim in ndims]


def _dot_kernels(host):
    x, y = host.inputs
    if (x.ndim, y.ndim) not in ((2, 2), (2, 1)):
        raise Unsupported(f"{host.op} of {x.ndim}-d by {y.ndim}-d stays on the host")
    return _copy_kernels(host)


def _aligned(node, x, y):
    if x.shape[1] != y.shape[0]:
        raise ValueError(
            f"{node.op}: dot of {node.inputs[-2 if len(node.inputs) > 2 else 0]} "
            f"{x.shape} and {y.shape}: the shapes are not aligned"
        )


@register(Dot22, Dot)(_dot_kernels)
def thunk_dot(node, host, storage_map, runtime):
    ins, outs = cells(node, storage_map)
    dtype = node.outputs[0].dtype

    def run():
        x, y = ins[0][0], ins[1][0]
        _aligned(node, x, y)
        if y.ndim == 2:
            out = runtime.empty((x.shape[0], y.shape[1]), dtype)
            runtime.blas.matmul(runtime, x, y, out)
        else:
            out = runtime.empty((x.shape[0],), dtype)
            runtime.blas.matvec(runtime, x, y, out)
        outs[0][0] = out

    return run


def _scalars(host):
    return (1, 4)


def _target(runtime, z, inplace):
    """``z`` itself when it may be overwritten and is contiguous, else a copy."""
    if inplace and z.flags.c_contiguous:
        return z
    return runtime.contiguous_copy(z)


@register(Gemm, Gemv, host_inputs=_scalars)(_copy_kernels)
def thunk_gemm(node, host, storage_map, runtime):
    """``b*z + a*dot(x, y)``: z copied unless the op works in place."""
    ins, outs = cells(node, storage_map)
    inplace = host.op.inplace

    def run():
        z, a, x, y, b = (cell[0] for cell in ins)
        _aligned(node, x, y)
        want = (x.shape[0], y.shape[1]) if y.ndim == 2 else (x.shape[0],)
        if z.shape != want:
            raise ValueError(
                f"{node.op}: {node.inputs[0]} has shape {z.shape}, expected {want}"
            )
        out = _target(runtime, z, inplace)
        alpha, beta = float(numpy.asarray(a)), float(numpy.asarray(b))
        if y.ndim == 2:
            runtime.blas.matmul(runtime, x, y, out, alpha, beta)
        else:
            runtime.blas.matvec(runtime, x, y, out, alpha, beta)
        outs[0][0] = out

    return run

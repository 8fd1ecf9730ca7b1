"""MRG31k3p sampling (``mrg_uniform``) on the GPU: the CPU kernels' numbers."""

import numpy

from symbolic.backends.c.scalar_c import FLOATS, Unsupported
from symbolic.backends.cuda.kernels import mrg as kernels
from symbolic.backends.cuda.kernels.elemwise import copy_kernel
from symbolic.backends.cuda.lower import register
from symbolic.backends.cuda.lower.elemwise import cells
from symbolic.backends.cuda.runtime import i64, pointer
from symbolic.random import mrg_kernel
from symbolic.random.mrg_op import mrg_uniform


def _kernels(host):
    if host.op.output_type.dtype not in FLOATS:
        raise Unsupported("GPU MRG31k3p samples float32 or float64")
    return [kernels.render(), copy_kernel("int32", 2)]


def _size_input(host):
    return (1,)


@register(mrg_uniform, host_inputs=_size_input)(_kernels)
def thunk_mrg(node, host, storage_map, runtime):
    """One thread per stream; the state is updated on the device."""
    ins, outs = cells(node, storage_map)
    op = host.op
    dtype = op.output_type.dtype
    name = f"mrg31k3p_uniform_{dtype}"

    def run():
        rstate, size = ins[0][0], ins[1][0]
        shape = tuple(int(s) for s in size)
        if len(shape) != op.output_type.ndim or any(s < 0 for s in shape):
            raise ValueError(
                f"mrg_uniform: size {shape} does not fit the output type "
                f"{op.output_type}"
            )
        n = int(numpy.prod(shape, dtype=numpy.int64))
        if n > mrg_kernel.MAX_SAMPLES:
            raise ValueError(f"mrg_uniform: {n} samples requested; at most 2**31 - 1")
        if rstate.ndim != 2 or rstate.shape[1] != 6:
            raise ValueError(
                f"mrg_uniform: the state must have shape (n_streams, 6), got "
                f"{rstate.shape}"
            )
        state = rstate if op.inplace else runtime.contiguous_copy(rstate)
        state = runtime.contiguous(state)
        sample = runtime.empty((n,), dtype)
        streams = state.shape[0]
        if n:
            runtime.launch(
                name,
                min(streams, n),
                pointer(state),
                i64(streams),
                i64(n),
                pointer(sample),
            )
        outs[0][0] = state
        outs[1][0] = sample.reshape(shape)

    return run

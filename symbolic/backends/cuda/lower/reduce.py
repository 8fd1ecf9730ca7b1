"""Sum, Prod, Max, Min (CAReduce by add, mul, max, min) on the GPU."""

import numpy

from symbolic.backends.cuda.kernels import reduce as kernels
from symbolic.backends.cuda.lower import register
from symbolic.backends.cuda.lower.elemwise import cells
from symbolic.backends.cuda.runtime import i64, pointer
from symbolic.ops.elemwise import CAReduce


def _kernels(host):
    return [kernels.render_node(host)]


@register(CAReduce)(_kernels)
def thunk_reduce(node, host, storage_map, runtime):
    """One block per output element; an empty max or min raises as numpy does."""
    kernel = kernels.render_node(host)
    op = host.op
    ins, outs = cells(node, storage_map)
    out_dtype = node.outputs[0].dtype
    ndim = node.inputs[0].ndim
    axes = tuple(range(ndim)) if op.axis is None else tuple(op.axis)
    kept = [d for d in range(ndim) if d not in axes]
    needs_identity = kernels.combine_expression(op.scalar_op, "float64").op in (
        "max",
        "min",
    )

    def run():
        x = ins[0][0]
        out_shape = tuple(x.shape[d] for d in kept)
        n_out = int(numpy.prod(out_shape, dtype=numpy.int64))
        n_red = int(numpy.prod([x.shape[d] for d in axes], dtype=numpy.int64))
        if n_red == 0 and needs_identity and n_out:
            raise ValueError(
                f"{op}: cannot reduce an empty axis of {node.inputs[0]} "
                f"(shape {x.shape})"
            )
        out = runtime.empty(out_shape, out_dtype)
        if n_out:
            geometry = [i64(x.shape[d]) for d in kept]
            for position, d in enumerate(kept):
                geometry += [i64(x.strides[d]), i64(out.strides[position])]
            for d in axes:
                geometry += [i64(x.shape[d]), i64(x.strides[d])]
            runtime.launch(
                kernel.name,
                n_out * kernels.BLOCK,
                pointer(x),
                pointer(out),
                i64(n_out),
                i64(n_red),
                *geometry,
                threads=kernels.BLOCK,
                blocks=n_out,
            )
        outs[0][0] = out

    return run

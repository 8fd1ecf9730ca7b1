"""Lowerings of Elemwise, DimShuffle and the CAReduce reductions."""

from symbolic.backends.c.lowering import (
    FLOAT_DTYPES,
    Lowered,
    lowering,
    runtime_abi,
    typenum,
)
from symbolic.ops.elemwise import DimShuffle, Elemwise
from symbolic.ops.math import Max, Min, Prod, Sum, _sum_dtype


@lowering(Elemwise)
def lower_Elemwise(node, kernels):
    """A fused kernel call: needs the node's kernel from the graph's library."""
    kernel = kernels.get(node)
    nd = node.outputs[0].ndim
    if kernel is None or nd > runtime_abi().max_dims:
        return None
    if len(node.inputs) + len(node.outputs) > runtime_abi().max_args:
        return None
    inplace = dict(node.op.inplace_pattern)
    params = [nd]
    params += [typenum(v.dtype) for v in node.inputs]
    params += [typenum(v.dtype) for v in node.outputs]
    params += [inplace.get(j, -1) for j in range(len(node.outputs))]
    for var in node.inputs:
        mask = 0
        for axis, flag in enumerate(var.broadcastable):
            if flag:
                mask |= 1 << axis
        params.append(mask)
    # Cost per element and single-thread limit: the runtime splits large
    # calls over its threads (0: never, for kernels that do not say).
    params += [getattr(kernel, "cost", 0), getattr(kernel, "serial_elements", 0)]
    return Lowered(
        "ELEMWISE", tuple(params), kernel.contig_address, kernel.strided_address
    )


@lowering(DimShuffle)
def lower_DimShuffle(node, kernels):
    """A view with reordered, inserted and dropped (length-1) axes."""
    op = node.op
    if not op.inplace or node.inputs[0].ndim > runtime_abi().max_dims:
        return None
    order = tuple(-1 if e == "x" else e for e in op.new_order)
    if len(order) > runtime_abi().max_dims:
        return None
    return Lowered("DIMSHUFFLE", (node.inputs[0].ndim, len(order), *order))


_REDUCE_OPS = {Sum: 0, Prod: 1, Max: 2, Min: 3}
_INT_DTYPES = "bool int8 uint8 int16 uint16 int32 uint32 int64 uint64".split()


@lowering(Sum, Prod, Max, Min)
def lower_CAReduce(node, kernels):
    """Float reductions accumulate in float64, integer and boolean ones in
    int64 (wrapping, as numpy's), also into a float output (a count turned
    into a rate); float input into an integer output runs ``perform``."""
    (x,) = node.inputs
    out = node.outputs[0]
    acc = getattr(node.op, "acc_dtype", None)
    if x.ndim > runtime_abi().max_dims:
        return None
    if x.dtype in FLOAT_DTYPES:
        if out.dtype not in FLOAT_DTYPES or acc not in (None, *FLOAT_DTYPES):
            return None
    elif x.dtype in _INT_DTYPES:
        if out.dtype not in (*_INT_DTYPES, *FLOAT_DTYPES):
            return None
        if acc not in (None, "int64", "uint64"):
            return None
        if out.dtype in FLOAT_DTYPES and acc is not None and acc != _sum_dtype(x.dtype):
            # The runtime reads its int64 sums as uint64 exactly when the
            # input is unsigned, which is the default accumulator's sign.
            return None
        if x.dtype == "uint64" and isinstance(node.op, (Max, Min)):
            return None  # compared as int64 in the runtime
    else:
        return None
    mask = 0
    for axis in node.op._axes(x.ndim):
        mask |= 1 << axis
    params = (_REDUCE_OPS[type(node.op)], typenum(x.dtype), typenum(out.dtype))
    return Lowered("REDUCE", (*params, x.ndim, mask))

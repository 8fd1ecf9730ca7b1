"""Elemwise (fused kernels); DimShuffle, Reshape, Subtensor (views); Alloc."""

import numpy

from symbolic.backends.cuda.kernels import elemwise as kernels
from symbolic.backends.cuda.lower import register
from symbolic.backends.cuda.runtime import i64, pointer
from symbolic.ops.basic import Alloc
from symbolic.ops.elemwise import DimShuffle, Elemwise, check_broadcast
from symbolic.ops.reshaping import Reshape
from symbolic.ops.subtensor import Subtensor
from symbolic.ops.subtensor_utils import numpy_index


def cells(node, storage_map):
    """``(input cells, output cells)`` of ``node``."""
    return (
        [storage_map[v] for v in node.inputs],
        [storage_map[v] for v in node.outputs],
    )


def _elemwise_kernels(host):
    return [kernels.render_node(host)]


@register(Elemwise)(_elemwise_kernels)
def thunk_elemwise(node, host, storage_map, runtime):
    """Run the fused kernel; contiguous operands of one shape take the flat loop."""
    kernel = kernels.render_node(host)
    ins, outs = cells(node, storage_map)
    inplace = dict(host.op.inplace_pattern or {})
    out_dtypes = [v.dtype for v in node.outputs]

    def run():
        xs = [cell[0] for cell in ins]
        # As on the CPU: only declared broadcastable dimensions stretch (a
        # mismatch is re-raised with the user's names by the linker).
        shape = check_broadcast(host, xs)
        # Fresh outputs (from the memory pool): last call's may now be a
        # shared variable's value that this call still reads.
        results = [
            xs[inplace[j]]
            if j in inplace and xs[inplace[j]].shape == shape
            else runtime.empty(shape, dtype)
            for j, dtype in enumerate(out_dtypes)
        ]
        n = int(numpy.prod(shape, dtype=numpy.int64))
        if n:
            operands = xs + results
            if all(a.shape == shape and a.flags.c_contiguous for a in operands):
                runtime.launch(
                    kernel.name + "_contig", n, i64(n), *[pointer(a) for a in operands]
                )
            else:
                strides = [
                    i64(0 if length == 1 else step)
                    for a in operands
                    for length, step in zip(a.shape, a.strides)
                ]
                runtime.launch(
                    kernel.name,
                    n,
                    i64(n),
                    *[pointer(a) for a in operands],
                    *[i64(s) for s in shape],
                    *strides,
                )
        for cell, value in zip(outs, results):
            cell[0] = value

    return run


def _dimshuffle_kernels(host):
    if host.op.view_map:
        return []
    out = host.outputs[0]
    return [kernels.copy_kernel(out.dtype, out.ndim)]


@register(DimShuffle)(_dimshuffle_kernels)
def thunk_dimshuffle(node, host, storage_map, runtime):
    """A strided view (or, for a non-view DimShuffle, a contiguous copy of one)."""
    op = host.op
    ins, outs = cells(node, storage_map)

    def run():
        x = ins[0][0]
        shape, strides = [], []
        for entry in op.new_order:
            if entry == "x":
                shape.append(1)
                strides.append(0)
            else:
                shape.append(x.shape[entry])
                strides.append(x.strides[entry])
        for axis in op.drop:
            if x.shape[axis] != 1:
                raise ValueError(
                    f"{op}: cannot drop axis {axis} of {node.inputs[0]}: its "
                    f"length is {x.shape[axis]}, not 1"
                )
        view = runtime.view(x, shape, strides)
        outs[0][0] = view if op.view_map else runtime.contiguous_copy(view)

    return run


def _reshape_kernels(host):
    x = host.inputs[0]
    return [kernels.copy_kernel(x.dtype, x.ndim)]


def _shape_input(host):
    return (1,)


@register(Reshape, host_inputs=_shape_input)(_reshape_kernels)
def thunk_reshape(node, host, storage_map, runtime):
    """A view of the contiguous input (non-contiguous inputs are copied first)."""
    ins, outs = cells(node, storage_map)
    ndim = host.op.ndim

    def run():
        x, wanted = ins[0][0], ins[1][0]
        if len(wanted) != ndim:
            raise ValueError(
                f"reshape: the new shape {node.inputs[1]} has {len(wanted)} "
                f"entries ({tuple(wanted)}), expected {ndim}"
            )
        shape = _resolve(node, x, [int(s) for s in wanted])
        outs[0][0] = runtime.contiguous(x).reshape(shape)

    return run


def _resolve(node, x, shape):
    """Fill a -1 in ``shape`` as numpy does; a size mismatch raises, naming x."""
    size = int(numpy.prod(x.shape, dtype=numpy.int64))
    known = int(numpy.prod([s for s in shape if s != -1], dtype=numpy.int64))
    if shape.count(-1) == 1 and known and size % known == 0:
        shape[shape.index(-1)] = size // known
    if shape.count(-1) or int(numpy.prod(shape, dtype=numpy.int64)) != size:
        raise ValueError(
            f"reshape: cannot reshape {node.inputs[0]} of shape {x.shape} "
            f"(size {size}) into shape {tuple(shape)}"
        )
    return tuple(shape)


def _index_inputs(host):
    return tuple(range(1, len(host.inputs)))


def _no_kernels(host):
    return []


@register(Subtensor, host_inputs=_index_inputs)(_no_kernels)
def thunk_subtensor(node, host, storage_map, runtime):
    """A view: numpy's basic indexing worked out on a stand-in of ``x``'s layout."""
    ins, outs = cells(node, storage_map)
    op = host.op

    def run():
        x = ins[0][0]
        index = numpy_index(op.idx_list, [cell[0] for cell in ins[1:]])
        layout = numpy.lib.stride_tricks.as_strided(
            numpy.zeros(1, x.dtype), x.shape, x.strides
        )
        try:
            view = layout[(*index, Ellipsis)]
        except IndexError as exc:
            raise IndexError(f"{op}: indexing {node.inputs[0]}: {exc}") from None
        offset = _address(view) - _address(layout)
        outs[0][0] = runtime.view(x, view.shape, view.strides, offset)

    return run


def _address(array):
    return array.__array_interface__["data"][0]


def _alloc_kernels(host):
    out = host.outputs[0]
    return [kernels.copy_kernel(out.dtype, out.ndim)]


@register(Alloc, host_inputs=_index_inputs)(_alloc_kernels)
def thunk_alloc(node, host, storage_map, runtime):
    """A new array filled by broadcasting ``value`` (a copy with zero strides)."""
    ins, outs = cells(node, storage_map)
    dtype = node.outputs[0].dtype

    def run():
        value = ins[0][0]
        shape = tuple(int(cell[0]) for cell in ins[1:])
        try:
            numpy.broadcast_shapes(value.shape, shape)
            if numpy.broadcast_shapes(value.shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"alloc: cannot broadcast {node.inputs[0]} of shape {value.shape} "
                f"into shape {shape}"
            ) from None
        extra = len(shape) - value.ndim
        strides = [0] * extra + [
            0 if length == 1 else step
            for length, step in zip(value.shape, value.strides)
        ]
        out = runtime.empty(shape, dtype)
        runtime.copy_into(out, runtime.view(value, shape, strides))
        outs[0][0] = out

    return run

"""GpuOp: a CPU op applied to GPU-resident values.

The placement rewrite replaces a node of op ``op`` by a node of
``GpuOp(op)``: the same math, on :class:`~symbolic.backends.cuda.array.
GpuArrayType` inputs and outputs (some inputs, such as a reshape's shape,
stay on the host: ``host_inputs`` lists them).  One wrapper serves every
op, so no parallel hierarchy of GPU op classes is needed; the CUDA linker
runs a GpuOp node with the kernels its lowering renders, and anything else
(``perform``, other linkers) runs the wrapped op's ``perform`` on host
copies, which is slow but always right.
"""

import numpy

from symbolic.backends.cuda.array import (
    GpuArrayType,
    GpuFromHost,
    HostFromGpu,
    gpuarray_module,
    host_from_gpu,
    is_device_array,
)
from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.ops.elemwise import DimShuffle
from symbolic.types.tensor import TensorType, as_tensor_variable


class GpuOp(Op):
    """``op`` computed on the GPU.

    Parameters
    ----------
    op : Op
        The host op whose semantics (``perform``, shapes, view and destroy
        maps) this node has.
    host_inputs : tuple of int
        Positions of the inputs that stay host tensors.

    Notes
    -----
    Gradient: none of its own; placement runs after differentiation.
    In place exactly when ``op`` is.
    """

    __props__ = ("op", "host_inputs")

    def __init__(self, op, host_inputs=()):
        self.op = op
        self.host_inputs = tuple(sorted(int(i) for i in host_inputs))

    @property
    def view_map(self):
        return getattr(self.op, "view_map", {}) or {}

    @property
    def destroy_map(self):
        return getattr(self.op, "destroy_map", {}) or {}

    def make_node(self, *inputs):
        checked = []
        for position, var in enumerate(inputs):
            if position in self.host_inputs:
                checked.append(as_tensor_variable(var))
            elif isinstance(getattr(var, "type", None), GpuArrayType):
                checked.append(var)
            else:
                raise TypeError(
                    f"{self}: input {position} ({var}) must be a GPU array "
                    f"variable, got type {getattr(var, 'type', type(var))}"
                )
        host = self.host_node(checked)
        outputs = [GpuArrayType.of(out.type)() for out in host.outputs]
        return Apply(self, checked, outputs)

    def host_node(self, inputs):
        """The wrapped op's node over host stand-ins of ``inputs``."""
        return self.op.make_node(
            *[
                var if i in self.host_inputs else host_from_gpu(var)
                for i, var in enumerate(inputs)
            ]
        )

    def perform(self, node, inputs, output_storage):
        host = self.host_node(node.inputs)
        values = [v.get() if is_device_array(v) else v for v in inputs]
        cells = [[None] for _ in node.outputs]
        self.op.perform(host, values, cells)
        gpuarray = gpuarray_module()
        for cell, (value,) in zip(output_storage, cells):
            cell[0] = gpuarray.to_gpu(numpy.asarray(value, order="C"))

    def infer_shape(self, fgraph, node, shapes):
        host = self.host_node(node.inputs)
        infer = getattr(self.op, "infer_shape", None)
        if infer is None:
            raise NotImplementedError(f"{self.op} has no infer_shape")
        return infer(fgraph, host, shapes)

    def __str__(self):
        return f"Gpu[{self.op}]"


def display_name(var):
    """The name the user gave ``var``, looking through transfers and DimShuffles."""
    seen = var
    while seen.name is None and seen.owner is not None:
        op = seen.owner.op
        if isinstance(op, GpuOp):
            op = op.op
        if not isinstance(op, (GpuFromHost, HostFromGpu, DimShuffle)):
            break
        seen = seen.owner.inputs[0]
    return seen.name if seen.name is not None else str(var)


def named_host_node(node):
    """The wrapped op's node over host stand-ins named as the user's variables.

    Its ``perform`` raises the CPU's own errors, naming what the user named.
    """
    inputs = [
        TensorType(var.type.dtype, var.type.broadcastable)(name=display_name(var))
        if isinstance(var.type, GpuArrayType)
        else var
        for var in node.inputs
    ]
    return node.op.op.make_node(*inputs)

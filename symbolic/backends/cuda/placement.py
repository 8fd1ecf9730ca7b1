"""The GPU placement rewrite: move what the CUDA backend runs onto the GPU.

Theano's GPU optimizer, for our one wrapper op: every node whose op has a
CUDA lowering that accepts its dtypes (:func:`~symbolic.backends.cuda.
lower.node_kernels`) becomes a :class:`~symbolic.backends.cuda.gpu_op.GpuOp`
node::

    op(x, y) -> HostFromGpu(GpuOp(op)(GpuFromHost(x), GpuFromHost(y)))

and then every ``GpuFromHost(HostFromGpu(v))`` becomes ``v``, so data stays
on the device between GPU nodes and crosses only at the graph's borders
(its inputs, outputs, and nodes left on the host).  Nodes are visited in
topological order, so a node's GPU producers were moved before it.

The pass is registered opt-in under the tag ``gpu`` (see :func:`register`):
only modes adapted to a CUDA device run it.
"""

import logging

from symbolic.backends.cuda.array import (
    GpuFromHost,
    HostFromGpu,
    gpu_from_host,
    host_from_gpu,
)
from symbolic.backends.cuda.gpu_op import GpuOp
from symbolic.backends.cuda.lower import lowering_for, node_kernels
from symbolic.rewriting.core import graph_rewriter
from symbolic.types.tensor import TensorType

_logger = logging.getLogger(__name__)


def _on_gpu(var):
    """``var``'s GPU twin: the value under a HostFromGpu, or a new transfer."""
    if var.owner is not None and isinstance(var.owner.op, HostFromGpu):
        return var.owner.inputs[0]
    return gpu_from_host(var)


def place_node(node):
    """The replacement outputs of ``node`` on the GPU, or None to leave it."""
    if isinstance(node.op, (GpuOp, GpuFromHost, HostFromGpu)):
        return None
    if not all(isinstance(v.type, TensorType) for v in node.inputs + node.outputs):
        return None
    lowering = lowering_for(node.op)
    if lowering is None or node_kernels(node) is None:
        return None
    host_inputs = tuple(lowering.host_inputs(node))
    inputs = [
        var if i in host_inputs else _on_gpu(var) for i, var in enumerate(node.inputs)
    ]
    moved = GpuOp(node.op, host_inputs)(*inputs, return_list=True)
    return [host_from_gpu(out) for out in moved]


def cancel_transfers(fgraph):
    """Replace every ``GpuFromHost(HostFromGpu(v))`` by ``v``; return how many."""
    count = 0
    for node in list(fgraph.toposort()):
        if not isinstance(node.op, GpuFromHost) or node not in fgraph.apply_nodes:
            continue
        source = node.inputs[0]
        if source.owner is not None and isinstance(source.owner.op, HostFromGpu):
            inner = source.owner.inputs[0]
            if inner.type == node.outputs[0].type:
                fgraph.replace(node.outputs[0], inner, reason="cancel_transfers")
                count += 1
    return count


@graph_rewriter(tags=("gpu",), order=-10)
def gpu_placement(fgraph, profile=None):
    """Move every node the CUDA backend lowers to the GPU; cancel transfer pairs.

    ``op(x) -> HostFromGpu(GpuOp(op)(GpuFromHost(x)))``, then
    ``GpuFromHost(HostFromGpu(v)) -> v``.  Constants are copied to the
    device by their own GpuFromHost node.
    """
    moved = 0
    for node in list(fgraph.toposort()):
        if node not in fgraph.apply_nodes:
            continue
        new_outputs = place_node(node)
        if new_outputs is None:
            continue
        for old, new in zip(node.outputs, new_outputs):
            fgraph.replace(old, new, reason="gpu_placement")
        moved += 1
    cancel_transfers(fgraph)
    _logger.debug("gpu_placement moved %d nodes", moved)
    if profile is not None:
        profile.applied["gpu_placement"] += moved


_registered = False


def register():
    """Add :func:`gpu_placement` to the pipeline (opt-in, tag ``gpu``); idempotent."""
    global _registered
    if _registered:
        return
    from symbolic.rewriting import pipeline

    pipeline.register_rewrite(gpu_placement, "inplace", tags=("gpu",), opt_in=True)
    _registered = True

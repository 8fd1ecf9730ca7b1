"""CudaLinker: runs a graph whose GpuOp nodes launch this backend's kernels.

At link time every GpuOp node's lowering lists its kernels; they are joined
into ONE CUDA source, compiled by one (cached) nvcc call for the device's
architecture and loaded with pycuda.  Each GpuOp node then gets its
lowering's thunk; every other node (transfers, host ops, a GpuOp whose
lowering refuses the node) runs its ``perform`` thunk.  A Python loop runs
the thunks in order, and lazy nodes (``ifelse``) run only their chosen
branch, as in the other VMs.  Scan's inner function is compiled with the
same mode, so its step runs on the GPU too.
"""

import logging

import numpy

from symbolic.backends.c.scalar_c import Unsupported
from symbolic.backends.cuda import placement
from symbolic.backends.cuda.array import GpuArrayType, HostFromGpu, is_device_array
from symbolic.backends.cuda.build import CudaCompileError, compile_ptx
from symbolic.backends.cuda.driver import require_cuda
from symbolic.backends.cuda.gpu_op import GpuOp, named_host_node
from symbolic.backends.cuda.kernels.elemwise import copy_kernel
from symbolic.backends.cuda.kernels.source import module_source
from symbolic.backends.cuda.lower import lowering_for
from symbolic.backends.cuda.runtime import CudaRuntime
from symbolic.backends.python.thunks import perform_thunk
from symbolic.compile.lazy import schedule_lazy
from symbolic.compile.linker import VM
from symbolic.config import config

_logger = logging.getLogger(__name__)


def graph_kernels(nodes):
    """``({node: (host node, lowering)}, kernels)`` for the GpuOp nodes of ``nodes``.

    Needs no GPU: the CUDA source of a graph can be rendered anywhere.
    """
    lowered, kernels = {}, []
    for node in nodes:
        kernels += _copy_kernels(node)
        if not isinstance(node.op, GpuOp):
            continue
        host = node.op.host_node(node.inputs)
        lowering = lowering_for(host.op)
        if lowering is None:
            continue
        try:
            kernels += lowering.kernels(host)
        except Unsupported as exc:
            _logger.debug("%s runs through perform: %s", node, exc)
            continue
        lowered[node] = (host, lowering)
    return lowered, kernels


def _copy_kernels(node):
    """Copy kernels for the node's GPU values: downloads of views need them."""
    found = []
    for var in node.inputs + node.outputs:
        if isinstance(var.type, GpuArrayType):
            try:
                found.append(copy_kernel(var.type.dtype, var.type.ndim))
            except Unsupported:
                continue
    return found


def graph_source(fgraph):
    """The one CUDA source the linker compiles for ``fgraph`` (None if no kernel)."""
    _, kernels = graph_kernels(fgraph.toposort())
    return module_source(kernels) if kernels else None


class CudaLinker:
    """Links a graph for the GPU (``Mode(linker='cuda')``; ``device=cuda`` picks it)."""

    name = "cuda"
    #: The placement rewrite that moves the graph onto the GPU.
    required_rewrites = ("gpu",)
    incompatible_rewrites = ()

    def make_runtime(self, kernels):
        """Compile ``kernels`` (one nvcc call, cached) and load them on the device."""
        context = require_cuda()
        ptx = None
        if kernels:
            source = module_source(kernels)
            try:
                ptx = compile_ptx(
                    source,
                    name="graph",
                    capability=context.compute_capability(),
                    context="CUDA kernels of a graph",
                )
            except CudaCompileError as exc:
                if "architecture" not in str(exc):
                    raise
                # A compiler older than the device: its default PTX target is
                # JIT-compiled by the driver for the device.
                ptx = compile_ptx(source, name="graph", context="CUDA kernels")
        return CudaRuntime(context, ptx)

    def make_vm(self, fgraph, storage_map, profile=None):
        """Return a VM running ``fgraph`` over ``storage_map``'s cells."""
        nodes = fgraph.toposort()
        lowered, kernels = graph_kernels(nodes)
        runtime = self.make_runtime(kernels)
        thunks = []
        for node in nodes:
            if node in lowered:
                host, lowering = lowered[node]
                thunk = lowering.thunk(node, host, storage_map, runtime)
                thunk = ExplainedErrors(thunk, node, storage_map, runtime)
                if config.cuda__crosscheck:
                    thunk = CrossCheck(thunk, node, storage_map, runtime)
            elif isinstance(node.op, HostFromGpu):
                thunk = _download_thunk(node, storage_map, runtime)
            else:
                thunk = perform_thunk(node, storage_map)
            thunks.append(thunk)
        nodes, thunks = schedule_lazy(fgraph, nodes, thunks)
        vm = VM(nodes, thunks, profile)
        vm.runtime = runtime
        return vm


def _download_thunk(node, storage_map, runtime):
    """HostFromGpu through a contiguous copy (pycuda copies out dense arrays)."""
    source = storage_map[node.inputs[0]]
    target = storage_map[node.outputs[0]]

    def download():
        target[0] = runtime.contiguous(source[0]).get()

    return download


class ExplainedErrors:
    """Run a GPU thunk; a bad input it rejects raises the CPU's own error.

    The thunks check their inputs before launching (a kernel cannot
    raise); on such a ValueError or IndexError, the wrapped op's
    ``perform`` is run on host copies over variables named as the user's,
    so the message is the one the CPU gives.  When ``perform`` accepts the
    values, the GPU's own error stands.
    """

    def __init__(self, thunk, node, storage_map, runtime):
        self.thunk = thunk
        self.node = node
        self.ins = [storage_map[v] for v in node.inputs]
        self.runtime = runtime

    def __call__(self):
        try:
            self.thunk()
        except (ValueError, IndexError):
            host = named_host_node(self.node)
            values = [
                self.runtime.contiguous(cell[0]).get()
                if is_device_array(cell[0])
                else cell[0]
                for cell in self.ins
            ]
            host.op.perform(host, values, [[None] for _ in host.outputs])
            raise


class CrossCheckError(AssertionError):
    """A CUDA kernel's result differs from its op's ``perform``."""


class CrossCheck:
    """Run a GPU thunk, then the wrapped op's ``perform`` on host copies; compare.

    Used when ``config.cuda__crosscheck`` is set (``scripts/gpu_check.sh``
    runs the test suite so).  Inputs are copied to the host before the
    thunk runs, since an in-place kernel may overwrite them.
    """

    def __init__(self, thunk, node, storage_map, runtime):
        self.thunk = thunk
        self.runtime = runtime
        self.node = node
        self.host = named_host_node(node)
        self.ins = [storage_map[v] for v in node.inputs]
        self.outs = [storage_map[v] for v in node.outputs]

    def __call__(self):
        values = [self._to_host(cell[0]) for cell in self.ins]
        self.thunk()
        expected = [[None] for _ in self.outs]
        self.host.op.perform(self.host, values, expected)
        for k, (cell, (want,)) in enumerate(zip(self.outs, expected)):
            got = self._to_host(cell[0])
            out_type = self.host.outputs[k].type
            if got.shape != want.shape or not out_type.values_eq_approx(got, want):
                raise CrossCheckError(
                    f"{self.node}: output {k} of the CUDA kernel differs from "
                    f"perform (shapes {got.shape} and {want.shape}; largest "
                    f"difference {_largest_difference(got, want)})"
                )

    def _to_host(self, value):
        if is_device_array(value):
            return self.runtime.contiguous(value).get()
        return numpy.array(value, copy=True)


def _largest_difference(got, want):
    if got.shape != want.shape or got.size == 0:
        return "n/a"
    with numpy.errstate(all="ignore"):
        return float(numpy.nanmax(numpy.abs(got.astype(float) - want.astype(float))))


# The registry names this linker; its required rewrite must exist once it does.
placement.register()

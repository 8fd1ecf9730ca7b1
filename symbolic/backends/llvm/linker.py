"""LLVMLinker: runs a graph without a C compiler or the C runtime extension.

The graph's Elemwise nodes get kernels JIT-compiled by llvmlite (one module
per graph, see :mod:`~symbolic.backends.llvm.elemwise_kernels`); float
reductions call numpy's ufuncs directly, ``Gemm`` calls numpy's OpenBLAS
and ``Dot22`` ``numpy.dot``; every other node runs its ``perform`` thunk
(:mod:`~symbolic.backends.llvm.thunks`).  A Python loop runs the thunks in
order over the storage cells ``Function`` reads, and lazy nodes (``ifelse``)
run only their chosen branch, as in the Python VM.
"""

import logging

from symbolic.backends import base
from symbolic.backends.llvm.thunks import node_thunk
from symbolic.compile.lazy import schedule_lazy
from symbolic.compile.linker import VM
from symbolic.ops.elemwise import Elemwise

_logger = logging.getLogger(__name__)


class LLVMVM(VM):
    """The Python VM over the LLVM backend's thunks.

    Attributes
    ----------
    kernels : dict
        ``{Elemwise node: LLVMKernel}`` of the nodes that run JIT code.
    """

    def __init__(self, nodes, thunks, profile=None, kernels=None):
        super().__init__(nodes, thunks, profile)
        self.kernels = kernels or {}


class LLVMLinker:
    """Links a graph into an :class:`LLVMVM` (``Mode(linker='llvm')``)."""

    name = "llvm"

    def make_vm(self, fgraph, storage_map, profile=None):
        """Return a callable that runs ``fgraph`` over ``storage_map``'s cells."""
        nodes = fgraph.toposort()
        kernels = elemwise_kernels(nodes)
        thunks = [node_thunk(node, storage_map, kernels) for node in nodes]
        nodes, thunks = schedule_lazy(fgraph, nodes, thunks)
        return LLVMVM(nodes, thunks, profile, kernels)


def elemwise_kernels(nodes):
    """``{node: LLVMKernel}`` for the Elemwise ``nodes`` whose kernel renders."""
    elemwise = [node for node in nodes if isinstance(node.op, Elemwise)]
    if not elemwise:
        return {}
    # llvmlite's binding loads LLVM itself: only graphs with kernels pay for it.
    from symbolic.backends.llvm import elemwise_kernels as llvm_kernels

    kernels = llvm_kernels.build_kernels(elemwise)
    _logger.debug("%d of %d elemwise nodes JIT-compiled", len(kernels), len(elemwise))
    return kernels


base.register_linker("llvm", LLVMLinker)

"""LLVMLinker: runs a graph without a C compiler or the C runtime extension.

The graph's Elemwise nodes get kernels and its float Sums JIT-compiled by
llvmlite (one module per graph, see
:mod:`~symbolic.backends.llvm.graph_kernels`); a full Sum of an Elemwise
only it reads, paired by the ``sum_of_elemwise`` rewrite this linker
requires, is one fused pass; other float reductions call numpy's
ufuncs directly, ``Gemm`` calls numpy's OpenBLAS
and ``Dot22`` ``numpy.dot``; every other node runs its ``perform`` thunk
(:mod:`~symbolic.backends.llvm.thunks`).  A Python loop runs the thunks in
order over the storage cells ``Function`` reads, and lazy nodes (``ifelse``)
run only their chosen branch, as in the Python VM.
"""

import logging

from symbolic.backends.llvm.thunks import GraphKernels, node_thunk
from symbolic.compile.lazy import schedule_lazy
from symbolic.compile.vm import VM
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.math import Sum
from symbolic.ops.sum_of_elemwise import SumOfElemwise
from symbolic.rewriting.rules.c_backend import SUM_OF_ELEMWISE

_logger = logging.getLogger(__name__)


class LLVMVM(VM):
    """The Python VM over the LLVM backend's thunks.

    Attributes
    ----------
    kernels : dict
        ``{Elemwise node: LLVMKernel}`` of the nodes that run JIT code.
    graph_kernels : GraphKernels
        All of the graph's JIT code (elemwise kernels, sums, fused sums).
    """

    def __init__(self, nodes, thunks, profile=None, kernels=None):
        super().__init__(nodes, thunks, profile)
        self.graph_kernels = kernels or GraphKernels({}, {}, {})
        self.kernels = self.graph_kernels.elemwise


class LLVMLinker:
    """Links a graph into an :class:`LLVMVM` (``Mode(linker='llvm')``)."""

    name = "llvm"
    required_rewrites = (SUM_OF_ELEMWISE,)
    incompatible_rewrites = ()

    def make_vm(self, fgraph, storage_map, profile=None):
        """Return a callable that runs ``fgraph`` over ``storage_map``'s cells."""
        nodes = fgraph.toposort()
        kernels = graph_kernels(nodes)
        thunks = [node_thunk(node, storage_map, kernels) for node in nodes]
        nodes, thunks = schedule_lazy(fgraph, nodes, thunks)
        return LLVMVM(nodes, thunks, profile, kernels)


def graph_kernels(nodes):
    """The graph's JIT code (a GraphKernels; empty when it needs none)."""
    if not any(isinstance(node.op, (Elemwise, Sum, SumOfElemwise)) for node in nodes):
        return GraphKernels({}, {}, {})
    # llvmlite's binding loads LLVM itself: only graphs with kernels pay for it.
    from symbolic.backends.llvm import graph_kernels as jit_code

    return jit_code.build(nodes)

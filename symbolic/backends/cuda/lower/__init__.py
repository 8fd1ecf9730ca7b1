"""Lowerings: how each op family runs on the GPU.

A :class:`Lowering` registered for an op class says

* ``kernels(host_node)``: the :class:`~symbolic.backends.cuda.kernels.
  source.CudaKernel` list the node needs (raises ``Unsupported`` when the
  node's dtypes or parameters have no kernel).  Rendering needs no GPU, so
  tests compile every kernel with nvcc on any machine;
* ``thunk(node, host_node, storage_map, runtime)``: the callable running a
  ``GpuOp`` node on its storage cells (needs pycuda and a device);
* ``host_inputs(host_node)``: input positions that stay on the host.

Lookups follow the op's class hierarchy (``Sum`` finds ``CAReduce``).
"""

from collections.abc import Callable
from typing import NamedTuple

from symbolic.backends.c.scalar_c import Unsupported


class Lowering(NamedTuple):
    kernels: Callable
    thunk: Callable
    host_inputs: Callable = lambda host_node: ()


LOWERINGS = {}


def register(*op_classes, host_inputs=None):
    """Decorate ``(kernels, thunk)`` pairs: ``register(Op)(kernels)(thunk)``."""

    def with_kernels(kernels):
        def with_thunk(thunk):
            lowering = Lowering(kernels, thunk, host_inputs or (lambda node: ()))
            for op_class in op_classes:
                LOWERINGS[op_class] = lowering
            return thunk

        return with_thunk

    return with_kernels


def lowering_for(op):
    """The :class:`Lowering` of ``op`` (through its class hierarchy), or None."""
    _load_families()
    for cls in type(op).__mro__:
        found = LOWERINGS.get(cls)
        if found is not None:
            return found
    return None


def node_kernels(host_node):
    """The kernels ``host_node`` needs on the GPU, or None when it stays on the host."""
    lowering = lowering_for(host_node.op)
    if lowering is None:
        return None
    try:
        return list(lowering.kernels(host_node))
    except Unsupported:
        return None


_loaded = False


def _load_families():
    global _loaded
    if _loaded:
        return
    _loaded = True
    from symbolic.backends.cuda.lower import (
        blas,
        conv,
        elemwise,
        nnet,
        random,
        reduce,
    )

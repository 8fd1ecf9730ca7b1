"""How each node becomes an entry of the C runtime's program.

A lowering is a function ``lower_<OpName>(node, kernels)`` registered for
its op class in :data:`LOWERINGS`; it returns a :class:`Lowered` (the entry
kind, its integer parameters and kernel pointers) or None when the node's
types are outside what the C path handles.  Nodes without a lowering run
their Python thunk (kind ``PYTHON``).  The kind numbers match
``runtime.h``.
"""

from typing import NamedTuple

import numpy

KINDS = {
    "PYTHON": 0,
    "ELEMWISE": 1,
    "GEMM": 2,
    "GEMV": 3,
    "GER": 4,
    "DOT22": 5,
    "DOT": 6,
    "REDUCE": 7,
    "SOFTMAX": 8,
    "LOGSOFTMAX": 9,
    "SOFTMAX_GRAD": 10,
    "SOFTMAX_BIAS": 11,
    "CE_SOFTMAX_BIAS": 12,
    "CE_SOFTMAX_DX": 13,
    "CE_1HOT": 14,
    "CE_1HOT_GRAD": 15,
    "DIMSHUFFLE": 16,
    "RESHAPE": 17,
    "SUBTENSOR": 18,
    "ALLOC": 19,
    "SHAPE": 20,
    "SHAPE_I": 21,
    "MAKEVECTOR": 22,
    "REBROADCAST": 23,
    "SKIP": 24,
    "REDUCE_MAP": 25,
    "JOIN": 26,
    "BRANCH": 27,
    "JUMP": 28,
    "CONV": 29,
    "CONV_GRAD_WEIGHTS": 30,
    "CONV_GRAD_INPUTS": 31,
    "POOL": 32,
    "MAXPOOL_GRAD": 33,
    "AVGPOOL_GRAD": 34,
}

#: The runtime's limits (MAX_DIMS and MAX_ARGS in runtime.h).
MAX_DIMS = 32
MAX_ARGS = 64

FLOAT_DTYPES = ("float32", "float64")


class Lowered(NamedTuple):
    """A node's entry: its kind name, integer params and kernel pointers."""

    kind: str
    params: tuple = ()
    fn0: int = 0
    fn1: int = 0


LOWERINGS = {}


def lowering(*op_classes):
    """Register the decorated function as the lowering of ``op_classes``."""

    def register(function):
        for cls in op_classes:
            LOWERINGS[cls] = function
        return function

    return register


def typenum(dtype):
    """The numpy type number of ``dtype`` (what the runtime compares against)."""
    return numpy.dtype(dtype).num


def lower_node(node, kernels):
    """Return the :class:`Lowered` entry for ``node`` (``PYTHON`` when none)."""
    lower = LOWERINGS.get(type(node.op))
    lowered = lower(node, kernels) if lower is not None else None
    return lowered if lowered is not None else Lowered("PYTHON")


def _register_families():
    from symbolic.backends.c.lowering import blas, conv, elemwise, nnet, shape

    return blas, conv, elemwise, nnet, shape


_register_families()

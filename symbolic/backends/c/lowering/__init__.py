"""How each node becomes an entry of the C runtime's program.

A lowering is a function ``lower_<OpName>(node, kernels)`` registered for
its op class in :data:`LOWERINGS`; it returns a :class:`Lowered` (the entry
kind, its integer parameters and kernel pointers) or None when the node's
types are outside what the C path handles.  Nodes without a lowering run
their Python thunk (kind ``PYTHON``).  Kind numbers and limits are read
from the compiled runtime (:func:`runtime_abi`).
"""

import functools
from typing import NamedTuple

import numpy

from symbolic.backends.c.runtime import runtime


class RuntimeABI(NamedTuple):
    """What the compiled runtime declares: entry kinds and limits.

    ``runtime.h`` lists them once; the extension exports them (``KINDS``,
    ``MAX_DIMS``, ``MAX_ARGS``) and Python reads them from there, so the two
    sides cannot drift apart.
    """

    kinds: dict
    max_dims: int
    max_args: int


@functools.cache
def runtime_abi():
    """Return the loaded runtime's :class:`RuntimeABI`.

    Raises
    ------
    RuntimeUnavailable
        When the runtime cannot be loaded (no compiler, no numpy headers).
    """
    module = runtime.load()
    return RuntimeABI(dict(module.KINDS), module.MAX_DIMS, module.MAX_ARGS)


def __getattr__(name):
    # ``KINDS``, ``MAX_DIMS`` and ``MAX_ARGS`` come from the runtime on first
    # use: importing this module must not build it.
    abi_names = {"KINDS": "kinds", "MAX_DIMS": "max_dims", "MAX_ARGS": "max_args"}
    if name in abi_names:
        return getattr(runtime_abi(), abi_names[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Entry(NamedTuple):
    """One entry of a runtime program, as ``Program`` reads it (a tuple).

    Attributes
    ----------
    kind : int
        The entry kind's number (``KINDS[name]``).
    inputs, outputs : tuple of list
        The node's storage cells.
    thunk : callable
        The node's Python thunk: run when the C path declines the values.
    params : tuple of int
        Integer parameters, their meaning set per kind.
    fn0, fn1 : int
        Kernel addresses (0 when unused).
    """

    kind: int
    inputs: tuple
    outputs: tuple
    thunk: object
    params: tuple = ()
    fn0: int = 0
    fn1: int = 0


FLOAT_DTYPES = ("float32", "float64")


class Lowered(NamedTuple):
    """A node's entry: its kind name, integer params and kernel pointers.

    A ``PYTHON`` entry may name ``thunk``, a factory ``thunk(node,
    storage_map) -> callable`` whose callable replaces the node's perform
    thunk: how ops whose C code is a library call made from Python (a
    ctypes kernel, the runtime's scan loop) are lowered.
    """

    kind: str
    params: tuple = ()
    fn0: int = 0
    fn1: int = 0
    thunk: object = None


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
    from symbolic.backends.c.lowering import (
        blas,
        bn,
        conv,
        elemwise,
        nnet,
        random,
        scan,
        shape,
    )

    return blas, bn, conv, elemwise, nnet, random, scan, shape


_register_families()

"""Linkers turn a FunctionGraph into thunks over storage cells; the VM runs them.

A backend is asked, node by node, for a thunk; every node has at least its
``perform`` thunk (the Python reference backend), so every graph runs. The
VM and its storage live in :mod:`symbolic.compile.vm`, the reference linker
in :mod:`symbolic.backends.python.linker`; both stay importable from here.
Linker names resolve through the one registry, :mod:`symbolic.utils.linkers`.
"""

import logging

from symbolic.compile.vm import VM, make_storage_map, raise_with_node
from symbolic.utils.linkers import make_linker

__all__ = [
    "VM",
    "get_linker",
    "linker_rewrites",
    "make_storage_map",
    "raise_with_node",
]

_logger = logging.getLogger(__name__)


def __getattr__(name):
    # PerformLinker lives with the Python backend, above compile: the old
    # path resolves on first use, so importing compile loads no backend.
    if name == "PerformLinker":
        from symbolic.backends.python.linker import PerformLinker

        return PerformLinker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_linker(name):
    """Return the linker for a mode's ``linker``: a registered name or a linker.

    A linker object (anything with ``make_vm``) is returned as it is; a name
    is looked up in the one registry (:mod:`symbolic.utils.linkers`).

    Raises
    ------
    UnknownLinkerError
        When ``name`` is neither registered nor a linker; the message lists
        the registered names.
    """
    if hasattr(name, "make_vm"):
        return name
    return make_linker(name)


def linker_rewrites(linker):
    """``(required, incompatible)`` rewrite tags of ``linker`` (a name or object).

    A linker object without the attributes (a user's Theano-style linker)
    needs and refuses nothing.
    """
    linker = get_linker(linker)
    return (
        tuple(getattr(linker, "required_rewrites", ())),
        tuple(getattr(linker, "incompatible_rewrites", ())),
    )

"""Linkers turn a FunctionGraph into thunks over storage cells; the VM runs them.

A backend is asked, node by node, for a thunk; every node has at least its
``perform`` thunk (the Python reference backend), so every graph runs. The
VM and its storage live in :mod:`symbolic.compile.vm`, the reference linker
in :mod:`symbolic.backends.python.linker`; both stay importable from here.
"""

import logging

from symbolic.compile.vm import VM, make_storage_map, raise_with_node

__all__ = [
    "C_LINKERS",
    "VM",
    "get_linker",
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
    """Return the linker for a mode's linker name (Python until backends register).

    A linker object (anything with ``make_vm``) is returned as it is.
    """
    if hasattr(name, "make_vm"):
        return name
    from symbolic.backends import base

    if name in C_LINKERS and base.linker_for(name) is None:
        import symbolic.backends.c.linker  # registers the C linkers
    if name in C_LINKERS or name == "llvm":
        # Registers 'llvm', which the C linker also falls back to.
        import symbolic.backends.llvm.linker  # noqa: F401
    from symbolic.backends.python.linker import PerformLinker

    return base.linker_for(name) or PerformLinker()


#: Linker names the C backend serves (it falls back itself when it cannot build).
C_LINKERS = ("auto", "cvm", "c", "c|py", "cvm_nogc")

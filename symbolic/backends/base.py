"""The Linker protocol every backend implements, and its registry's entry points.

A linker turns a rewritten FunctionGraph into a callable over the storage
cells ``Function`` reads and writes.  It also says which rewrites its code
needs (``required_rewrites``: run by the pipeline, tagged for this backend,
so they show in ``debugprint`` and in DebugMode's rewrite check) and which
would defeat it (``incompatible_rewrites``).  The Python
(:class:`~symbolic.compile.linker.PerformLinker`), C
(:class:`~symbolic.backends.c.linker.CLinker`) and LLVM
(:class:`~symbolic.backends.llvm.linker.LLVMLinker`) linkers implement it.

Names are registered in :mod:`symbolic.utils.linkers`, the one registry
that ``config``, ``Mode`` and ``get_linker`` read; the functions below are
that registry's.
"""

from typing import Protocol, runtime_checkable

from symbolic.utils.linkers import (
    UnknownLinkerError,
    linker_names,
    make_linker,
    register_linker,
    unregister_linker,
)

__all__ = [
    "Linker",
    "UnknownLinkerError",
    "linker_for",
    "linker_names",
    "register_linker",
    "unregister_linker",
]


@runtime_checkable
class Linker(Protocol):
    """What a backend's linker provides.

    Attributes
    ----------
    name : str
        Its registry name (for messages).
    required_rewrites : tuple of str
        Rewrite tags (or names) the pipeline must run for this linker: the
        graph changes its code relies on, e.g. the C backend's
        ``sum_of_elemwise``.
    incompatible_rewrites : tuple of str
        Rewrite tags (or names) the pipeline must skip for this linker.
    """

    name: str
    required_rewrites: tuple
    incompatible_rewrites: tuple

    def make_vm(self, fgraph, storage_map, profile=None):
        """Return a callable that runs ``fgraph`` over ``storage_map``'s cells.

        Parameters
        ----------
        fgraph : FunctionGraph
            The rewritten graph (already through this linker's rewrites).
        storage_map : dict
            ``{variable: [value]}`` cells; the inputs' and outputs' cells are
            the ones ``Function`` fills and reads.
        profile : ProfileStats or None
            When given, the callable records per-node times in it.
        """


def linker_for(name):
    """Return a new linker registered as ``name``.

    Raises
    ------
    UnknownLinkerError
        When no linker is registered under ``name``.
    """
    return make_linker(name)

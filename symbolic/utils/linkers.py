"""The one registry of linkers: the names ``Mode`` and ``config.linker`` accept.

``config`` validates the ``linker`` flag against this registry, ``Mode``
checks its ``linker`` argument against it and
:func:`symbolic.compile.linker.get_linker` builds linkers from it, so a
name registered here is accepted everywhere at once and an unknown name is
an error everywhere.

The registry sits beside ``config`` (the bottom layer) because ``config``
reads it when it parses ``SYMBOLIC_FLAGS``, before anything else is
imported.  For that reason the built-in entries name their linker class as a
``"module:attr"`` string, imported on first use: registering them loads no
backend, and ``compile`` reaches the backends only through these strings.
A linker is any object following
:class:`symbolic.backends.base.Linker` (``make_vm``, ``required_rewrites``,
``incompatible_rewrites``).
"""

import importlib

#: ``{name: "module:attr" or factory}``, in registration order.
_FACTORIES = {}
#: ``{name: one line saying what the name runs}``.
_DOCS = {}


class UnknownLinkerError(ValueError):
    """A linker name that nothing registered."""


def register_linker(name, factory, doc=""):
    """Make ``name`` a linker name that config, ``Mode`` and ``get_linker`` accept.

    Parameters
    ----------
    name : str
        What users write (``Mode(linker=name)``, ``SYMBOLIC_FLAGS=linker=name``).
    factory : str, callable or linker
        A ``"module:attr"`` string naming a linker class (imported when the
        name is first used), a callable returning a linker, or a linker
        object itself (Theano's ``register_linker(name, linker)``), which
        every use then shares.
    doc : str
        One line describing what the name runs.

    Raises
    ------
    TypeError
        When ``name`` is not a string or ``factory`` is neither a
        ``"module:attr"`` string nor callable.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"a linker name must be a non-empty string, got {name!r}")
    if hasattr(factory, "make_vm") and not isinstance(factory, type):
        linker = factory

        def factory():
            return linker

    if isinstance(factory, str):
        if factory.count(":") != 1:
            raise TypeError(
                f"linker {name!r}: expected a 'module:attr' string or a "
                f"callable, got {factory!r}"
            )
    elif not callable(factory):
        raise TypeError(
            f"linker {name!r}: expected a 'module:attr' string or a callable, "
            f"got {factory!r}"
        )
    _FACTORIES[name] = factory
    _DOCS[name] = doc


def unregister_linker(name):
    """Remove ``name`` from the registry (no error when it is absent)."""
    _FACTORIES.pop(name, None)
    _DOCS.pop(name, None)


def linker_names():
    """The registered names, in registration order."""
    return tuple(_FACTORIES)


def describe_linkers():
    """``{name: doc}`` of every registered name."""
    return dict(_DOCS)


class _LiveNames:
    """The registered names as they are now, for ``config``'s choices."""

    def __contains__(self, name):
        return isinstance(name, str) and name in _FACTORIES

    def __iter__(self):
        return iter(tuple(_FACTORIES))

    def __len__(self):
        return len(_FACTORIES)

    def __getitem__(self, name):
        """A new linker for ``name`` (Theano's ``predefined_linkers[name]``)."""
        if name not in _FACTORIES:
            raise KeyError(name)
        return make_linker(name)

    def keys(self):
        return linker_names()

    def __repr__(self):
        return repr(linker_names())


#: Always the registry's current names (a new registration shows at once).
LINKER_NAMES = _LiveNames()


def linker_factory(name):
    """Return the class or callable that builds the linker called ``name``.

    Raises
    ------
    UnknownLinkerError
        When ``name`` is not registered; the message lists the known names.
    """
    try:
        factory = _FACTORIES[name]
    except (KeyError, TypeError):
        raise UnknownLinkerError(
            f"unknown linker {name!r}: expected one of {list(_FACTORIES)} "
            f"or a linker object (with make_vm)"
        ) from None
    if isinstance(factory, str):
        module_name, attr = factory.split(":")
        factory = getattr(importlib.import_module(module_name), attr)
        _FACTORIES[name] = factory
    return factory


def make_linker(name):
    """Return a new linker for the registered ``name`` (see :func:`linker_factory`)."""
    return linker_factory(name)()


_PY = "symbolic.backends.python.linker:PerformLinker"
_C = "symbolic.backends.c.linker:CLinker"
_LLVM = "symbolic.backends.llvm.linker:LLVMLinker"
_CUDA = "symbolic.backends.cuda.linker:CudaLinker"

for _name, _factory, _doc in (
    ("auto", _C, "the fastest backend here: C, else LLVM, else Python"),
    ("cvm", _C, "the C runtime program (Theano's C VM)"),
    ("c", _C, "the C runtime program"),
    ("c|py", _C, "the C runtime program, Python thunks where C has none"),
    ("cvm_nogc", _C, "the C runtime program"),
    ("llvm", _LLVM, "llvmlite JIT kernels in the Python VM, no C compiler needed"),
    ("py", _PY, "every node's perform in the Python VM (the reference)"),
    ("vm", _PY, "every node's perform in the Python VM"),
    ("vm_nogc", _PY, "every node's perform in the Python VM"),
    ("cuda", _CUDA, "CUDA kernels and cuBLAS on the GPU (device=cuda picks it)"),
):
    register_linker(_name, _factory, _doc)

"""symbolic: a Theano-compatible symbolic engine (``import symbolic as theano``).

The top level re-exports what Theano's does: ``function``, ``shared``,
``grad``, ``config``, the graph classes and the submodules users reach as
attributes (``symbolic.tensor``, ``symbolic.printing``...).

This is the one place that assembles that API, and it does so lazily: a
name is imported on its first use (:data:`_PUBLIC` maps each to its module),
so ``import symbolic.graph`` loads the graph layer and config, not the
whole engine. ``dir(symbolic)`` and ``from symbolic import *`` list every
name all the same.
"""

import importlib
import sys
import types

from symbolic.config import change_flags, config

__version__ = "0.2.0"

#: Public name -> ``(module, attribute)``; attribute None: the module itself.
_PUBLIC = {
    # Submodules users reach as attributes (Theano's paths), and the layers.
    **{
        name: (f"symbolic.{name}", None)
        for name in (
            "backends",
            "compat",
            "compile",
            "gof",
            "gradient",
            "graph",
            "ifelse",
            "ops",
            "printing",
            "random",
            "rewriting",
            "sandbox",
            "scalar",
            "scan_module",
            "sparse",
            "tensor",
            "typed_list",
            "types",
            "utils",
        )
    },
    **{
        name: ("symbolic.compile", name)
        for name in (
            "Function",
            "In",
            "Mode",
            "OpFromGraph",
            "Out",
            "Param",
            "ProfileMode",
            "ProfileStats",
            "SharedVariable",
            "function",
            "shared",
        )
    },
    **{
        name: ("symbolic.gof", name)
        for name in (
            "Apply",
            "Constant",
            "Container",
            "Generic",
            "Op",
            "Type",
            "Variable",
            "generic",
        )
    },
    **{name: ("symbolic.gradient", name) for name in ("Lop", "Rop", "grad")},
    "subgraph_grad": ("symbolic.gradient", "subgraph_grad"),
    "clone": ("symbolic.graph.replace", "clone_replace"),
    "dot": ("symbolic.ops", "dot"),
    "get_scalar_constant_value": ("symbolic.ops", "get_scalar_constant_value"),
    "pp": ("symbolic.printing", "pp"),
    "pprint": ("symbolic.printing", "pprint"),
    **{
        name: ("symbolic.scan", name)
        for name in ("foldl", "foldr", "map", "reduce", "scan", "scan_checkpoints")
    },
    "_asarray": ("symbolic.utils.arrays", "_asarray"),
    "OrderedUpdates": ("symbolic.utils.updates", "OrderedUpdates"),
}

__all__ = sorted(
    ["__version__", "change_flags", "config"]
    + [name for name in _PUBLIC if not name.startswith("_")]
)


def __getattr__(name):
    try:
        module_name, attribute = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'symbolic' has no attribute {name!r}") from None
    value = importlib.import_module(module_name)
    if attribute is not None:
        value = getattr(value, attribute)
    # Later lookups find it directly.
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))


class _SymbolicPackage(types.ModuleType):
    """The ``symbolic`` module, guarding Theano's ``symbolic.scan``.

    The subpackage :mod:`symbolic.scan` shares its name with the function
    ``symbolic.scan``; on the subpackage's first import, the import system
    would bind the package over the function. The function stays.
    """

    def __setattr__(self, name, value):
        if name == "scan" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _SymbolicPackage

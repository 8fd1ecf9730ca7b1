"""Small helpers used throughout Blocks.

The engine-free helpers live in :mod:`blocks.utils.utils`, the ones that build
or inspect ``symbolic`` variables in :mod:`blocks.utils.theano_utils`. Both
sets are reachable as ``blocks.utils.<name>``; the second is imported only
when one of its names is first used, so that ``import blocks.utils`` does not
import the engine.

"""

import importlib
import sys
import types

from blocks.utils.utils import (
    change_recursion_limit,
    dict_subset,
    dict_union,
    extract_args,
    find_bricks,
    ipdb_breakpoint,
    pack,
    print_shape,
    print_sum,
    repr_attrs,
    reraise_as,
    unpack,
)

_THEANO_UTILS = (
    "check_theano_variable",
    "is_graph_input",
    "is_shared_variable",
    "put_hook",
    "shared_floatx",
    "shared_floatx_nans",
    "shared_floatx_zeros",
    "shared_floatx_zeros_matching",
    "shared_like",
)

__all__ = [
    "change_recursion_limit",
    "dict_subset",
    "dict_union",
    "extract_args",
    "find_bricks",
    "ipdb_breakpoint",
    "pack",
    "print_shape",
    "print_sum",
    "repr_attrs",
    "reraise_as",
    "unpack",
    *_THEANO_UTILS,
]


class UtilsModule(types.ModuleType):
    """The type of the ``blocks.utils`` module object.

    A name of :mod:`blocks.utils.theano_utils` is imported on its first
    use as ``blocks.utils.<name>``; the other names are plain attributes.

    """

    def __getattr__(self, name):
        if name in _THEANO_UTILS:
            module = importlib.import_module("blocks.utils.theano_utils")
            return getattr(module, name)
        raise AttributeError(f"module 'blocks.utils' has no attribute {name!r}")

    def __dir__(self):
        return sorted(set(self.__dict__) | set(__all__))


# The import system hands out whatever sits in sys.modules once this file has
# run, so the module is replaced by a UtilsModule with the same contents. The
# original stays referenced, as the functions defined here use its globals.
old_module = sys.modules[__name__]
sys.modules[__name__] = UtilsModule(__name__)
sys.modules[__name__].__dict__.update(old_module.__dict__)

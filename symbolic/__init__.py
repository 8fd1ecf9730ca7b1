"""symbolic: a Theano-compatible symbolic engine (``import symbolic as theano``).

The top level re-exports what Theano's does: ``function``, ``shared``,
``grad``, ``config``, the graph classes and the submodules users reach as
attributes (``symbolic.tensor``, ``symbolic.printing``...).
"""

from symbolic import (
    compat,
    compile,
    gof,
    gradient,
    ifelse,
    printing,
    sandbox,
    scalar,
    scan_module,
    tensor,
    typed_list,
)
from symbolic.compile import (
    Function,
    In,
    Mode,
    OpFromGraph,
    Out,
    Param,
    ProfileMode,
    ProfileStats,
    SharedVariable,
    function,
    shared,
)
from symbolic.config import change_flags, config
from symbolic.gof import (
    Apply,
    Constant,
    Container,
    Generic,
    Op,
    Type,
    Variable,
    generic,
)
from symbolic.gradient import Lop, Rop, grad, subgraph_grad
from symbolic.graph.replace import clone_replace as clone
from symbolic.ops import dot, get_scalar_constant_value
from symbolic.printing import pp, pprint
from symbolic.scan import foldl, foldr, map, reduce, scan, scan_checkpoints
from symbolic.utils.arrays import _asarray
from symbolic.utils.updates import OrderedUpdates

__version__ = "0.2.0"


def __getattr__(name):
    # symbolic.sparse loads scipy.sparse, which a graph without sparse
    # matrices never needs: it is imported on first use of the attribute.
    if name == "sparse":
        import importlib

        return importlib.import_module("symbolic.sparse")
    raise AttributeError(f"module 'symbolic' has no attribute {name!r}")

"""Theano path ``gof`` (import-only shim over ``symbolic.graph``)."""

from symbolic.backends.c.linker import CLinker
from symbolic.backends.python.linker import PerformLinker
from symbolic.backends.wrap import OpWiseCLinker, WrapLinker, WrapLinkerMany
from symbolic.compile.container import Container
from symbolic.gof import cc, graph, link, opt, optdb, toolbox, utils, vm
from symbolic.graph.basic import Apply, Constant, Variable
from symbolic.graph.features import (
    Bookkeeper,
    History,
    NodeFinder,
    PrintListener,
    ReplaceValidate,
    Validator,
)
from symbolic.graph.fgraph import (
    Feature,
    FunctionGraph,
    InconsistencyError,
    MissingInputError,
)
from symbolic.graph.op import Op
from symbolic.graph.type import Type
from symbolic.rewriting.optimizers import (
    EquilibriumOptimizer,
    LocalOptGroup,
    LocalOptimizer,
    MergeOptimizer,
    OpSub,
    Optimizer,
    PatternSub,
    SeqOptimizer,
    TopoOptimizer,
    local_optimizer,
)
from symbolic.types.generic import Generic, generic

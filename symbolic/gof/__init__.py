"""Theano path ``gof`` (import-only shim over ``symbolic.graph``)."""

from symbolic.compile.container import Container
from symbolic.gof import graph, utils
from symbolic.graph.basic import Apply, Constant, Variable
from symbolic.graph.fgraph import (
    Feature,
    FunctionGraph,
    InconsistencyError,
    MissingInputError,
)
from symbolic.graph.op import Op
from symbolic.graph.type import Type
from symbolic.types.generic import Generic, generic

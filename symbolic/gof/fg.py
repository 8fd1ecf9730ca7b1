"""Theano path ``gof.fg`` (import-only shim)."""

from symbolic.graph.fgraph import FunctionGraph, InconsistencyError, MissingInputError

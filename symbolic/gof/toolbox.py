"""Theano path ``gof.toolbox`` (import-only shim)."""

from symbolic.graph.features import *

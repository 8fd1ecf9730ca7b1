"""Theano path ``gof.utils`` (import-only shim)."""

from symbolic.graph.utils import MethodNotDefined, scratchpad

"""Theano path ``gof.type`` (import-only shim)."""

from symbolic.graph.type import Type
from symbolic.types.generic import Generic, generic

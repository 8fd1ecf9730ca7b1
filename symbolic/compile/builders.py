"""Theano path ``compile.builders`` (import-only shim)."""

from symbolic.ops.builders import OpFromGraph

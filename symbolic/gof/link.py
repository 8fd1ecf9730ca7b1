"""Theano path ``gof.link`` (import-only shim)."""

from symbolic.backends.python.linker import PerformLinker
from symbolic.backends.wrap import WrapLinker, WrapLinkerMany
from symbolic.compile.container import Container

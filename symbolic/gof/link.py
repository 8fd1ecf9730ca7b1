"""Theano path ``gof.link`` (import-only shim)."""

from symbolic.backends.wrap import WrapLinker, WrapLinkerMany
from symbolic.compile.container import Container
from symbolic.compile.linker import PerformLinker

"""Theano path ``gof.cc`` (import-only shim)."""

from symbolic.backends.c.linker import CLinker
from symbolic.backends.wrap import OpWiseCLinker

"""Theano path ``gof.vm`` (import-only shim)."""

from symbolic.backends.wrap import VM_Linker
from symbolic.compile.vm import VM

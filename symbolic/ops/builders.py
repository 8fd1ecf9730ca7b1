"""Former home of OpFromGraph, now :mod:`symbolic.compile.builders`.

OpFromGraph compiles its inner graph and differentiates it, so it sits in
the compile layer; this path stays importable for pickles that name it.
"""

from symbolic.compile.builders import OpFromGraph

__all__ = ["OpFromGraph"]

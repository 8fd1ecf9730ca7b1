"""The backend protocol and the registry of linkers by mode name.

A backend answers ``supports(node)``, renders source for a node or fused
group, builds it (cached on disk) and loads a thunk factory. Linkers built on
backends register here under the names ``Mode(linker=...)`` accepts.
"""

from typing import Protocol

_linkers = {}


class Backend(Protocol):
    """What a code-generating backend provides."""

    name: str

    def supports(self, node) -> bool: ...

    def render(self, nodes): ...

    def build(self, source): ...

    def load(self, artifact): ...


def register_linker(name, factory):
    """Make ``Mode(linker=name)`` use ``factory()``."""
    _linkers[name] = factory


def linker_for(name):
    """Return a linker instance for ``name``, or None when none is registered."""
    factory = _linkers.get(name)
    return factory() if factory is not None else None

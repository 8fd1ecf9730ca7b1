"""The 0.2.0 home of :class:`NGrams`, kept so that old pickles still load."""

from fuel.transformers.sequences import NGrams, Window

__all__ = ["NGrams", "Window"]

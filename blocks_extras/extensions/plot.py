"""The :class:`~blocks.extensions.plot.Plot` extension, at its old path."""

from blocks.extensions.plot import Plot

__all__ = ["Plot"]

"""Blocks: build, annotate and train neural networks on ``symbolic``.

Importing the package stays cheap: it neither reads the engine nor builds a
graph, so ``import blocks.utils`` and ``import blocks.config`` work without
``symbolic`` being imported.

"""

from blocks.version import version

__version__ = version

__all__ = ["__version__"]

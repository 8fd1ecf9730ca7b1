"""Fuel: datasets, iteration schemes, data streams and transformers.

This is the part of Fuel 0.2 that Blocks and its tutorials use, carried so
that it runs on a current Python. It depends on neither ``symbolic`` nor
``blocks``.

"""

from fuel.config_parser import config

__version__ = "0.2.0"

__all__ = ["config"]

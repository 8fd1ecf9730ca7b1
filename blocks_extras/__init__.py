"""Blocks extras: the plotting extension under its Blocks 0.2 import path.

Blocks kept live plotting in a separate ``blocks-extras`` package; here it
lives in :mod:`blocks.extensions.plot`, and this package lets scripts that
import ``blocks_extras.extensions.plot`` run unchanged.

"""

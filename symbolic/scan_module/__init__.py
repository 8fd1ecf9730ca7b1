"""Symbolic loops: ``scan``, its views ``map``, ``reduce``, ``foldl``, ``foldr``,
and ``scan_checkpoints`` (a scan that stores one step in N for its gradient).

The Scan op (:mod:`symbolic.scan_module.scan_op`) exposes its inner graph
as ``op.inputs`` and ``op.outputs`` so graph walkers can look inside steps.
"""

from symbolic.scan_module import scan_op, scan_utils
from symbolic.scan_module.checkpoints import scan_checkpoints
from symbolic.scan_module.scan import scan
from symbolic.scan_module.scan_utils import until
from symbolic.scan_module.views import foldl, foldr, map, reduce

__all__ = [
    "foldl",
    "foldr",
    "map",
    "reduce",
    "scan",
    "scan_checkpoints",
    "scan_op",
    "scan_utils",
    "until",
]

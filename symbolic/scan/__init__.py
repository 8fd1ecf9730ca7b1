"""Symbolic loops: ``scan``, its views ``map``, ``reduce``, ``foldl``, ``foldr``,
and ``scan_checkpoints`` (a scan that stores one step in N for its gradient).

The Scan op (:mod:`symbolic.scan.op`) exposes its inner graph
as ``op.inputs`` and ``op.outputs`` so graph walkers can look inside steps.
"""

from symbolic.scan import op as scan_op
from symbolic.scan import utils as scan_utils
from symbolic.scan.checkpoints import scan_checkpoints
from symbolic.scan.basic import scan
from symbolic.scan.utils import until
from symbolic.scan.views import foldl, foldr, map, reduce

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

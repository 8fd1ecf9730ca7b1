"""Symbolic loops: ``scan``, its views ``map``, ``reduce``, ``foldl``, ``foldr``,
and ``scan_checkpoints`` (a scan that stores one step in N for its gradient).

The Scan op (:mod:`symbolic.scan.op`) exposes its inner graph as
``op.inputs`` and ``op.outputs`` so graph walkers can look inside steps. Its
rewrites (:mod:`symbolic.scan.rewriting`, and :mod:`symbolic.scan.in_loop`
for the compiled backend) join the pipeline when this package is imported.

``symbolic.scan`` itself stays Theano's function; reach the modules here
with ``from symbolic.scan.op import Scan`` or :func:`importlib.import_module`.
"""

from symbolic.scan import in_loop, op, rewriting, utils
from symbolic.scan.basic import scan
from symbolic.scan.checkpoints import scan_checkpoints
from symbolic.scan.utils import until
from symbolic.scan.views import foldl, foldr, map, reduce

__all__ = [
    "foldl",
    "foldr",
    "map",
    "reduce",
    "scan",
    "scan_checkpoints",
    "until",
]

"""Theano path ``scan_module`` (import-only shim over :mod:`symbolic.scan`).

Theano's submodule paths name the modules of :mod:`symbolic.scan`, so
``from symbolic.scan_module.scan_op import Scan`` still works and pickles
that reference ``symbolic.scan_module.scan_op.Scan`` still load: each old
path is the new module itself, registered under the old name.
"""

import sys

from symbolic.scan import (
    basic,
    checkpoints,
    foldl,
    foldr,
    grad,
    map,
    op,
    perform,
    pushout,
    rebuild,
    reduce,
    scan,
    scan_checkpoints,
    until,
    utils,
    views,
)

scan_op = op
scan_utils = utils

#: Theano-era submodule name -> the module of ``symbolic.scan`` it now is.
_OLD_PATHS = {
    "checkpoints": checkpoints,
    "pushout": pushout,
    "rebuild": rebuild,
    "scan": basic,
    "scan_grad": grad,
    "scan_op": op,
    "scan_perform": perform,
    "scan_utils": utils,
    "views": views,
}
for _name, _module in _OLD_PATHS.items():
    sys.modules[f"{__name__}.{_name}"] = _module

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

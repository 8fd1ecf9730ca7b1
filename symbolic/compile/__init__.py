"""Compilation: function, shared variables, modes and profiling (``theano.compile``)."""

from symbolic.compile import builders, nanguardmode, ops
from symbolic.compile.builders import OpFromGraph
from symbolic.compile.container import Container
from symbolic.compile.function import (
    AliasedMemoryError,
    Function,
    FunctionMaker,
    UnusedInputError,
    function,
    pfunc,
)
from symbolic.compile.io import In, Out, Param, SymbolicInput, SymbolicOutput
from symbolic.compile.mode import (
    FAST_COMPILE,
    FAST_RUN,
    DebugMode,
    Mode,
    get_mode,
    predefined_linkers,
    predefined_modes,
    predefined_optimizers,
)
from symbolic.compile.nanguardmode import NanGuardMode
from symbolic.compile.ops import as_op, deep_copy_op, view_op
from symbolic.compile.profilemode import ProfileMode
from symbolic.compile.profiling import ProfileStats, ScanProfileStats
from symbolic.compile.rebuild import rebuild_collect_shared
from symbolic.compile.shared import (
    SharedVariable,
    shared,
    shared_constructor,
)
from symbolic.rewriting.optdb import optdb

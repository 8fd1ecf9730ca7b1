"""Attributes other layers set on a FunctionGraph are declared on it."""

import symbolic
import symbolic.tensor as T
from symbolic.compile.debugmode import DebugMode
from symbolic.graph.fgraph import FunctionGraph


def test_declared_defaults():
    x = T.dvector("x")
    fgraph = FunctionGraph([x], [x * 2])
    assert tuple(fgraph.loop_invariant) == ()
    assert fgraph.unrewritten is None


def test_debugmode_keeps_the_unrewritten_graph():
    x = T.dvector("x")
    f = symbolic.function([x], T.exp(x).sum(), mode=DebugMode(linker="py"))
    kept = f.maker.fgraph.unrewritten
    assert isinstance(kept, FunctionGraph)
    assert kept is not f.maker.fgraph
    plain = symbolic.function([x], T.exp(x).sum(), mode="FAST_RUN")
    assert plain.maker.fgraph.unrewritten is None

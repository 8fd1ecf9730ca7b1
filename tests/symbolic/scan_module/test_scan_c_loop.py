"""Scan's loop in the C runtime: the same results and errors as the Python loop."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.runtime import runtime
from symbolic.scan_module import scan
from symbolic.scan_module.scan_op import Scan

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)


def scan_op(f):
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    return node.op


def test_scalar_rows_reach_the_inner_program_as_arrays():
    # A numpy scalar would send every inner entry to its Python thunk.
    x = T.dvector("x")
    h0 = T.dscalar("h0")
    out, _ = scan(lambda v, h: T.tanh(h * v + 1), sequences=x, outputs_info=h0)
    with symbolic.change_flags(compile__background=False, linker="c"):
        f = symbolic.function([x, h0], out)
        f(numpy.ones(5), 0.5)  # the inner graph compiles at the first call
    vm = scan_op(f)._fn[0]
    assert isinstance(vm, runtime.load().Program)
    assert vm.slow_calls() == [0] * len(vm.slow_calls())

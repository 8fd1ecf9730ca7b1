"""The C backend's Sum-of-Elemwise pairing is a rewrite: visible, checked, exact."""

import io

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.linker import CLinker
from symbolic.backends.c.lowering import KINDS
from symbolic.backends.c.runtime import runtime
from symbolic.compile.debugmode import DebugMode
from symbolic.compile.mode import Mode
from symbolic.ops.sum_of_elemwise import SumOfElemwise
from symbolic.printing import debugprint
from symbolic.rewriting.rules.c_backend import SUM_OF_ELEMWISE

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)

RNG = numpy.random.default_rng(3)


def _printed(f):
    out = io.StringIO()
    debugprint(f, file=out)
    return out.getvalue()


def _paired(f):
    return [n for n in f.maker.fgraph.apply_nodes if isinstance(n.op, SumOfElemwise)]


def test_the_c_linker_requires_the_pairing():
    assert SUM_OF_ELEMWISE in CLinker().required_rewrites


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_pairing_shows_in_debugprint_and_results_equal(dtype):
    x = T.matrix("x", dtype=dtype)
    out = T.tanh(x * 2).sum() + abs(x - 1).sum(axis=(0, 1))
    c = symbolic.function([x], out, mode=Mode(linker="c"))
    py = symbolic.function([x], out, mode=Mode(linker="py"))
    getattr(c.vm, "wait", lambda: None)()
    assert "SumOfElemwise" in _printed(c)
    assert "SumOfElemwise" not in _printed(py)
    assert len(_paired(c)) == 2
    assert KINDS["REDUCE_MAP"] in c.vm.kinds
    value = RNG.standard_normal((33, 17)).astype(dtype)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    numpy.testing.assert_allclose(c(value), py(value), rtol=rtol)
    # A strided input runs the two parts one after the other.
    numpy.testing.assert_allclose(c(value[:, ::2]), py(value[:, ::2]), rtol=rtol)


def test_values_used_elsewhere_are_not_paired():
    x = T.dmatrix("x")
    squares = x**2
    f = symbolic.function([x], [squares.sum(), squares], mode=Mode(linker="c"))
    assert _paired(f) == []
    value = RNG.standard_normal((4, 3))
    total, sq = f(value)
    numpy.testing.assert_allclose(total, (value**2).sum())
    numpy.testing.assert_allclose(sq, value**2)


def test_debugmode_checks_the_pairing_against_the_original_graph():
    x = T.dmatrix("x")
    f = symbolic.function([x], T.exp(x).sum(), mode=DebugMode(linker="c"))
    assert len(_paired(f)) == 1
    value = RNG.standard_normal((5, 6))
    numpy.testing.assert_allclose(f(value), numpy.exp(value).sum())


def test_the_pairing_profiles_as_one_node():
    x = T.dmatrix("x")
    f = symbolic.function([x], T.exp(x).sum(), mode=Mode(linker="c"), profile=True)
    value = RNG.standard_normal((5, 6))
    numpy.testing.assert_allclose(f(value), numpy.exp(value).sum())
    f(value)
    (node,) = f.profile.apply_time
    assert isinstance(node.op, SumOfElemwise)
    assert f.profile.apply_callcount[node] == 2

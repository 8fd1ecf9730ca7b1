"""The LLVM backend's in-process JIT cache: a graph compiled again reuses its
machine code, a different graph gets its own, and both still compute."""

import numpy

import symbolic
import symbolic.tensor as T
from symbolic.backends.llvm import jit
from symbolic.compile.mode import Mode

LLVM = Mode(linker="llvm", optimizer="fast_run")


def _compiled_modules(f):
    """The JIT modules a function's kernels run from."""
    return {kernel.compiled for kernel in f.vm.kernels.values()}


def _function(expression):
    x = T.dmatrix("x")
    return symbolic.function([x], expression(x), mode=LLVM)


def test_the_same_graph_compiled_twice_shares_its_machine_code():
    first = _function(lambda x: T.tanh(x) * 3 + x**2)
    second = _function(lambda x: T.tanh(x) * 3 + x**2)
    assert _compiled_modules(first) and _compiled_modules(first) == _compiled_modules(
        second
    )
    value = numpy.linspace(-1, 1, 12).reshape(3, 4)
    for f in (first, second):
        numpy.testing.assert_allclose(f(value), numpy.tanh(value) * 3 + value**2)


def test_a_different_graph_gets_its_own_machine_code():
    first = _function(lambda x: T.exp(x) - x)
    second = _function(lambda x: T.exp(x) + x)
    assert _compiled_modules(first).isdisjoint(_compiled_modules(second))
    value = numpy.linspace(-1, 1, 6).reshape(2, 3)
    numpy.testing.assert_allclose(first(value), numpy.exp(value) - value)
    numpy.testing.assert_allclose(second(value), numpy.exp(value) + value)


def test_the_cache_keeps_at_most_its_size(monkeypatch):
    monkeypatch.setattr(jit, "CACHE_SIZE", 1)
    monkeypatch.setattr(jit, "_cache", type(jit._cache)())
    kept = _function(lambda x: T.sin(x) * 2)
    newer = _function(lambda x: T.cos(x) * 2)
    assert len(jit._cache) == 1
    # An evicted module stays alive while a kernel holds it.
    value = numpy.linspace(0, 1, 4).reshape(2, 2)
    numpy.testing.assert_allclose(kept(value), numpy.sin(value) * 2)
    numpy.testing.assert_allclose(newer(value), numpy.cos(value) * 2)

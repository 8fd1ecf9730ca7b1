"""Background kernel builds: first calls run at once, then switch to C."""

import os
import subprocess
import sys

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c import build
from symbolic.backends.c.linker import TieredProgram
from symbolic.config import change_flags

# Explicit, so the tests see the C linker's own program under any default mode.
C_MODE = symbolic.Mode(linker="cvm", optimizer="fast_run")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(symbolic.__file__)))


def _fresh_graph(tag):
    # A constant unique to the test keeps the kernel library out of any cache.
    x = T.dvector("x")
    return x, T.tanh(x * 2.5 + float(tag)) * T.exp(-x)


def test_first_call_runs_before_the_kernels_are_built(tmp_path):
    with change_flags(compiledir=str(tmp_path), compile__background=True):
        x, y = _fresh_graph(1.25)
        f = symbolic.function([x], y, mode=C_MODE)
        assert isinstance(f.vm, TieredProgram)
        value = numpy.linspace(-2, 2, 7)
        expected = numpy.tanh(value * 2.5 + 1.25) * numpy.exp(-value)
        numpy.testing.assert_allclose(f(value), expected, rtol=1e-12)
        f.vm.wait()
        assert f.vm.compiled
        numpy.testing.assert_allclose(f(value), expected, rtol=1e-6)
        assert "ELEMWISE" in _kinds(f)


def test_a_cached_library_links_directly(tmp_path):
    with change_flags(compiledir=str(tmp_path), compile__background=True):
        x, y = _fresh_graph(2.5)
        first = symbolic.function([x], y, mode=C_MODE)
        first.vm.wait()
        calls = build.gcc_calls
        x, y = _fresh_graph(2.5)
        second = symbolic.function([x], y, mode=C_MODE)
        assert not isinstance(second.vm, TieredProgram)
        assert build.gcc_calls == calls
        value = numpy.array([0.5, -1.0])
        numpy.testing.assert_allclose(second(value), first(value))


def test_without_background_builds_the_first_call_is_compiled(tmp_path):
    with change_flags(compiledir=str(tmp_path), compile__background=False):
        x, y = _fresh_graph(3.75)
        f = symbolic.function([x], y, mode=C_MODE)
        assert not isinstance(f.vm, TieredProgram)
        assert "ELEMWISE" in _kinds(f)


def _kinds(f):
    from symbolic.backends.c.lowering import KINDS

    names = {code: name for name, code in KINDS.items()}
    return [names[k] for k in f.vm.kinds]


_SHORT_LIVED = """
import numpy
import symbolic
import symbolic.tensor as T
from symbolic.backends.c import build

x = T.dvector("x")
f = symbolic.function([x], T.tanh(x * 4.125 + 0.375) * T.exp(-x))
f(numpy.ones(3))
print(type(f.vm).__name__, build.gcc_calls)
"""


def test_a_process_exiting_during_the_build_still_caches_it(tmp_path):
    """The background build outlives the last call, so the next process links C."""
    env = dict(os.environ)
    env["SYMBOLIC_FLAGS"] = f"compiledir={tmp_path},compile__background=True"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    runs = [
        subprocess.run(
            [sys.executable, "-c", _SHORT_LIVED],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs[0][0] == "TieredProgram"
    assert runs[1] == ["Program", "0"]


def _failing_plan(monkeypatch):
    from symbolic.backends.c import linker
    from symbolic.backends.c.build import CompileError

    real = linker._kernel_plan

    def plan(*args):
        found = real(*args)
        if found is None:
            return None

        def fail():
            raise CompileError("elemwise kernels of Elemwise{tanh}: gcc failed")

        found.cached = lambda: None
        found.build = fail
        return found

    monkeypatch.setattr(linker, "_kernel_plan", plan)


def test_a_failed_kernel_build_raises_the_compiler_message(monkeypatch, tmp_path):
    from symbolic.backends.c.build import CompileError

    _failing_plan(monkeypatch)
    with change_flags(compiledir=str(tmp_path), compile__background=False):
        x, y = _fresh_graph(5.5)
        with pytest.raises(CompileError, match="gcc failed"):
            symbolic.function([x], y, mode=C_MODE)
    with change_flags(compiledir=str(tmp_path), compile__background=True):
        x, y = _fresh_graph(6.5)
        f = symbolic.function([x], y, mode=C_MODE)
        f.vm._thread.join()
        with pytest.raises(CompileError, match="gcc failed"):
            f(numpy.ones(2))
        # Reported once; the function goes on with its Python thunks.
        numpy.testing.assert_allclose(
            f(numpy.ones(2)), numpy.tanh(2.5 + 6.5) * numpy.exp(-1.0) * numpy.ones(2)
        )


def test_a_failed_kernel_build_can_warn_instead(monkeypatch, tmp_path, caplog):
    _failing_plan(monkeypatch)
    with change_flags(
        compiledir=str(tmp_path), compile__background=False, compile__on_error="warn"
    ):
        x, y = _fresh_graph(7.5)
        f = symbolic.function([x], y, mode=C_MODE)
        numpy.testing.assert_allclose(
            f(numpy.zeros(1)), numpy.tanh(7.5) * numpy.ones(1)
        )
    assert "gcc failed" in caplog.text

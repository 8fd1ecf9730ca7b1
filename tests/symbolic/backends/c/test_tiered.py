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
    # Only arithmetic: its kernels compute numpy's values bit for bit, the
    # condition for a tiered start.
    x = T.dvector("x")
    return x, (x * 2.5 + float(tag)) * abs(x) - x / (x * x + 1.0)


def _expected(value, tag):
    return (value * 2.5 + tag) * numpy.abs(value) - value / (value * value + 1.0)


def test_first_call_runs_before_the_kernels_are_built(tmp_path):
    with change_flags(compiledir=str(tmp_path), compile__background=True):
        x, y = _fresh_graph(1.25)
        f = symbolic.function([x], y, mode=C_MODE)
        assert isinstance(f.vm, TieredProgram)
        value = numpy.linspace(-2, 2, 7)
        expected = _expected(value, 1.25)
        first = f(value).copy()
        numpy.testing.assert_allclose(first, expected, rtol=1e-12)
        f.vm.wait()
        assert f.vm.compiled
        # Bit for bit: the result does not depend on when gcc finished.
        assert f(value).tobytes() == first.tobytes()
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
f = symbolic.function([x], (x * 4.125 + 0.375) * abs(x) - x)
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
        numpy.testing.assert_allclose(f(numpy.ones(2)), _expected(numpy.ones(2), 6.5))


def test_a_failed_kernel_build_can_warn_instead(monkeypatch, tmp_path, caplog):
    _failing_plan(monkeypatch)
    with change_flags(
        compiledir=str(tmp_path), compile__background=False, compile__on_error="warn"
    ):
        x, y = _fresh_graph(7.5)
        f = symbolic.function([x], y, mode=C_MODE)
        numpy.testing.assert_allclose(f(numpy.zeros(1)), _expected(numpy.zeros(1), 7.5))
    assert "gcc failed" in caplog.text


def _train(compiledir, steps=40):
    """SGD steps of a small model with tanh, exp and an L2 penalty; W after each."""
    rng = numpy.random.default_rng(16)
    data = rng.standard_normal((32, 12))
    targets = rng.standard_normal((32, 3))
    with change_flags(compiledir=str(compiledir), compile__background=True):
        W = symbolic.shared(rng.standard_normal((12, 3)) * 0.5, name="W")
        x, t = T.dmatrix("x"), T.dmatrix("t")
        hidden = T.tanh(T.dot(x, W)) * T.exp(-0.25 * x[:, :3] ** 2)
        cost = ((hidden - t) ** 2).mean() + 1e-3 * (W**2).sum()
        f = symbolic.function(
            [x, t],
            cost,
            updates=[(W, W - 0.1 * symbolic.grad(cost, W))],
            mode=C_MODE,
        )
        history = []
        for _ in range(steps):
            f(data, targets)
            history.append(W.get_value().tobytes())
        if isinstance(f.vm, TieredProgram):
            f.vm.wait()
    return history


def test_training_does_not_depend_on_when_the_kernels_are_built(tmp_path):
    """A cold cache (kernels compiling while the first steps run) ends in the
    very same bits as a warm one (kernels loaded before the first step)."""
    cold = _train(tmp_path)
    warm = _train(tmp_path)
    differing = [step for step, (a, b) in enumerate(zip(cold, warm)) if a != b]
    assert differing == []


def test_an_integer_power_raises_before_and_after_the_build(tmp_path):
    with change_flags(compiledir=str(tmp_path), compile__background=True):
        a, b = T.lvector("a"), T.lvector("b")
        f = symbolic.function([a, b], a**b + 7, mode=C_MODE)
        base, exponent = numpy.array([1, 3]), numpy.array([-1, 2])
        with pytest.raises(ValueError, match="negative integer powers"):
            f(base, exponent)
        if isinstance(f.vm, TieredProgram):
            f.vm.wait()
        with pytest.raises(ValueError, match="negative integer powers"):
            f(base, exponent)
        positive = numpy.abs(exponent)
        numpy.testing.assert_array_equal(f(base, positive), base**positive + 7)


def _exact_graphs():
    a, b, c = T.fvector("a"), T.fvector("b"), T.fvector("c")
    i, j = T.lvector("i"), T.lvector("j")
    floats = [
        a * b + c,
        (a - b) / (c * c + 1) - a * c,
        T.sqrt(abs(a * b)) + T.floor(c * 3.5) - T.ceil(a) + T.trunc(b),
        T.maximum(a, b) * T.minimum(b, c) + T.sgn(c),
        a // (b + 2.5) + a % (c - 3.0),
        T.switch(a > b, a * 2, c / 3) + T.cast(a * 1000, "int64"),
        T.cast(a, "float64") * 1.1 + T.cast(b * c, "float64"),
        T.round(a * 10.0, mode="half_to_even") * (a >= c) - b,
    ]
    ints = [i * j + 3, i // (j + 2) - i % (j - 3), i**3 - j, (i & j) | ~i]
    return [([a, b, c], y) for y in floats] + [([i, j], y) for y in ints]


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.parametrize("index", range(12))
def test_exact_kernels_give_the_python_values_bit_for_bit(tmp_path, index):
    """The graphs allowed a tiered start compute the same bits in both tiers."""
    from symbolic.backends.c import linker

    inputs, y = _exact_graphs()[index]
    rng = numpy.random.default_rng(index)
    values = [
        rng.integers(-50, 50, 257)
        if v.dtype == "int64"
        else rng.standard_normal(257).astype(v.dtype) * 40
        for v in inputs
    ]
    with change_flags(compiledir=str(tmp_path), compile__background=False):
        compiled = symbolic.function(inputs, y, mode=C_MODE)
        python = symbolic.function(inputs, y, mode=symbolic.Mode(linker="py"))
        assert linker._tiers_agree(
            linker._kernel_plan(compiled.maker.fgraph.toposort())
        )
        assert "ELEMWISE" in _kinds(compiled)
        got, want = compiled(*values), python(*values)
    assert got.dtype == want.dtype
    assert got.tobytes() == want.tobytes()

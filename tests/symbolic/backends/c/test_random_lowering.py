"""The C lowering of ``mrg_uniform``: the numpy kernel's numbers, bit for bit."""

import pathlib

import numpy
import pytest

import symbolic
from symbolic.backends.c.lowering import random as random_lowering
from symbolic.backends.c.runtime import runtime
from symbolic.compile.mode import Mode
from symbolic.random import mrg_kernel
from symbolic.sandbox import rng_mrg
from symbolic.sandbox.rng_mrg import MRG_RandomStreams, mrg_uniform

pytestmark = pytest.mark.skipif(
    not (runtime.available() and random_lowering.c_kernels()),
    reason="the C backend cannot build its MRG kernel here",
)

JAVA_SAMPLES = numpy.loadtxt(
    pathlib.Path(__file__).parents[2] / "random" / "samples_MRG31k3p_12_7_5.txt"
)


def test_c_kernel_matches_the_reference():
    stream = numpy.array([12345] * 6, dtype="int32")
    samples = []
    for _ in range(12):
        state = mrg_kernel.substream_states(stream, 7)
        draws = [random_lowering.uniform_c(state, 7, "float64") for _ in range(5)]
        samples.append(numpy.array(draws).T.flatten())
        stream = rng_mrg.ff_2p134(stream)
    assert numpy.array_equal(numpy.array(samples).flatten(), JAVA_SAMPLES)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("n_streams", "n"), [(15360, 100000), (7, 1000), (5, 3)])
def test_c_and_numpy_kernels_give_identical_numbers(dtype, n_streams, n):
    state = mrg_kernel.substream_states(numpy.array([99] * 6, "int32"), n_streams)
    state_c = state.copy()
    from_numpy = mrg_kernel.uniform(state, n, dtype)
    from_c = random_lowering.uniform_c(state_c, n, dtype)
    assert from_numpy.dtype == from_c.dtype == dtype
    assert numpy.array_equal(from_numpy, from_c)
    assert numpy.array_equal(state, state_c)


def _draws(linker, dtype):
    rng = MRG_RandomStreams(seed=2024)
    sample = rng.uniform(size=(40, 3), dtype=dtype)
    f = symbolic.function([], sample, mode=Mode(linker=linker))
    return f, [f() for _ in range(3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_c_linker_draws_what_perform_draws(dtype):
    f, from_c = _draws("cvm", dtype)
    kinds = [type(n.op) for n in f.maker.fgraph.toposort()]
    assert mrg_uniform in kinds
    assert f.vm.thunks[kinds.index(mrg_uniform)].__qualname__.startswith("_draw")
    _, from_py = _draws("py", dtype)
    for c, py in zip(from_c, from_py):
        assert numpy.array_equal(c, py)


def test_perform_runs_no_compiled_code(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("perform called the C kernel")

    monkeypatch.setattr(random_lowering, "uniform_c", refuse)
    _, draws = _draws("py", "float32")
    assert all(d.shape == (40, 3) for d in draws)

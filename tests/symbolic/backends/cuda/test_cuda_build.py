"""nvcc builds are cached on disk like the C backend's (content-addressed)."""

import os

import pytest

from symbolic.backends.c import cache
from symbolic.backends.cuda import build
from symbolic.backends.cuda.kernels import mrg
from symbolic.backends.cuda.kernels.source import module_source
from symbolic.config import change_flags

pytestmark = pytest.mark.skipif(
    build.find_nvcc() is None, reason="nvcc not found: nothing to compile with"
)


def test_a_second_build_of_the_same_source_runs_no_nvcc(tmp_path):
    source = module_source([mrg.render()])
    with change_flags(compiledir=str(tmp_path)):
        before = build.nvcc_calls
        path = build.compile_ptx(source, name="mrg")
        assert build.nvcc_calls == before + 1
        assert path.endswith(".ptx") and cache.verify(path)
        with open(path) as handle:
            assert ".entry mrg31k3p_uniform_float32" in handle.read()
        assert build.compile_ptx(source, name="mrg") == path
        assert build.nvcc_calls == before + 1
        # A damaged entry is rebuilt, never used.
        with open(path, "w") as handle:
            handle.write("garbage")
        assert build.compile_ptx(source, name="mrg") == path
        assert build.nvcc_calls == before + 2
        assert cache.verify(path)


def test_nvcc_errors_name_the_context_and_show_its_output(tmp_path):
    with change_flags(compiledir=str(tmp_path)):
        with pytest.raises(build.CudaCompileError, match="my kernels: nvcc failed"):
            build.compile_ptx("this is not CUDA", name="bad", context="my kernels")
        assert not [n for n in os.listdir(cache.cache_root()) if n.endswith(".ptx")]


def test_a_missing_nvcc_is_reported(monkeypatch):
    monkeypatch.setattr(build, "find_nvcc", lambda: None)
    with pytest.raises(build.CudaCompileError, match="nvcc not found"):
        build.compile_ptx("", name="x")


def test_an_architecture_nvcc_does_not_know_falls_back_to_its_default(
    tmp_path, monkeypatch
):
    from symbolic.backends.cuda import linker

    class Context:
        @staticmethod
        def compute_capability():
            return (99, 0)

    monkeypatch.setattr(linker, "require_cuda", lambda: Context())
    monkeypatch.setattr(linker, "CudaRuntime", lambda context, ptx: ptx)
    with change_flags(compiledir=str(tmp_path)):
        ptx = linker.CudaLinker().make_runtime([mrg.render()])
    with open(ptx) as handle:
        assert ".entry mrg31k3p_uniform_float64" in handle.read()

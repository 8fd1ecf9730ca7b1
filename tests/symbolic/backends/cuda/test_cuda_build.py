"""PTX builds (NVRTC or nvcc) are cached on disk like the C backend's."""

import os

import pytest

from symbolic.backends.c import cache
from symbolic.backends.cuda import build, nvrtc
from symbolic.backends.cuda.kernels import mrg
from symbolic.backends.cuda.kernels.source import module_source
from symbolic.config import change_flags, config

COMPILERS = [
    pytest.param(
        "nvcc",
        marks=pytest.mark.skipif(build.find_nvcc() is None, reason="nvcc not found"),
    ),
    pytest.param(
        "nvrtc",
        marks=pytest.mark.skipif(nvrtc.library() is None, reason="no libnvrtc"),
    ),
]


def _calls(compiler):
    return build.nvcc_calls if compiler == "nvcc" else build.nvrtc_calls


@pytest.mark.parametrize("compiler", COMPILERS)
def test_a_second_build_of_the_same_source_compiles_nothing(tmp_path, compiler):
    source = module_source([mrg.render()])
    with change_flags(compiledir=str(tmp_path), cuda__compiler=compiler):
        before = _calls(compiler)
        path = build.compile_ptx(source, name="mrg")
        assert _calls(compiler) == before + 1
        assert path.endswith(".ptx") and cache.verify(path)
        with open(path) as handle:
            assert ".entry mrg31k3p_uniform_float32" in handle.read()
        assert build.compile_ptx(source, name="mrg") == path
        assert _calls(compiler) == before + 1
        # A damaged entry is rebuilt, never used.
        with open(path, "w") as handle:
            handle.write("garbage")
        assert build.compile_ptx(source, name="mrg") == path
        assert _calls(compiler) == before + 2
        assert cache.verify(path)


@pytest.mark.parametrize("compiler", COMPILERS)
def test_compile_errors_name_the_context_and_show_the_log(tmp_path, compiler):
    with change_flags(compiledir=str(tmp_path)):
        with pytest.raises(build.CudaCompileError, match="my kernels: ") as error:
            build.compile_ptx(
                "this is not CUDA", name="bad", context="my kernels", compiler=compiler
            )
        assert "this" in str(error.value)
        assert not [n for n in os.listdir(cache.cache_root()) if n.endswith(".ptx")]


def test_a_missing_nvcc_is_reported(monkeypatch):
    monkeypatch.setattr(build, "find_nvcc", lambda: None)
    with pytest.raises(build.CudaCompileError, match="nvcc not found"):
        build.compile_ptx("", name="x", compiler="nvcc")


def test_auto_takes_nvrtc_when_it_loads(monkeypatch):
    monkeypatch.setattr(nvrtc, "library", lambda: None)
    assert build.choose_compiler("auto") == "nvcc"
    monkeypatch.setattr(nvrtc, "library", lambda: object())
    assert build.choose_compiler("auto") == "nvrtc"
    assert build.choose_compiler("nvcc") == "nvcc"


@pytest.mark.parametrize("compiler", COMPILERS)
def test_an_architecture_the_compiler_does_not_know_falls_back_to_its_default(
    tmp_path, monkeypatch, compiler
):
    from symbolic.backends.cuda import linker

    class Context:
        @staticmethod
        def compute_capability():
            return (99, 0)

    monkeypatch.setattr(linker, "require_cuda", lambda: Context())
    monkeypatch.setattr(linker, "CudaRuntime", lambda context, ptx: ptx)
    with change_flags(compiledir=str(tmp_path), cuda__compiler=compiler):
        ptx = linker.CudaLinker().make_runtime([mrg.render()])
    with open(ptx) as handle:
        assert ".entry mrg31k3p_uniform_float64" in handle.read()


def test_cuda_libraries_are_looked_for_in_the_toolkit(tmp_path, monkeypatch):
    if not config.cxx:
        # ctypes.util.find_library probes with gcc for a library ldconfig lacks.
        pytest.skip("cxx is empty: the library search would probe with gcc")
    from symbolic.backends.cuda import libraries

    (tmp_path / "lib64").mkdir()
    (tmp_path / "lib64" / "libcufoo.so.7").write_text("")
    monkeypatch.setenv("CUDA_HOME", str(tmp_path))
    found = list(libraries.candidates("cufoo"))
    assert found[:4] == [
        "libcufoo.so",
        "libcufoo.so.13",
        "libcufoo.so.12",
        "libcufoo.so.11",
    ]
    assert str(tmp_path / "lib64" / "libcufoo.so.7") in found
    # Not a loadable library: nothing is returned rather than a broken handle.
    assert libraries.load("cufoo") is None

"""Mode selection: an unusable GPU device is refused at compile time, not
ignored; the linker flag selects the default modes' linker."""

import os
import subprocess
import sys

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.config import change_flags


def _gpu_usable():
    from symbolic.backends.cuda.driver import CudaUnavailable, require_cuda

    try:
        require_cuda("cuda")
    except CudaUnavailable:
        return False
    return True


@pytest.mark.parametrize("device", ["cuda", "cuda0", "gpu", "gpu1", "CUDA"])
def test_an_unusable_gpu_device_is_refused_naming_what_is_missing(device):
    if _gpu_usable():
        pytest.skip("a CUDA device is usable here: nothing is missing")
    from symbolic.backends.cuda.driver import CudaUnavailable

    x = T.dvector("x")
    with change_flags(device=device):
        with pytest.raises(CudaUnavailable) as error:
            symbolic.function([x], x * 2)
    assert error.value.missing in ("pycuda", "driver", "device")
    assert "device=cpu" in str(error.value)
    assert repr(device) in str(error.value)


def test_a_device_no_backend_serves_is_refused():
    x = T.dvector("x")
    with change_flags(device="opencl0"):
        with pytest.raises(ValueError, match="no backend serves") as error:
            symbolic.function([x], x * 2)
    assert "device=cpu" in str(error.value)


def test_the_cpu_device_compiles():
    x = T.dvector("x")
    with change_flags(device="cpu"):
        f = symbolic.function([x], x * 2)
    numpy.testing.assert_array_equal(f(numpy.ones(2)), [2.0, 2.0])


def test_importing_with_a_gpu_device_works():
    env = dict(os.environ, SYMBOLIC_FLAGS="device=cuda")
    result = subprocess.run(
        [sys.executable, "-c", "import symbolic; print(symbolic.config.device)"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cuda"


@pytest.mark.parametrize("mode", [None, "Mode", "FAST_RUN"])
@pytest.mark.parametrize("linker", ["py", "llvm", "c"])
def test_the_linker_flag_selects_the_default_modes_linker(mode, linker):
    from symbolic.compile.mode import get_mode

    with change_flags(mode="Mode", linker=linker):
        assert get_mode(mode).linker == linker


def test_the_linker_flag_reaches_a_fast_run_function():
    from symbolic.backends.llvm.linker import LLVMVM
    from symbolic.compile.linker import VM

    x = T.dvector("x")
    with change_flags(linker="py"):
        f = symbolic.function([x], x * 2, mode="FAST_RUN")
    assert type(f.vm) is VM
    with change_flags(linker="llvm", cxx=""):
        g = symbolic.function([x], x * 2, mode="FAST_RUN")
    assert isinstance(g.vm, LLVMVM)
    for each in (f, g):
        numpy.testing.assert_array_equal(each(numpy.arange(3.0)), [0.0, 2.0, 4.0])


def test_fast_compile_keeps_the_python_linker():
    from symbolic.compile.mode import get_mode

    with change_flags(linker="llvm"):
        assert get_mode("FAST_COMPILE").linker == "py"

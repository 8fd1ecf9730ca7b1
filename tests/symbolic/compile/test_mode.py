"""Mode selection: an unusable GPU device is refused at compile time, not ignored."""

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

"""Mode selection: a GPU device is refused at compile time, not ignored."""

import os
import subprocess
import sys

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.config import change_flags


@pytest.mark.parametrize("device", ["cuda", "cuda0", "gpu", "gpu1", "CUDA"])
def test_a_gpu_device_is_refused_with_the_fix(device):
    x = T.dvector("x")
    with change_flags(device=device):
        with pytest.raises(ValueError, match="no GPU backend") as error:
            symbolic.function([x], x * 2)
    assert "device=cpu" in str(error.value)
    assert repr(device) in str(error.value)


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

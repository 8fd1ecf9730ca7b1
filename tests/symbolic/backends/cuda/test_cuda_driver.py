"""Without pycuda, a driver or a device: one clear error, at compile time only."""

import importlib
import os
import subprocess
import sys
import types

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.cuda import driver
from symbolic.backends.cuda.driver import CudaUnavailable
from symbolic.config import change_flags


@pytest.fixture(autouse=True)
def fresh_context():
    driver.reset()
    yield
    driver.reset()


def _fake_import(monkeypatch, modules):
    """Make ``importlib.import_module`` in the driver see ``modules`` (or raise)."""
    real = importlib.import_module

    def fake(name, *args):
        if name in modules:
            found = modules[name]
            if isinstance(found, BaseException):
                raise found
            return found
        return real(name, *args)

    monkeypatch.setattr(driver.importlib, "import_module", fake)


def _no_pycuda(monkeypatch):
    _fake_import(monkeypatch, {"pycuda": ImportError("No module named 'pycuda'")})


def _no_driver(monkeypatch):
    _fake_import(
        monkeypatch,
        {
            "pycuda": types.ModuleType("pycuda"),
            "pycuda.driver": ImportError(
                "libcuda.so.1: cannot open shared object file"
            ),
        },
    )


def _fake_driver(count):
    fake = types.ModuleType("pycuda.driver")
    fake.init = lambda: None

    class Device:
        @staticmethod
        def count():
            return count

    fake.Device = Device
    return fake


def _no_device(monkeypatch, count=0):
    _fake_import(
        monkeypatch,
        {"pycuda": types.ModuleType("pycuda"), "pycuda.driver": _fake_driver(count)},
    )


CASES = [
    (_no_pycuda, "pycuda", "pip install symbolic-blocks[cuda]"),
    (_no_driver, "driver", "libcuda"),
    (_no_device, "device", "no device"),
]


@pytest.mark.parametrize(("patch", "missing", "says"), CASES)
def test_require_cuda_names_the_missing_piece(monkeypatch, patch, missing, says):
    patch(monkeypatch)
    with pytest.raises(CudaUnavailable) as error:
        driver.require_cuda("cuda0")
    assert error.value.missing == missing
    assert says in str(error.value)
    assert "'cuda0'" in str(error.value) and "device=cpu" in str(error.value)


@pytest.mark.parametrize(("patch", "missing", "says"), CASES)
def test_compiling_for_cuda_raises_the_one_error(monkeypatch, patch, missing, says):
    patch(monkeypatch)
    x = T.fvector("x")
    with change_flags(device="cuda"):
        with pytest.raises(CudaUnavailable) as error:
            symbolic.function([x], x * 2)
    assert error.value.missing == missing
    assert says in str(error.value)


def test_a_device_number_beyond_the_count_is_named(monkeypatch):
    _no_device(monkeypatch, count=2)
    with pytest.raises(CudaUnavailable, match="device 3 was asked for but only 2"):
        driver.require_cuda("gpu3")


def test_shared_float32_under_cuda_raises_the_same_error(monkeypatch):
    _no_pycuda(monkeypatch)
    with change_flags(device="cuda"):
        with pytest.raises(CudaUnavailable, match="pycuda is not installed"):
            symbolic.shared(numpy.zeros(3, dtype="float32"))
        # Other dtypes stay host arrays, as under Theano's old GPU backend.
        w = symbolic.shared(numpy.zeros(3))
    assert isinstance(w.get_value(), numpy.ndarray)


def test_importing_and_configuring_cuda_touch_no_driver():
    code = (
        "import sys, symbolic, symbolic.tensor as T\n"
        "from symbolic.backends.cuda import device, placement, linker\n"
        "assert 'pycuda' not in sys.modules, 'pycuda imported'\n"
        "print(symbolic.config.device)\n"
    )
    env = dict(os.environ, SYMBOLIC_FLAGS="device=cuda")
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cuda"


def test_device_numbers():
    assert driver.device_number("cuda") == 0
    assert driver.device_number("GPU2") == 2
    with pytest.raises(ValueError, match="not a CUDA device"):
        driver.device_number("opencl0")


def test_the_real_environment_gives_a_named_piece_or_a_context():
    try:
        context = driver.require_cuda("cuda")
    except CudaUnavailable as error:
        assert error.missing in ("pycuda", "driver", "device")
    else:
        assert context.ordinal == 0

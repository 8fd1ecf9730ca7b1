"""A pytest plugin: run any tests with ``device=cuda`` on the CPU emulation.

``python -m pytest -p tests.helpers.cuda_emulation_plugin tests/symbolic/...``
puts the run on the CUDA backend's whole path (device check, placement,
linker, GPU shared variables) with the kernels compiled for the host (see
:mod:`tests.helpers.cuda_emulation`) and every kernel cross-checked against
``perform``: a dry run, without a GPU, of what ``scripts/gpu_check.sh``
checks on one.
"""

import tempfile

from symbolic.backends import base
from symbolic.backends.cuda import array, device, gpu_op, linker, sharedvar
from symbolic.config import change_flags
from tests.helpers.cuda_emulation import GPUArray, HostCudaLinker, fake_gpuarray

_flags = None


def pytest_configure(config):
    global _flags
    folder = tempfile.mkdtemp(prefix="symbolic-cuda-host-")
    for module in (array, gpu_op, sharedvar):
        module.gpuarray_module = lambda: fake_gpuarray
    array.register_pickling(GPUArray)
    device.require_cuda = lambda name: None
    assert linker.CudaLinker  # registered first, replaced below
    base.register_linker("cuda", lambda: HostCudaLinker(folder))
    _flags = change_flags(device="cuda", cuda__crosscheck=True)
    _flags.__enter__()


def pytest_unconfigure(config):
    if _flags is not None:
        _flags.__exit__(None, None, None)

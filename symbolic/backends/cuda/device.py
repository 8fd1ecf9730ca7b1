"""What ``symbolic.compile`` asks of the backend serving ``device=cuda``.

:mod:`symbolic.compile.mode` imports this module by name when
``config.device`` is ``cuda``, ``cudaN``, ``gpu`` or ``gpuN``:

* :func:`check` runs when a function is compiled: it raises the one
  :class:`~symbolic.backends.cuda.driver.CudaUnavailable` error naming what
  is missing, or returns :func:`adapt_mode`;
* :data:`shared_constructor` is what ``shared`` tries first, so float32
  arrays are placed on the GPU as under Theano.

Importing it imports neither pycuda nor the driver.
"""

from symbolic.backends.cuda.driver import require_cuda
from symbolic.backends.cuda.sharedvar import gpu_shared_constructor

shared_constructor = gpu_shared_constructor

#: Linker names that become the CUDA linker on a GPU device: all of them, as
#: Theano's FAST_COMPILE also ran GPU ops there (a GPU node under the Python
#: linker would only copy its values to the host and back).
CUDA_LINKED = ("auto", "py", "cvm", "c", "c|py", "cvm_nogc", "vm", "vm_nogc", "llvm")


def check(device):
    """Raise unless ``device`` can be used; return the Mode adapter."""
    require_cuda(device)
    from symbolic.backends.cuda import placement

    placement.register()
    return adapt_mode


def adapt_mode(mode):
    """``mode`` with the GPU placement rewrite and the CUDA linker.

    Mode subclasses (DebugMode, ProfileMode...) are returned unchanged:
    they keep their own linkers, which run GPU variables through ``perform``.
    """
    from symbolic.compile.mode import Mode

    if type(mode) is not Mode:
        return mode
    adapted = mode.including("gpu")
    if isinstance(mode.linker, str) and mode.linker in CUDA_LINKED:
        adapted.linker = "cuda"
    return adapted

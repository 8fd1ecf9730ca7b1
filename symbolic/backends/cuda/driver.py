"""The driver layer: pycuda, imported lazily, and one clear error when it fails.

Nothing here runs at import time: importing symbolic, or setting
``device=cuda``, never touches pycuda or the CUDA driver.  The first
function compiled for a GPU device calls :func:`require_cuda`, which either
returns the initialized :class:`CudaContext` or raises
:class:`CudaUnavailable` naming the one missing piece, checked in order:

1. the ``pycuda`` package (the optional ``cuda`` extra);
2. the CUDA driver library (``libcuda``), which pycuda needs to import;
3. a CUDA device (``cuInit`` succeeds and ``cuDeviceGetCount`` > 0, and the
   device the ``device`` flag numbers exists).
"""

import ctypes.util
import functools
import importlib
import logging
import re

_logger = logging.getLogger(__name__)

_ADVICE = (
    "Set device=cpu in SYMBOLIC_FLAGS (or THEANO_FLAGS through "
    "symbolic.theano_alias) to run on the CPU."
)

_NO_PYCUDA = (
    "pycuda is not installed: the CUDA backend drives the GPU through it. "
    "Install the 'cuda' extra: pip install symbolic-blocks[cuda] "
    "(or pip install -e '.[cuda]' in a checkout)."
)

_NO_DRIVER = (
    "the CUDA driver library (libcuda) cannot be loaded: pycuda is installed "
    "but this machine has no NVIDIA driver, or it is not on the library path."
)

_NO_DEVICE = "the CUDA driver found no device to run on"


class CudaUnavailable(RuntimeError):
    """A GPU device was asked for and cannot be used; the message says why.

    Attributes
    ----------
    missing : {'pycuda', 'driver', 'device'}
        The first missing piece.
    """

    def __init__(self, missing, detail, device):
        self.missing = missing
        self.device = device
        super().__init__(
            f"config.device is {device!r}, but the GPU cannot be used: {detail} "
            f"{_ADVICE}"
        )


def device_number(device):
    """Return the device ordinal ``device`` names (``cuda`` and ``gpu`` are 0).

    Examples
    --------
    >>> device_number('cuda1'), device_number('gpu'), device_number('cuda')
    (1, 0, 0)
    """
    match = re.fullmatch(r"(?:cuda|gpu)(\d*)", str(device).strip().lower())
    if match is None:
        raise ValueError(
            f"device {device!r} is not a CUDA device: expected 'cuda', 'cudaN', "
            f"'gpu' or 'gpuN'"
        )
    return int(match.group(1) or 0)


def is_cuda_device(device):
    """True when the ``device`` flag names a CUDA GPU (cuda, cudaN, gpu, gpuN)."""
    return re.fullmatch(r"(?:cuda|gpu)\d*", str(device).strip().lower()) is not None


def import_pycuda():
    """Import and return ``pycuda.driver``; raise CudaUnavailable('pycuda'/'driver').

    pycuda's compiled module links against libcuda, so an installed pycuda
    on a machine without the driver fails with an ImportError (or OSError)
    that names the library: that is reported as the missing driver.
    """
    return _import_pycuda(_device_flag())


def _device_flag():
    from symbolic.config import config

    return str(config.device)


def _import_pycuda(device):
    try:
        importlib.import_module("pycuda")
    except ImportError:
        raise CudaUnavailable("pycuda", _NO_PYCUDA, device) from None
    try:
        return importlib.import_module("pycuda.driver")
    except (ImportError, OSError) as exc:
        if "libcuda" in str(exc) or ctypes.util.find_library("cuda") is None:
            raise CudaUnavailable("driver", f"{_NO_DRIVER} ({exc})", device) from None
        raise


class CudaContext:
    """An initialized CUDA context on one device.

    Attributes
    ----------
    driver : module
        ``pycuda.driver``.
    device : pycuda.driver.Device
    context : pycuda.driver.Context
    ordinal : int
    """

    def __init__(self, driver, ordinal):
        self.driver = driver
        self.ordinal = ordinal
        self.device = driver.Device(ordinal)
        self.context = self.device.make_context()
        # pycuda pushes the new context; pop it at exit so the driver can
        # tear it down cleanly.
        import atexit

        atexit.register(self._close)

    def _close(self):
        try:
            self.context.pop()
        except Exception as exc:  # already gone at interpreter exit
            _logger.debug("CUDA context pop at exit: %s", exc)

    def memory_pool(self):
        """The context's device memory pool (freed arrays' blocks are reused).

        cuMemAlloc per array would cost more than most kernels; every graph
        of the context allocates from this one pool.
        """
        pool = getattr(self, "_pool", None)
        if pool is None:
            import pycuda.tools

            pool = self._pool = pycuda.tools.DeviceMemoryPool()
        return pool

    def compute_capability(self):
        """``(major, minor)`` of the device."""
        return self.device.compute_capability()

    def __repr__(self):
        return f"CudaContext({self.device.name()!r}, ordinal={self.ordinal})"


@functools.cache
def _context(ordinal, device):
    driver = _import_pycuda(device)
    try:
        driver.init()
        count = driver.Device.count()
    except Exception as exc:  # pycuda raises its own LogicError/RuntimeError
        raise CudaUnavailable("device", f"{_NO_DEVICE} ({exc}).", device) from None
    if count == 0:
        raise CudaUnavailable("device", f"{_NO_DEVICE} (0 devices).", device)
    if ordinal >= count:
        raise CudaUnavailable(
            "device",
            f"device {ordinal} was asked for but only {count} exist "
            f"(numbered 0 to {count - 1}).",
            device,
        )
    return CudaContext(driver, ordinal)


def require_cuda(device=None):
    """Return the CudaContext for ``device`` (default: ``config.device``).

    Raises
    ------
    CudaUnavailable
        Naming the first missing piece: pycuda, the driver or a device.
    ValueError
        When ``device`` is not a CUDA device name.
    """
    device = _device_flag() if device is None else str(device)
    return _context(device_number(device), device)


def reset():
    """Forget the cached context or failure (tests that monkeypatch use it)."""
    _context.cache_clear()

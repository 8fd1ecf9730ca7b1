"""Build (once, cached on disk) and load the C runtime extension.

The runtime's C sources live next to this module; ``module.c`` includes the
others, so they compile as one translation unit.  An installed copy built by
``setup.py`` is used when its sources match these; otherwise the sources are
compiled through :func:`symbolic.backends.c.build.compile_library`, whose
cache makes every later process load it without a compiler call.
"""

import ctypes
import functools
import glob
import hashlib
import importlib
import logging
import os
import re

_logger = logging.getLogger(__name__)

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "_runtime"
_INCLUDE = re.compile(r'^#include "((?:\.\./)?[a-z_]+\.[ch])"\s*$', re.MULTILINE)


class RuntimeUnavailable(RuntimeError):
    """The C runtime cannot be built or loaded here (no compiler, no numpy headers)."""


def source():
    """Return the runtime's complete C source, local includes expanded once each."""
    seen = set()

    def expand(name):
        if name in seen:
            return ""
        seen.add(name)
        with open(os.path.join(HERE, name)) as handle:
            text = handle.read()
        return _INCLUDE.sub(lambda match: expand(match.group(1)), text)

    return expand("module.c")


def source_hash():
    """Return a short hash of the runtime's source (stamps an installed build)."""
    return hashlib.sha256(source().encode()).hexdigest()[:16]


def _installed():
    """The extension ``setup.py`` built into the package, when it is current."""
    try:
        module = importlib.import_module(f"{__package__}.{NAME}")
    except ImportError:
        return None
    stamp_path = os.path.join(HERE, "SOURCE_HASH")
    try:
        with open(stamp_path) as handle:
            stamp = handle.read().strip()
    except OSError:
        return None
    return module if stamp == source_hash() else None


def load():
    """Return the runtime module, building it on first use.

    Raises
    ------
    RuntimeUnavailable
        When it is neither installed nor buildable (the message says why);
        the failure is remembered, so the build is tried once per process.
    """
    result = _load_once()
    if isinstance(result, RuntimeUnavailable):
        raise result
    return result


@functools.cache
def _load_once():
    module = _installed()
    if module is not None:
        return module
    from symbolic.backends.c import build

    try:
        path = build.compile_library(
            source(), name=NAME, python_ext=True, context="the C runtime"
        )
        return build.load_extension(path, NAME)
    except (build.CompileError, ImportError, OSError) as exc:
        return RuntimeUnavailable(str(exc))


def loaded():
    """The runtime module when it was already loaded by this process, else None."""
    if _load_once.cache_info().currsize == 0:
        return None
    result = _load_once()
    return None if isinstance(result, RuntimeUnavailable) else result


def available():
    """Return True when :func:`load` succeeds."""
    try:
        load()
    except RuntimeUnavailable:
        return False
    return True


_BLAS_NAMES = ("sgemm", "dgemm", "sgemv", "dgemv", "sger", "dger", "sdot", "ddot")


@functools.cache
def numpy_blas_addresses():
    """The ILP64 OpenBLAS functions numpy's wheels bundle, as addresses, or None.

    numpy and scipy wheels each carry an OpenBLAS; numpy's is the newer one
    here and runs the MLP's matrix products about 1.5x faster, and sharing it
    means one thread pool for numpy and us.
    """
    import numpy

    site = os.path.dirname(os.path.dirname(os.path.abspath(numpy.__file__)))
    for path in sorted(glob.glob(os.path.join(site, "numpy.libs", "*openblas64_*.so"))):
        try:
            library = ctypes.CDLL(path)
            functions = [getattr(library, f"scipy_{n}_64_") for n in _BLAS_NAMES]
            return tuple(ctypes.cast(f, ctypes.c_void_p).value for f in functions)
        except (OSError, AttributeError):
            continue
    return None


def kernel_threads():
    """Threads for the runtime's own parallel kernels.

    ``OMP_NUM_THREADS`` when set (the usual way to pin every library of a
    process to one thread on a shared machine), else the CPUs this process
    may run on.
    """
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@functools.cache
def numpy_blas_threads_local():
    """The address of ``openblas_set_num_threads_local`` in numpy's OpenBLAS, or None.

    With it, the runtime runs each BLAS call on one OpenBLAS thread and
    splits large products over its own thread pool instead.
    """
    import numpy

    site = os.path.dirname(os.path.dirname(os.path.abspath(numpy.__file__)))
    for path in sorted(glob.glob(os.path.join(site, "numpy.libs", "*openblas64_*.so"))):
        try:
            function = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        return ctypes.cast(function, ctypes.c_void_p).value
    return None


def load_blas(module):
    """Give the runtime its BLAS: per ``config.blas__source``, numpy's or scipy's.

    Also sets the thread count of the runtime's own packed products.
    """
    from symbolic.config import config

    module.set_threads(kernel_threads())

    if config.blas__source != "scipy":
        addresses = numpy_blas_addresses()
        if addresses is not None:
            return module.load_blas(addresses, numpy_blas_threads_local())
        if config.blas__source == "numpy":
            raise RuntimeUnavailable("numpy bundles no ILP64 OpenBLAS here")
    return module.load_blas()

"""Build (once, cached on disk) and load the C runtime extension.

The runtime's C sources live next to this module; ``module.c`` includes the
others, so they compile as one translation unit.  An installed copy built by
``setup.py`` is used when its stamp (``SOURCE_HASH``) vouches for it: the
stamp holds the hash of the sources it was built from and the size and sha256
of the built file, and the file is checked against them before it is imported
(importing a truncated library kills the process with SIGBUS).  Otherwise the
sources are compiled through :func:`symbolic.backends.c.build.compile_library`,
whose cache makes every later process load it without a compiler call.
"""

import ctypes
import functools
import glob
import hashlib
import importlib
import importlib.machinery
import importlib.util
import logging
import os
import re
import sys
import sysconfig

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


def file_stamp(path):
    """The stamp line of built file ``path``: its name, size and sha256."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return f"{os.path.basename(path)} {size} {digest.hexdigest()}"


def installed_path(directory=HERE):
    """The extension ``setup.py`` built into ``directory``, when it is sound.

    Returns its path when the stamp's source hash is that of these sources
    and the file has the stamp's name, size and sha256; None otherwise (no
    stamp, an old-style stamp without the file's line, edited sources, or
    a truncated or replaced file).
    """
    try:
        with open(os.path.join(directory, "SOURCE_HASH")) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    if len(lines) < 2 or lines[0].strip() != source_hash():
        return None
    name = NAME + sysconfig.get_config_var("EXT_SUFFIX")
    stamps = [line.strip() for line in lines[1:] if line.startswith(name + " ")]
    if not stamps:
        return None
    expected = stamps[0]
    path = os.path.join(directory, name)
    try:
        actual = file_stamp(path)
    except OSError:
        return None
    if actual != expected:
        _logger.warning(
            "the installed C runtime %s does not match its stamp (size and "
            "hash): not loading it; the runtime is built into the cache instead",
            path,
        )
        return None
    return path


def _installed():
    """The installed extension module, when :func:`installed_path` vouches for it."""
    path = installed_path(HERE)
    if path is None:
        return None
    full_name = f"{__package__}.{NAME}"
    module = sys.modules.get(full_name)
    if module is not None:
        return module
    loader = importlib.machinery.ExtensionFileLoader(full_name, path)
    spec = importlib.util.spec_from_file_location(full_name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    try:
        loader.exec_module(module)
    except ImportError:
        return None
    sys.modules[full_name] = module
    return module


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
    from symbolic.config import config

    # The installed copy carries AVX-512 clones: an AVX2-only run builds its
    # own runtime into the cache.
    module = _installed() if config.cpu__isa == "native" else None
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

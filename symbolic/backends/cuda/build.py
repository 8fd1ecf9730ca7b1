"""Compile CUDA sources to PTX with nvcc, cached on disk like the C backend.

An entry is ``<name>-<key>.ptx`` in the C backend's cache directory
(:mod:`symbolic.backends.c.cache`): the key hashes the source, the flags
and nvcc's identity, the file is written to a temporary name and renamed
under the entry's lock, and it carries the same size-and-hash record, so a
damaged entry is rebuilt rather than loaded.  A second process asking for
the same source runs no compiler.
"""

import hashlib
import logging
import os
import shutil
import subprocess
import time

from symbolic.backends.c import cache

_logger = logging.getLogger(__name__)

#: Flags every build gets.  No fast-math: nan and inf behave as in numpy, and
#: ``x * y + z`` is not contracted into an fma, as in the C backend.  The C
#: helpers' ``copysign(0, x)`` resolves to a constexpr C++ overload, which
#: device code may call only with relaxed constexpr.  Unused helpers (177)
#: and unsigned ``b < 0`` tests in shared helpers (186) are not worth a warning.
BASE_FLAGS = (
    "--ptx",
    "-O3",
    "--fmad=false",
    "-std=c++17",
    "--expt-relaxed-constexpr",
    "-diag-suppress",
    "177,186",
)

#: Number of nvcc invocations made by this process (tests read it).
nvcc_calls = 0


class CudaCompileError(RuntimeError):
    """nvcc is missing or rejected a source; the message shows its output."""


def find_nvcc():
    """The path of nvcc (``$CUDA_HOME/bin``, then ``PATH``), or None."""
    home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH")
    candidates = [os.path.join(home, "bin", "nvcc")] if home else []
    candidates.append(shutil.which("nvcc"))
    candidates.append("/usr/local/cuda/bin/nvcc")
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def arch_flags(capability=None):
    """``-arch=sm_XY`` for a device's ``(major, minor)``; none for nvcc's default."""
    if capability is None:
        return ()
    major, minor = capability
    return (f"-arch=sm_{major}{minor}",)


def compile_ptx(source, *, name="kernels", flags=(), context=""):
    """Compile ``source`` to PTX; return the path of the cached ``.ptx`` file.

    Parameters
    ----------
    source : str
        A complete ``.cu`` source.
    name : str
        Names the cache entry.
    flags : tuple of str
        Extra nvcc flags (``arch_flags(...)``); part of the cache key.
    context : str
        What is being compiled; shown in a :class:`CudaCompileError`.

    Raises
    ------
    CudaCompileError
        When nvcc cannot be found or fails.
    """
    nvcc = find_nvcc()
    if nvcc is None:
        raise CudaCompileError(
            f"{context or name}: nvcc not found (set CUDA_HOME or put the CUDA "
            f"toolkit's bin folder on PATH)"
        )
    full_flags = BASE_FLAGS + tuple(flags)
    key = cache.entry_key(source, full_flags, nvcc, python_ext=False)
    found = cache.find_entry(name, key, suffix=".ptx")
    if found is not None:
        return found
    path = cache.entry_path(name, key, suffix=".ptx")
    with cache.locked(path):
        found = cache.find_entry(name, key, suffix=".ptx")
        if found is not None:
            return found
        cache.discard(path)
        cache.clean_stale_temps(os.path.dirname(path))
        cu_path = path[: -len(".ptx")] + ".cu"
        cache.write_text(cu_path, source)
        cache.publish(
            lambda tmp: _run_nvcc(nvcc, full_flags, cu_path, tmp, context or name),
            path,
            record=True,
        )
    return path


def _run_nvcc(nvcc, flags, cu_path, out_path, context):
    global nvcc_calls
    command = [nvcc, *flags, "-o", out_path, cu_path]
    nvcc_calls += 1
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except OSError as exc:
        raise CudaCompileError(f"{context}: cannot run {nvcc}: {exc}") from None
    if done.returncode != 0:
        raise CudaCompileError(
            f"{context}: nvcc failed (exit {done.returncode}) on {cu_path}\n"
            f"command: {' '.join(command)}\n{done.stderr.strip()[:6000]}"
        )
    _logger.debug("nvcc built %s in %.3f s", cu_path, time.perf_counter() - start)


def source_digest(source):
    """A short digest naming a source (for module names in logs)."""
    return hashlib.sha1(source.encode()).hexdigest()[:12]

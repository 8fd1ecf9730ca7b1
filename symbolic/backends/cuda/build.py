"""Compile CUDA sources to PTX (NVRTC or nvcc), cached on disk like the C backend.

``config.cuda__compiler`` picks the compiler: ``auto`` takes NVRTC (in
process, tens of milliseconds) when ``libnvrtc`` loads and nvcc otherwise.
An entry is ``<name>-<key>.ptx`` in the C backend's cache directory
(:mod:`symbolic.backends.c.cache`): the key hashes the source, the options
and the compiler's identity, the file is written to a temporary name and
renamed under the entry's lock, and it carries the same size-and-hash
record, so a damaged entry is rebuilt rather than loaded.  A second
process asking for the same source runs no compiler.
"""

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

#: NVRTC's options: the same semantics as BASE_FLAGS.
NVRTC_OPTIONS = (
    "--std=c++17",
    "--fmad=false",
    "--diag-suppress=177,186",
)

#: Number of nvcc invocations made by this process (tests read it).
nvcc_calls = 0
#: Number of NVRTC compiles made by this process (tests read it).
nvrtc_calls = 0


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


def choose_compiler(wanted=None):
    """``'nvrtc'`` or ``'nvcc'`` for ``wanted`` (default ``config.cuda__compiler``)."""
    from symbolic.backends.cuda import nvrtc
    from symbolic.config import config

    wanted = wanted or config.cuda__compiler
    if wanted == "auto":
        return "nvrtc" if nvrtc.library() is not None else "nvcc"
    return wanted


def compile_ptx(source, *, name="kernels", capability=None, context="", compiler=None):
    """Compile ``source`` to PTX; return the path of the cached ``.ptx`` file.

    Parameters
    ----------
    source : str
        A complete ``.cu`` source.
    name : str
        Names the cache entry.
    capability : tuple of int, optional
        The device's ``(major, minor)``: PTX for exactly that architecture
        (default: the compiler's own default target).
    context : str
        What is being compiled; shown in a :class:`CudaCompileError`.
    compiler : {'auto', 'nvrtc', 'nvcc'}, optional
        Default ``config.cuda__compiler``.

    Raises
    ------
    CudaCompileError
        When the compiler cannot be found or fails.
    """
    compiler = choose_compiler(compiler)
    context = context or name
    if compiler == "nvrtc":
        from symbolic.backends.cuda import nvrtc

        if nvrtc.library() is None:
            raise CudaCompileError(f"{context}: libnvrtc cannot be loaded")
        options = NVRTC_OPTIONS
        if capability is not None:
            options += (f"--gpu-architecture=compute_{capability[0]}{capability[1]}",)
        identity = f"nvrtc-{nvrtc.version()}"
        build = _nvrtc_builder(options, context)
    else:
        nvcc = find_nvcc()
        if nvcc is None:
            raise CudaCompileError(
                f"{context}: nvcc not found (set CUDA_HOME or put the CUDA "
                f"toolkit's bin folder on PATH)"
            )
        options = BASE_FLAGS + arch_flags(capability)
        identity = nvcc
        build = _nvcc_builder(nvcc, options, context)
    key = cache.entry_key(source, (compiler, *options), identity, python_ext=False)
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
        cache.publish(lambda tmp: build(cu_path, source, tmp), path, record=True)
    return path


def _nvrtc_builder(options, context):
    def build(cu_path, source, out_path):
        global nvrtc_calls
        from symbolic.backends.cuda import nvrtc

        nvrtc_calls += 1
        start = time.perf_counter()
        try:
            ptx = nvrtc.compile_to_ptx(source, options, os.path.basename(cu_path))
        except nvrtc.NvrtcError as exc:
            raise CudaCompileError(
                f"{context}: NVRTC failed on {cu_path}\noptions: "
                f"{' '.join(options)}\n{str(exc)[:6000]}"
            ) from None
        with open(out_path, "w") as handle:
            handle.write(ptx)
        _logger.debug("NVRTC built %s in %.3f s", cu_path, time.perf_counter() - start)

    return build


def _nvcc_builder(nvcc, options, context):
    def build(cu_path, source, out_path):
        _run_nvcc(nvcc, options, cu_path, out_path, context)

    return build


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

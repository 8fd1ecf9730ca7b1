"""Build C sources into cached shared libraries with the configured compiler.

Two kinds of library are built: plain C shared libraries (the fused elemwise
kernels of a graph: no Python or numpy headers, so gcc is quick) loaded with
ctypes, and Python extension modules (``python_ext=True``) loaded with
:func:`load_extension`.  Both go through the on-disk cache of
:mod:`symbolic.backends.c.cache`, so a second process asking for the same
library finds the finished file and runs no compiler.
"""

import contextlib
import ctypes
import functools
import importlib.machinery
import importlib.util
import logging
import os
import shutil
import subprocess
import sysconfig
import threading
import time

from symbolic.backends.c import cache
from symbolic.config import config

_logger = logging.getLogger(__name__)

#: Number of compiler invocations made by this process (tests read it).
gcc_calls = 0

#: Flags every build gets.  ``-fno-math-errno`` lets sqrt and friends inline
#: and vectorize; nothing stricter than IEEE semantics is given up (no
#: ``-ffast-math``: nan and inf must behave as in numpy).
BASE_FLAGS = ("-O3", "-march=native", "-fPIC", "-shared", "-pipe", "-fno-math-errno")

_NO_COMPILER = """\
No C compiler is configured (config.cxx is empty or names no executable).
Set SYMBOLIC_FLAGS=cxx=/path/to/gcc, or use the LLVM or Python backends."""


#: Compiler output beyond this many characters is cut from error messages.
_MESSAGE_LIMIT = 6000


class CompileError(RuntimeError):
    """The C compiler rejected a source; the message shows its output."""


@functools.cache
def _python_include_flags():
    import numpy

    dirs = [sysconfig.get_paths()["include"], numpy.get_include()]
    platinc = sysconfig.get_paths().get("platinclude")
    if platinc and platinc not in dirs:
        dirs.append(platinc)
    return tuple(f"-I{d}" for d in dirs)


def _clip(text, limit=_MESSAGE_LIMIT):
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... ({len(text) - limit} more characters)"


#: What replaces ``-march=native`` when ``config.cpu__isa`` is 'avx2': the
#: x86-64-v3 level (AVX2, FMA, BMI2), tuned for this CPU all the same; the
#: macro takes the runtime's AVX-512 clones and kernels out.
AVX2_FLAGS = ("-march=x86-64-v3", "-mtune=native", "-DSYMBOLIC_ISA_AVX2")


def isa_flags():
    """Return the base flags for ``config.cpu__isa``."""
    if config.cpu__isa != "avx2":
        return BASE_FLAGS
    position = BASE_FLAGS.index("-march=native")
    return BASE_FLAGS[:position] + AVX2_FLAGS + BASE_FLAGS[position + 1 :]


def build_flags(flags=(), python_ext=False):
    """Return the full flag tuple for a build (also part of the cache key)."""
    extra = tuple(config.gcc__cxxflags.split())
    include = _python_include_flags() if python_ext else ()
    return isa_flags() + include + tuple(flags) + extra


def cached_library(source, *, name, python_ext=False, flags=()):
    """Return the cached path of ``source``'s library, or None (no compiling)."""
    full_flags = build_flags(flags, python_ext)
    key = cache.entry_key(source, full_flags, config.cxx, python_ext)
    try:
        return cache.find_entry(name, key)
    except OSError:  # no usable cache directory: compile_library reports it
        return None


def compile_library(source, *, name, python_ext=False, flags=(), context=""):
    """Compile ``source`` into a shared library and return the cached path.

    Parameters
    ----------
    source : str
        Complete C source.
    name : str
        A C identifier; names the file and, for an extension module, the
        ``PyInit_<name>`` entry point.
    python_ext : bool
        Add the Python and numpy include directories and key the entry on
        their versions too.
    flags : tuple of str
        Extra compiler flags (appended after the base flags).
    context : str
        What is being compiled (e.g. the op); shown in a :class:`CompileError`.

    Returns
    -------
    str
        Path of the ``.so``; a cache hit runs no compiler and takes no lock.
        The file matches the size and hash recorded when it was built: a
        damaged entry is rebuilt, never loaded.

    Raises
    ------
    CompileError
        When no compiler is configured, the compiler fails or the entry
        cannot be written to the cache.
    """
    if not name.isidentifier():
        raise ValueError(f"compile_library: name must be a C identifier, got {name!r}")
    cxx = config.cxx
    full_flags = build_flags(flags, python_ext)
    key = cache.entry_key(source, full_flags, cxx, python_ext)
    path = name
    try:
        found = cache.find_entry(name, key)
        if found is not None:
            return found
        if not cxx:
            raise CompileError(f"{context or name}: {_NO_COMPILER}")
        path = cache.entry_path(name, key)
        with cache.locked(path):
            found = cache.find_entry(name, key)
            if found is not None:
                return found
            _build_entry(source, path, name, cxx, full_flags, python_ext, context)
    except OSError as exc:
        raise CompileError(
            f"{context or name}: cannot use the compile cache "
            f"{config.compiledir!r} for {os.path.basename(path)}: {exc}"
        ) from exc
    return path


def _build_entry(source, path, name, cxx, full_flags, python_ext, context):
    """Compile ``source`` into the entry ``path`` (the caller holds its lock)."""
    if os.path.exists(path):
        _logger.warning(
            "compile cache entry %s does not match its record (truncated or "
            "replaced): rebuilding it",
            path,
        )
        cache.discard(path)
    cache.clean_stale_temps(os.path.dirname(path))
    c_path = path[: -len(".so")] + ".c"
    cache.write_text(c_path, source)

    def run_compiler(tmp):
        global gcc_calls
        command = [cxx, *full_flags, "-o", tmp, c_path]
        if python_ext:
            command.append("-lm")
        else:
            command += ["-lm", "-lpthread"]
        gcc_calls += 1
        if getattr(_background, "active", False) and _NICE:
            command = [_NICE, "-n", "10", *command]
        start = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True)
        except OSError as exc:
            raise CompileError(
                f"{context or name}: cannot run the C compiler {cxx!r}: {exc}\n"
                f"{_NO_COMPILER}"
            ) from None
        if done.returncode != 0:
            raise CompileError(
                f"{context or name}: {os.path.basename(cxx)} failed "
                f"(exit {done.returncode}) on {c_path}\n"
                f"command: {' '.join(command)}\n{_clip(done.stderr.strip())}"
            )
        _logger.debug("compiled %s in %.3f s", name, time.perf_counter() - start)

    cache.publish(run_compiler, path, record=True)


_background = threading.local()
_NICE = shutil.which("nice")


@contextlib.contextmanager
def background_builds():
    """Run the compilers started by this thread inside the block at low priority.

    For builds nobody waits for yet (a graph that runs its Python thunks
    meanwhile): on a busy machine they leave the CPU to the builds a first
    call is waiting for. The compiled code is the same.
    """
    previous = getattr(_background, "active", False)
    _background.active = True
    try:
        yield
    finally:
        _background.active = previous


_extensions = {}


def load_extension(path, name):
    """Import extension module ``name`` (entry ``PyInit_<name>``) from ``path``."""
    module = _extensions.get((path, name))
    if module is None:
        loader = importlib.machinery.ExtensionFileLoader(name, path)
        spec = importlib.util.spec_from_file_location(name, path, loader=loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        _extensions[(path, name)] = module
    return module


_libraries = {}


def load_library(path):
    """Open the plain shared library at ``path`` with ctypes (memoized)."""
    library = _libraries.get(path)
    if library is None:
        library = _libraries[path] = ctypes.CDLL(path)
    return library

"""The on-disk cache of compiled shared libraries.

An entry is one ``.so`` file under ``config.compiledir``, named by a sha256 of
everything that decides its bytes: the source, the flags, the compiler's
identity, the CPU (we compile with ``-march=native``) and, for extension
modules, the Python and numpy versions.  Entries are written by compiling into
a temporary file in the same directory and renaming it into place, under an
exclusive ``fcntl.flock`` on a per-entry lock file, so two processes building
the same entry at once leave one sound file and a reader never sees a partial
one.  A lookup that finds the finished file takes neither the lock nor a
subprocess.
"""

import contextlib
import fcntl
import functools
import hashlib
import os
import shutil
import sys
import sysconfig
import tempfile

from symbolic.config import config

#: Bump when the layout of entries or the meaning of the key changes.
CACHE_FORMAT = 1


def cache_root():
    """Return the directory (created on demand) that holds the C backend's entries."""
    root = os.path.join(config.compiledir, f"c{CACHE_FORMAT}")
    os.makedirs(root, exist_ok=True)
    return root


@functools.cache
def compiler_identity(cxx):
    """Identify the compiler ``cxx`` without running it.

    The resolved path, size and modification time of the executable change
    whenever the compiler is upgraded, and a ``stat`` costs microseconds where
    ``gcc --version`` costs milliseconds.
    """
    path = shutil.which(cxx) or cxx
    real = os.path.realpath(path)
    try:
        stat = os.stat(real)
    except OSError:
        return f"{cxx}:missing"
    return f"{real}:{stat.st_size}:{stat.st_mtime_ns}"


@functools.cache
def cpu_identity():
    """Return the CPU model and feature flags (what ``-march=native`` depends on)."""
    model = flags = ""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name") and not model:
                    model = line.split(":", 1)[1].strip()
                elif line.startswith(("flags", "Features")) and not flags:
                    flags = line.split(":", 1)[1].strip()
                if model and flags:
                    break
    except OSError:
        import platform

        model = f"{platform.machine()}:{platform.processor()}"
    return f"{model}|{flags}"


@functools.cache
def python_identity():
    """Return what an extension module's binary compatibility depends on."""
    import numpy

    return f"{sys.version}|{sysconfig.get_config_var('EXT_SUFFIX')}|{numpy.__version__}"


def entry_key(source, flags, cxx, python_ext):
    """Return the hex sha256 naming the entry for this build."""
    digest = hashlib.sha256()
    for part in (
        str(CACHE_FORMAT),
        compiler_identity(cxx),
        cpu_identity(),
        python_identity() if python_ext else "",
        "\0".join(flags),
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(source.encode())
    return digest.hexdigest()


def entry_path(name, key):
    """Return the path of the ``.so`` for ``name`` and ``key`` (it may not exist)."""
    return os.path.join(cache_root(), f"{name}-{key[:40]}.so")


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive lock tied to ``path`` (a sibling ``.lock`` file)."""
    with open(path + ".lock", "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def publish(build, path):
    """Create ``path`` atomically: ``build(tmp)`` writes a temp file, then rename.

    The temporary file lives in the same directory so the rename is atomic,
    and it is removed if ``build`` fails.
    """
    directory = os.path.dirname(path)
    handle, tmp = tempfile.mkstemp(
        prefix=".tmp-", suffix=os.path.splitext(path)[1], dir=directory
    )
    os.close(handle)
    try:
        build(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path, text):
    """Write ``text`` to ``path`` atomically."""

    def write(tmp):
        with open(tmp, "w") as handle:
            handle.write(text)

    publish(write, path)

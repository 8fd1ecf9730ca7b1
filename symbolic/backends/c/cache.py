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

Loading a shared library runs its code, and a damaged one can kill the process
(a truncated file gives SIGBUS), so:

* each entry has a record (``<entry>.sha256``: size and sha256 of the file,
  written at build time); an entry is loaded only when it matches its record,
  and a mismatching one is rebuilt;
* the cache directory is used only when this user owns it and neither group
  nor others can write to it.  Otherwise, or when it is read-only, a private
  per-user directory under the temporary folder takes its place, with one
  :class:`CompileCacheWarning` (a read-only cache of ours still serves its
  entries).  Nothing is ever loaded from a directory another user can write.
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
import time
import warnings

from symbolic.config import config

#: Bump when the layout of entries or the meaning of the key changes.
CACHE_FORMAT = 2

#: Temporary files (``.tmp-*``) older than this are leftovers of a killed
#: build and are removed by the next build in the same directory.
STALE_TEMP_SECONDS = 20 * 60

_RECORD_SUFFIX = ".sha256"


class CompileCacheWarning(UserWarning):
    """The configured cache directory is not used (unsafe or read-only)."""


def cache_root():
    """Return the directory new entries are written to (created on demand)."""
    return _roots()[1]


def _roots():
    """``(directories searched for entries, directory written to)``."""
    compiledir = config.compiledir
    found = _chosen_roots.get(compiledir)
    if found is None:
        found = _chosen_roots[compiledir] = _choose_roots(compiledir)
    return found


_chosen_roots = {}


def _choose_roots(compiledir):
    primary = os.path.join(compiledir, f"c{CACHE_FORMAT}")
    try:
        _make_private_dirs(compiledir, primary)
        reason = unsafe_reason(compiledir) or unsafe_reason(primary)
    except OSError as exc:
        reason = f"it cannot be created ({exc.strerror or exc})"
    if reason is not None:
        fallback = _private_root()
        _warn(
            f"the compile cache {compiledir!r} is not used: {reason}. Compiled "
            f"libraries go to {fallback!r} instead (make it yours with "
            f"'chmod go-w', or set compiledir to a folder only you can write to)."
        )
        return (fallback,), fallback
    if not os.access(primary, os.W_OK):
        fallback = _private_root()
        _warn(
            f"the compile cache {compiledir!r} is read-only: its entries are "
            f"used, new ones go to {fallback!r}."
        )
        return (primary, fallback), fallback
    return (primary,), primary


def _make_private_dirs(*paths):
    """Create each missing directory readable and writable by its owner only."""
    for path in paths:
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)


def unsafe_reason(path):
    """Why loading libraries from directory ``path`` is unsafe, or None.

    It is unsafe when another user owns it or group or others may write to
    it: they could plant a library that this process would run.
    """
    status = os.stat(path)
    uid = os.geteuid()
    if status.st_uid != uid:
        return f"it is owned by uid {status.st_uid}, not by this user (uid {uid})"
    if status.st_mode & 0o022:
        return f"group or others can write to it (mode {oct(status.st_mode & 0o777)})"
    return None


def _private_root():
    """A cache directory under the temporary folder that only this user can use."""
    base = os.path.join(tempfile.gettempdir(), f"symbolic-{os.geteuid()}")
    root = os.path.join(base, f"c{CACHE_FORMAT}")
    try:
        _make_private_dirs(base, root)
        if unsafe_reason(base) is None and unsafe_reason(root) is None:
            return root
    except OSError:
        pass
    # Someone else holds that name: a fresh directory for this process.
    return tempfile.mkdtemp(prefix="symbolic-cache-")


def _warn(message):
    warnings.warn(message, CompileCacheWarning, stacklevel=4)


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


def entry_path(name, key, suffix=".so"):
    """Return the path where the ``.so`` (or ``suffix`` file) for ``name`` goes."""
    return os.path.join(cache_root(), _entry_name(name, key, suffix))


def find_entry(name, key, suffix=".so"):
    """Return the path of a sound entry for ``name`` and ``key``, or None."""
    file_name = _entry_name(name, key, suffix)
    for root in _roots()[0]:
        path = os.path.join(root, file_name)
        if verify(path):
            return path
    return None


def _entry_name(name, key, suffix=".so"):
    return f"{name}-{key[:40]}{suffix}"


def file_record(path):
    """Return ``(size, sha256 hex digest)`` of the file at ``path``."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def read_record(path):
    """The ``(size, digest)`` recorded for entry ``path``, or None."""
    try:
        with open(path + _RECORD_SUFFIX) as handle:
            size, digest = handle.read().split()
        return int(size), digest
    except (OSError, ValueError):
        return None


def verify(path):
    """True when ``path`` exists and matches the record written when it was built.

    A missing, truncated, replaced or garbage file (or a missing record) is
    not sound; the size is compared first, so most bad files cost one stat.
    """
    record = read_record(path)
    if record is None:
        return False
    try:
        if os.stat(path).st_size != record[0]:
            return False
        return file_record(path) == record
    except OSError:
        return False


def discard(path):
    """Remove entry ``path`` and its record (a damaged entry about to be rebuilt)."""
    for name in (path, path + _RECORD_SUFFIX):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def clean_stale_temps(directory, max_age=STALE_TEMP_SECONDS):
    """Remove ``.tmp-*`` files in ``directory`` older than ``max_age`` seconds.

    They are what a build killed between creating its temporary file and
    renaming it leaves behind.  Returns the number of files removed.
    """
    removed = 0
    now = time.time()
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    for name in names:
        if not name.startswith(".tmp-"):
            continue
        path = os.path.join(directory, name)
        try:
            if now - os.lstat(path).st_mtime > max_age:
                os.unlink(path)
                removed += 1
        except OSError:
            continue
    return removed


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive lock tied to ``path`` (a sibling ``.lock`` file)."""
    with open(path + ".lock", "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def publish(build, path, record=False):
    """Create ``path`` atomically: ``build(tmp)`` writes a temp file, then rename.

    The temporary file lives in the same directory so the rename is atomic,
    and it is removed if ``build`` fails.  With ``record``, the file's size
    and hash are written to its record (see :func:`verify`) before the rename.
    """
    directory = os.path.dirname(path)
    handle, tmp = tempfile.mkstemp(
        prefix=".tmp-", suffix=os.path.splitext(path)[1], dir=directory
    )
    os.close(handle)
    try:
        build(tmp)
        if record:
            size, digest = file_record(tmp)
            write_text(path + _RECORD_SUFFIX, f"{size} {digest}\n")
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

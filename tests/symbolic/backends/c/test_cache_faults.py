"""A damaged, read-only or foreign compile cache ends in a right answer, never a signal.

Every case loads libraries in a child process: a library that crashes the
loader kills the child (a negative return code fails the test) instead of
pytest.
"""

import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from symbolic.backends.c import build, cache
from symbolic.backends.c.runtime import runtime
from symbolic.config import change_flags

pytestmark = pytest.mark.skipif(
    not build.config.cxx, reason="no C compiler configured (config.cxx is empty)"
)

ROOT = os.path.dirname(
    os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    )
)

# Compile the library of sys.argv[1] (a factor), call it, report the answer,
# the compiler calls, the path loaded and the cache warnings.  PRETEND_UID
# makes the child believe it runs as another user; READ_ONLY makes it see the
# cache directory as not writable (root may write anywhere, so a real
# chmod alone tests nothing under root).
CHILD = textwrap.dedent(
    """
    import ctypes, os, sys, warnings
    if os.environ.get("PRETEND_UID"):
        os.geteuid = lambda: int(os.environ["PRETEND_UID"])
    if os.environ.get("READ_ONLY"):
        real_access = os.access
        def access(path, mode, **kwargs):
            if mode & os.W_OK and str(path).startswith(os.environ["READ_ONLY"]):
                return False
            return real_access(path, mode, **kwargs)
        os.access = access
    from symbolic.backends.c import build, cache
    factor = int(sys.argv[1])
    source = f"long long times(long long a) {{ return {factor} * a; }}\\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = build.compile_library(source, name="times")
    function = build.load_library(path).times
    function.restype = ctypes.c_longlong
    function.argtypes = [ctypes.c_longlong]
    n_warnings = sum(issubclass(w.category, cache.CompileCacheWarning) for w in caught)
    print(function(7), build.gcc_calls, n_warnings, path)
    """
)


def _child(compiledir, factor, tmp_root, **env_extra):
    env = dict(os.environ)
    env["SYMBOLIC_FLAGS"] = f"compiledir={compiledir}"
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    # The private fallback cache goes under the test's folder, not /tmp.
    env["TMPDIR"] = str(tmp_root)
    env.update({key: str(value) for key, value in env_extra.items()})
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(factor)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"child ended with {done.returncode} "
        f"({'signal ' + str(-done.returncode) if done.returncode < 0 else 'error'})"
        f":\n{done.stderr}"
    )
    answer, calls, warned, path = done.stdout.split()
    return int(answer), int(calls), int(warned), path


@pytest.fixture
def dirs(tmp_path):
    compiledir = tmp_path / "cache"
    tmp_root = tmp_path / "tmp"
    tmp_root.mkdir()
    return compiledir, tmp_root


def _truncate(path):
    size = os.path.getsize(path)
    with open(path, "r+b") as handle:
        handle.truncate(size // 2)


def _empty(path):
    open(path, "wb").close()


def _garbage(path):
    size = os.path.getsize(path)
    with open(path, "wb") as handle:
        handle.write(os.urandom(size))


@pytest.mark.parametrize("damage", [_truncate, _empty, _garbage])
def test_a_damaged_entry_is_rebuilt(dirs, damage):
    compiledir, tmp_root = dirs
    answer, calls, _, path = _child(compiledir, 3, tmp_root)
    assert (answer, calls) == (21, 1)
    damage(path)
    # Rebuilt once, then found sound by the next process.
    assert _child(compiledir, 3, tmp_root) == (21, 1, 0, path)
    assert _child(compiledir, 3, tmp_root) == (21, 0, 0, path)


def test_another_valid_library_under_the_entry_name_is_not_loaded(dirs):
    compiledir, tmp_root = dirs
    _, _, _, path = _child(compiledir, 3, tmp_root)
    _, _, _, other = _child(compiledir, 5, tmp_root)
    shutil.copyfile(other, path)
    assert _child(compiledir, 3, tmp_root) == (21, 1, 0, path)


def test_a_read_only_cache_serves_its_entries_and_builds_elsewhere(dirs):
    compiledir, tmp_root = dirs
    _, _, _, path = _child(compiledir, 3, tmp_root)
    entry_dir = os.path.dirname(path)
    before = sorted(os.listdir(entry_dir))
    os.chmod(entry_dir, 0o555)
    try:
        hit = _child(compiledir, 3, tmp_root, READ_ONLY=entry_dir)
        miss = _child(compiledir, 4, tmp_root, READ_ONLY=entry_dir)
        after = sorted(os.listdir(entry_dir))
    finally:
        os.chmod(entry_dir, 0o700)
    assert hit == (21, 0, 1, path)
    answer, calls, warned, new_path = miss
    assert (answer, calls, warned) == (28, 1, 1)
    assert new_path.startswith(str(tmp_root))
    assert after == before


def test_a_cache_path_that_is_a_file_falls_back_with_one_warning(dirs):
    compiledir, tmp_root = dirs
    compiledir.write_text("not a directory")
    answer, calls, warned, path = _child(compiledir, 6, tmp_root)
    assert (answer, calls, warned) == (42, 1, 1)
    assert path.startswith(str(tmp_root))


def _plant(compiledir, tmp_root):
    """An entry for factor 3 whose file (record included) computes 5 * a."""
    _, _, _, path = _child(compiledir, 3, tmp_root)
    _, _, _, other = _child(compiledir, 5, tmp_root)
    shutil.copyfile(other, path)
    shutil.copyfile(other + ".sha256", path + ".sha256")
    return path


def test_a_cache_owned_by_another_user_is_not_loaded_from(dirs):
    compiledir, tmp_root = dirs
    path = _plant(compiledir, tmp_root)
    owner = os.stat(compiledir).st_uid
    answer, calls, warned, loaded = _child(
        compiledir, 3, tmp_root, PRETEND_UID=owner + 1
    )
    assert (answer, calls, warned) == (21, 1, 1)
    assert loaded != path and loaded.startswith(str(tmp_root))


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_a_cache_really_owned_by_another_user_is_not_loaded_from(dirs):
    compiledir, tmp_root = dirs
    path = _plant(compiledir, tmp_root)
    os.chown(compiledir, 65534, 65534)
    answer, calls, warned, loaded = _child(compiledir, 3, tmp_root)
    assert (answer, calls, warned) == (21, 1, 1)
    assert loaded != path


def test_a_cache_others_can_write_to_is_not_loaded_from(dirs):
    compiledir, tmp_root = dirs
    path = _plant(compiledir, tmp_root)
    os.chmod(os.path.dirname(path), 0o777)
    answer, calls, warned, loaded = _child(compiledir, 3, tmp_root)
    assert (answer, calls, warned) == (21, 1, 1)
    assert loaded != path


def test_unsafe_reason_names_the_owner_and_the_mode(tmp_path, monkeypatch):
    os.chmod(tmp_path, 0o700)
    assert cache.unsafe_reason(tmp_path) is None
    os.chmod(tmp_path, 0o770)
    assert "group or others can write" in cache.unsafe_reason(tmp_path)
    os.chmod(tmp_path, 0o700)
    owner = os.stat(tmp_path).st_uid
    monkeypatch.setattr(os, "geteuid", lambda: owner + 1)
    assert f"owned by uid {owner}" in cache.unsafe_reason(tmp_path)


def test_leftovers_of_a_killed_build_are_removed_by_the_next_build(tmp_path):
    with change_flags(compiledir=str(tmp_path)):
        root = cache.cache_root()
        old = os.path.join(root, ".tmp-killed.so")
        fresh = os.path.join(root, ".tmp-running.so")
        for name in (old, fresh):
            open(name, "wb").close()
        an_hour_ago = time.time() - 3600
        os.utime(old, (an_hour_ago, an_hour_ago))
        build.compile_library("int leftover_probe(void) { return 1; }\n", name="probe")
    assert not os.path.exists(old)
    assert os.path.exists(fresh)


# --- the installed runtime ---------------------------------------------------------


def _installed_copy(tmp_path):
    path = runtime.installed_path(runtime.HERE)
    if path is None:
        pytest.skip("no installed runtime with a current stamp (edited since install)")
    shutil.copy(path, tmp_path)
    shutil.copy(os.path.join(runtime.HERE, "SOURCE_HASH"), tmp_path)
    return os.path.join(tmp_path, os.path.basename(path))


def test_an_installed_runtime_is_checked_against_its_stamp(tmp_path):
    copy = _installed_copy(tmp_path)
    assert runtime.installed_path(tmp_path) == copy
    with open(copy, "r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 1]))
    assert runtime.installed_path(tmp_path) is None


def test_an_old_style_stamp_is_not_trusted(tmp_path):
    _installed_copy(tmp_path)
    with open(tmp_path / "SOURCE_HASH", "w") as handle:
        handle.write(runtime.source_hash() + "\n")
    assert runtime.installed_path(tmp_path) is None


_RUNTIME_CHILD = textwrap.dedent(
    """
    import sys
    import numpy
    from symbolic.backends.c.runtime import runtime
    # The sources stay where they are; the built file is the copy.
    text = runtime.source()
    runtime.source = lambda: text
    runtime.HERE = sys.argv[1]
    print(runtime._installed())
    # The runtime is built into the cache instead, and works.
    module = runtime.load()
    import symbolic, symbolic.tensor as T
    x = T.dvector("x")
    f = symbolic.function([x], (x * 2).sum())
    print(module.__file__.startswith(sys.argv[2]), f(numpy.arange(4.0)))
    """
)


def test_a_truncated_installed_runtime_is_not_imported_but_rebuilt(tmp_path):
    installed = tmp_path / "installed"
    installed.mkdir()
    copy = _installed_copy(installed)
    _truncate(copy)
    compiledir = tmp_path / "cache"
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["SYMBOLIC_FLAGS"] = f"compiledir={compiledir}"
    done = subprocess.run(
        [sys.executable, "-c", _RUNTIME_CHILD, str(installed), str(compiledir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"child ended with {done.returncode}:\n{done.stderr}"
    assert done.stdout.split("\n")[:2] == ["None", "True 12.0"]
    assert "does not match its stamp" in done.stderr

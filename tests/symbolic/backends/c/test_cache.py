"""The on-disk cache is shared safely between processes."""

import os
import subprocess
import sys
import textwrap

import pytest

from symbolic.backends.c import build, cache
from symbolic.config import change_flags

pytestmark = pytest.mark.skipif(
    not build.config.cxx, reason="no C compiler configured (config.cxx is empty)"
)

ROOT = os.path.dirname(
    os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    )
)

# A child process: compile one library, call it, report gcc calls and the path.
CHILD = textwrap.dedent(
    """
    import ctypes, sys
    from symbolic.backends.c import build
    source = "long long triple(long long a) { return 3 * a; }\\n" + sys.argv[1]
    path = build.compile_library(source, name="triple")
    function = build.load_library(path).triple
    function.restype = ctypes.c_longlong
    function.argtypes = [ctypes.c_longlong]
    assert function(14) == 42
    print(build.gcc_calls, path)
    """
)


def _start(compiledir, tag):
    env = dict(os.environ)
    env["SYMBOLIC_FLAGS"] = f"compiledir={compiledir}"
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, tag],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process):
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    calls, path = out.split()
    return int(calls), path


def test_second_process_makes_no_compiler_call(tmp_path):
    first = _finish(_start(tmp_path, "// second process"))
    second = _finish(_start(tmp_path, "// second process"))
    assert first[0] == 1
    assert second == (0, first[1])


def test_concurrent_processes_leave_one_sound_entry(tmp_path):
    processes = [_start(tmp_path, "// concurrent") for _ in range(3)]
    results = [_finish(p) for p in processes]
    assert sum(calls for calls, _ in results) == 1
    assert len({path for _, path in results}) == 1
    entries = list(tmp_path.rglob("*.so"))
    assert len(entries) == 1
    assert not list(tmp_path.rglob(".tmp-*"))


def test_key_depends_on_everything_that_decides_the_bytes():
    base = cache.entry_key("int f;", ("-O3",), "gcc", False)
    assert base == cache.entry_key("int f;", ("-O3",), "gcc", False)
    assert base != cache.entry_key("int g;", ("-O3",), "gcc", False)
    assert base != cache.entry_key("int f;", ("-O2",), "gcc", False)
    assert base != cache.entry_key("int f;", ("-O3",), "gcc", True)
    assert base != cache.entry_key("int f;", ("-O3",), "/no/such/cc", False)


def test_entries_live_under_compiledir(tmp_path):
    with change_flags(compiledir=str(tmp_path)):
        path = cache.entry_path("kernels", "ab" * 32)
    assert path.startswith(str(tmp_path))
    assert os.path.basename(path).startswith("kernels-")


def test_failed_build_leaves_no_temporary_file(tmp_path):
    with change_flags(compiledir=str(tmp_path)):
        target = cache.entry_path("x", "cd" * 32)

        def fail(tmp):
            raise OSError("disk full")

        with pytest.raises(OSError):
            cache.publish(fail, target)
    assert not os.path.exists(target)
    assert not list(tmp_path.rglob(".tmp-*"))

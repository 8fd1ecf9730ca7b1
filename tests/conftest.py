"""Suite-wide settings."""

import os
import subprocess

import pytest

from symbolic.config import config

# Tests check what the compiled program runs on its first call, so C kernels
# are built before it (the default builds them in the background);
# tests/symbolic/backends/c/test_tiered.py covers the background path.
config.compile__background = False


# --- Backend passes ---------------------------------------------------------
# The symbolic suite also runs under SYMBOLIC_FLAGS=linker=llvm,cxx= and
# linker=py (scripts/test.sh).  Tests of the C backend's own workings carry the
# ``c_backend`` marker and skip in those passes; with ``cxx`` empty no test may
# start a C compiler.

#: Program names taken for a C compiler when ``config.cxx`` is empty.
_COMPILER_NAMES = ("gcc", "cc", "g++", "c++", "clang", "clang++", "tcc")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "c_backend: checks the C backend's own workings (its runtime, kernels or "
        "gcc builds); skipped unless the configured linker is a C one and "
        "config.cxx names a compiler",
    )


def _c_backend_skip_reason():
    """Why C-backend tests cannot run under the configured flags, or None."""
    from symbolic.backends.c.linker import CLinker
    from symbolic.compile.linker import get_linker

    if not isinstance(get_linker(config.linker), CLinker):
        return f"checks the C backend; the configured linker is {config.linker!r}"
    if not config.cxx:
        return "checks the C backend; config.cxx is empty (no C compiler)"
    return None


def pytest_runtest_setup(item):
    if item.get_closest_marker("c_backend") is not None:
        reason = _c_backend_skip_reason()
        if reason is not None:
            pytest.skip(reason)


def _names_a_compiler(args):
    """True when a subprocess command line runs a C compiler (maybe under nice)."""
    if isinstance(args, (str, bytes, os.PathLike)):
        args = str(args).split()
    args = [str(arg) for arg in args]
    while args and os.path.basename(args[0]) in ("nice", "env"):
        args = args[1:]
        while args and (args[0].startswith("-") or "=" in args[0]):
            # ``nice -n 10``: the option's value goes with it.
            args = args[2:] if args[0] == "-n" else args[1:]
    if not args:
        return False
    name = os.path.basename(args[0])
    return name in _COMPILER_NAMES or name.endswith(("-gcc", "-cc", "-g++"))


@pytest.fixture(scope="session")
def _compiler_runs():
    """Record the C compiler runs of the session when ``config.cxx`` is empty."""
    runs = []
    if config.cxx:
        yield runs
        return
    original = subprocess.Popen.__init__

    def watching_init(self, args, *rest, **kwargs):
        if _names_a_compiler(args):
            runs.append(args)
        original(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = watching_init
    try:
        yield runs
    finally:
        subprocess.Popen.__init__ = original


@pytest.fixture(autouse=True)
def _no_compiler_without_cxx(_compiler_runs):
    """Fail a test that ran a C compiler while ``config.cxx`` is empty."""
    seen = len(_compiler_runs)
    yield
    if len(_compiler_runs) > seen:
        ran = _compiler_runs[seen:]
        del _compiler_runs[seen:]
        pytest.fail(f"config.cxx is empty, yet the test ran a C compiler: {ran}")

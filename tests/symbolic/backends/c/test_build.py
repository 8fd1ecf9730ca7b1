"""compile_library builds and loads C libraries and Python extensions."""

import ctypes

import pytest

from symbolic.backends.c import build
from symbolic.config import change_flags

pytestmark = pytest.mark.skipif(
    not build.config.cxx, reason="no C compiler configured (config.cxx is empty)"
)

ADD_SOURCE = """
long long add_ints(long long a, long long b) { return a + b; }
"""

EXTENSION_SOURCE = """
#include <Python.h>
#include <numpy/npy_common.h>

static PyObject *twice(PyObject *self, PyObject *arg) {
    long value = PyLong_AsLong(arg);
    if (value == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLong(2 * value);
}

static PyMethodDef methods[] = {
    {"twice", twice, METH_O, "Return twice the argument."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "demo_ext", NULL, -1,
                                    methods};

PyMODINIT_FUNC PyInit_demo_ext(void) { return PyModule_Create(&module); }
"""


@pytest.fixture
def compiledir(tmp_path):
    with change_flags(compiledir=str(tmp_path)):
        yield tmp_path


def test_plain_library_runs(compiledir):
    path = build.compile_library(ADD_SOURCE, name="adder")
    assert path.startswith(str(compiledir))
    function = build.load_library(path).add_ints
    function.restype = ctypes.c_longlong
    function.argtypes = [ctypes.c_longlong, ctypes.c_longlong]
    assert function(40, 2) == 42


def test_python_extension_loads(compiledir):
    path = build.compile_library(EXTENSION_SOURCE, name="demo_ext", python_ext=True)
    module = build.load_extension(path, "demo_ext")
    assert module.twice(21) == 42
    assert build.load_extension(path, "demo_ext") is module


def test_second_compile_is_a_cache_hit(compiledir):
    first = build.compile_library(ADD_SOURCE + "// hit\n", name="adder")
    calls = build.gcc_calls
    again = build.compile_library(ADD_SOURCE + "// hit\n", name="adder")
    assert again == first
    assert build.gcc_calls == calls


def test_flags_and_source_change_the_entry(compiledir):
    base = build.compile_library(ADD_SOURCE, name="adder")
    other_flags = build.compile_library(ADD_SOURCE, name="adder", flags=("-DX=1",))
    other_source = build.compile_library(ADD_SOURCE + "\n", name="adder")
    assert len({base, other_flags, other_source}) == 3


def test_config_cxxflags_take_part(compiledir):
    base = build.compile_library(ADD_SOURCE, name="adder")
    with change_flags(gcc__cxxflags="-DSOMETHING=2"):
        flagged = build.compile_library(ADD_SOURCE, name="adder")
    assert flagged != base


def test_compile_error_shows_compiler_message_and_context(compiledir):
    calls = build.gcc_calls
    with pytest.raises(build.CompileError) as info:
        build.compile_library(
            "int broken(void) { return undefined_name; }\n",
            name="broken",
            context="Elemwise{add}",
        )
    message = str(info.value)
    assert "Elemwise{add}" in message
    assert "undefined_name" in message
    assert "error" in message
    assert build.gcc_calls == calls + 1
    assert not list(compiledir.rglob("*.so"))
    assert not list(compiledir.rglob(".tmp-*"))


def test_missing_compiler_raises(compiledir):
    with change_flags(cxx=""), pytest.raises(build.CompileError, match="cxx"):
        build.compile_library(ADD_SOURCE + "// none\n", name="adder", context="op")


def test_name_must_be_an_identifier(compiledir):
    with pytest.raises(ValueError, match="identifier"):
        build.compile_library(ADD_SOURCE, name="not a name")


def test_background_builds_run_the_compiler_at_low_priority(tmp_path, monkeypatch):
    if build._NICE is None:
        pytest.skip("no nice command on this machine")
    commands = []
    real_run = build.subprocess.run

    def recording_run(command, **kwargs):
        commands.append(list(command))
        return real_run(command, **kwargs)

    monkeypatch.setattr(build.subprocess, "run", recording_run)
    with change_flags(compiledir=str(tmp_path)):
        with build.background_builds():
            low = build.compile_library(ADD_SOURCE, name="bg_add")
        normal = build.compile_library(ADD_SOURCE + "\n", name="fg_add")
    assert commands[0][:3] == [build._NICE, "-n", "10"]
    assert commands[1][0] == build.config.cxx
    for path in (low, normal):
        library = ctypes.CDLL(path)
        library.add_ints.restype = ctypes.c_longlong
        assert library.add_ints(ctypes.c_longlong(20), ctypes.c_longlong(22)) == 42

"""The C runtime is built at install, so a new process does not compile it."""

import os
import re

import pytest

from symbolic.backends.c.runtime import runtime

ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
)


def test_build_requirements_include_numpy():
    """pip builds in an isolated environment: without numpy there, setup.py
    cannot find the headers, skips the extension, and every new process
    compiled the runtime on its first function (2-3 s)."""
    with open(os.path.join(ROOT, "pyproject.toml")) as handle:
        text = handle.read()
    section = re.search(r"\[build-system\](.*?)(\n\[|\Z)", text, re.S).group(1)
    requires = re.search(r"requires\s*=\s*\[(.*?)\]", section, re.S).group(1)
    assert re.search(r"[\"']numpy", requires), requires


def test_an_installed_current_runtime_is_the_one_loaded():
    """After ``pip install`` (as CI does on a fresh clone) the extension sits
    in the package with the hash of its sources, and ``load`` uses it."""
    installed = runtime._installed()
    if installed is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI installed the project, but no current C runtime was built")
        pytest.skip(
            "no installed runtime matching these sources (edited since install)"
        )
    assert runtime.load() is installed
    assert os.path.dirname(installed.__file__) == runtime.HERE

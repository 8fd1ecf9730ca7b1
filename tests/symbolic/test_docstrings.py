"""The examples in the engine's docstrings run and print what they show."""

import doctest
import importlib
import pkgutil
import sys

import pytest

import symbolic


def _modules():
    for info in pkgutil.walk_packages(symbolic.__path__, "symbolic."):
        yield info.name


@pytest.mark.parametrize("name", sorted(_modules()))
def test_docstring_examples(name):
    # Import through the package first: some modules are shadowed by the
    # functions they define (``symbolic.scan_module.scan``).
    importlib.import_module(name)
    module = sys.modules[name]
    result = doctest.testmod(
        module,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        report=False,
    )
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"

import doctest
import importlib
import pkgutil

import pytest

import fuel

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(fuel.__path__, prefix="fuel.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0


def test_every_module_is_covered():
    assert "fuel.transformers.sequences" in MODULES
    assert "fuel.datasets.digits" in MODULES

"""Every test in this folder checks the C backend itself (its runtime, kernels,
cache or gcc builds): each carries the ``c_backend`` marker, so it skips in the
suite's LLVM and Python passes (see tests/conftest.py)."""

import pathlib

import pytest

_HERE = pathlib.Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if _HERE in pathlib.Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.c_backend)

"""Run the documentation: docs/*.rst and the examples in module docstrings."""

import doctest
import importlib
import pathlib
import re

import numpy
import pytest

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# Index pages hold only tables of contents.
RST_FILES = sorted(p for p in DOCS.rglob("*.rst") if p.name != "index.rst")

MODULES = [
    "blocks.bricks.base",
    "blocks.bricks.bn",
    "blocks.bricks.center_loss",
    "blocks.bricks.conv",
    "blocks.bricks.crf",
    "blocks.bricks.dropout",
    "blocks.bricks.lazy",
    "blocks.bricks.normalization",
    "blocks.bricks.parallel",
    "blocks.bricks.recurrent.grid",
    "blocks.bricks.sequences",
    "blocks.bricks.simple",
    "blocks.bricks.wrappers",
    "blocks.config",
    "blocks.extensions.plot",
    "blocks.filter",
    "blocks.graph",
    "blocks.graph.bn",
    "blocks.graph.modes",
    "blocks.initialization",
    "blocks.model",
    "blocks.roles",
    "blocks.select",
    "blocks.theano_expressions",
    "blocks.utils.containers",
    "blocks.utils.utils",
]


@pytest.fixture
def legacy_printing():
    """Print arrays as the documentation (written for numpy 1.x) shows them."""
    options = numpy.get_printoptions()
    numpy.set_printoptions(legacy="1.13")
    yield
    numpy.set_printoptions(**options)


def test_docs_found():
    names = {path.name for path in RST_FILES}
    assert {"bricks_overview.rst", "cg.rst", "create_your_own_brick.rst"} <= names


def required_modules(path):
    """Modules named by ``.. requires: <module>`` comments in a page."""
    return re.findall(r"^\.\. requires: (\S+)", path.read_text(), flags=re.M)


@pytest.mark.parametrize(
    "path", RST_FILES, ids=[str(p.relative_to(DOCS)) for p in RST_FILES]
)
def test_rst(path, legacy_printing):
    for module in required_modules(path):
        pytest.importorskip(module, reason=f"{path.name} needs {module}")
    failures, attempted = doctest.testfile(
        str(path), module_relative=False, optionflags=FLAGS, encoding="utf-8"
    )
    assert attempted > 0
    assert failures == 0


@pytest.mark.parametrize("name", MODULES)
def test_module_docstrings(name):
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=FLAGS)
    assert failures == 0

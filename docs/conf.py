"""Sphinx configuration of the documentation site.

Build it with ``sphinx-build -W -b html docs docs/_build/html`` from the
repository root (``pip install -e '.[test]'`` brings Sphinx). The API pages
are generated from docstrings (numpydoc style, read by napoleon); the
examples on every page also run as doctests, in ``tests/blocks/test_docs.py``.
"""

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

project = "symbolic-blocks"
author = "the symbolic-blocks developers"
copyright = "the symbolic-blocks developers"
version = release = "0.2.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.napoleon",
    "sphinx.ext.todo",
]

# Docstrings are numpydoc: Parameters / Returns / Raises sections.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# Attributes sections as fields: properties documented by :members: too
# would otherwise be described twice.
napoleon_use_ivar = True

autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": True}
autoclass_content = "class"

exclude_patterns = ["_build"]
templates_path = []
html_theme = "alabaster"
html_static_path = []
html_title = "symbolic-blocks documentation"

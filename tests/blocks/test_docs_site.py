"""Build the Sphinx docs site, with every warning an error."""

import pathlib
import subprocess
import sys

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"


def test_docs_site_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="building the docs site needs sphinx")
    output = tmp_path / "html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",  # every warning fails the build, all reported
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    assert result.stderr.strip() == "", result.stderr[-5000:]

    # The tutorials and the API reference pages, generated from docstrings.
    index = (output / "index.html").read_text(encoding="utf-8")
    for page in ("tutorial", "api/index", "fuel/index", "symbolic/index"):
        assert f'href="{page}.html"' in index, page
    expected = {
        "api/main_loop.html": "blocks.main_loop.MainLoop",
        "api/algorithms.html": "blocks.algorithms.base.GradientDescent",
        "api/extensions.html": "blocks.extensions.plot.Plot",
        "api/serialization.html": "blocks.serialization.dump",
        "fuel/streams.html": "fuel.streams.DataStream",
        "fuel/transformers.html": "fuel.transformers.batching.Batch",
        "symbolic/compile.html": "symbolic.compile.function.function",
        "symbolic/gradient.html": "symbolic.gradient.grad.grad",
        "symbolic/scan.html": "symbolic.scan.basic.scan",
    }
    for page, anchor in expected.items():
        html = (output / page).read_text(encoding="utf-8")
        assert f'id="{anchor}"' in html, (page, anchor)

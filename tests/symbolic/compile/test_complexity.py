"""No function in symbolic/compile is above cyclomatic complexity 15 (ruff C901)."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import symbolic

COMPILE_DIR = pathlib.Path(symbolic.__file__).parent / "compile"


def _ruff():
    beside_python = pathlib.Path(sys.executable).parent / "ruff"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("ruff")


def test_compile_functions_stay_below_complexity_15():
    ruff = _ruff()
    if ruff is None:
        pytest.skip("the ruff executable is not installed (pip install ruff)")
    result = subprocess.run(
        [
            ruff,
            "check",
            "--no-cache",
            "--select",
            "C901",
            "--config",
            "lint.mccabe.max-complexity=15",
            str(COMPILE_DIR),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr

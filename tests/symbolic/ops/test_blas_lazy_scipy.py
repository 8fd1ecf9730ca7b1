"""Loading the BLAS ops and the rewrite rules leaves scipy.linalg unimported."""

import subprocess
import sys

_SCRIPT = """
import sys
import symbolic
import symbolic.ops.blas
from symbolic.rewriting.pipeline import registered_rules
registered_rules()
print(sorted(m for m in sys.modules if m.startswith("scipy.linalg")))
"""


def test_blas_module_defers_scipy_linalg():
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"

"""The runtime's BLAS: numpy's bundled ILP64 OpenBLAS or scipy's cython_blas."""

import os
import subprocess
import sys

import pytest

from symbolic.backends.c.runtime import runtime

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

SCRIPT = """
import numpy
import symbolic
import symbolic.tensor as T
from symbolic.backends.c.runtime import runtime
rng = numpy.random.RandomState(0)
for dtype in ("float32", "float64"):
    x, y, z = T.matrix(dtype=dtype), T.matrix(dtype=dtype), T.matrix(dtype=dtype)
    v = T.vector(dtype=dtype)
    f = symbolic.function(
        [x, y, z, v],
        [T.dot(x, y), z * 2 + T.dot(x, y) * 3, T.dot(x, v), T.dot(v, v), T.dot(x.T, z)],
    )
    a, b = rng.rand(5, 7).astype(dtype), rng.rand(7, 4).astype(dtype)
    c, w = rng.rand(5, 4).astype(dtype), rng.rand(7).astype(dtype)
    got = f(a, b, c, w)
    want = [a @ b, c * 2 + (a @ b) * 3, a @ w, w @ w, a.T @ c]
    for g, r in zip(got, want):
        assert numpy.allclose(g, r, rtol=1e-5), (g, r)
print(runtime.load().blas_source())
"""


def _run(source):
    env = dict(os.environ, SYMBOLIC_FLAGS=f"blas__source={source}")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_scipy_blas_gives_the_same_products():
    assert _run("scipy") == "scipy"


@pytest.mark.skipif(
    runtime.numpy_blas_addresses() is None, reason="numpy bundles no ILP64 OpenBLAS"
)
def test_numpy_bundled_blas_gives_the_same_products():
    assert _run("numpy") == "ilp64"
    assert _run("auto") == "ilp64"

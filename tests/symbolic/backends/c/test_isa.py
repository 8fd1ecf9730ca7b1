"""config.cpu__isa = avx2: the compiled code of an AVX-512 machine made AVX2 only."""

import os
import platform
import subprocess
import sys

import pytest

from symbolic.backends.c import build
from symbolic.config import change_flags

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


needs_avx2 = pytest.mark.skipif(
    platform.machine() != "x86_64" or not {"avx2", "fma"} <= _cpu_flags(),
    reason="an x86-64 CPU with AVX2 and FMA is needed",
)


def test_native_builds_keep_march_native():
    assert "-march=native" in build.build_flags()
    assert "-DSYMBOLIC_ISA_AVX2" not in build.build_flags()


def test_avx2_builds_target_x86_64_v3():
    with change_flags(cpu__isa="avx2"):
        flags = build.build_flags(("-DEXTRA",))
    assert "-march=native" not in flags
    assert flags.index("-march=x86-64-v3") < flags.index("-DEXTRA")
    assert "-DSYMBOLIC_ISA_AVX2" in flags


def test_unknown_isa_is_refused():
    with pytest.raises(ValueError, match="cpu__isa"):
        with change_flags(cpu__isa="sse9"):
            pass


def test_llvm_features_leave_avx512_out():
    jit = pytest.importorskip("symbolic.backends.llvm.jit")
    with change_flags(cpu__isa="avx2"):
        features = jit.host_features().split(",")
    assert not [f for f in features if f.startswith("+avx512")]


SCRIPT = """
import numpy
import symbolic
import symbolic.tensor as T
from symbolic.backends.c.runtime import runtime
from symbolic.config import change_flags
rng = numpy.random.RandomState(0)
x, y = T.fmatrix("x"), T.fmatrix("y")
with change_flags(compile__background=False):
    f = symbolic.function([x, y], [T.dot(x, y), T.tanh(x) * 2 + T.exp(y.T)])
a, b = rng.rand(37, 37).astype("float32"), rng.rand(37, 37).astype("float32")
product, mixed = f(a, b)
assert numpy.allclose(product, a @ b, rtol=1e-4)
assert numpy.allclose(mixed, numpy.tanh(a) * 2 + numpy.exp(b.T), rtol=1e-5)
# A recurrent product: the packed kernel, AVX2 version.
h0, w = rng.randn(13, 70).astype("float32"), rng.randn(70, 70).astype("float32") * 0.1
H0, W = T.fmatrix("h0"), T.fmatrix("W")
out, _ = symbolic.scan(lambda h, W: T.tanh(T.dot(h, W)), outputs_info=[H0],
                       non_sequences=[W], n_steps=3)
module = runtime.load()
before = module.packed_products()
got = symbolic.function([H0, W], out)(h0, w)
want, h = [], h0
for _ in range(3):
    h = numpy.tanh(h @ w)
    want.append(h)
assert numpy.allclose(got, want, rtol=1e-4, atol=1e-5)
assert module.packed_products() - before == 3
# Thin products: the blocked kernel's AVX2 version (rows in place, x^T's
# columns packed into tiles, a last partial tile, a masked last vector,
# Gemm's beta); a wide one over x^T's columns stays with BLAS.
X, D = T.fmatrix("X"), T.fmatrix("D")
V = symbolic.shared(rng.randn(701, 50).astype("float32"), name="V")
thin = symbolic.function([X, D], [T.dot(X, V), T.dot(X.T, D)[:, :50] + V * 2])
wide = symbolic.function([X, D], T.dot(X.T, D))
xv, dv = rng.rand(301, 701).astype("float32"), rng.rand(301, 60).astype("float32")
before = module.blocked_products()
got_rows, got_cols = thin(xv, dv)
assert module.blocked_products() - before == 2
vv = V.get_value()
assert numpy.allclose(got_rows, xv @ vv, rtol=1e-4, atol=1e-3)
assert numpy.allclose(got_cols, (xv.T @ dv)[:, :50] + vv * 2, rtol=1e-4, atol=1e-3)
dw = rng.rand(301, 100).astype("float32")
before = module.blocked_products()
assert numpy.allclose(wide(xv, dw), xv.T @ dw, rtol=1e-4, atol=1e-3)
assert module.blocked_products() == before
# A wide product whose rows of X are read in place: the AVX2 kernel.
wv = rng.rand(701, 100).astype("float32")
before = module.blocked_products()
in_place = symbolic.function([X, D], T.dot(X, D))
assert numpy.allclose(in_place(xv, wv), xv @ wv, rtol=1e-4, atol=1e-3)
assert module.blocked_products() - before == 1
# The AVX2 kernel is the only one here: the 16-lane one cannot be forced.
assert module.blocked_kernel() == "avx2"
try:
    module.use_blocked_kernel("avx512")
except ValueError as exc:
    assert "needs a CPU" in str(exc)
else:
    raise AssertionError("use_blocked_kernel('avx512') accepted without AVX-512")
print(module.packed_isa(), runtime.installed_path() == module.__file__)
"""


@needs_avx2
@pytest.mark.skipif(not build.config.cxx, reason="no C compiler configured")
def test_avx2_run_builds_its_own_runtime_and_computes_the_same():
    env = dict(os.environ, SYMBOLIC_FLAGS="cpu__isa=avx2")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    isa, installed = done.stdout.split()
    assert isa == "avx2"
    assert installed == "False"


@needs_avx2
@pytest.mark.skipif(not build.config.cxx, reason="no C compiler configured")
def test_avx2_narrow_softmax_crossentropy_agrees_with_perform():
    """The AVX2 rows of at most 16 logits (whole-row loads and spilling
    stores): the C-ops test of the narrow rows, run by the AVX2 runtime."""
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4))
    env = dict(os.environ, SYMBOLIC_FLAGS="cpu__isa=avx2")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (repo, env.get("PYTHONPATH")) if p)
    test = os.path.join(os.path.dirname(__file__), "test_c_ops.py")
    check = (
        "from symbolic.backends.c.runtime import runtime;"
        "print(runtime.load().packed_isa())"
    )
    isa = subprocess.run(
        [sys.executable, "-c", check], env=env, capture_output=True, text=True
    )
    assert isa.returncode == 0, isa.stderr
    assert isa.stdout.split()[-1] == "avx2"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore",
            test,
            "-k",
            "narrow_float32_rows",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=repo,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "60 passed" in done.stdout

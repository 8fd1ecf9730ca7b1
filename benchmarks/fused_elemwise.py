"""A fused elementwise expression on two 10^7-element float32 arrays.

Workload: ``tanh(x*y + 0.5) * sigmoid(y) - x**2``. Prints, in one run, the
best-of-N milliseconds per evaluation of ours and of every peer that imports
(plain numpy, PyTensor default and C backends, PyTorch CPU eager, JAX jit),
the ratios ours / peer, the memory-bandwidth floor (numpy ``add`` of the two
arrays into a preallocated output: the same bytes read and written, no
math), and the largest difference from a float64 numpy reference.

Run: ``python benchmarks/fused_elemwise.py [n]``.
"""

import os
import sys
import time

import numpy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)


def best_ms(fn, repeat=10):
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def numpy_expr(x, y):
    return numpy.tanh(x * y + numpy.float32(0.5)) * (1 / (1 + numpy.exp(-y))) - x**2


def ours(x, y):
    import symbolic
    import symbolic.tensor as T
    from symbolic.tensor.nnet import sigmoid

    a, b = T.fvector("x"), T.fvector("y")
    f = symbolic.function([a, b], T.tanh(a * b + 0.5) * sigmoid(b) - a**2)
    return lambda: f(x, y)


def peers(x, y):
    found, missing = {"numpy": lambda: numpy_expr(x, y)}, []
    try:
        import pytensor
        import pytensor.tensor as pt

        a, b = pt.fvector("x"), pt.fvector("y")
        expr = pt.tanh(a * b + 0.5) * pt.sigmoid(b) - a**2
        f_default = pytensor.function([a, b], expr)
        f_c = pytensor.function(
            [a, b], expr, mode=pytensor.compile.mode.Mode(linker="cvm")
        )
        found["PyTensor default"] = lambda: f_default(x, y)
        found["PyTensor C"] = lambda: f_c(x, y)
    except Exception as exc:
        missing.append(f"pytensor ({type(exc).__name__})")
    try:
        import torch

        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        found["PyTorch eager"] = lambda: (
            torch.tanh(tx * ty + 0.5) * torch.sigmoid(ty) - tx**2
        )
    except Exception as exc:
        missing.append(f"torch ({type(exc).__name__})")
    try:
        import jax
        import jax.numpy as jnp

        jf = jax.jit(lambda a, b: jnp.tanh(a * b + 0.5) * jax.nn.sigmoid(b) - a**2)
        jx, jy = jnp.asarray(x), jnp.asarray(y)
        found["JAX jit"] = lambda: jf(jx, jy).block_until_ready()
    except Exception as exc:
        missing.append(f"jax ({type(exc).__name__})")
    return found, missing


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10**7
    rng = numpy.random.RandomState(0)
    x = rng.uniform(-3, 3, n).astype("float32")
    y = rng.uniform(-3, 3, n).astype("float32")
    out = numpy.empty_like(x)

    times = {}
    run_ours = ours(x, y)
    times["ours"] = best_ms(run_ours)
    found, missing = peers(x, y)
    for name, fn in found.items():
        times[name] = best_ms(fn)
    floor = best_ms(lambda: numpy.add(x, y, out=out))

    reference = numpy_expr(x.astype("float64"), y.astype("float64"))
    error = float(numpy.max(numpy.abs(run_ours() - reference)))

    print(f"tanh(x*y + 0.5) * sigmoid(y) - x**2, n={n}, float32 (ms, best of 10)")
    for name, ms in times.items():
        print(f"  {name:18s} {ms:9.2f} ms")
    print(f"  {'bandwidth floor':18s} {floor:9.2f} ms  (numpy add into a buffer)")
    print("ratios (ours / peer):")
    for name, ms in times.items():
        if name != "ours":
            print(f"  ours / {name:18s} {times['ours'] / ms:6.2f}")
    print(f"max |ours - float64 reference| = {error:.3g}")
    if missing:
        print("not importable (skipped):", ", ".join(missing))


if __name__ == "__main__":
    main()

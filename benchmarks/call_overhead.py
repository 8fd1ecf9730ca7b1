"""Microseconds per call of f(x) = x + 1 on a 0-d float64, ours and peers.

Peers (optional): PyTensor (default and C backends), PyTorch, JAX, and a
plain Python function. Prints each figure and the ratio ours / peer.
"""

import os
import sys
import timeit

import numpy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)


def _per_call_us(fn, arg, number=20000, repeat=5):
    fn(arg)
    best = min(timeit.repeat(lambda: fn(arg), number=number, repeat=repeat))
    return best / number * 1e6


def ours(trust_input=False):
    import symbolic
    import symbolic.tensor as T

    x = T.dscalar("x")
    f = symbolic.function([x], x + 1)
    f.trust_input = trust_input
    return f, numpy.asarray(1.0)


def peers():
    found, missing = {}, []

    def plain(x):
        return x + 1

    found["plain Python"] = (plain, numpy.asarray(1.0))
    try:
        import pytensor
        import pytensor.tensor as pt

        x = pt.dscalar("x")
        found["PyTensor (default)"] = (
            pytensor.function([x], x + 1),
            numpy.asarray(1.0),
        )
        fc = pytensor.function([x], x + 1, mode="FAST_RUN")
        found["PyTensor C"] = (
            pytensor.function(
                [x], x + 1, mode=pytensor.compile.mode.Mode(linker="cvm")
            ),
            numpy.asarray(1.0),
        )
        del fc
    except Exception as exc:  # an optional peer may be absent or broken
        missing.append(f"pytensor ({type(exc).__name__})")
    try:
        import torch

        found["PyTorch"] = (lambda t: t + 1, torch.tensor(1.0, dtype=torch.float64))
    except Exception as exc:
        missing.append(f"torch ({type(exc).__name__})")
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        found["JAX jit"] = (jax.jit(lambda t: t + 1), numpy.asarray(1.0))
    except Exception as exc:
        missing.append(f"jax ({type(exc).__name__})")
    return found, missing


def main():
    results = {}
    fn, arg = ours()
    results["ours"] = _per_call_us(fn, arg)
    fn, arg = ours(trust_input=True)
    results["ours (trust_input)"] = _per_call_us(fn, arg)
    found, missing = peers()
    for name, (fn, arg) in found.items():
        results[name] = _per_call_us(fn, arg)
    print("call overhead of f(x) = x + 1 (microseconds per call, best of 5)")
    for name, us in results.items():
        print(f"  {name:22s} {us:8.2f} us")
    print("ratios (ours / peer):")
    for name, us in results.items():
        if not name.startswith("ours"):
            print(f"  ours / {name:22s} {results['ours'] / us:6.2f}")
    if missing:
        print("not importable (skipped):", ", ".join(missing))


if __name__ == "__main__":
    main()

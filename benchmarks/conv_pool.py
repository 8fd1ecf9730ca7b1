"""conv2d + 2x2 max pool, forward and backward, against PyTorch, PyTensor and JAX.

Workload (float32): input (32, 3, 32, 32), 64 filters of 3x3 ('valid'
convolution, output (32, 64, 30, 30)), 2x2 max pooling with ignore_border;
the cost is the sum of the pooled output and each step computes its
gradients with respect to the input and the filters.  For each engine the
script prints the compile time, the median step time and the ratio
ours / peer; peers that do not import are listed as such.

PyTensor 3 has no conv2d or pool op any more: its peer is written the way a
user would today, with ``signal.convolve2d`` broadcast over batch, filters
and channels, then a reshape-and-max pool.

Run: ``python benchmarks/conv_pool.py [--steps N] [--skip pytensor,jax]``.
On a machine shared with other work, pin every engine to one BLAS thread
(``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1``), or the
ratios measure contention.
"""

import argparse
import os
import statistics
import sys
import time

import numpy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

BATCH, CHANNELS, SIZE, FILTERS, KERNEL, POOL = 32, 3, 32, 64, 3, 2


def make_data(seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(BATCH, CHANNELS, SIZE, SIZE).astype("float32")
    w = (rng.randn(FILTERS, CHANNELS, KERNEL, KERNEL) * 0.1).astype("float32")
    return x, w


def median_seconds(step, n, budget=20.0):
    """Median of ``n`` timed steps; slow engines stop after ``budget`` seconds."""
    step()
    times = []
    while len(times) < n and (len(times) < 3 or sum(times) < budget):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# Engines: each returns (compile seconds, step callable returning (gx, gw)) --------
def build_ours(x, w):
    import symbolic
    from symbolic import tensor
    from symbolic.tensor.nnet import conv2d
    from symbolic.tensor.signal.pool import pool_2d

    start = time.perf_counter()
    X = tensor.ftensor4("X")
    W = tensor.ftensor4("W")
    # Cross-correlation, as the peers compute.
    y = conv2d(X, W, filter_flip=False)
    cost = pool_2d(y, (POOL, POOL), ignore_border=True).sum()
    f = symbolic.function([X, W], symbolic.grad(cost, [X, W]))
    f(x, w)
    return time.perf_counter() - start, lambda: f(x, w)


def build_torch(x, w):
    import torch

    start = time.perf_counter()
    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(w).requires_grad_()

    def step():
        xt.grad = wt.grad = None
        y = torch.nn.functional.conv2d(xt, wt)
        torch.nn.functional.max_pool2d(y, POOL).sum().backward()
        return xt.grad.numpy(), wt.grad.numpy()

    step()
    return time.perf_counter() - start, step


def build_pytensor(x, w, linker):
    import pytensor
    import pytensor.tensor as pt
    from pytensor.tensor.signal import convolve2d

    start = time.perf_counter()
    X = pt.tensor4("X", dtype="float32")
    W = pt.tensor4("W", dtype="float32")
    # (B, 1, C, H, W) with (1, F, C, kh, kw): one 2-D correlation per pair.
    flipped = W[:, :, ::-1, ::-1]
    per_channel = convolve2d(X[:, None], flipped[None], mode="valid")
    y = per_channel.sum(axis=2)
    half = (SIZE - KERNEL + 1) // POOL
    pooled = y.reshape((BATCH, FILTERS, half, POOL, half, POOL)).max(axis=(3, 5))
    cost = pooled.sum()
    mode = pytensor.compile.mode.get_default_mode()
    if linker is not None:
        mode = pytensor.compile.mode.Mode(linker=linker, optimizer="fast_run")
    f = pytensor.function([X, W], pytensor.grad(cost, [X, W]), mode=mode)
    f(x, w)
    return time.perf_counter() - start, lambda: f(x, w)


def build_jax(x, w):
    import jax
    import jax.numpy as jnp

    start = time.perf_counter()

    def cost(xv, wv):
        y = jax.lax.conv_general_dilated(xv, wv, (1, 1), "VALID")
        pooled = jax.lax.reduce_window(
            y, -jnp.inf, jax.lax.max, (1, 1, POOL, POOL), (1, 1, POOL, POOL), "VALID"
        )
        return pooled.sum()

    grad = jax.jit(jax.grad(cost, argnums=(0, 1)))
    xj, wj = jnp.asarray(x), jnp.asarray(w)

    def step():
        gx, gw = grad(xj, wj)
        gx.block_until_ready()
        gw.block_until_ready()
        return gx, gw

    step()
    return time.perf_counter() - start, step


def peer_builders(skip):
    candidates = {
        "PyTorch": ("torch", build_torch),
        "PyTensor (default)": ("pytensor", lambda x, w: build_pytensor(x, w, None)),
        "PyTensor C": ("pytensor", lambda x, w: build_pytensor(x, w, "cvm")),
        "JAX jit": ("jax", build_jax),
    }
    found, missing = {}, []
    for name, (module, builder) in candidates.items():
        if module in skip:
            missing.append(f"{name} (skipped)")
            continue
        try:
            __import__(module)
        except Exception as exc:  # an optional peer may be absent or broken
            missing.append(f"{name} ({type(exc).__name__}: {exc})")
            continue
        found[name] = builder
    return found, missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--skip", default="", help="comma-separated: pytensor,jax")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    x, w = make_data()

    compile_s, step = build_ours(x, w)
    results = {"ours": (compile_s, median_seconds(step, args.steps))}
    reference = step()
    builders, missing = peer_builders(skip)
    for name, builder in builders.items():
        try:
            compile_s, peer_step = builder(x, w)
        except Exception as exc:  # report a broken peer and go on
            missing.append(f"{name} ({type(exc).__name__}: {exc})")
            continue
        got = peer_step()
        for ours, theirs in zip(reference, got):
            numpy.testing.assert_allclose(
                ours, numpy.asarray(theirs), rtol=1e-3, atol=1e-3
            )
        results[name] = (compile_s, median_seconds(peer_step, args.steps))

    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(
        f"conv2d {BATCH}x{CHANNELS}x{SIZE}x{SIZE} * {FILTERS}x{CHANNELS}x{KERNEL}x"
        f"{KERNEL} + {POOL}x{POOL} max pool, forward + backward, float32 "
        f"(OMP_NUM_THREADS={threads})"
    )
    print(f"  {'engine':20s} {'step ms':>9s} {'compile s':>10s}")
    for name, (compile_s, seconds) in results.items():
        print(f"  {name:20s} {seconds * 1e3:9.2f} {compile_s:10.3f}")
    print("ratios (ours / peer, step time):")
    ours_s = results["ours"][1]
    for name, (_, seconds) in results.items():
        if name != "ours":
            print(f"  ours / {name:20s} {ours_s / seconds:6.2f}")
    if missing:
        print("not importable or failed (skipped):", "; ".join(missing))


if __name__ == "__main__":
    main()

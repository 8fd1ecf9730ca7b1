"""Float32 matrix products of training-step shapes: our blocked kernel against BLAS.

For each shape (m, k, n) the script times ``dot(x, y)`` compiled by our C
backend twice in the same process: with the blocked kernel allowed
(what the dispatch picks) and with every product sent to BLAS
(``use_blocked_products(False)``), and prints the ratio.  Numpy's ``@`` and
PyTorch's ``mm`` run on the same operands when they import.  ``T`` marks a
left operand read transposed in place (a weight gradient's ``x.T``).

The shapes are those of the benchmarks: the tutorial MLP (784-100-10, batch
256), LeNet's dense layers (batch 500), and a grid of small and thin ones
around the dispatch thresholds.  Best of several rounds, engines alternated.

Run: ``python benchmarks/gemm_shapes.py``.
"""

import os
import sys
import time

import numpy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

SHAPES = [
    # (m, k, n, left operand transposed)
    (256, 784, 100, False),  # MLP: dot(x, W1)
    (784, 256, 100, True),  # MLP: x.T @ d_hidden
    (256, 100, 10, False),  # MLP: thin products
    (256, 10, 100, False),
    (100, 256, 10, True),
    (1000, 100, 10, False),
    (500, 800, 500, False),  # LeNet: dense layer
    (800, 500, 500, True),
    (500, 500, 10, False),
    (64, 64, 64, False),
    (128, 128, 64, False),
    (64, 512, 64, False),
    (256, 256, 32, False),
    (256, 512, 16, False),
    (512, 512, 64, False),
    (1000, 256, 10, False),
    (16, 1024, 128, False),
    (32, 256, 32, False),
    (128, 128, 16, False),
    (128, 16, 128, False),
    (1024, 1024, 1024, False),
]


def best_of(fn, *args, rounds=7):
    """Seconds per call of ``fn(*args)``: the best of ``rounds`` timed loops."""
    fn(*args)
    start = time.perf_counter()
    fn(*args)
    calls = max(3, min(2000, int(0.01 / max(time.perf_counter() - start, 1e-7))))
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn(*args)
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def main():
    import symbolic
    import symbolic.tensor as T
    from symbolic.backends.c.runtime import runtime

    rt = runtime.load()
    print(f"CPU ISA: {rt.packed_isa()}; blocked kernel: {rt.blocked_kernel()}")
    try:
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
    except ImportError:
        torch = None
        print("PyTorch: not importable, skipped")
    rng = numpy.random.RandomState(0)
    header = f"{'m':>5} {'k':>5} {'n':>5} T  {'blocked':>9} {'BLAS':>9} {'ratio':>6}"
    header += f" {'numpy':>9}" + (f" {'torch':>9}" if torch else "")
    print(header + "   (microseconds)")
    for m, k, n, transposed in SHAPES:
        x = T.fmatrix("x")
        y = T.fmatrix("y")
        left = x.T if transposed else x
        f = symbolic.function([x, y], T.dot(left, y))
        xv = rng.rand(*((k, m) if transposed else (m, k))).astype("float32")
        yv = rng.rand(k, n).astype("float32")
        lv = xv.T if transposed else xv
        expected = lv @ yv
        times = {"blocked": float("inf"), "BLAS": float("inf")}
        for _ in range(3):
            for name, flag in (("blocked", True), ("BLAS", False)):
                rt.use_blocked_products(flag)
                got = f(xv, yv)
                numpy.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3 * k)
                times[name] = min(times[name], best_of(f, xv, yv))
        rt.use_blocked_products(True)
        line = f"{m:5d} {k:5d} {n:5d} {'T' if transposed else ' '}"
        line += f"  {times['blocked'] * 1e6:9.1f} {times['BLAS'] * 1e6:9.1f}"
        line += f" {times['blocked'] / times['BLAS']:6.2f}"
        line += f" {best_of(numpy.matmul, lv, yv) * 1e6:9.1f}"
        if torch is not None:
            tl, ty = torch.from_numpy(numpy.ascontiguousarray(xv)), torch.from_numpy(yv)
            tl = tl.T if transposed else tl
            line += f" {best_of(torch.mm, tl, ty) * 1e6:9.1f}"
        print(line)


if __name__ == "__main__":
    main()

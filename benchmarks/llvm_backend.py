"""The tutorial MLP epoch with linker='llvm' against linker='c', one process.

Workload: :mod:`mlp_epoch`'s (784-100-10 MLP, batch 256, 235 SGD steps,
float32).  Both functions are compiled from the same graph; epochs are
interleaved (c, llvm, c, llvm...) so that a busy machine slows both alike,
and the best epoch of each is kept.  Prints the epoch times and the ratio
llvm / c; the issue asks for at most 1.3.

Run: ``python benchmarks/llvm_backend.py [--repeat N]``.
"""

import argparse
import os
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mlp_epoch  # noqa: E402


def compile_train(linker):
    """The training function with ``linker``; seconds from graph to first result."""
    import symbolic

    x, y = mlp_epoch.make_data()
    start = time.perf_counter()
    train = mlp_epoch.build_ours(symbolic.Mode(linker=linker, optimizer="fast_run"))
    train(x[: mlp_epoch.BATCH], y[: mlp_epoch.BATCH])
    return train, time.perf_counter() - start


def one_epoch(train, x, y):
    start = time.perf_counter()
    for xb, yb in mlp_epoch.batches(x, y):
        train(xb, yb)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="epochs per linker")
    args = parser.parse_args()
    x, y = mlp_epoch.make_data()
    linkers = ("c", "llvm")
    trains, first = {}, {}
    for linker in linkers:
        trains[linker], first[linker] = compile_train(linker)
    print("VMs:", ", ".join(f"{k}={type(f.vm).__name__}" for k, f in trains.items()))
    epochs = {linker: [] for linker in linkers}
    for _ in range(args.repeat):
        for linker in linkers:
            epochs[linker].append(one_epoch(trains[linker], x, y))
    shape = f"{mlp_epoch.N_IN}-{mlp_epoch.N_HID}-{mlp_epoch.N_OUT}"
    print(f"MLP epoch: {shape}, batch {mlp_epoch.BATCH}, {mlp_epoch.STEPS} steps")
    for linker in linkers:
        times = sorted(epochs[linker])
        print(
            f"  linker={linker:5s} best {times[0]:7.3f} s  median "
            f"{times[len(times) // 2]:7.3f} s  first result {first[linker]:6.3f} s"
        )
    best = {linker: min(times) for linker, times in epochs.items()}
    pairs = [ll / c for c, ll in zip(epochs["c"], epochs["llvm"])]
    print(
        f"ratio llvm / c: best {best['llvm'] / best['c']:.2f}, "
        f"median of interleaved pairs {sorted(pairs)[len(pairs) // 2]:.2f}"
    )


if __name__ == "__main__":
    main()

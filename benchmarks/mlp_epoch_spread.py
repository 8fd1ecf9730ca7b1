"""Where the MLP epoch's time goes, in its fast epochs and its slow ones.

``mlp_epoch.py`` reports the best of five rounds.  On a machine shared with
other work the epochs spread widely, and the ratio to a peer depends on
which engine met a quiet stretch.  This script alternates epochs of ours
and of the numpy peer for a while, then prints:

- the spread of each engine's epochs (min, quartiles, 90th percentile) and
  of the paired ratio ours / numpy (each of our epochs against the numpy
  epoch just before it);
- the ratio of the best epochs within consecutive groups of five pairs,
  the figure one ``mlp_epoch.py`` run would have reported;
- ours per node, averaged over the fastest quarter of our epochs and over
  the slowest quarter, so the nodes that slow down (and by how much) show.

Ours runs with ``profile=True``: each node is timed, which costs a few
microseconds a step over the plain epoch.

Run: ``python benchmarks/mlp_epoch_spread.py [seconds] [--avx2]`` (60 s by
default; ``--avx2`` holds every library to AVX2 as ``mlp_epoch.py`` does).
"""

import os
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)

import mlp_epoch  # noqa: E402  (puts the repository root on the path)

#: Nodes listed for the fast and slow quarters.
NODES_SHOWN = 12
#: Pairs per group in the best-of-group ratios (mlp_epoch.py's rounds).
GROUP = mlp_epoch.ROUNDS


def quantiles(values):
    v = sorted(values)
    n = len(v)
    return {
        "min": v[0],
        "p25": v[n // 4],
        "median": v[n // 2],
        "p75": v[3 * n // 4],
        "p90": v[9 * n // 10],
    }


def profiled_ours():
    """Our training function, compiled with per-node timing."""
    import symbolic

    plain = symbolic.function

    def with_profile(*args, **kwargs):
        kwargs["profile"] = True
        return plain(*args, **kwargs)

    symbolic.function = with_profile
    try:
        return mlp_epoch.build_ours()
    finally:
        symbolic.function = plain


def run(seconds):
    x, y = mlp_epoch.make_data()
    ours = profiled_ours()
    ours(x[: mlp_epoch.BATCH], y[: mlp_epoch.BATCH])
    numpy_step, _ = mlp_epoch.numpy_step_factory()
    profile = ours.profile
    pairs = []  # (ours seconds, numpy seconds, {node: seconds})
    end = time.time() + seconds
    while time.time() < end or len(pairs) < 4:
        time.sleep(mlp_epoch.SETTLE)
        theirs = mlp_epoch.epoch_seconds(numpy_step, None, x, y)
        time.sleep(mlp_epoch.SETTLE)
        before = dict(profile.apply_time)
        mine = mlp_epoch.epoch_seconds(ours, None, x, y)
        nodes = {n: t - before.get(n, 0.0) for n, t in profile.apply_time.items()}
        pairs.append((mine, theirs, nodes))
    return pairs


def report(pairs):
    print(f"MLP epoch spread: {len(pairs)} pairs of epochs, ours then numpy by hand")
    for label, values in (
        ("ours", [p[0] for p in pairs]),
        ("numpy (by hand)", [p[1] for p in pairs]),
    ):
        q = quantiles(values)
        cells = "  ".join(f"{k} {v * 1e3:6.1f}" for k, v in q.items())
        print(f"  {label:16s} ms: {cells}")
    q = quantiles([mine / theirs for mine, theirs, _ in pairs])
    print("  ours / numpy, paired: " + "  ".join(f"{k} {v:.2f}" for k, v in q.items()))
    groups = []
    for i in range(0, len(pairs) - GROUP + 1, GROUP):
        group = pairs[i : i + GROUP]
        groups.append(min(p[0] for p in group) / min(p[1] for p in group))
    groups.sort()
    if groups:
        print(
            f"  best of {GROUP} / best of {GROUP}, per group (sorted): "
            + " ".join(f"{g:.2f}" for g in groups)
        )
    ranked = sorted(pairs, key=lambda p: p[0])
    quarter = max(1, len(ranked) // 4)
    fast, slow = ranked[:quarter], ranked[-quarter:]

    def mean_nodes(chosen):
        total = {}
        for _, _, nodes in chosen:
            for node, seconds in nodes.items():
                total[node] = total.get(node, 0.0) + seconds / len(chosen)
        return total

    fast_nodes, slow_nodes = mean_nodes(fast), mean_nodes(slow)
    print(
        f"ours per node, ms per epoch: fastest quarter (epoch "
        f"{sum(p[0] for p in fast) / len(fast) * 1e3:.1f} ms) and slowest quarter "
        f"({sum(p[0] for p in slow) / len(slow) * 1e3:.1f} ms)"
    )
    shown = sorted(slow_nodes, key=lambda n: -slow_nodes[n])[:NODES_SHOWN]
    for node in shown:
        print(
            f"  {str(node)[:58]:58s} {fast_nodes.get(node, 0.0) * 1e3:7.2f} "
            f"{slow_nodes[node] * 1e3:7.2f}"
        )
    rest_fast = sum(v for n, v in fast_nodes.items() if n not in shown)
    rest_slow = sum(v for n, v in slow_nodes.items() if n not in shown)
    print(f"  {'(the other nodes)':58s} {rest_fast * 1e3:7.2f} {rest_slow * 1e3:7.2f}")


if __name__ == "__main__":
    if "--avx2" in sys.argv and not os.environ.get("MLP_EPOCH_AVX2"):
        mlp_epoch.restart_as_avx2()
    if os.environ.get("MLP_EPOCH_AVX2"):
        print("held to AVX2: cpu__isa=avx2, OPENBLAS_CORETYPE=Haswell, ...")
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    report(run(float(numbers[0]) if numbers else 60.0))

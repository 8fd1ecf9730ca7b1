"""LeNet training step (conv2d + max pooling + MLP) against PyTorch and JAX.

Workload (float32): a batch of 500 MNIST-shaped images (1 x 28 x 28) and
labels; two layers of 5x5 'valid' convolution + bias + ReLU + 2x2 max
pooling (20 then 50 filters), a 500-unit ReLU layer, a 10-way softmax and
the mean negative log-likelihood; one SGD step on every parameter.  Ours is
written with ``conv2d``, ``pool_2d`` and ``grad``.

For each engine the script prints the time to first result (build + compile
+ one step, in this process) and the median step time, the engines' steps
alternating round by round, then the ratio ours / peer.  The row "ours,
perform" is the same function with convolution and pooling left to the ops'
numpy ``perform`` (the C runtime's entries for them switched off), timed in
the same rounds.  Ours is also started in two new processes, one on an
empty compile cache (cold) and one on the cache the first left (warm),
timing ``import symbolic`` + build + compile + one step.  Peers that do not
import are listed as such.

Run: ``python benchmarks/lenet.py [--steps N] [--skip torch,jax]``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy

# Run from a checkout: the repository root goes first on the path.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

BATCH, SIZE, KERNEL, FILTERS, HIDDEN, CLASSES = 500, 28, 5, (20, 50), 500, 10
LR = 0.1
FLAT = FILTERS[1] * 4 * 4  # 28 -> 24 -> 12 -> 8 -> 4


def make_data(seed=0):
    """Images, labels and the initial parameters (W1, b1, W2, b2, W3, b3, W4, b4)."""
    rng = numpy.random.RandomState(seed)
    x = rng.rand(BATCH, 1, SIZE, SIZE).astype("float32")
    y = rng.randint(0, CLASSES, size=BATCH).astype("int64")

    def weights(*shape, fan_in):
        return (rng.randn(*shape) * numpy.sqrt(1.0 / fan_in)).astype("float32")

    params = [
        weights(FILTERS[0], 1, KERNEL, KERNEL, fan_in=KERNEL * KERNEL * 4),
        numpy.zeros(FILTERS[0], "float32"),
        weights(FILTERS[1], FILTERS[0], KERNEL, KERNEL, fan_in=FILTERS[0] * 25),
        numpy.zeros(FILTERS[1], "float32"),
        weights(FLAT, HIDDEN, fan_in=FLAT),
        numpy.zeros(HIDDEN, "float32"),
        weights(HIDDEN, CLASSES, fan_in=HIDDEN),
        numpy.zeros(CLASSES, "float32"),
    ]
    return x, y, params


def time_interleaved(steps, rounds):
    """Median seconds per step of each callable, timed in alternating rounds."""
    times = {key: [] for key in steps}
    for _ in range(rounds):
        for key, step in steps.items():
            step()
            start = time.perf_counter()
            step()
            times[key].append(time.perf_counter() - start)
    return {key: statistics.median(t) for key, t in times.items()}


# Engines: each returns (seconds to first result, step callable returning the loss)
def run_ours():
    start = time.perf_counter()
    import symbolic
    import symbolic.tensor as T
    from symbolic.tensor.nnet import conv2d
    from symbolic.tensor.signal.pool import pool_2d

    x, y, values = make_data()
    X = T.ftensor4("X")
    Y = T.lvector("Y")
    params = [symbolic.shared(v.copy(), name=f"p{i}") for i, v in enumerate(values)]
    W1, b1, W2, b2, W3, b3, W4, b4 = params

    def layer(h, W, b):
        h = conv2d(h, W, filter_flip=False) + b.dimshuffle("x", 0, "x", "x")
        return pool_2d(T.nnet.relu(h), (2, 2), ignore_border=True)

    h = layer(layer(X, W1, b1), W2, b2).flatten(2)
    h = T.nnet.relu(T.dot(h, W3) + b3)
    p = T.nnet.softmax(T.dot(h, W4) + b4)
    loss = T.nnet.categorical_crossentropy(p, Y).mean()
    grads = symbolic.grad(loss, params)
    lr = numpy.float32(LR)
    fn = symbolic.function(
        [X, Y], loss, updates=[(v, v - lr * g) for v, g in zip(params, grads)]
    )
    fn(x, y)
    first = time.perf_counter() - start
    return first, lambda: fn(x, y), params


def run_ours_on_perform():
    """Ours with conv and pool on their ``perform`` (no C runtime entries)."""
    from symbolic.backends.c import lowering
    from symbolic.ops import pool
    from symbolic.ops.conv import abstract_conv

    ops = [
        abstract_conv.AbstractConv2d,
        abstract_conv.AbstractConv2d_gradInputs,
        abstract_conv.AbstractConv2d_gradWeights,
        pool.Pool,
        pool.MaxPoolGrad,
        pool.AveragePoolGrad,
    ]
    saved = {op: lowering.LOWERINGS.pop(op, None) for op in ops}
    try:
        first, step, _ = run_ours()
    finally:
        for op, lower in saved.items():
            if lower is not None:
                lowering.LOWERINGS[op] = lower
    return first, step


def run_torch():
    start = time.perf_counter()
    import torch
    import torch.nn.functional as F

    x, y, values = make_data()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    params = [torch.tensor(v, requires_grad=True) for v in values]
    W1, b1, W2, b2, W3, b3, W4, b4 = params

    def step():
        h = F.max_pool2d(F.relu(F.conv2d(xt, W1, b1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, W2, b2)), 2).flatten(1)
        h = F.relu(h @ W3 + b3)
        loss = F.cross_entropy(h @ W4 + b4, yt)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss.item()

    step()
    return time.perf_counter() - start, step


def run_jax():
    start = time.perf_counter()
    import jax
    import jax.numpy as jnp

    x, y, values = make_data()
    xj, yj = jnp.asarray(x), jnp.asarray(y)

    def pool(h):
        return jax.lax.reduce_window(
            h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID"
        )

    def conv(h, W, b):
        h = jax.lax.conv_general_dilated(h, W, (1, 1), "VALID")
        return pool(jax.nn.relu(h + b[None, :, None, None]))

    def loss_fn(params):
        W1, b1, W2, b2, W3, b3, W4, b4 = params
        h = conv(conv(xj, W1, b1), W2, b2).reshape(BATCH, -1)
        h = jax.nn.relu(h @ W3 + b3)
        logp = jax.nn.log_softmax(h @ W4 + b4)
        return -jnp.take_along_axis(logp, yj[:, None], axis=1).mean()

    @jax.jit
    def train(params):
        loss, grads = jax.value_and_grad(loss_fn)(params)
        return loss, tuple(p - LR * g for p, g in zip(params, grads))

    state = {"params": tuple(jnp.asarray(v) for v in values)}

    def step():
        loss, state["params"] = train(state["params"])
        return float(loss)

    step()
    return time.perf_counter() - start, step


PEERS = {"torch": ("PyTorch", run_torch), "jax": ("JAX jit", run_jax)}


def first_result_in_new_process(compiledir):
    """Seconds from a new process's ``import symbolic`` to its first step's result."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (REPO_ROOT, env.get("PYTHONPATH", "")) if p
    )
    flags = env.get("SYMBOLIC_FLAGS", "")
    env["SYMBOLIC_FLAGS"] = ",".join(
        f for f in (flags, f"compiledir={compiledir}") if f
    )
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--first-result"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def cpu_name():
    try:
        with open("/proc/cpuinfo") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return "unknown CPU"
    name = next((ln.split(":", 1)[1].strip() for ln in lines if "model name" in ln), "")
    flags = next(
        (ln.split(":", 1)[1].split() for ln in lines if ln.startswith("flags")), []
    )
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{name or 'unknown CPU'} ({isa}, {os.cpu_count()} CPUs)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--skip", default="", help="comma-separated: torch,jax,perform")
    parser.add_argument("--first-result", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_result:
        start = time.perf_counter()
        run_ours()
        print(json.dumps({"seconds": time.perf_counter() - start}))
        return
    skip = set(filter(None, args.skip.split(",")))
    print(
        f"LeNet training step: batch {BATCH} x 1 x {SIZE} x {SIZE}, conv {KERNEL}x"
        f"{KERNEL} {FILTERS[0]} + {FILTERS[1]} filters with 2x2 max pooling, "
        f"MLP {HIDDEN}, float32, SGD"
    )
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(f"CPU: {cpu_name()}; OMP_NUM_THREADS={threads}")
    with tempfile.TemporaryDirectory() as compiledir:
        cold = first_result_in_new_process(compiledir)
        warm = first_result_in_new_process(compiledir)
    print(f"ours, new process: first result {cold:.2f} s cold, {warm:.2f} s warm cache")

    first, step, _ = run_ours()
    engines = {"ours": ("ours", first, step)}
    if "perform" not in skip:
        first, step = run_ours_on_perform()
        engines["perform"] = ("ours, perform", first, step)
    missing = []
    reference = engines["ours"][2]()
    for key, (label, runner) in PEERS.items():
        if key in skip:
            missing.append(f"{label} (skipped)")
            continue
        try:
            first, step = runner()
        except ImportError as exc:
            missing.append(f"{label} ({type(exc).__name__}: {exc})")
            continue
        engines[key] = (label, first, step)
        # Same data and parameters: the second steps' losses agree.
        loss = step()
        print(f"  loss of step 2: ours {float(reference):.4f}, {label} {loss:.4f}")
    medians = time_interleaved({k: v[2] for k, v in engines.items()}, args.steps)
    print(f"  {'engine':16s} {'step ms':>9s} {'first result s':>15s}")
    for key, (label, first, _) in engines.items():
        print(f"  {label:16s} {medians[key] * 1e3:9.1f} {first:15.2f}")
    print("ratios (ours / peer, step time):")
    for key, (label, _, _) in engines.items():
        if key != "ours":
            print(f"  ours / {label:16s} {medians['ours'] / medians[key]:6.2f}")
    if missing:
        print("not importable (skipped):", "; ".join(missing))


if __name__ == "__main__":
    main()

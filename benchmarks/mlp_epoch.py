"""The tutorial MLP: one training epoch, and the time to first result.

Workload: 784-100-10 MLP, ReLU hidden layer, softmax + categorical
cross-entropy + L2 (1e-4 on both weight matrices), plain SGD (lr 0.1),
float32, batch 256, 235 steps over 60000 synthetic examples.

Prints, in one run: the epoch time of ours and of every peer that imports
(hand-written numpy, PyTensor default and C backends, PyTorch CPU eager,
JAX jit; the best of five rounds in which the engines take turns, one epoch
each), the ratios ours / peer, the GEMM floor (the epoch's matrix
products alone, timed with numpy), and the time to first result (graph
build + compile + first call) of the training function: ours cold (fresh
compile cache, new process), ours warm (same cache, new process), and the
peers' first-call times in this process.

Run: ``python benchmarks/mlp_epoch.py``.  With ``--avx2`` the whole run
(ours and every peer) restarts as on a CPU without AVX-512: ours with
``cpu__isa=avx2`` (whose first cold process then also builds that runtime
into its empty cache), numpy's OpenBLAS with ``OPENBLAS_CORETYPE=Haswell``,
numpy's own AVX-512 loops disabled, PyTorch with
``ATEN_CPU_CAPABILITY=avx2`` and XLA with ``--xla_cpu_max_isa=AVX2``.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy

# Run from a checkout: the repository root goes first on the path.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

N_EXAMPLES, N_IN, N_HID, N_OUT = 60000, 784, 100, 10
BATCH, LR, L2 = 256, 0.1, 1e-4
STEPS = -(-N_EXAMPLES // BATCH)


def make_data(seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.rand(N_EXAMPLES, N_IN).astype("float32")
    y = rng.randint(0, N_OUT, size=N_EXAMPLES).astype("int32")
    return x, y


def initial_params(seed=1):
    rng = numpy.random.RandomState(seed)
    w1 = (rng.randn(N_IN, N_HID) * 0.01).astype("float32")
    w2 = (rng.randn(N_HID, N_OUT) * 0.01).astype("float32")
    return [w1, numpy.zeros(N_HID, "float32"), w2, numpy.zeros(N_OUT, "float32")]


def batches(x, y):
    for i in range(STEPS):
        yield x[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH]


# ---------------------------------------------------------------- ours


def build_ours(mode=None):
    import symbolic
    import symbolic.tensor as T
    from symbolic.tensor.nnet import categorical_crossentropy, relu, softmax

    w1, b1, w2, b2 = (
        symbolic.shared(v, name=n)
        for v, n in zip(initial_params(), ("W1", "b1", "W2", "b2"))
    )
    x = T.fmatrix("x")
    y = T.ivector("y")
    hidden = relu(T.dot(x, w1) + b1)
    probs = softmax(T.dot(hidden, w2) + b2)
    l2 = numpy.float32(L2) * ((w1**2).sum() + (w2**2).sum())
    loss = categorical_crossentropy(probs, y).mean() + l2
    params = [w1, b1, w2, b2]
    grads = T.grad(loss, params)
    updates = [(p, p - numpy.float32(LR) * g) for p, g in zip(params, grads)]
    return symbolic.function([x, y], loss, updates=updates, mode=mode)


def first_result_ours():
    """Seconds of ``import symbolic``, and from graph build to first result."""
    x, y = make_data()
    start = time.perf_counter()
    import symbolic.tensor.nnet  # noqa: F401

    imported = time.perf_counter()
    train = build_ours()
    train(x[:BATCH], y[:BATCH])
    return {"import": imported - start, "seconds": time.perf_counter() - imported}


def first_result_in_new_process(compiledir):
    env = dict(os.environ)
    flags = env.get("SYMBOLIC_FLAGS", "")
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (REPO_ROOT, env.get("PYTHONPATH", "")) if p
    )
    cache_flag = f"compiledir={compiledir}"
    env["SYMBOLIC_FLAGS"] = ",".join(f for f in (flags, cache_flag) if f)
    out = subprocess.run(
        [sys.executable, __file__, "--first-result"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- peers


def numpy_step_factory():
    w1, b1, w2, b2 = initial_params()
    lr, l2 = numpy.float32(LR), numpy.float32(L2)

    def step(x, y):
        nonlocal w1, b1, w2, b2
        pre = x @ w1 + b1
        hidden = numpy.maximum(pre, 0)
        logits = hidden @ w2 + b2
        logits -= logits.max(axis=1, keepdims=True)
        e = numpy.exp(logits)
        probs = e / e.sum(axis=1, keepdims=True)
        n = x.shape[0]
        loss = -numpy.log(probs[numpy.arange(n), y]).mean() + l2 * (
            (w1 * w1).sum() + (w2 * w2).sum()
        )
        d_logits = probs
        d_logits[numpy.arange(n), y] -= 1
        d_logits /= n
        g_w2 = hidden.T @ d_logits + 2 * l2 * w2
        g_b2 = d_logits.sum(axis=0)
        d_hidden = d_logits @ w2.T
        d_hidden *= pre > 0
        g_w1 = x.T @ d_hidden + 2 * l2 * w1
        g_b1 = d_hidden.sum(axis=0)
        w1 = w1 - lr * g_w1
        b1 = b1 - lr * g_b1
        w2 = w2 - lr * g_w2
        b2 = b2 - lr * g_b2
        return loss

    return step, None


def pytensor_step_factory(mode):
    import pytensor
    import pytensor.tensor as pt
    from pytensor.tensor.special import softmax

    w1, b1, w2, b2 = (pytensor.shared(v) for v in initial_params())
    x = pt.fmatrix("x")
    y = pt.ivector("y")
    hidden = pt.maximum(pt.dot(x, w1) + b1, 0)
    probs = softmax(pt.dot(hidden, w2) + b2, axis=-1)
    loss = -pt.mean(pt.log(probs[pt.arange(y.shape[0]), y])) + numpy.float32(L2) * (
        (w1**2).sum() + (w2**2).sum()
    )
    params = [w1, b1, w2, b2]
    grads = pytensor.grad(loss, params)
    updates = [(p, p - numpy.float32(LR) * g) for p, g in zip(params, grads)]
    return pytensor.function([x, y], loss, updates=updates, mode=mode), None


def torch_step_factory():
    import torch

    params = [torch.tensor(v, requires_grad=True) for v in initial_params()]
    w1, b1, w2, b2 = params

    def step(x, y):
        x = torch.from_numpy(x)
        y = torch.from_numpy(y).long()
        hidden = torch.relu(x @ w1 + b1)
        logits = hidden @ w2 + b2
        loss = torch.nn.functional.cross_entropy(logits, y) + L2 * (
            (w1 * w1).sum() + (w2 * w2).sum()
        )
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss

    return step, None


def jax_step_factory():
    import jax
    import jax.numpy as jnp

    def loss_fn(params, x, y):
        w1, b1, w2, b2 = params
        hidden = jax.nn.relu(x @ w1 + b1)
        logp = jax.nn.log_softmax(hidden @ w2 + b2)
        nll = -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))
        return nll + L2 * (jnp.sum(w1 * w1) + jnp.sum(w2 * w2))

    @jax.jit
    def update(params, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        return [p - LR * g for p, g in zip(params, grads)], loss

    state = {"params": [jnp.asarray(v) for v in initial_params()]}

    def step(x, y):
        state["params"], loss = update(state["params"], x, y)
        return loss

    def sync():
        jax.block_until_ready(state["params"])

    return step, sync


def peer_factories():
    factories = {"numpy (by hand)": numpy_step_factory}
    missing = []
    try:
        import pytensor  # noqa: F401

        factories["PyTensor default"] = lambda: pytensor_step_factory(None)
        factories["PyTensor C"] = lambda: pytensor_step_factory(
            __import__("pytensor").compile.mode.Mode(linker="cvm", optimizer="fast_run")
        )
    except Exception as exc:
        missing.append(f"pytensor ({type(exc).__name__})")
    try:
        import torch  # noqa: F401

        factories["PyTorch eager"] = torch_step_factory
    except Exception as exc:
        missing.append(f"torch ({type(exc).__name__})")
    try:
        import jax  # noqa: F401

        factories["JAX jit"] = jax_step_factory
    except Exception as exc:
        missing.append(f"jax ({type(exc).__name__})")
    return factories, missing


# ---------------------------------------------------------------- timing


#: Rounds of epochs: each round times one epoch of every engine in turn.
ROUNDS = 5
#: Seconds of pause before each timed epoch: BLAS and OpenMP worker threads
#: spin for a while after their last call, and would take a core from the
#: next engine.
SETTLE = 0.25


def epoch_seconds(step, sync, x, y):
    start = time.perf_counter()
    for xb, yb in batches(x, y):
        step(xb, yb)
    if sync is not None:
        sync()
    return time.perf_counter() - start


def interleaved_epochs(engines, x, y, rounds=ROUNDS):
    """The best epoch of each engine over ``rounds`` rounds.

    The engines take turns, one epoch each per round, so a machine whose
    load drifts (shared with other work) slows them alike instead of
    whichever engine happens to run during the slow stretch.
    """
    best = dict.fromkeys(engines, float("inf"))
    for _ in range(rounds):
        for name, (step, sync) in engines.items():
            time.sleep(SETTLE)
            best[name] = min(best[name], epoch_seconds(step, sync, x, y))
    return best


def gemm_floor(x):
    """The epoch's six matrix products per step, alone, with numpy."""
    w1, _, w2, _ = initial_params()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(STEPS):
            xb = x[i * BATCH : (i + 1) * BATCH]
            h = xb @ w1
            o = h @ w2
            _ = h.T @ o
            d = o @ w2.T
            _ = xb.T @ d
        best = min(best, time.perf_counter() - start)
    return best


def main():
    x, y = make_data()
    epochs, first = {}, {}

    with tempfile.TemporaryDirectory() as compiledir:
        cold = first_result_in_new_process(compiledir)
        warm = first_result_in_new_process(compiledir)
    first["ours cold (new process, empty cache)"] = cold["seconds"]
    first["ours warm (new process, disk cache)"] = warm["seconds"]

    start = time.perf_counter()
    train = build_ours()
    train(x[:BATCH], y[:BATCH])
    first["ours (this process)"] = time.perf_counter() - start
    engines = {"ours": (train, None)}

    factories, missing = peer_factories()
    for name, factory in factories.items():
        start = time.perf_counter()
        step, sync = factory()
        step(x[:BATCH], y[:BATCH])
        if sync is not None:
            sync()
        first[name] = time.perf_counter() - start
        engines[name] = (step, sync)
    epochs.update(interleaved_epochs(engines, x, y))
    floor = gemm_floor(x)

    shape = f"{N_IN}-{N_HID}-{N_OUT}"
    print(f"MLP epoch: {shape}, batch {BATCH}, {STEPS} SGD steps, float32")
    for name, seconds in epochs.items():
        print(f"  {name:20s} {seconds:8.3f} s")
    print(f"  {'GEMM floor (numpy)':20s} {floor:8.3f} s")
    print("ratios (ours / peer):")
    for name, seconds in epochs.items():
        if name != "ours":
            print(f"  ours / {name:20s} {epochs['ours'] / seconds:6.2f}")
    fastest = min((s, n) for n, s in epochs.items() if n != "ours")
    print(f"  ours / fastest peer ({fastest[1]}) {epochs['ours'] / fastest[0]:6.2f}")
    print("time to first result (build + compile + first call):")
    for name, seconds in first.items():
        print(f"  {name:40s} {seconds:8.3f} s")
    print(f"  (import symbolic, not included above: {warm['import']:.3f} s)")
    if missing:
        print("not importable (skipped):", ", ".join(missing))


def restart_as_avx2():
    """Run this script again with every library held to AVX2 (never returns)."""
    from numpy._core import _multiarray_umath

    env = dict(os.environ, MLP_EPOCH_AVX2="1")
    flags = env.get("SYMBOLIC_FLAGS", "")
    env["SYMBOLIC_FLAGS"] = ",".join(f for f in (flags, "cpu__isa=avx2") if f)
    env["OPENBLAS_CORETYPE"] = "Haswell"
    env["ATEN_CPU_CAPABILITY"] = "avx2"
    env["XLA_FLAGS"] = " ".join(
        f for f in (env.get("XLA_FLAGS", ""), "--xla_cpu_max_isa=AVX2") if f
    )
    dispatched = getattr(_multiarray_umath, "__cpu_dispatch__", ())
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(
        f for f in dispatched if f.startswith("AVX512")
    )
    args = [a for a in sys.argv if a != "--avx2"]
    os.execve(sys.executable, [sys.executable, *args], env)


if __name__ == "__main__":
    if "--avx2" in sys.argv and not os.environ.get("MLP_EPOCH_AVX2"):
        restart_as_avx2()
    if os.environ.get("MLP_EPOCH_AVX2"):
        print("held to AVX2: cpu__isa=avx2, OPENBLAS_CORETYPE=Haswell, ...")
    if "--first-result" in sys.argv:
        print(json.dumps(first_result_ours()))
    else:
        main()

"""LSTM training step written with scan, against PyTorch, PyTensor and JAX.

Workload (float32): sequence 50, batch 32, input 64, hidden 256; the loss is
the mean of the hidden states; one SGD step on every weight.  For each engine
the script prints the time to first result (build + compile + one step) and
the median step time (the engines' steps alternate, round by round), then
the ratio ours / peer.  Peers that do not import are listed as such.

The LSTM is timed in two formulations.  *Scan* is the step written by hand
(input product inside the step, constant initial states, mean of the
states).  *Brick* is the same LSTM as a Blocks script writes it: a
:class:`~blocks.bricks.Linear` projection ``dot(X, W) + b`` over the whole
sequence, the :class:`~blocks.bricks.recurrent.LSTM` brick without
peepholes starting from ``zeros((X.shape[1], H))``, optionally a mask, and
the mean squared error against a target, under ``floatX=float32``
(``--brick-floatx float64``: the bricks' parameters, and so the step, in
float64).  Its peer is nn.LSTM trained on the same mean squared error.
Ours is also started in two new processes, one on an empty compile cache
(cold) and one on the cache the first left (warm), timing ``import symbolic``
+ build + compile + one step.  The GEMM floor is the step's matrix products
alone (forward and backward recurrent products per step, the input
projection and the two weight gradients), with PyTorch's ``mm`` and with
numpy: no engine doing those products with that library can be faster.

Run: ``python benchmarks/lstm_step.py [--steps N] [--skip pytensor,jax]
[--mask]`` (``--mask`` gives the brick an all-ones mask).
On a machine shared with other work, pin every engine to one BLAS thread
(``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1``): with more
threads than free cores, small matrix products slow down by 30x and the
ratios mean nothing.
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

SEQ, BATCH, N_IN, N_HID = 50, 32, 64, 256
LR = 0.1


def make_data(seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.randn(SEQ, BATCH, N_IN).astype("float32")
    W = (rng.randn(N_IN, 4 * N_HID) * 0.1).astype("float32")
    U = (rng.randn(N_HID, 4 * N_HID) * 0.1).astype("float32")
    b = numpy.zeros(4 * N_HID, dtype="float32")
    return x, W, U, b


def make_target(seed=2):
    rng = numpy.random.RandomState(seed)
    return rng.randn(SEQ, BATCH, N_HID).astype("float32")


def time_interleaved(steps, rounds):
    """Median seconds per step of each callable, timed in alternating rounds.

    On a shared machine the load drifts; alternating the engines gives each
    the same conditions, so the ratios hold even when the times do not.  An
    untimed step first lets the previous engine's worker threads go idle.
    """
    times = {key: [] for key in steps}
    for _ in range(rounds):
        for key, step in steps.items():
            step()
            start = time.perf_counter()
            step()
            times[key].append(time.perf_counter() - start)
    return {key: statistics.median(t) for key, t in times.items()}


# Engines ---------------------------------------------------------------------------
def run_ours():
    start = time.perf_counter()
    import symbolic
    import symbolic.tensor as T

    x, W0, U0, b0 = make_data()
    X = T.ftensor3("X")
    W = symbolic.shared(W0, name="W")
    U = symbolic.shared(U0, name="U")
    b = symbolic.shared(b0, name="b")
    zeros = numpy.zeros((BATCH, N_HID), dtype="float32")

    def step(x_t, h, c):
        z = T.dot(x_t, W) + T.dot(h, U) + b
        i = T.nnet.sigmoid(z[:, :N_HID])
        f = T.nnet.sigmoid(z[:, N_HID : 2 * N_HID])
        o = T.nnet.sigmoid(z[:, 2 * N_HID : 3 * N_HID])
        g = T.tanh(z[:, 3 * N_HID :])
        c_new = f * c + i * g
        return o * T.tanh(c_new), c_new

    (hs, _), _ = symbolic.scan(
        step, sequences=X, outputs_info=[T.constant(zeros), T.constant(zeros)]
    )
    loss = hs.mean()
    params = [W, U, b]
    grads = symbolic.grad(loss, params)
    lr = numpy.float32(LR)
    updates = [(p, p - lr * g) for p, g in zip(params, grads)]
    fn = symbolic.function([X], loss, updates=updates)
    fn(x)
    first = time.perf_counter() - start
    return first, lambda: fn(x)


def run_ours_brick(use_mask=False, floatx="float32"):
    """The Blocks formulation: Linear outside, the LSTM brick, squared error.

    The bricks make their parameters in ``floatX``: under float64 the whole
    step runs in float64 (the input is upcast).
    """
    start = time.perf_counter()
    import symbolic
    import symbolic.tensor as T
    from blocks.bricks import Linear
    from blocks.bricks.recurrent import LSTM
    from blocks.initialization import Constant, IsotropicGaussian
    from symbolic.config import change_flags

    x, _, _, _ = make_data()
    y = make_target()
    mask = numpy.ones((SEQ, BATCH), dtype="float32")
    with change_flags(floatX=floatx):
        X = T.ftensor3("X")
        Y = T.ftensor3("Y")
        M = T.fmatrix("M")
        projection = Linear(
            N_IN,
            4 * N_HID,
            weights_init=IsotropicGaussian(0.1),
            biases_init=Constant(0),
            name="projection",
        )
        lstm = LSTM(
            N_HID,
            peepholes=False,
            learn_initial_states=False,
            weights_init=IsotropicGaussian(0.1),
            name="lstm",
        )
        projection.initialize()
        lstm.initialize()
        kwargs = {"mask": M} if use_mask else {}
        states, _ = lstm.apply(projection.apply(X), **kwargs)
        cost = T.sqr(states - Y).mean()
        params = [projection.W, projection.b, lstm.W_state]
        grads = symbolic.grad(cost, params)
        lr = numpy.float32(LR)
        updates = [(p, p - lr * g) for p, g in zip(params, grads)]
        inputs, args = ([X, Y, M], (x, y, mask)) if use_mask else ([X, Y], (x, y))
        fn = symbolic.function(inputs, cost, updates=updates)
        fn(*args)  # the loops compile their steps on the first call
    first = time.perf_counter() - start
    return first, lambda: fn(*args)


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


def gemm_floor(matmul, convert, rounds=10):
    """Best seconds of one training step's matrix products, alone."""
    rng = numpy.random.RandomState(1)

    def rand(*shape):
        return convert(rng.rand(*shape).astype("float32"))

    h, dz = rand(BATCH, N_HID), rand(BATCH, 4 * N_HID)
    U, x, W = rand(N_HID, 4 * N_HID), rand(SEQ * BATCH, N_IN), rand(N_IN, 4 * N_HID)
    H, dZ = rand(SEQ * BATCH, N_HID), rand(SEQ * BATCH, 4 * N_HID)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        matmul(x, W)  # input projection, all steps at once
        for _ in range(SEQ):
            matmul(h, U)  # forward recurrence
        for _ in range(SEQ):
            matmul(dz, U.T)  # backward recurrence
        matmul(H.T, dZ)  # dU
        matmul(x.T, dZ)  # dW
        best = min(best, time.perf_counter() - start)
    return best


def run_torch_loop():
    start = time.perf_counter()
    import torch

    x, W0, U0, b0 = make_data()
    xt = torch.from_numpy(x)
    W = torch.tensor(W0, requires_grad=True)
    U = torch.tensor(U0, requires_grad=True)
    b = torch.tensor(b0, requires_grad=True)

    def step():
        h = torch.zeros(BATCH, N_HID)
        c = torch.zeros(BATCH, N_HID)
        hs = []
        for t in range(SEQ):
            z = xt[t] @ W + h @ U + b
            i, f, o, g = z.split(N_HID, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            hs.append(h)
        loss = torch.stack(hs).mean()
        loss.backward()
        with torch.no_grad():
            for p in (W, U, b):
                p -= LR * p.grad
                p.grad = None
        return loss

    step()
    first = time.perf_counter() - start
    return first, step


def run_torch_lstm():
    start = time.perf_counter()
    import torch

    x, _, _, _ = make_data()
    xt = torch.from_numpy(x)
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(N_IN, N_HID)
    opt = torch.optim.SGD(lstm.parameters(), lr=LR)

    def step():
        opt.zero_grad()
        out, _ = lstm(xt)
        loss = out.mean()
        loss.backward()
        opt.step()
        return loss

    step()
    first = time.perf_counter() - start
    return first, step


def run_torch_lstm_mse():
    """nn.LSTM trained on the brick formulation's squared error."""
    start = time.perf_counter()
    import torch

    x, _, _, _ = make_data()
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(make_target())
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(N_IN, N_HID)
    opt = torch.optim.SGD(lstm.parameters(), lr=LR)

    def step():
        opt.zero_grad()
        out, _ = lstm(xt)
        loss = ((out - yt) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    step()
    first = time.perf_counter() - start
    return first, step


def run_pytensor():
    start = time.perf_counter()
    import pytensor
    import pytensor.tensor as pt

    x, W0, U0, b0 = make_data()
    X = pt.tensor3("X", dtype="float32")
    W = pytensor.shared(W0)
    U = pytensor.shared(U0)
    b = pytensor.shared(b0)
    zeros = numpy.zeros((BATCH, N_HID), dtype="float32")

    def step(x_t, h, c):
        z = pt.dot(x_t, W) + pt.dot(h, U) + b
        i = pt.sigmoid(z[:, :N_HID])
        f = pt.sigmoid(z[:, N_HID : 2 * N_HID])
        o = pt.sigmoid(z[:, 2 * N_HID : 3 * N_HID])
        g = pt.tanh(z[:, 3 * N_HID :])
        c_new = f * c + i * g
        return o * pt.tanh(c_new), c_new

    (hs, _), _ = pytensor.scan(
        step, sequences=X, outputs_info=[pt.constant(zeros), pt.constant(zeros)]
    )
    loss = hs.mean()
    params = [W, U, b]
    grads = pytensor.grad(loss, params)
    lr = numpy.float32(LR)
    fn = pytensor.function(
        [X], loss, updates=[(p, p - lr * g) for p, g in zip(params, grads)]
    )
    fn(x)
    first = time.perf_counter() - start
    return first, lambda: fn(x)


def run_jax():
    start = time.perf_counter()
    import jax
    import jax.numpy as jnp

    x, W0, U0, b0 = make_data()
    params = (jnp.asarray(W0), jnp.asarray(U0), jnp.asarray(b0))
    xs = jnp.asarray(x)

    def loss_fn(params, xs):
        W, U, b = params

        def cell(carry, x_t):
            h, c = carry
            z = x_t @ W + h @ U + b
            i, f, o, g = jnp.split(z, 4, axis=1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), h

        zeros = jnp.zeros((BATCH, N_HID), dtype=jnp.float32)
        _, hs = jax.lax.scan(cell, (zeros, zeros), xs)
        return hs.mean()

    @jax.jit
    def train(params, xs):
        loss, grads = jax.value_and_grad(loss_fn)(params, xs)
        return loss, tuple(p - LR * g for p, g in zip(params, grads))

    state = {"params": params}

    def step():
        loss, state["params"] = train(state["params"], xs)
        loss.block_until_ready()

    step()
    first = time.perf_counter() - start
    return first, step


PEERS = {
    "torch_loop": ("PyTorch, Python loop", run_torch_loop),
    "torch_lstm": ("PyTorch nn.LSTM", run_torch_lstm),
    "torch_lstm_mse": ("PyTorch nn.LSTM, MSE", run_torch_lstm_mse),
    "pytensor": ("PyTensor scan", run_pytensor),
    "jax": ("JAX lax.scan", run_jax),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--skip", default="", help="comma-separated peer names")
    parser.add_argument("--mask", action="store_true", help="mask the brick")
    parser.add_argument("--brick-floatx", default="float32", help="the bricks' floatX")
    parser.add_argument("--first-result", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_result:
        start = time.perf_counter()
        run_ours()
        print(json.dumps({"seconds": time.perf_counter() - start}))
        return
    skip = set(filter(None, args.skip.split(",")))
    print(
        f"LSTM training step: seq {SEQ}, batch {BATCH}, input {N_IN}, hidden "
        f"{N_HID}, float32, median of {args.steps} interleaved steps"
    )
    with tempfile.TemporaryDirectory() as compiledir:
        cold = first_result_in_new_process(compiledir)
        warm = first_result_in_new_process(compiledir)
    print(f"ours, new process: first result {cold:.2f} s cold, {warm:.2f} s warm cache")
    labels = {"ours": "ours (symbolic.scan)", "brick": "ours (Blocks LSTM brick)"}
    firsts, steps = {}, {}
    firsts["ours"], steps["ours"] = run_ours()
    firsts["brick"], steps["brick"] = run_ours_brick(args.mask, args.brick_floatx)
    for key, (label, runner) in PEERS.items():
        labels[key] = label
        if key in skip:
            print(f"{label:28s} skipped")
            continue
        try:
            firsts[key], steps[key] = runner()
        except ImportError as exc:
            print(f"{label:28s} could not be imported ({exc})")
    medians = time_interleaved(steps, args.steps)
    floors = {"numpy": gemm_floor(numpy.dot, numpy.asarray)}
    try:
        import torch

        floors["PyTorch mm"] = gemm_floor(torch.mm, torch.from_numpy)
    except ImportError:
        pass
    for key, t in medians.items():
        print(f"{labels[key]:28s} first {firsts[key]:8.2f} s   step {t * 1e3:8.2f} ms")
    for name, t in floors.items():
        print(f"{'GEMM floor (' + name + ')':28s}                  {t * 1e3:8.2f} ms")
    ours = medians.pop("ours")
    brick = medians.pop("brick")
    brick_peer = {k: medians.pop(k) for k in ("torch_lstm_mse",) if k in medians}
    for key, t in medians.items():
        print(f"ratio ours / {labels[key]:24s} {ours / t:6.2f}")
    if medians:
        best = min(medians, key=medians.get)
        print(f"ratio ours / fastest peer ({labels[best]}): {ours / medians[best]:.2f}")
    print(f"ratio brick / scan (ours)            {brick / ours:6.2f}")
    medians.update(brick_peer)
    for key in ("torch_lstm_mse", "torch_lstm"):
        if key in medians:
            print(f"ratio brick / {labels[key]:23s} {brick / medians[key]:6.2f}")


if __name__ == "__main__":
    main()

"""A training step's batch normalization, against PyTorch.

Two float32 workloads: spatial batch norm of an NCHW activation
(128, 32, 28, 28) over axes (0, 2, 3), and per-activation batch norm of a
(256, 512) matrix over axis 0.  A step runs the training pass (normalized
output, batch statistics, updated running averages) and the gradients of
the output, seeded with a fixed upstream gradient, with respect to the
input, the scale and the bias.

Engines: ours compiled in FAST_RUN with the C backend (the batch-norm ops
run as runtime entries), ours with the Python linker (the same graph on the
ops' numpy ``perform``), and PyTorch's ``torch.nn.functional.batch_norm``
with autograd.  The script checks that the engines agree, then prints the
median step times and the ratios ours / peer.

Run: ``python benchmarks/batch_norm.py [--steps N]``.  On a machine shared
with other work, pin every engine to one thread (``OMP_NUM_THREADS=1``),
or the ratios measure contention.
"""

import argparse
import os
import statistics
import sys
import time

import numpy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

EPSILON, FACTOR = 1e-4, 0.1
#: name -> (input shape, normalized axes); the channels are axis 1.
WORKLOADS = {
    "spatial": ((128, 32, 28, 28), (0, 2, 3)),
    "per-activation": ((256, 512), (0,)),
}


def make_data(shape, seed=0):
    rng = numpy.random.RandomState(seed)
    channels = shape[1]
    return {
        "x": (rng.randn(*shape) * 2 + 0.5).astype("float32"),
        "dy": rng.randn(*shape).astype("float32"),
        "scale": (rng.rand(channels) + 0.5).astype("float32"),
        "bias": rng.randn(channels).astype("float32"),
        "running_mean": numpy.zeros(channels, "float32"),
        "running_var": numpy.ones(channels, "float32"),
    }


def median_seconds(step, n, budget=20.0):
    """Median of ``n`` timed steps; slow engines stop after ``budget`` seconds."""
    step()
    times = []
    while len(times) < n and (len(times) < 3 or sum(times) < budget):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# Engines: each returns a step callable returning (y, gx, gscale, gbias,
# new running mean, new running var) -------------------------------------------
def build_ours(data, axes, linker):
    import symbolic
    from symbolic import tensor
    from symbolic.compile.mode import Mode
    from symbolic.tensor.nnet.bn import batch_normalization_train

    ndim = data["x"].ndim
    x = tensor.TensorType("float32", (False,) * ndim)("x")
    dy = tensor.TensorType("float32", (False,) * ndim)("dy")
    scale, bias = tensor.fvector("scale"), tensor.fvector("bias")
    r_mean, r_var = tensor.fvector("running_mean"), tensor.fvector("running_var")
    y, _, _, new_mean, new_var = batch_normalization_train(
        x,
        scale,
        bias,
        axes,
        epsilon=EPSILON,
        running_average_factor=FACTOR,
        running_mean=r_mean,
        running_var=r_var,
    )
    grads = symbolic.grad(None, [x, scale, bias], known_grads={y: dy})
    f = symbolic.function(
        [x, dy, scale, bias, r_mean, r_var],
        [y, *grads, new_mean, new_var],
        mode=Mode(linker=linker, optimizer="fast_run"),
    )
    args = [
        data[k] for k in ("x", "dy", "scale", "bias", "running_mean", "running_var")
    ]
    return lambda: f(*args)


def build_torch(data, axes):
    import torch

    x = torch.from_numpy(data["x"]).requires_grad_()
    scale = torch.from_numpy(data["scale"]).requires_grad_()
    bias = torch.from_numpy(data["bias"]).requires_grad_()
    dy = torch.from_numpy(data["dy"])

    def step():
        x.grad = scale.grad = bias.grad = None
        r_mean = torch.from_numpy(data["running_mean"].copy())
        r_var = torch.from_numpy(data["running_var"].copy())
        y = torch.nn.functional.batch_norm(
            x, r_mean, r_var, scale, bias, training=True, momentum=FACTOR, eps=EPSILON
        )
        y.backward(dy)
        return (y.detach(), x.grad, scale.grad, bias.grad, r_mean, r_var)

    return step


def check_close(reference, got, name):
    for ours, theirs in zip(reference, got, strict=True):
        theirs = numpy.asarray(theirs).reshape(numpy.shape(ours))
        numpy.testing.assert_allclose(
            ours, theirs, rtol=1e-3, atol=1e-3, err_msg=f"ours and {name} disagree"
        )


def run_workload(name, steps, with_torch):
    shape, axes = WORKLOADS[name]
    data = make_data(shape)
    ours = build_ours(data, axes, "cvm")
    results = {"ours (C)": median_seconds(ours, steps)}
    reference = ours()
    fallback = build_ours(data, axes, "py")
    check_close(reference, fallback(), "ours on perform")
    results["ours (perform)"] = median_seconds(fallback, steps)
    if with_torch:
        peer = build_torch(data, axes)
        check_close(reference, [t.numpy() for t in peer()], "PyTorch")
        results["PyTorch"] = median_seconds(peer, steps)
    print(f"{name} batch norm, input {shape} float32, axes {axes}: forward + grads")
    print(f"  {'engine':16s} {'step ms':>9s}")
    for engine, seconds in results.items():
        print(f"  {engine:16s} {seconds * 1e3:9.3f}")
    ours_s = results["ours (C)"]
    for engine, seconds in results.items():
        if engine != "ours (C)":
            print(f"  ours (C) / {engine:16s} {ours_s / seconds:6.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    try:
        import torch  # noqa: F401

        with_torch, missing = True, None
    except Exception as exc:  # an optional peer may be absent or broken
        with_torch, missing = False, f"PyTorch ({type(exc).__name__}: {exc})"
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    for name in WORKLOADS:
        run_workload(name, args.steps, with_torch)
    if missing:
        print("not importable (skipped):", missing)


if __name__ == "__main__":
    main()

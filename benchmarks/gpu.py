"""The CUDA backend against PyTorch CUDA: MLP epoch, LSTM step, LeNet step.

Every workload is float32 and runs, in the same process, under
``device=cuda`` (ours) and with PyTorch on ``cuda`` (the peer).  For each,
the script prints the time to first result (build + compile + one step, or
one batch for the MLP) and the median step time (or the epoch time), then
the ratio ours / peer.  It says when a peer cannot be used: torch not
importable, or torch without CUDA.

* MLP: the deep-learning tutorial's 784-500-10 tanh MLP with softmax NLL
  and L2, minibatch SGD, one epoch over ``--mlp-examples`` random
  MNIST-shaped examples (batch 20).
* LSTM: scan over 50 steps, batch 32, input 64, hidden 256; the loss is
  the mean of the hidden states; one SGD step on every weight.
* LeNet: conv 5x5 (20) -> max pool 2 -> conv 5x5 (50) -> max pool 2 ->
  500 tanh -> softmax over 10, batch 128 of 28x28 images, one SGD step.

Run: ``SYMBOLIC_FLAGS=device=cuda python benchmarks/gpu.py [--repeats N]``.
"""

import argparse
import os
import statistics
import sys
import time

import numpy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
os.environ.setdefault("SYMBOLIC_FLAGS", "device=cuda")

LR = numpy.float32(0.01)


def _torch_cuda():
    """``(torch, None)`` or ``(None, why it cannot be used)``."""
    try:
        import torch
    except ImportError as exc:
        return None, f"torch could not be imported ({exc})"
    if not torch.cuda.is_available():
        return None, "torch has no CUDA (CPU-only build or no device)"
    return torch, None


# Ours -------------------------------------------------------------------------
def _shared(rng, *shape, scale=0.1):
    import symbolic

    return symbolic.shared((rng.standard_normal(shape) * scale).astype("float32"))


def _sgd(cost, params):
    import symbolic.tensor as T

    return [(p, p - LR * g) for p, g in zip(params, T.grad(cost, params))]


def ours_mlp(data, labels, batch):
    import symbolic
    import symbolic.tensor as T

    rng = numpy.random.default_rng(0)
    w1, b1 = _shared(rng, 784, 500), _shared(rng, 500, scale=0)
    w2, b2 = _shared(rng, 500, 10), _shared(rng, 10, scale=0)
    x, y = T.fmatrix("x"), T.lvector("y")
    p = T.nnet.softmax(T.dot(T.tanh(T.dot(x, w1) + b1), w2) + b2)
    l2 = (w1**2).sum() + (w2**2).sum()
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y]) + numpy.float32(1e-4) * l2
    start = time.perf_counter()
    step = symbolic.function([x, y], cost, updates=_sgd(cost, [w1, b1, w2, b2]))
    step(data[:batch], labels[:batch])
    first = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(0, len(data) - batch + 1, batch):
        last = step(data[i : i + batch], labels[i : i + batch])
    float(last)
    return first, time.perf_counter() - start


def ours_lstm(x_value, n_hid, repeats):
    import symbolic
    import symbolic.tensor as T

    rng = numpy.random.default_rng(1)
    n_in = x_value.shape[2]
    W, U = _shared(rng, n_in, 4 * n_hid), _shared(rng, n_hid, 4 * n_hid)
    b = _shared(rng, 4 * n_hid, scale=0)
    x = T.ftensor3("x")

    def step(x_t, h, c):
        pre = T.dot(x_t, W) + T.dot(h, U) + b
        i = T.nnet.sigmoid(pre[:, :n_hid])
        f = T.nnet.sigmoid(pre[:, n_hid : 2 * n_hid])
        o = T.nnet.sigmoid(pre[:, 2 * n_hid : 3 * n_hid])
        c = f * c + i * T.tanh(pre[:, 3 * n_hid :])
        return o * T.tanh(c), c

    zeros = T.zeros((x.shape[1], n_hid), dtype="float32")
    (hs, _), _ = symbolic.scan(step, sequences=x, outputs_info=[zeros, zeros])
    cost = hs.mean()
    return _time_steps(
        symbolic.function, [x], cost, _sgd(cost, [W, U, b]), (x_value,), repeats
    )


def ours_lenet(images, labels, repeats):
    import symbolic
    import symbolic.tensor as T
    from symbolic.tensor.nnet import conv2d
    from symbolic.tensor.signal.pool import pool_2d

    rng = numpy.random.default_rng(2)
    k1, k2 = _shared(rng, 20, 1, 5, 5), _shared(rng, 50, 20, 5, 5)
    w3, w4 = _shared(rng, 800, 500, scale=0.05), _shared(rng, 500, 10, scale=0.05)
    b3, b4 = _shared(rng, 500, scale=0), _shared(rng, 10, scale=0)
    x, y = T.ftensor4("x"), T.lvector("y")
    h = pool_2d(T.tanh(conv2d(x, k1)), (2, 2), ignore_border=True)
    h = pool_2d(T.tanh(conv2d(h, k2)), (2, 2), ignore_border=True)
    h = T.tanh(T.dot(h.flatten(2), w3) + b3)
    cost = T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(T.dot(h, w4) + b4), y))
    params = [k1, k2, w3, b3, w4, b4]
    return _time_steps(
        symbolic.function, [x, y], cost, _sgd(cost, params), (images, labels), repeats
    )


def _time_steps(function, inputs, cost, updates, values, repeats):
    start = time.perf_counter()
    step = function(inputs, cost, updates=updates)
    float(step(*values))
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        float(step(*values))
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


# PyTorch ----------------------------------------------------------------------
def torch_mlp(torch, data, labels, batch):
    dev = "cuda"
    start = time.perf_counter()
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 500), torch.nn.Tanh(), torch.nn.Linear(500, 10)
    ).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=float(LR))
    x_all = torch.from_numpy(data).to(dev)
    y_all = torch.from_numpy(labels).to(dev)

    def step(x, y):
        opt.zero_grad()
        l2 = sum((p**2).sum() for n, p in model.named_parameters() if "weight" in n)
        loss = torch.nn.functional.cross_entropy(model(x), y) + 1e-4 * l2
        loss.backward()
        opt.step()
        return loss

    float(step(x_all[:batch], y_all[:batch]))
    first = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(0, len(data) - batch + 1, batch):
        loss = step(x_all[i : i + batch], y_all[i : i + batch])
    float(loss)
    return first, time.perf_counter() - start


def torch_lstm(torch, x_value, n_hid, repeats):
    start = time.perf_counter()
    lstm = torch.nn.LSTM(x_value.shape[2], n_hid).to("cuda")
    opt = torch.optim.SGD(lstm.parameters(), lr=float(LR))
    x = torch.from_numpy(x_value).to("cuda")

    def step():
        opt.zero_grad()
        loss = lstm(x)[0].mean()
        loss.backward()
        opt.step()
        return loss

    return _torch_time(step, start, repeats)


def torch_lenet(torch, images, labels, repeats):
    nn = torch.nn
    start = time.perf_counter()
    model = nn.Sequential(
        nn.Conv2d(1, 20, 5),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Conv2d(20, 50, 5),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(800, 500),
        nn.Tanh(),
        nn.Linear(500, 10),
    ).to("cuda")
    opt = torch.optim.SGD(model.parameters(), lr=float(LR))
    x = torch.from_numpy(images).to("cuda")
    y = torch.from_numpy(labels).to("cuda")

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return _torch_time(step, start, repeats)


def _torch_time(step, start, repeats):
    float(step())
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        float(step())
        times.append(time.perf_counter() - begin)
    return first, statistics.median(times)


# Report -----------------------------------------------------------------------
def report(name, ours, peer, unit):
    line = (
        f"{name:6s} ours: first result {ours[0]:.2f} s, {unit} {ours[1] * 1e3:.2f} ms"
    )
    if peer is None:
        print(line + "  (no peer)")
        return
    print(
        f"{line} | torch: first {peer[0]:.2f} s, {unit} {peer[1] * 1e3:.2f} ms"
        f" | ratio ours/torch {ours[1] / peer[1]:.2f}x"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--mlp-examples", type=int, default=10000)
    args = parser.parse_args()
    import symbolic

    print(f"device={symbolic.config.device}")
    torch, why = _torch_cuda()
    if torch is None:
        print(f"peer unavailable: {why}")
    rng = numpy.random.default_rng(3)
    data = rng.random((args.mlp_examples, 784), dtype=numpy.float32)
    labels = rng.integers(0, 10, args.mlp_examples)
    report(
        "MLP",
        ours_mlp(data, labels, 20),
        torch and torch_mlp(torch, data, labels, 20),
        "epoch",
    )
    x_value = rng.standard_normal((50, 32, 64)).astype("float32")
    report(
        "LSTM",
        ours_lstm(x_value, 256, args.repeats),
        torch and torch_lstm(torch, x_value, 256, args.repeats),
        "step",
    )
    images = rng.random((128, 1, 28, 28), dtype=numpy.float32)
    image_labels = rng.integers(0, 10, 128)
    report(
        "LeNet",
        ours_lenet(images, image_labels, args.repeats),
        torch and torch_lenet(torch, images, image_labels, args.repeats),
        "step",
    )


if __name__ == "__main__":
    main()

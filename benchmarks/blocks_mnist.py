"""The Blocks tutorial MLP trained by a MainLoop, with and without monitoring.

Workload: 784-100-10 MLP (ReLU, softmax), categorical cross-entropy plus L2
(5e-3 on both weight matrices, as in the tutorial), SGD with learning rate
0.1, float32, batches of 256 over 60000 synthetic MNIST-shaped examples (235
steps an epoch). Monitoring, as the tutorial and ``examples/mnist.py`` do:
``TrainingDataMonitoring`` of the cost, the error rate and the gradient norm
aggregated over the epoch, and ``DataStreamMonitoring`` of the cost and error
rate on a 10000-example test stream after each epoch.

Prints the time of one epoch (the median over ``--epochs`` epochs after a
first one, which includes compilation, in each of ``--trials`` main loops;
the loops with and without monitoring alternate, so that a machine whose
load drifts slows both alike) for:

- ours, a ``MainLoop`` with the monitoring;
- ours, the same ``MainLoop`` without it (the monitoring's overhead);
- PyTorch, the same job hand-written: a loop over the batches with the same
  per-epoch training aggregates (mean cost, mean error, mean gradient norm)
  and the test-set evaluation.

and the ratios; then the overhead from the fastest epoch of each kind, which
other work on a shared machine moves least (it can only add time); then the
overhead from ``--interleaved`` pairs of epochs, a monitored main loop and a
plain one each training one epoch in turn (resumed with one more epoch
allowed), so that the two epochs of a pair run under the same load: the
steadiest of the three figures on a shared machine. PyTorch
is an optional peer (``pip install -e ".[bench]"``);
the script says so when it cannot import it.

Run: ``python benchmarks/blocks_mnist.py``; on a machine shared with other
work, ``OMP_NUM_THREADS=1 python benchmarks/blocks_mnist.py --cpu-time``
times every job by this process's CPU time, on one thread each.
"""

import argparse
import os
import statistics
import sys
import time

import numpy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)
# The bricks' variables and parameters take config.floatX: float32, as the
# data and the peer (set before symbolic is first imported).
os.environ["SYMBOLIC_FLAGS"] = ",".join(
    filter(None, [os.environ.get("SYMBOLIC_FLAGS", ""), "floatX=float32"])
)

from blocks.extensions import SimpleExtension  # noqa: E402

N_TRAIN, N_TEST, N_IN, N_HID, N_OUT = 60000, 10000, 784, 100, 10
# Wall time by default; --cpu-time switches every measurement to this
# process's CPU time (steadier on a machine shared with other work, and
# fair when every library runs on one thread: OMP_NUM_THREADS=1).
CLOCK = {"clock": time.perf_counter}


def clock():
    return CLOCK["clock"]()


BATCH, LR, L2 = 256, 0.1, 5e-3


def make_data(seed=0):
    rng = numpy.random.RandomState(seed)
    x = rng.rand(N_TRAIN + N_TEST, N_IN).astype("float32")
    # Labels a linear model can partly learn, so the error rate moves.
    w = rng.randn(N_IN, N_OUT).astype("float32")
    y = (x @ w).argmax(axis=1).astype("int64")[:, None]
    return (x[:N_TRAIN], y[:N_TRAIN]), (x[N_TRAIN:], y[N_TRAIN:])


class EpochTimes(SimpleExtension):
    """Records the wall time at the start and at the end of each epoch."""

    def __init__(self):
        super().__init__(before_epoch=True, after_epoch=True)
        self.stamps = [clock()]
        self.starts = []

    def do(self, which_callback, *args):
        if which_callback == "before_epoch":
            self.starts.append(clock())
        else:
            self.stamps.append(clock())

    def durations(self):
        """Seconds from the start to the end of each epoch."""
        return [end - start for start, end in zip(self.starts, self.stamps[1:])]


def timed_stream_monitoring(*args, **kwargs):
    """A DataStreamMonitoring that adds the seconds of each run to ``spent``."""
    from blocks.extensions.monitoring import DataStreamMonitoring

    class Timed(DataStreamMonitoring):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.spent = []

        def do(self, *args):
            start = clock()
            super().do(*args)
            self.spent.append(clock() - start)

    return Timed(*args, **kwargs)


def build_ours(train, test, epochs, monitor):
    """The tutorial's main loop; returns it with its EpochTimes and FinishAfter."""
    from blocks.algorithms import GradientDescent, Scale
    from blocks.bricks import MLP, Rectifier, Softmax
    from blocks.bricks.cost import CategoricalCrossEntropy, MisclassificationRate
    from blocks.extensions import FinishAfter
    from blocks.extensions.monitoring import TrainingDataMonitoring
    from blocks.filter import VariableFilter
    from blocks.graph import ComputationGraph
    from blocks.initialization import Constant, IsotropicGaussian
    from blocks.main_loop import MainLoop
    from blocks.model import Model
    from blocks.roles import WEIGHT
    from fuel.datasets import IndexableDataset
    from fuel.schemes import SequentialScheme
    from fuel.streams import DataStream
    from symbolic import tensor

    x = tensor.matrix("features")
    y = tensor.lmatrix("targets")
    mlp = MLP(
        activations=[Rectifier(), Softmax()],
        dims=[N_IN, N_HID, N_OUT],
        weights_init=IsotropicGaussian(0.01),
        biases_init=Constant(0),
    )
    mlp.initialize()
    probabilities = mlp.apply(x)
    cost = CategoricalCrossEntropy().apply(y.flatten(), probabilities)
    error_rate = MisclassificationRate().apply(y.flatten(), probabilities)
    error_rate.name = "error_rate"
    w1, w2 = VariableFilter(roles=[WEIGHT])(ComputationGraph(cost).variables)
    cost = cost + L2 * (w1**2).sum() + L2 * (w2**2).sum()
    cost.name = "cost"
    model = Model(cost)
    algorithm = GradientDescent(
        cost=cost, parameters=model.parameters, step_rule=Scale(learning_rate=LR)
    )

    def stream(data, batch):
        dataset = IndexableDataset({"features": data[0], "targets": data[1]})
        scheme = SequentialScheme(dataset.num_examples, batch)
        return DataStream(dataset, iteration_scheme=scheme)

    timer = EpochTimes()
    finish = FinishAfter(after_n_epochs=epochs)
    extensions = [timer, finish]
    if monitor:
        extensions = [
            TrainingDataMonitoring(
                [cost, error_rate, algorithm.total_gradient_norm],
                prefix="train",
                after_epoch=True,
            ),
            timed_stream_monitoring(
                [cost, error_rate],
                stream(test, 1000),
                prefix="test",
                before_first_epoch=False,
            ),
            *extensions,
        ]
    main_loop = MainLoop(algorithm, stream(train, BATCH), extensions=extensions)
    return main_loop, timer, finish


def run_ours(train, test, epochs, monitor, stream_seconds=None):
    main_loop, timer, _ = build_ours(train, test, epochs, monitor)
    main_loop.run()
    if monitor and stream_seconds is not None:
        stream_seconds.extend(main_loop.extensions[1].spent)
    return numpy.diff(timer.stamps).tolist()


def interleaved_overheads(train, test, epochs):
    """Monitoring's overhead per pair of epochs run back to back.

    A monitored and a plain main loop train one epoch each in turn (each
    resumed with one more epoch allowed), so both epochs of a pair see the
    same load on a shared machine; returns the ratios of the pairs after
    the first (which compiles).
    """
    loops = [build_ours(train, test, 1, monitor) for monitor in (True, False)]
    for epoch in range(1, epochs + 1):
        for main_loop, _, finish in loops:
            finish.set_conditions(after_n_epochs=epoch)
            main_loop.run()
    monitored, plain = (timer.durations() for _, timer, _ in loops)
    return [m / p for m, p in zip(monitored[1:], plain[1:])]


def run_torch(train, test, epochs, torch):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(N_IN, N_HID), torch.nn.ReLU(), torch.nn.Linear(N_HID, N_OUT)
    )
    for layer in (model[0], model[2]):
        torch.nn.init.normal_(layer.weight, std=0.01)
        torch.nn.init.zeros_(layer.bias)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    x_train, y_train = torch.from_numpy(train[0]), torch.from_numpy(train[1][:, 0])
    x_test, y_test = torch.from_numpy(test[0]), torch.from_numpy(test[1][:, 0])
    weights = (model[0].weight, model[2].weight)
    times = []
    for _ in range(epochs):
        start = clock()
        sums = numpy.zeros(3)
        for i in range(0, N_TRAIN, BATCH):
            xb, yb = x_train[i : i + BATCH], y_train[i : i + BATCH]
            optimizer.zero_grad()
            logits = model(xb)
            cost = torch.nn.functional.cross_entropy(logits, yb)
            cost = cost + L2 * sum((w**2).sum() for w in weights)
            cost.backward()
            with torch.no_grad():
                norm = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters()))
                error = (logits.argmax(1) != yb).float().mean()
            optimizer.step()
            sums += (cost.item(), error.item(), norm.item())
        with torch.no_grad():
            test_sums = numpy.zeros(2)
            for i in range(0, N_TEST, 1000):
                xb, yb = x_test[i : i + 1000], y_test[i : i + 1000]
                logits = model(xb)
                cost = torch.nn.functional.cross_entropy(logits, yb)
                cost = cost + L2 * sum((w**2).sum() for w in weights)
                error = (logits.argmax(1) != yb).float().mean()
                test_sums += (cost.item(), error.item())
        times.append(clock() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4, help="epochs per main loop")
    parser.add_argument(
        "--trials", type=int, default=3, help="main loops with and without monitoring"
    )
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time with process CPU time instead of wall time",
    )
    parser.add_argument(
        "--interleaved",
        type=int,
        default=20,
        metavar="PAIRS",
        help="pairs of epochs for the interleaved overhead (0: skip it)",
    )
    args = parser.parse_args()
    if args.cpu_time:
        CLOCK["clock"] = time.process_time
    train, test = make_data()
    print(
        f"Blocks tutorial MLP, {N_TRAIN} examples, batch {BATCH}, float32; "
        f"median epoch of {args.epochs - 1} after the first, {args.trials} "
        "alternating main loops each" + (" (process CPU time)" if args.cpu_time else "")
    )
    rows = {"ours, MainLoop + monitoring": [], "ours, MainLoop, no monitoring": []}
    stream_seconds = []
    overheads = []
    for _ in range(args.trials):
        spent = []
        monitored = run_ours(train, test, args.epochs, True, spent)
        plain = run_ours(train, test, args.epochs, False)
        rows["ours, MainLoop + monitoring"] += monitored
        rows["ours, MainLoop, no monitoring"] += plain
        # The first evaluation of each loop compiles the evaluator.
        stream_seconds += spent[1:]
        ratio = statistics.median(monitored[1:]) / statistics.median(plain[1:])
        overheads.append(ratio)
    try:
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
        rows["PyTorch, same job by hand"] = run_torch(train, test, args.epochs, torch)
    except ImportError:
        print("PyTorch is not installed: no peer (pip install -e '.[bench]')")
    # Each main loop's first epoch compiles: leave those out of the medians.
    steady = {
        name: [t for i, t in enumerate(times) if i % args.epochs]
        if name.startswith("ours")
        else times[1:]
        for name, times in rows.items()
    }
    medians = {name: statistics.median(times) for name, times in steady.items()}
    for name, seconds in medians.items():
        first = rows[name][0]
        print(f"  {name:32s} {seconds:7.3f} s/epoch (first epoch {first:.2f} s)")
    ours = medians["ours, MainLoop + monitoring"]
    plain_name = "ours, MainLoop, no monitoring"
    plain = medians[plain_name]
    test_part = statistics.median(stream_seconds) / plain
    print(
        f"  monitoring overhead: {100 * (ours / plain - 1):+.1f}%, of which the "
        f"test-stream evaluation {100 * test_part:+.1f}%; per trial: "
        + ", ".join(f"{100 * (r - 1):+.1f}%" for r in overheads)
    )
    # Other work on the machine only ever adds time: the fastest epoch of
    # each kind is the steadiest estimate where the medians move with it.
    best, best_plain = (
        min(steady[name]) for name in ("ours, MainLoop + monitoring", plain_name)
    )
    print(
        f"  best epochs: {best:.3f} s with monitoring, {best_plain:.3f} s without "
        f"(overhead {100 * (best / best_plain - 1):+.1f}%); fastest test-stream "
        f"evaluation {1e3 * min(stream_seconds):.1f} ms "
        f"({100 * min(stream_seconds) / best_plain:+.1f}%)"
    )
    if "PyTorch, same job by hand" in medians:
        peer = medians["PyTorch, same job by hand"]
        print(
            f"  ours / PyTorch: {ours / peer:.2f} "
            f"(without monitoring {plain / peer:.2f})"
        )
    if args.interleaved:
        ratios = sorted(interleaved_overheads(train, test, args.interleaved + 1))
        low, mid, high = (
            100 * (ratios[int(q * (len(ratios) - 1))] - 1) for q in (0.25, 0.5, 0.75)
        )
        print(
            f"  interleaved epochs ({len(ratios)} pairs, a monitored epoch then "
            f"a plain one): overhead median {mid:+.1f}%, quartiles {low:+.1f}% "
            f"to {high:+.1f}%"
        )


if __name__ == "__main__":
    main()

"""Data-parallel training over MPI against PyTorch DDP (gloo), on one machine.

Two workloads, float32, one SGD step each:

- ``mlp``: the Blocks tutorial MLP, 784-100-10 (rectifier, softmax,
  cross-entropy), batch 256;
- ``lstm``: a Blocks LSTM brick (hidden 128, input 64 through a Linear
  brick) over sequences of 20, batch 32, the loss the mean of the states.

For each engine it times, in fresh processes:

- ``1x2``: one process with two threads on the whole batch;
- ``2x1``: two processes with one thread each, each on half the batch,
  gradients averaged by one allreduce per step (ours: ``mpirun`` and
  :class:`.DataParallel`; PyTorch: ``DistributedDataParallel`` on gloo);
- ``1x1`` on the whole batch and on half of it, for the references.

It prints the steps per second and, for the two-process run, the speedup
over ``1x2``, the scaling efficiency ``t(1x1, whole) / (2 t(2x1))`` and the
overhead per step ``t(2x1) - t(1x1, half)`` (the communication and the
waiting of two workers), with ours / PyTorch ratios.

Run: ``python benchmarks/data_parallel.py [--steps N] [--skip torch]``. It
needs ``mpirun`` and ``mpi4py`` for ours (``pip install -e ".[mpi]"``) and
``torch`` for the peer; what cannot run is reported. On a machine shared
with other work the times drift: compare the figures of one run only.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import numpy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

BATCH = {"mlp": 256, "lstm": 32}
SEQ, N_IN, N_HID = 20, 64, 128
LR = 0.1
MPI_ARGUMENTS = [
    "--oversubscribe",
    "--mca",
    "btl",
    "self,vader,tcp",
    "--mca",
    "btl_tcp_if_include",
    "lo",
    "--mca",
    "oob_tcp_if_include",
    "lo",
]


def make_batch(model, batch_size, seed=0):
    rng = numpy.random.RandomState(seed)
    if model == "mlp":
        return {
            "features": rng.rand(batch_size, 784).astype("float32"),
            "targets": rng.randint(0, 10, size=(batch_size, 1)).astype("int64"),
        }
    return {"features": rng.randn(batch_size, SEQ, N_IN).astype("float32")}


def shard(batch, rank, size):
    count = len(next(iter(batch.values())))
    start, stop = count * rank // size, count * (rank + 1) // size
    return {name: value[start:stop] for name, value in batch.items()}


# Workers (each run in a fresh process) ---------------------------------------------
def ours_step(model, batch):
    from blocks.algorithms import DataParallel, GradientDescent, Scale
    from blocks.bricks import MLP, Linear, Rectifier, Softmax
    from blocks.bricks.cost import CategoricalCrossEntropy
    from blocks.bricks.recurrent import LSTM
    from blocks.initialization import Constant, IsotropicGaussian
    from blocks.model import Model
    from symbolic import tensor

    init = {"weights_init": IsotropicGaussian(0.05), "biases_init": Constant(0)}
    if model == "mlp":
        x, y = tensor.matrix("features"), tensor.lmatrix("targets")
        mlp = MLP([Rectifier(), Softmax()], [784, 100, 10], **init)
        mlp.initialize()
        cost = CategoricalCrossEntropy().apply(y.flatten(), mlp.apply(x))
    else:
        x = tensor.tensor3("features")
        into = Linear(N_IN, 4 * N_HID, **init)
        lstm = LSTM(N_HID, **init)
        into.initialize()
        lstm.initialize()
        states, _ = lstm.apply(into.apply(x.dimshuffle(1, 0, 2)))
        cost = states.mean()
    algorithm = DataParallel(
        GradientDescent(
            cost=cost, parameters=Model(cost).parameters, step_rule=Scale(LR)
        )
    )
    algorithm.initialize()
    return lambda: algorithm.process_batch(batch)


def torch_step(model, batch, distributed):
    import torch

    torch.manual_seed(0)
    if model == "mlp":
        net = torch.nn.Sequential(
            torch.nn.Linear(784, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10)
        )
        x = torch.from_numpy(batch["features"])
        y = torch.from_numpy(batch["targets"].ravel())

        def loss_of(module):
            return torch.nn.functional.cross_entropy(module(x), y)
    else:
        net = torch.nn.LSTM(N_IN, N_HID)
        x = torch.from_numpy(batch["features"].transpose(1, 0, 2).copy())

        def loss_of(module):
            return module(x)[0].mean()

    if distributed:
        net = torch.nn.parallel.DistributedDataParallel(net)
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)

    def step():
        optimizer.zero_grad()
        loss_of(net).backward()
        optimizer.step()

    return step


def worker(engine, model, batch_size, steps):
    """Time `steps` steps in this process; print the seconds per step."""
    rank, size = 0, 1
    if engine == "ours":
        from fuel.schemes import launcher_rank_and_size

        rank, size = launcher_rank_and_size()
    elif "WORLD_SIZE" in os.environ:
        import torch

        torch.set_num_threads(1)
        rank, size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        torch.distributed.init_process_group("gloo", rank=rank, world_size=size)
    else:
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    batch = shard(make_batch(model, batch_size), rank, size)
    if engine == "ours":
        step = ours_step(model, batch)
    else:
        step = torch_step(model, batch, size > 1)
    # Warm up as long as the timing: the first calls of a new graph may run
    # while its C kernels are still being compiled in the background. The
    # count is fixed, so that all the workers make the same collectives.
    for _ in range(steps):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - start) / steps
    if rank == 0:
        print(json.dumps({"seconds": seconds}))
    if engine == "torch" and size > 1:
        import torch

        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


# Launchers ---------------------------------------------------------------------------
def environment(threads):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (REPO_ROOT, env.get("PYTHONPATH")) if p
    )
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    flags = env.get("SYMBOLIC_FLAGS", "")
    env["SYMBOLIC_FLAGS"] = ",".join(f for f in (flags, "floatX=float32") if f)
    env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"})
    return env


def seconds_of(outputs):
    for line in reversed(outputs.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)["seconds"]
    raise RuntimeError(f"no timing in the output:\n{outputs}")


def run(engine, model, batch_size, steps, processes, threads):
    script = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        engine,
        model,
        str(batch_size),
        str(steps),
    ]
    env = environment(threads)
    if processes == 1:
        env.pop("WORLD_SIZE", None)
        result = subprocess.run(
            script, env=env, capture_output=True, text=True, check=True
        )
        return seconds_of(result.stdout)
    if engine == "ours":
        names = [
            "-x",
            "PYTHONPATH",
            "-x",
            "OMP_NUM_THREADS",
            "-x",
            "SYMBOLIC_FLAGS",
            "-x",
            "OPENBLAS_NUM_THREADS",
            "-x",
            "MKL_NUM_THREADS",
        ]
        command = ["mpirun", "-n", str(processes), *MPI_ARGUMENTS, *names, *script]
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, check=True
        )
        return seconds_of(result.stdout)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env.update(
        {
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
            "WORLD_SIZE": str(processes),
            "GLOO_SOCKET_IFNAME": "lo",
        }
    )
    workers = [
        subprocess.Popen(
            script,
            env={**env, "RANK": str(r)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in range(processes)
    ]
    outputs = [w.communicate() for w in workers]
    if workers[0].returncode and "{" not in outputs[0][0]:
        raise RuntimeError("\n".join(err for _, err in outputs))
    return seconds_of(outputs[0][0])


def measure(engine, model, steps):
    batch = BATCH[model]
    return {
        "1x2": run(engine, model, batch, steps, 1, 2),
        "2x1": run(engine, model, batch, steps, 2, 1),
        "1x1": run(engine, model, batch, steps, 1, 1),
        "1x1 half": run(engine, model, batch // 2, steps, 1, 1),
    }


def summary(times):
    return {
        **{f"ms/step {k}": 1e3 * v for k, v in times.items()},
        "steps/s 1x2": 1 / times["1x2"],
        "steps/s 2x1": 1 / times["2x1"],
        "speedup 2x1 over 1x2": times["1x2"] / times["2x1"],
        "efficiency": times["1x1"] / (2 * times["2x1"]),
        "overhead ms/step": 1e3 * (times["2x1"] - times["1x1 half"]),
    }


def engines_available(skip):
    engines, missing = [], []
    if shutil.which("mpirun") is None:
        missing.append("ours (no mpirun: install Open MPI)")
    else:
        try:
            import mpi4py  # noqa: F401

            engines.append("ours")
        except ImportError:
            missing.append("ours (mpi4py does not import)")
    if "torch" not in skip:
        try:
            import torch  # noqa: F401

            engines.append("torch")
        except ImportError:
            missing.append("torch (does not import)")
    return engines, missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--skip", default="", help="comma-separated: torch")
    parser.add_argument("--models", default="mlp,lstm")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        engine, model, batch_size, steps = args.worker
        worker(engine, model, int(batch_size), int(steps))
        return
    engines, missing = engines_available(args.skip.split(","))
    for reason in missing:
        print(f"not run: {reason}")
    print(f"CPU: {os.cpu_count()} cores")
    for model in args.models.split(","):
        steps = args.steps or {"mlp": 200, "lstm": 20}[model]
        results = {e: summary(measure(e, model, steps)) for e in engines}
        print(f"\n{model}: batch {BATCH[model]}, {steps} steps")
        for key in next(iter(results.values()), {}):
            row = "  ".join(f"{e} {results[e][key]:9.3f}" for e in engines)
            ratio = ""
            if len(engines) == 2 and results["torch"][key]:
                ratio = (
                    f"  ours/torch {results['ours'][key] / results['torch'][key]:.2f}"
                )
            print(f"  {key:22s} {row}{ratio}")


if __name__ == "__main__":
    main()

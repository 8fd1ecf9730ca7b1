"""Small training runs for the data-parallel tests.

``main(kind, folder, batch_size)`` trains a tiny model for 50 steps and,
after training, worker 0 writes ``folder/final.npz`` (the parameters) and
``folder/records.json`` (the monitored values). Started by ``mpirun``,
each worker reads its shard of every batch of `batch_size` examples;
started alone, the same call is plain single-process training on the whole
batches, the reference.

``kind`` is ``'mlp'`` (a softmax MLP with momentum, checkpointing every 6
batches) or ``'lstm'`` (an LSTM over padded sequences with masks). With
``averaging``, the algorithm is :class:`.ParameterAveraging` every batch
rather than :class:`.DataParallel`. The
environment variables ``BLOCKS_TEST_KILL_AT`` and ``BLOCKS_TEST_HANG_AT``
make worker 1 kill itself with SIGKILL, or stop responding, after that
many batches.

"""

import json
import os
import signal
import sys
import time

import numpy

from blocks.algorithms import (
    DataParallel,
    GradientDescent,
    Momentum,
    ParameterAveraging,
)
from blocks.bricks import MLP, Linear, Softmax, Tanh
from blocks.bricks.cost import CategoricalCrossEntropy
from blocks.bricks.recurrent import LSTM
from blocks.extensions import FinishAfter, SimpleExtension
from blocks.extensions.monitoring import DataStreamMonitoring, TrainingDataMonitoring
from blocks.extensions.saveload import Checkpoint
from blocks.initialization import Constant, IsotropicGaussian
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.serialization import continue_training
from fuel.datasets import IndexableDataset
from fuel.schemes import SequentialScheme, ShardedScheme, launcher_rank_and_size
from fuel.streams import DataStream
from symbolic import tensor

KILL_AT = "BLOCKS_TEST_KILL_AT"
HANG_AT = "BLOCKS_TEST_HANG_AT"
STEPS = 50
CHECKPOINT_EVERY = 6


class Sabotage(SimpleExtension):
    """On worker 1, kills the process or stops responding, as the env says."""

    def __init__(self, **kwargs):
        kwargs.setdefault("after_batch", True)
        super().__init__(**kwargs)

    def do(self, which_callback, *args):
        if launcher_rank_and_size()[0] != 1:
            return
        done = self.main_loop.status["iterations_done"]
        if os.environ.get(KILL_AT) and done == int(os.environ[KILL_AT]):
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        if os.environ.get(HANG_AT) and done == int(os.environ[HANG_AT]):
            time.sleep(120)


class SaveResults(SimpleExtension):
    """Writes the parameters and the monitored records after training."""

    main_worker_only = True

    def __init__(self, folder, **kwargs):
        kwargs.setdefault("after_training", True)
        super().__init__(**kwargs)
        self.folder = folder

    def do(self, which_callback, *args):
        values = self.main_loop.model.get_parameter_values()
        numpy.savez(
            os.path.join(self.folder, "final.npz"),
            **{k.replace("/", "|"): v for k, v in values.items()},
        )
        records = {}
        for iteration, row in self.main_loop.log.items():
            for name, value in row.items():
                if name.endswith("_cost"):
                    records[f"{iteration}:{name}"] = float(value)
        with open(os.path.join(self.folder, "records.json"), "w") as file_:
            json.dump(records, file_)


def _mlp(rng):
    x = tensor.matrix("features")
    y = tensor.lmatrix("targets")
    mlp = MLP(
        [Tanh(), Softmax()],
        [5, 7, 3],
        weights_init=IsotropicGaussian(0.5),
        biases_init=Constant(0.1),
        seed=2,
    )
    mlp.initialize()
    cost = CategoricalCrossEntropy().apply(y.flatten(), mlp.apply(x))
    data = {
        "features": rng.normal(size=(70, 5)),
        "targets": rng.randint(0, 3, size=(70, 1)).astype("int64"),
    }
    return cost, data


def _lstm(rng):
    x = tensor.tensor3("features")
    mask = tensor.matrix("mask")
    dim = 3
    # Seeded: an unseeded brick draws its seed from the class-wide RNG, so
    # its weights would depend on the bricks the process made before.
    into = Linear(
        2,
        4 * dim,
        weights_init=IsotropicGaussian(0.5),
        biases_init=Constant(0),
        seed=3,
    )
    lstm = LSTM(
        dim, weights_init=IsotropicGaussian(0.5), biases_init=Constant(0), seed=4
    )
    into.initialize()
    lstm.initialize()
    # Batch-major data, so that the shards cut the first axis; the brick
    # wants the time first.
    states, _ = lstm.apply(into.apply(x.dimshuffle(1, 0, 2)), mask=mask.T)
    per_sequence = ((states - 0.3) ** 2).sum(axis=2) * mask.T
    cost = per_sequence.sum(axis=0).mean()
    lengths = rng.randint(1, 6, size=40)
    data = {
        "features": rng.normal(size=(40, 5, 2)),
        "mask": (numpy.arange(5)[None, :] < lengths[:, None]).astype("float64"),
    }
    return cost, data


def build_main_loop(kind, folder, batch_size, averaging=False):
    rng = numpy.random.RandomState(4)
    cost, data = {"mlp": _mlp, "lstm": _lstm}[kind](rng)
    cost.name = "cost"
    model = Model(cost)
    step_rule = Momentum(learning_rate=0.2, momentum=0.5)
    descent = GradientDescent(
        cost=cost, parameters=model.parameters, step_rule=step_rule
    )
    if averaging:
        algorithm = ParameterAveraging(descent, every_n_batches=1)
    else:
        algorithm = DataParallel(descent)
    examples = len(data["features"])
    train = IndexableDataset({k: v[: examples - 24] for k, v in data.items()})
    valid = IndexableDataset({k: v[examples - 24 :] for k, v in data.items()})
    stream = DataStream(
        train,
        iteration_scheme=ShardedScheme(
            SequentialScheme(train.num_examples, batch_size)
        ),
    )
    valid_stream = DataStream(
        valid,
        iteration_scheme=ShardedScheme(SequentialScheme(24, batch_size)),
    )
    extensions = [
        TrainingDataMonitoring([cost], prefix="train", after_batch=True),
        DataStreamMonitoring([cost], valid_stream, prefix="valid"),
        Checkpoint(
            os.path.join(folder, "checkpoint.tar"),
            every_n_batches=CHECKPOINT_EVERY,
            after_training=False,
        ),
        Sabotage(),
        FinishAfter(after_n_batches=STEPS),
        SaveResults(folder),
    ]
    return MainLoop(algorithm, stream, model=model, extensions=extensions)


def main(kind, folder, batch_size, averaging=False):
    build_main_loop(kind, folder, int(batch_size), averaging).run()


def resume(folder):
    continue_training(os.path.join(folder, "checkpoint.tar"))


if __name__ == "__main__":
    main(*sys.argv[1:])

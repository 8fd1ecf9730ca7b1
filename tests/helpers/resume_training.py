"""A small training run that checkpoints, for the resumption test.

Run ``main(folder)`` in a fresh process. It trains an MLP on the shipped
digits with a stateful step rule and shuffled batches, checkpoints to
``folder/checkpoint.tar`` every few batches and, after training, writes the
final parameters to ``folder/final.npz``. When the environment variable
``BLOCKS_TEST_KILL_AT`` is set, the process kills itself with SIGKILL right
after that many batches, as a crash would.

``BLOCKS_TEST_KILL`` kills the process (the first run or one resumed by
``blocks-continue``) at a moment counted from its start: ``batch:N`` after
its N-th batch, ``save:N:B`` during its N-th checkpoint save once B bytes of
the new file are written (or right after the save, if the file is
smaller). ``BLOCKS_TEST_LOG_BACKEND`` chooses the log backend and
``BLOCKS_TEST_CHECKPOINT_EVERY`` how many batches apart checkpoints are.

"""

import os
import signal
import sys

import numpy

from blocks import serialization
from blocks.algorithms import GradientDescent, Momentum
from blocks.bricks import MLP, Rectifier, Softmax
from blocks.bricks.cost import CategoricalCrossEntropy
from blocks.extensions import FinishAfter, SimpleExtension, saveload
from blocks.extensions.monitoring import TrainingDataMonitoring
from blocks.extensions.saveload import Checkpoint
from blocks.initialization import Constant, IsotropicGaussian
from blocks.main_loop import MainLoop
from blocks.model import Model
from fuel.datasets import Digits
from fuel.schemes import ShuffledScheme
from fuel.streams import DataStream
from fuel.transformers import Flatten
from symbolic import tensor

KILL_AT = "BLOCKS_TEST_KILL_AT"
KILL = "BLOCKS_TEST_KILL"
LOG_BACKEND = "BLOCKS_TEST_LOG_BACKEND"
CHECKPOINT_EVERY_VARIABLE = "BLOCKS_TEST_CHECKPOINT_EVERY"
BATCH_SIZE = 100
CHECKPOINT_EVERY = 6
EPOCHS = 2

# Counted from the start of this process: the extension is pickled with the
# main loop, these are not.
_done_here = {"batches": 0, "saves": 0}


def _die():
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class _KillingFile:
    """A file that kills the process once `limit` bytes are written."""

    def __init__(self, file_, limit):
        self._file = file_
        self._limit = limit

    def write(self, data):
        if self._file.tell() + len(data) >= self._limit:
            self._file.write(data[: max(self._limit - self._file.tell(), 0)])
            self._file.flush()
            _die()
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)


def _install_save_kill(save_number, limit):
    real_dump = serialization.dump_and_add_to_dump
    real_secure_dump = serialization.secure_dump

    def killing_dump(object_, file_, **kwargs):
        if _done_here["saves"] == save_number - 1:
            file_ = _KillingFile(file_, limit)
        return real_dump(object_, file_, **kwargs)

    def counting_secure_dump(*args, **kwargs):
        real_secure_dump(*args, **kwargs)
        _done_here["saves"] += 1
        if _done_here["saves"] == save_number:
            _die()

    saveload.dump_and_add_to_dump = killing_dump
    saveload.secure_dump = counting_secure_dump


class KillAt(SimpleExtension):
    """Kills the process with SIGKILL at the moment given in the env."""

    def __init__(self, **kwargs):
        kwargs.setdefault("after_batch", True)
        kwargs.setdefault("before_training", True)
        kwargs.setdefault("on_resumption", True)
        super().__init__(**kwargs)

    def do(self, which_callback, *args):
        kill = os.environ.get(KILL, "")
        if which_callback in ("before_training", "on_resumption"):
            if kill.startswith("save:"):
                _, save_number, limit = kill.split(":")
                _install_save_kill(int(save_number), int(limit))
            return
        _done_here["batches"] += 1
        if kill == f"batch:{_done_here['batches']}":
            _die()
        kill_at = os.environ.get(KILL_AT)
        if kill_at and self.main_loop.status["iterations_done"] == int(kill_at):
            _die()


class SaveFinalParameters(SimpleExtension):
    """Writes the parameter values to an npz file after training."""

    def __init__(self, path, **kwargs):
        kwargs.setdefault("after_training", True)
        super().__init__(**kwargs)
        self.path = path

    def do(self, which_callback, *args):
        values = self.main_loop.model.get_parameter_values()
        numpy.savez(self.path, **{k.replace("/", "|"): v for k, v in values.items()})


def build_main_loop(folder):
    x = tensor.matrix("features")
    y = tensor.lmatrix("targets")
    mlp = MLP(
        [Rectifier(), Softmax()],
        [64, 20, 10],
        weights_init=IsotropicGaussian(0.1),
        biases_init=Constant(0),
        seed=3,
    )
    mlp.initialize()
    cost = CategoricalCrossEntropy().apply(y.flatten(), mlp.apply(x))
    cost.name = "cost"
    model = Model(cost)
    algorithm = GradientDescent(
        cost=cost,
        parameters=model.parameters,
        step_rule=Momentum(learning_rate=0.1, momentum=0.9),
    )
    digits = Digits(("train",))
    scheme = ShuffledScheme(
        digits.num_examples, BATCH_SIZE, rng=numpy.random.RandomState(5)
    )
    stream = Flatten(DataStream.default_stream(digits, iteration_scheme=scheme))
    extensions = [
        TrainingDataMonitoring([cost], prefix="train", after_epoch=True),
        Checkpoint(
            os.path.join(folder, "checkpoint.tar"),
            every_n_batches=int(
                os.environ.get(CHECKPOINT_EVERY_VARIABLE, CHECKPOINT_EVERY)
            ),
        ),
        KillAt(),
        FinishAfter(after_n_epochs=EPOCHS),
        SaveFinalParameters(os.path.join(folder, "final.npz")),
    ]
    return MainLoop(
        algorithm,
        stream,
        model=model,
        extensions=extensions,
        log_backend=os.environ.get(LOG_BACKEND, "python"),
    )


def main(folder):
    build_main_loop(folder).run()


if __name__ == "__main__":
    main(sys.argv[1])

"""A small training run that checkpoints, for the resumption test.

Run ``main(folder)`` in a fresh process. It trains an MLP on the shipped
digits with a stateful step rule and shuffled batches, checkpoints to
``folder/checkpoint.tar`` every few batches and, after training, writes the
final parameters to ``folder/final.npz``. When the environment variable
``BLOCKS_TEST_KILL_AT`` is set, the process kills itself with SIGKILL right
after that many batches, as a crash would.

"""

import os
import signal
import sys

import numpy

from blocks.algorithms import GradientDescent, Momentum
from blocks.bricks import MLP, Rectifier, Softmax
from blocks.bricks.cost import CategoricalCrossEntropy
from blocks.extensions import FinishAfter, SimpleExtension
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
BATCH_SIZE = 100
CHECKPOINT_EVERY = 6
EPOCHS = 2


class KillAt(SimpleExtension):
    """Kills the process with SIGKILL after the batch given in the env."""

    def __init__(self, **kwargs):
        kwargs.setdefault("after_batch", True)
        super().__init__(**kwargs)

    def do(self, which_callback, *args):
        kill_at = os.environ.get(KILL_AT)
        if kill_at and self.main_loop.status["iterations_done"] == int(kill_at):
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)


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
            os.path.join(folder, "checkpoint.tar"), every_n_batches=CHECKPOINT_EVERY
        ),
        KillAt(),
        FinishAfter(after_n_epochs=EPOCHS),
        SaveFinalParameters(os.path.join(folder, "final.npz")),
    ]
    return MainLoop(algorithm, stream, model=model, extensions=extensions)


def main(folder):
    build_main_loop(folder).run()


if __name__ == "__main__":
    main(sys.argv[1])

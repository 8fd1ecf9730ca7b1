"""Train the MLP of the Blocks introduction tutorial on MNIST.

The model, the cost, the data streams and the extensions are those of the
introduction tutorial (``docs/tutorial.rst``). When the MNIST files are not
in Fuel's data path (``$FUEL_DATA_PATH``), the small handwritten digits that
ship with Fuel are used instead, with the tutorial's sizes adapted to them.

The script prints a progress bar per epoch, the training status and the log
records after each epoch, and the final test error. With ``--checkpoint``
it saves the main loop after every epoch; ``blocks-continue`` resumes it.

Examples
--------
::

    python examples/mnist.py --epochs 5
    python examples/mnist.py --dataset digits --checkpoint digits.tar

"""

import argparse
import logging
import time

from blocks.algorithms import GradientDescent, Scale
from blocks.bricks import MLP, Rectifier, Softmax
from blocks.bricks.cost import CategoricalCrossEntropy, MisclassificationRate
from blocks.extensions import FinishAfter, Printing, ProgressBar, Timing
from blocks.extensions.monitoring import DataStreamMonitoring, TrainingDataMonitoring
from blocks.extensions.saveload import Checkpoint
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.roles import WEIGHT
from fuel.datasets import MNIST, Digits
from fuel.schemes import SequentialScheme
from fuel.streams import DataStream
from fuel.transformers import Flatten
from symbolic import tensor

logger = logging.getLogger("mnist")

# Input size, default batch size and default number of epochs per dataset.
# The digits are forty times fewer than MNIST's: with batches of 8 an epoch
# is 188 steps, and the tutorial's model needs about 20 of them to settle.
DATASETS = {"mnist": (MNIST, 784, 256, 5), "digits": (Digits, 64, 8, 20)}


def load_datasets(choice):
    """Return the dataset name and its train and test sets."""
    if choice in ("auto", "mnist"):
        try:
            return "mnist", MNIST(("train",)), MNIST(("test",))
        except FileNotFoundError as error:
            if choice == "mnist":
                raise
            logger.warning(f"MNIST not found, using the shipped digits: {error}")
    return "digits", Digits(("train",)), Digits(("test",))


def build_cost(input_dim):
    """The tutorial's model: its regularized cost and its error rate."""
    x = tensor.matrix("features")
    y = tensor.lmatrix("targets")
    mlp = MLP(
        activations=[Rectifier(), Softmax()],
        dims=[input_dim, 100, 10],
        weights_init=IsotropicGaussian(0.01),
        biases_init=Constant(0),
    )
    mlp.initialize()
    probabilities = mlp.apply(x)
    cost = CategoricalCrossEntropy().apply(y.flatten(), probabilities)
    error_rate = MisclassificationRate().apply(y.flatten(), probabilities)
    error_rate.name = "error_rate"
    W1, W2 = VariableFilter(roles=[WEIGHT])(ComputationGraph(cost).variables)
    cost = cost + 0.005 * (W1**2).sum() + 0.005 * (W2**2).sum()
    cost.name = "cost_with_regularization"
    return cost, error_rate


def stream(dataset, batch_size):
    scheme = SequentialScheme(dataset.num_examples, batch_size=batch_size)
    return Flatten(DataStream.default_stream(dataset, iteration_scheme=scheme))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        choices=("auto", "mnist", "digits"),
        default="auto",
        help="MNIST if its files are found (auto, the default), or the digits",
    )
    parser.add_argument("--epochs", type=int, help="5 for MNIST and 20 for the digits")
    parser.add_argument(
        "--batch-size", type=int, help="256 for MNIST and 8 for the digits"
    )
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--checkpoint", help="save the main loop here every epoch")
    parser.add_argument(
        "--curves",
        help="write the training curves to this HTML file (needs the plot extra)",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="also serve the curves live to a browser while training",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    name, train_set, test_set = load_datasets(args.dataset)
    _, input_dim, default_batch_size, default_epochs = DATASETS[name]
    batch_size = args.batch_size or default_batch_size
    epochs = args.epochs or default_epochs
    print(
        f"Training on {name}: {train_set.num_examples} training and "
        f"{test_set.num_examples} test examples, batches of {batch_size}"
    )

    cost, error_rate = build_cost(input_dim)
    model = Model(cost)
    algorithm = GradientDescent(
        cost=cost,
        parameters=model.parameters,
        step_rule=Scale(learning_rate=args.learning_rate),
    )
    extensions = [
        Timing(),
        TrainingDataMonitoring(
            [cost, error_rate, algorithm.total_gradient_norm],
            prefix="train",
            after_epoch=True,
        ),
        DataStreamMonitoring([cost, error_rate], stream(test_set, 1024), prefix="test"),
        FinishAfter(after_n_epochs=epochs),
    ]
    if args.checkpoint:
        extensions.append(Checkpoint(args.checkpoint, after_epoch=True))
    if args.serve and not args.curves:
        args.curves = f"{name}_curves.html"
    if args.curves:
        from blocks.extensions.plot import Plot

        extensions.append(
            Plot(
                f"{name} MLP",
                channels=[
                    ["train_cost_with_regularization", "test_cost_with_regularization"],
                    ["train_error_rate", "test_error_rate"],
                ],
                start_server=args.serve,
                html_file=args.curves,
            )
        )
    extensions += [ProgressBar(), Printing()]
    main_loop = MainLoop(
        algorithm,
        stream(train_set, batch_size),
        model=model,
        extensions=extensions,
    )
    started = time.perf_counter()
    main_loop.run()
    seconds = time.perf_counter() - started

    row = main_loop.log.current_row
    test_error = float(row["test_error_rate"])
    train_error = float(row["train_error_rate"])
    saved = f"checkpoint in {args.checkpoint}" if args.checkpoint else "no checkpoint"
    if args.curves:
        saved += f", curves in {args.curves}"
    print(
        f"Done: {name}, {main_loop.status['epochs_done']} epochs in "
        f"{seconds:.1f} s; train error {100 * train_error:.2f}%, "
        f"test error {100 * test_error:.2f}%; {saved}"
    )
    return test_error


if __name__ == "__main__":
    main()

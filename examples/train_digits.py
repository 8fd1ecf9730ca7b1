"""Train a 64-100-10 MLP on the handwritten digits that ship with fuel.

The model of the Blocks tutorial (ReLU hidden layer, softmax output,
cross-entropy plus L2), trained with SGD through ``symbolic.function``
updates, reading minibatches from a Fuel data stream. Prints the training
cost per epoch and the test error at the end.
"""

import argparse
import time

import numpy

import symbolic
import symbolic.tensor as T
from fuel.datasets import Digits
from fuel.schemes import SequentialScheme, ShuffledScheme
from fuel.streams import DataStream
from fuel.transformers import Flatten
from symbolic.tensor import nnet


def build_model(rng, n_in=64, n_hidden=100, n_out=10):
    """Return the shared parameters, initialized as the Blocks tutorial does."""

    def weights(rows, cols):
        return symbolic.shared(rng.normal(0, 0.1, (rows, cols)), borrow=True)

    W1, W2 = weights(n_in, n_hidden), weights(n_hidden, n_out)
    b1 = symbolic.shared(numpy.zeros(n_hidden))
    b2 = symbolic.shared(numpy.zeros(n_out))
    for var, name in zip((W1, b1, W2, b2), ("W1", "b1", "W2", "b2")):
        var.name = name
    return W1, b1, W2, b2


def compile_functions(params, learning_rate):
    W1, b1, W2, b2 = params
    x = T.dmatrix("features")
    y = T.lvector("targets")
    hidden = nnet.relu(T.dot(x, W1) + b1)
    probs = nnet.softmax(T.dot(hidden, W2) + b2)
    cost = nnet.categorical_crossentropy(probs, y).mean()
    cost = cost + 0.0005 * ((W1**2).sum() + (W2**2).sum())
    cost.name = "cost"
    error = T.neq(probs.argmax(axis=1), y).mean()
    grads = symbolic.grad(cost, list(params))
    updates = [(p, p - learning_rate * g) for p, g in zip(params, grads)]
    train = symbolic.function([x, y], cost, updates=updates)
    evaluate = symbolic.function([x, y], error)
    return train, evaluate


def stream(which, batch_size, shuffled, rng_seed=1):
    dataset = Digits((which,))
    scheme_cls = ShuffledScheme if shuffled else SequentialScheme
    kwargs = {"rng": numpy.random.RandomState(rng_seed)} if shuffled else {}
    scheme = scheme_cls(dataset.num_examples, batch_size, **kwargs)
    return Flatten(
        DataStream.default_stream(dataset, iteration_scheme=scheme),
        which_sources=("features",),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    args = parser.parse_args(argv)

    rng = numpy.random.RandomState(1)
    params = build_model(rng)
    start = time.perf_counter()
    train, evaluate = compile_functions(params, args.learning_rate)
    print(f"compiled the training function in {time.perf_counter() - start:.3f}s")
    train_stream = stream("train", args.batch_size, shuffled=True)
    for epoch in range(1, args.epochs + 1):
        costs = [
            float(train(x, y.ravel().astype("int64")))
            for x, y in train_stream.get_epoch_iterator()
        ]
        if epoch == 1 or epoch % 5 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:3d}  train cost {numpy.mean(costs):.4f}")
    errors, sizes = [], []
    for x, y in stream("test", 297, shuffled=False).get_epoch_iterator():
        errors.append(float(evaluate(x, y.ravel().astype("int64"))) * len(y))
        sizes.append(len(y))
    test_error = sum(errors) / sum(sizes)
    print(
        f"test error {100 * test_error:.2f}% on {sum(sizes)} held-out digits "
        f"({time.perf_counter() - start:.1f}s in all)"
    )
    return test_error


if __name__ == "__main__":
    main()

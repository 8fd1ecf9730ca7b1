"""Learn a small Markov chain with a sequence generator, then read it back.

Sequences are sampled from a three-state Markov chain whose first state
is drawn from its stationary distribution. A
:class:`~blocks.bricks.sequence_generators.SequenceGenerator` (a GRU
transition, a softmax emitter and an embedding of the previous state fed
back) is trained on them by a :class:`~blocks.main_loop.MainLoop`. The
generator's probability of each state after each other state is then the
estimate of the transition matrix, printed next to the true one; a few
sequences sampled with ``generate`` are printed too.

Examples
--------
::

    python examples/markov_chain.py --num-batches 1000

"""

import argparse
import logging

import numpy

from blocks.algorithms import Adam, GradientDescent
from blocks.bricks import GatedRecurrent
from blocks.bricks.sequence_generators import (
    LookupFeedback,
    Readout,
    SequenceGenerator,
    SoftmaxEmitter,
)
from blocks.extensions import FinishAfter, Printing
from blocks.extensions.monitoring import TrainingDataMonitoring
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian, Orthogonal
from blocks.main_loop import MainLoop
from blocks.model import Model
from fuel.datasets import IndexableDataset
from fuel.schemes import ShuffledScheme
from fuel.streams import DataStream
from fuel.transformers import Mapping
from symbolic import function, tensor

TRANSITIONS = numpy.array([[0.1, 0.5, 0.4], [0.1, 0.9, 0.0], [0.4, 0.3, 0.3]])


def stationary_distribution(transitions):
    """The left eigenvector of eigenvalue 1, normalized to sum to 1."""
    values, vectors = numpy.linalg.eig(transitions.T)
    vector = numpy.real(vectors[:, numpy.argmin(numpy.abs(values - 1))])
    return vector / vector.sum()


def sample_chain(n_sequences, length, rng):
    """(n_sequences, length) integer samples of the chain."""
    n_states = len(TRANSITIONS)
    cumulative = TRANSITIONS.cumsum(axis=1)
    samples = numpy.zeros((n_sequences, length), dtype="int64")
    samples[:, 0] = rng.choice(
        n_states, size=n_sequences, p=stationary_distribution(TRANSITIONS)
    )
    for t in range(1, length):
        draws = rng.uniform(size=n_sequences)[:, None]
        samples[:, t] = (draws > cumulative[samples[:, t - 1]]).sum(axis=1)
    return samples


def time_major(batch):
    return tuple(array.T for array in batch)


def build_generator(dim, feedback_dim, seed):
    n_states = len(TRANSITIONS)
    generator = SequenceGenerator(
        Readout(
            readout_dim=n_states,
            source_names=["states"],
            emitter=SoftmaxEmitter(theano_seed=seed, name="emitter"),
            feedback_brick=LookupFeedback(n_states, feedback_dim, name="feedback"),
            name="readout",
        ),
        GatedRecurrent(dim=dim, name="transition"),
        weights_init=IsotropicGaussian(0.1),
        biases_init=Constant(0.0),
        seed=seed,
        name="generator",
    )
    generator.push_initialization_config()
    generator.transition.transition.weights_init = Orthogonal()
    generator.initialize()
    return generator


def estimated_transitions(generator):
    """P(next | previous) as the generator gives it after one step.

    The cost of the second element of the sequence ``[i, j]`` is
    ``-log P(j | i)``: the chain forgets everything but the last state,
    so a well-trained generator does too.

    """
    n_states = len(TRANSITIONS)
    outputs = tensor.lmatrix("pairs")
    costs = generator.cost_matrix(outputs)
    compute = function([outputs], costs[1])
    previous = numpy.repeat(numpy.arange(n_states), n_states)
    following = numpy.tile(numpy.arange(n_states), n_states)
    step_costs = compute(numpy.stack([previous, following]))
    return numpy.exp(-step_costs).reshape(n_states, n_states)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-batches", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--length", type=int, default=20)
    parser.add_argument("--dim", type=int, default=10)
    parser.add_argument("--feedback-dim", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--print-every", type=int, default=200)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rng = numpy.random.RandomState(args.seed)

    samples = sample_chain(20 * args.batch_size, args.length, rng)
    dataset = IndexableDataset({"outputs": samples})
    stream = Mapping(
        DataStream(
            dataset,
            iteration_scheme=ShuffledScheme(
                dataset.num_examples, args.batch_size, rng=rng
            ),
        ),
        time_major,
    )

    generator = build_generator(args.dim, args.feedback_dim, args.seed)
    outputs = tensor.lmatrix("outputs")
    cost = generator.cost(outputs)
    cost.name = "sequence_log_likelihood"
    model = Model(cost)
    algorithm = GradientDescent(
        cost=cost,
        parameters=model.parameters,
        step_rule=Adam(learning_rate=args.learning_rate),
    )
    main_loop = MainLoop(
        algorithm,
        stream,
        model=model,
        extensions=[
            TrainingDataMonitoring([cost], after_batch=True),
            FinishAfter(after_n_batches=args.num_batches),
            Printing(every_n_batches=args.print_every),
        ],
    )
    main_loop.run()

    estimate = estimated_transitions(generator)
    with numpy.printoptions(precision=3, suppress=True):
        print("True transition matrix:")
        print(TRANSITIONS)
        print("Estimated by the generator:")
        print(estimate)
    error = float(numpy.abs(estimate - TRANSITIONS).max())
    print(f"Largest error: {error:.3f}")

    generated = generator.generate(n_steps=args.length, batch_size=5, iterate=True)
    sample = function([], generated[1], updates=ComputationGraph(generated).updates)
    print("Sampled sequences:")
    for sequence in sample().T:
        print("".join(str(state) for state in sequence))
    return estimate


if __name__ == "__main__":
    main()

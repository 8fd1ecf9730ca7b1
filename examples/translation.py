"""Attention-based translation on a tiny synthetic parallel corpus.

The "languages" are made up: a source sentence is a random sequence of
source words; its translation maps every word through a fixed dictionary
and swaps each pair of neighbouring words, so the decoder has to learn
where to look. The model is that of Bahdanau et al. (2015): source
embeddings read by a bidirectional GRU, and a GRU decoder with content
attention over the encoder's states, trained with a
:class:`~blocks.main_loop.MainLoop`. After training, translations of a
few held-out sentences are sampled with ``generate``.

Examples
--------
::

    python examples/translation.py --num-batches 3000

"""

import argparse
import logging

import numpy

from blocks.algorithms import Adam, CompositeRule, GradientDescent, StepClipping
from blocks.bricks import Bidirectional, GatedRecurrent, Initializable
from blocks.bricks.attention import SequenceContentAttention
from blocks.bricks.base import application
from blocks.bricks.lookup import LookupTable
from blocks.bricks.parallel import Fork
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
from blocks.utils import dict_union
from fuel.datasets import IterableDataset
from fuel.schemes import ConstantScheme
from fuel.streams import DataStream
from fuel.transformers import Batch, Mapping, Padding
from symbolic import function, tensor

EOS = 0


def make_corpus(n_sentences, vocabulary, max_length, rng):
    """Pairs of (source, target) lists of ids, both ending with EOS."""
    dictionary = rng.permutation(numpy.arange(1, vocabulary))
    pairs = []
    for _ in range(n_sentences):
        length = rng.randint(2, max_length + 1)
        source = list(rng.randint(1, vocabulary, size=length))
        # Word ids start at 1, so does the dictionary: EOS never appears.
        target = [int(dictionary[word - 1]) for word in source]
        for i in range(0, length - 1, 2):
            target[i], target[i + 1] = target[i + 1], target[i]
        pairs.append(([int(w) for w in source] + [EOS], target + [EOS]))
    return pairs


def time_major(batch):
    return tuple(array.T for array in batch)


def data_stream(pairs, batch_size):
    sources, targets = zip(*pairs, strict=True)
    dataset = IterableDataset({"source": list(sources), "target": list(targets)})
    stream = Batch(DataStream(dataset), iteration_scheme=ConstantScheme(batch_size))
    return Mapping(Padding(stream), time_major)


class Translator(Initializable):
    """A bidirectional GRU encoder and a GRU decoder with attention.

    Parameters
    ----------
    vocabulary : int
        The size of both vocabularies.
    embedding_dim : int
        The size of the word embeddings.
    dim : int
        The size of the GRU states.

    """

    def __init__(self, vocabulary, embedding_dim, dim, **kwargs):
        super().__init__(**kwargs)
        self.lookup = LookupTable(vocabulary, embedding_dim, name="source_embeddings")
        self.encoder = Bidirectional(GatedRecurrent(dim=dim), name="encoder")
        self.fork = Fork(["inputs", "gate_inputs"], name="encoder_fork")
        self.fork.input_dim = embedding_dim
        self.fork.output_dims = [dim, 2 * dim]
        transition = GatedRecurrent(dim=dim, name="decoder")
        attention = SequenceContentAttention(
            state_names=transition.apply.states,
            attended_dim=2 * dim,
            match_dim=dim,
            name="attention",
        )
        readout = Readout(
            readout_dim=vocabulary,
            source_names=["states", "feedback", "weighted_averages"],
            emitter=SoftmaxEmitter(name="emitter"),
            feedback_brick=LookupFeedback(vocabulary, embedding_dim),
            name="readout",
        )
        self.generator = SequenceGenerator(
            readout, transition, attention=attention, name="generator"
        )
        self.children = [self.lookup, self.fork, self.encoder, self.generator]

    def encode(self, source, source_mask):
        inputs = self.fork.apply(self.lookup.apply(source), as_dict=True)
        return self.encoder.apply(**dict_union(inputs, mask=source_mask))

    @application
    def cost(self, source, source_mask, target, target_mask):
        """The mean over the batch of the targets' negative log-likelihood."""
        return self.generator.cost(
            target,
            target_mask,
            attended=self.encode(source, source_mask),
            attended_mask=source_mask,
        )

    @application
    def sample(self, source, source_mask, n_steps):
        """Sampled translations: states, outputs, glimpses and costs."""
        return self.generator.generate(
            n_steps=n_steps,
            batch_size=source.shape[1],
            iterate=True,
            attended=self.encode(source, source_mask),
            attended_mask=source_mask,
        )


def build_translator(vocabulary, embedding_dim, dim, seed):
    translator = Translator(
        vocabulary,
        embedding_dim,
        dim,
        weights_init=IsotropicGaussian(0.1),
        biases_init=Constant(0.0),
        seed=seed,
        name="translator",
    )
    translator.push_initialization_config()
    for brick in (translator.encoder, translator.generator.transition.transition):
        brick.weights_init = Orthogonal()
        brick.push_initialization_config()
    translator.initialize()
    return translator


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-batches", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--vocabulary", type=int, default=12)
    parser.add_argument("--max-length", type=int, default=6)
    parser.add_argument("--embedding-dim", type=int, default=16)
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--corpus-size", type=int, default=2000)
    parser.add_argument("--learning-rate", type=float, default=0.005)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--print-every", type=int, default=500)
    parser.add_argument("--num-samples", type=int, default=5)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rng = numpy.random.RandomState(args.seed)
    pairs = make_corpus(
        args.corpus_size + args.num_samples, args.vocabulary, args.max_length, rng
    )
    train_pairs, test_pairs = pairs[: args.corpus_size], pairs[args.corpus_size :]

    translator = build_translator(
        args.vocabulary, args.embedding_dim, args.dim, args.seed
    )
    source = tensor.lmatrix("source")
    source_mask = tensor.matrix("source_mask")
    target = tensor.lmatrix("target")
    target_mask = tensor.matrix("target_mask")
    cost = translator.cost(source, source_mask, target, target_mask)
    cost.name = "sequence_log_likelihood"
    model = Model(cost)
    algorithm = GradientDescent(
        cost=cost,
        parameters=model.parameters,
        step_rule=CompositeRule(
            [StepClipping(5.0), Adam(learning_rate=args.learning_rate)]
        ),
    )
    main_loop = MainLoop(
        algorithm,
        data_stream(train_pairs, args.batch_size),
        model=model,
        extensions=[
            TrainingDataMonitoring([cost], after_batch=True),
            FinishAfter(after_n_batches=args.num_batches),
            Printing(every_n_batches=args.print_every),
        ],
    )
    main_loop.run()

    # Sample translations of the held-out sentences.
    n_steps = args.max_length + 2
    results = translator.sample(source, source_mask, n_steps)
    outputs, costs = results[1], results[-1]
    sample = function(
        [source, source_mask],
        [outputs, costs],
        updates=ComputationGraph(results).updates,
    )
    batch = next(
        data_stream(test_pairs, len(test_pairs)).get_epoch_iterator(as_dict=True)
    )
    sampled, sample_costs = sample(batch["source"], batch["source_mask"])
    translations = []
    for i, (source_words, target_words) in enumerate(test_pairs):
        words = [int(word) for word in sampled[:, i]]
        length = words.index(EOS) + 1 if EOS in words else len(words)
        translations.append(words[:length])
        print(f"source:    {source_words}")
        print(f"reference: {target_words}")
        print(
            f"sampled:   {words[:length]} (cost {sample_costs[:length, i].sum():.3f})"
        )
    return translations


if __name__ == "__main__":
    main()

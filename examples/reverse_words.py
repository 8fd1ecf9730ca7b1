"""Learn to reverse the words of a text, character by character.

An encoder-decoder with attention: the characters of a line are embedded
and read by a bidirectional GRU; a GRU decoder with content attention over
the encoder's states generates the line with every word reversed
("hello world" -> "olleh dlrow"), one character at a time.

Two modes:

- ``train`` reads the lines of a text file, trains the model with a
  :class:`~blocks.main_loop.MainLoop` and saves its parameters;
- ``beam_search`` loads them and, for every word read from standard input,
  prints its likeliest reversals with their costs (negative
  log-likelihoods).

Examples
--------
::

    python examples/reverse_words.py train corpus.txt --num-batches 2000
    echo hello | python examples/reverse_words.py beam_search

"""

import argparse
import functools
import logging
import sys

import numpy

from blocks.algorithms import CompositeRule, GradientDescent, Scale, StepClipping
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
from blocks.extensions import FinishAfter, Printing, Timing
from blocks.extensions.monitoring import TrainingDataMonitoring
from blocks.extensions.saveload import Checkpoint
from blocks.filter import VariableFilter
from blocks.graph import ComputationGraph
from blocks.initialization import Constant, IsotropicGaussian, Orthogonal
from blocks.main_loop import MainLoop
from blocks.model import Model
from blocks.search import BeamSearch
from blocks.serialization import load_parameters
from blocks.utils import dict_union
from fuel.datasets import TextFile
from fuel.schemes import ConstantScheme
from fuel.streams import DataStream
from fuel.transformers import Batch, Filter, Mapping, Padding
from symbolic import tensor

logger = logging.getLogger("reverse_words")

# 26 letters, then the unknown, start and end symbols and the space: 30.
ALPHABET = [chr(ord("a") + i) for i in range(26)] + ["<UNK>", "<S>", "</S>", " "]
CHAR_TO_CODE = {char: code for code, char in enumerate(ALPHABET)}
FIRST_NON_LETTER = CHAR_TO_CODE["<UNK>"]
EOL = CHAR_TO_CODE["</S>"]


def reverse_words(example):
    """Add the target: the same codes with each run of letters reversed."""
    (codes,) = example
    result, word = [], []
    for code in codes:
        if code < FIRST_NON_LETTER:
            word.append(code)
        else:
            result.extend(reversed(word))
            word = []
            result.append(code)
    result.extend(reversed(word))
    return (result,)


def not_longer_than(max_length, example):
    return len(example[0]) <= max_length


def time_major(batch):
    """Fuel pads to (batch, time); the bricks want (time, batch)."""
    return tuple(array.T for array in batch)


def data_stream(path, batch_size, max_length):
    """Padded (time, batch) batches of lines and their reversals."""
    dataset = TextFile(
        [path],
        CHAR_TO_CODE,
        level="character",
        preprocess=str.lower,
        bos_token="<S>",
        eos_token="</S>",
        unk_token="<UNK>",
    )
    stream = DataStream(dataset)
    stream = Filter(stream, functools.partial(not_longer_than, max_length))
    stream = Mapping(stream, reverse_words, add_sources=("targets",))
    stream = Batch(stream, iteration_scheme=ConstantScheme(batch_size))
    stream = Padding(stream)
    return Mapping(stream, time_major)


class WordReverser(Initializable):
    """The encoder-decoder: embeddings, bidirectional GRU, attention GRU.

    Parameters
    ----------
    dimension : int
        The GRUs' state size (the encoder's output is twice that).
    alphabet_size : int
        The number of symbols.
    embedding_dim : int, optional
        The size of the character embeddings; `dimension` by default.

    """

    def __init__(self, dimension, alphabet_size, embedding_dim=None, **kwargs):
        super().__init__(**kwargs)
        embedding_dim = embedding_dim or dimension
        encoder = Bidirectional(GatedRecurrent(dim=dimension))
        fork = Fork(
            [name for name in encoder.prototype.apply.sequences if name != "mask"]
        )
        fork.input_dim = embedding_dim
        fork.output_dims = [
            encoder.prototype.get_dim(name) for name in fork.input_names
        ]
        lookup = LookupTable(alphabet_size, embedding_dim)
        transition = GatedRecurrent(dim=dimension, name="transition")
        attention = SequenceContentAttention(
            state_names=transition.apply.states,
            attended_dim=2 * dimension,
            match_dim=dimension,
            name="attention",
        )
        readout = Readout(
            readout_dim=alphabet_size,
            source_names=[
                transition.apply.states[0],
                attention.take_glimpses.outputs[0],
                "feedback",
            ],
            emitter=SoftmaxEmitter(name="emitter"),
            feedback_brick=LookupFeedback(alphabet_size, embedding_dim),
            name="readout",
        )
        generator = SequenceGenerator(
            readout=readout,
            transition=transition,
            attention=attention,
            name="generator",
        )
        self.lookup = lookup
        self.fork = fork
        self.encoder = encoder
        self.generator = generator
        self.children = [lookup, fork, encoder, generator]

    def encode(self, chars, chars_mask=None):
        """The (time, batch, 2 * dimension) encoder states."""
        inputs = self.fork.apply(self.lookup.apply(chars), as_dict=True)
        return self.encoder.apply(**dict_union(inputs, mask=chars_mask))

    @application
    def cost(self, chars, chars_mask, targets, targets_mask):
        """The per-step costs, (time, batch), of generating `targets`."""
        return self.generator.cost_matrix(
            targets,
            targets_mask,
            attended=self.encode(chars, chars_mask),
            attended_mask=chars_mask,
        )

    @application
    def generate(self, chars):
        """Sample up to three times the input's length of characters."""
        return self.generator.generate(
            n_steps=3 * chars.shape[0],
            batch_size=chars.shape[1],
            attended=self.encode(chars),
            attended_mask=tensor.ones(chars.shape),
        )


def build_model(dimension, embedding_dim, seed=1, orthogonal=True):
    """The initialized model; recurrent matrices orthogonal unless told not."""
    reverser = WordReverser(
        dimension, len(ALPHABET), embedding_dim=embedding_dim, name="reverser"
    )
    reverser.weights_init = IsotropicGaussian(0.1)
    reverser.biases_init = Constant(0.0)
    reverser.seed = seed
    reverser.push_initialization_config()
    if orthogonal:
        for brick in (reverser.encoder, reverser.generator.transition.transition):
            brick.weights_init = Orthogonal()
            brick.push_initialization_config()
    reverser.initialize()
    return reverser


def training_cost(reverser):
    chars = tensor.lmatrix("features")
    chars_mask = tensor.matrix("features_mask")
    targets = tensor.lmatrix("targets")
    targets_mask = tensor.matrix("targets_mask")
    batch_cost = reverser.cost(chars, chars_mask, targets, targets_mask).sum()
    cost = batch_cost / chars.shape[1]
    cost.name = "sequence_log_likelihood"
    return cost


def train(args):
    reverser = build_model(args.dim, args.embedding_dim)
    cost = training_cost(reverser)
    model = Model(cost)
    algorithm = GradientDescent(
        cost=cost,
        parameters=model.parameters,
        step_rule=CompositeRule(
            [StepClipping(10.0), Scale(learning_rate=args.learning_rate)]
        ),
    )
    main_loop = MainLoop(
        algorithm,
        data_stream(args.text_file, args.batch_size, args.max_length),
        model=model,
        extensions=[
            Timing(),
            TrainingDataMonitoring([cost], after_batch=True),
            FinishAfter(after_n_batches=args.num_batches),
            Checkpoint(args.save_path, save_main_loop=False, every_n_batches=500),
            Printing(every_n_batches=args.print_every),
        ],
    )
    main_loop.run()
    return main_loop


def beam_search_reversals(args, lines, out):
    """Print the best reversals of each line of `lines` to `out`."""
    reverser = build_model(args.dim, args.embedding_dim)
    chars = tensor.lmatrix("input")
    generated = reverser.generate(chars)
    model = Model(generated)
    with open(args.save_path, "rb") as source:
        model.set_parameter_values(load_parameters(source))
    (samples,) = VariableFilter(
        applications=[reverser.generator.generate], name="outputs"
    )(ComputationGraph(generated[1]))
    search = BeamSearch(samples)
    results = []
    for line in lines:
        line = line.strip().lower()
        if not line:
            continue
        codes = [CHAR_TO_CODE.get(char, CHAR_TO_CODE["<UNK>"]) for char in line]
        codes = [CHAR_TO_CODE["<S>"], *codes, EOL]
        batch = numpy.tile(
            numpy.array(codes, dtype="int64")[:, None], (1, args.beam_size)
        )
        outputs, costs = search.search(
            {chars: batch}, EOL, 3 * len(codes), ignore_first_eol=True
        )
        print(f"Reversals of {line!r}:", file=out)
        for output, cost in sorted(zip(outputs, costs), key=lambda pair: pair[1]):
            if output and output[-1] == EOL:
                output = output[:-1]
            text = "".join(ALPHABET[code] for code in output)
            print(f"({cost:.4f}) {text}", file=out)
        results.append((line, outputs, costs))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("mode", choices=("train", "beam_search"))
    parser.add_argument("text_file", nargs="?", help="training text (train mode)")
    parser.add_argument("--save-path", default="reverse_words.tar")
    parser.add_argument("--num-batches", type=int, default=10000)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--max-length", type=int, default=100)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--embedding-dim", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--print-every", type=int, default=100)
    parser.add_argument("--beam-size", type=int, default=10)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.mode == "train":
        if args.text_file is None:
            parser.error("train mode needs a text file")
        return train(args)
    return beam_search_reversals(args, sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()

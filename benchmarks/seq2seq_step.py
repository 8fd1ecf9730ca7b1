"""The reverse-words encoder-decoder: training step and beam search, against PyTorch.

Model (float32): the one of ``examples/reverse_words.py``, vocabulary 30,
embeddings 64, GRUs of 256 (a bidirectional encoder; a decoder with content
attention and a softmax readout); sequences of 30, batches of 32. The same
model is written in PyTorch: ``nn.GRU`` (bidirectional) encoder, additive
attention and a ``GRUCell`` decoder stepped in a Python loop.

Timed, with the engines alternating round by round (median):

- one training step (forward, backward, SGD update); ours goes through
  ``GradientDescent.process_batch`` as a ``MainLoop`` would;
- a beam search of width 10 over 30 steps (no end symbol, so every search
  takes all 30 steps); ours is :class:`blocks.search.BeamSearch`.

Ours is also started in new processes, on an empty compile cache (cold)
and on the cache the first left (warm), timing ``import`` + build +
compile + one training step. Then the ratios ours / PyTorch.

Run: ``python benchmarks/seq2seq_step.py [--steps N] [--skip torch]``. On a
shared machine pin every engine to one BLAS thread
(``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1``).
"""

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

VOCAB, EMBED, HIDDEN, SEQ, BATCH = 30, 64, 256, 30, 32
BEAM, BEAM_STEPS = 10, 30
LR = 0.1


def float32_flags():
    """SYMBOLIC_FLAGS with floatX=float32 added (set before importing symbolic)."""
    flags = os.environ.get("SYMBOLIC_FLAGS", "")
    return ",".join(f for f in (flags, "floatX=float32") if f)


def make_batch(seed=0):
    rng = numpy.random.RandomState(seed)
    chars = rng.randint(VOCAB, size=(SEQ, BATCH)).astype("int64")
    targets = chars[::-1].copy()
    mask = numpy.ones((SEQ, BATCH), dtype="float32")
    return {
        "features": chars,
        "features_mask": mask,
        "targets": targets,
        "targets_mask": mask.copy(),
    }


def time_interleaved(steps, rounds):
    """Median seconds per call of each callable, in alternating rounds."""
    times = {key: [] for key in steps}
    for _ in range(rounds):
        for key, step in steps.items():
            step()
            start = time.perf_counter()
            step()
            times[key].append(time.perf_counter() - start)
    return {key: statistics.median(t) for key, t in times.items()}


# Ours ------------------------------------------------------------------------------
def load_reverse_words():
    path = os.path.join(REPO_ROOT, "examples", "reverse_words.py")
    spec = importlib.util.spec_from_file_location("reverse_words_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_ours(profile=False):
    start = time.perf_counter()
    from blocks.algorithms import GradientDescent, Scale
    from blocks.model import Model

    example = load_reverse_words()
    # Gaussian weights, as PyTorch's are not orthogonalized either (the
    # example's SVDs would add 0.3 s to the first result).
    reverser = example.build_model(HIDDEN, EMBED, orthogonal=False)
    cost = example.training_cost(reverser)
    algorithm = GradientDescent(
        cost=cost,
        parameters=Model(cost).parameters,
        step_rule=Scale(learning_rate=LR),
        theano_func_kwargs={"profile": True} if profile else None,
    )
    algorithm.initialize()
    batch = make_batch()
    algorithm.process_batch(batch)
    first = time.perf_counter() - start
    return first, lambda: algorithm.process_batch(batch), reverser, algorithm


def ours_beam_search(reverser):
    from blocks.filter import VariableFilter
    from blocks.graph import ComputationGraph
    from blocks.search import BeamSearch
    from symbolic import tensor

    chars = tensor.lmatrix("input")
    generated = reverser.generate(chars)
    (samples,) = VariableFilter(
        applications=[reverser.generator.generate], name="outputs"
    )(ComputationGraph(generated[1]))
    search = BeamSearch(samples)
    word = numpy.random.RandomState(1).randint(VOCAB, size=(SEQ, 1))
    inputs = {chars: numpy.tile(word, (1, BEAM))}
    start = time.perf_counter()
    search.compile()

    def run():
        # No end symbol: every search takes all the steps.
        return search.search(inputs, -1, BEAM_STEPS)

    run()
    return time.perf_counter() - start, run


def first_result_in_new_process(compiledir):
    """Seconds from a new process's imports to its first training step's result."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (REPO_ROOT, env.get("PYTHONPATH", "")) if p
    )
    env["SYMBOLIC_FLAGS"] = ",".join(
        f for f in (float32_flags(), f"compiledir={compiledir}") if f
    )
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--first-result"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


# PyTorch ---------------------------------------------------------------------------
def torch_model():
    import torch
    from torch import nn

    torch.manual_seed(0)

    class Reverser(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, EMBED)
            self.encoder = nn.GRU(EMBED, HIDDEN, bidirectional=True)
            self.preprocess = nn.Linear(2 * HIDDEN, HIDDEN)
            self.state_to_match = nn.Linear(HIDDEN, HIDDEN, bias=False)
            self.energy = nn.Linear(HIDDEN, 1, bias=False)
            self.feedback = nn.Embedding(VOCAB, EMBED)
            self.cell = nn.GRUCell(EMBED + 2 * HIDDEN, HIDDEN)
            self.readout = nn.Linear(HIDDEN + EMBED + 2 * HIDDEN, VOCAB)
            self.initial_state = nn.Parameter(torch.zeros(HIDDEN))

        def encode(self, chars):
            attended, _ = self.encoder(self.embed(chars))
            return attended, self.preprocess(attended)

        def glimpse(self, state, attended, preprocessed):
            match = torch.tanh(preprocessed + self.state_to_match(state))
            weights = torch.softmax(self.energy(match)[..., 0], dim=0)
            return (weights[..., None] * attended).sum(dim=0)

        def step_logits(self, state, previous, attended, preprocessed):
            context = self.glimpse(state, attended, preprocessed)
            feedback = self.feedback(previous)
            logits = self.readout(torch.cat([state, feedback, context], dim=1))
            return logits, context

        def next_state(self, state, outputs, context):
            inputs = torch.cat([self.feedback(outputs), context], dim=1)
            return self.cell(inputs, state)

        def cost(self, chars, targets):
            attended, preprocessed = self.encode(chars)
            batch = chars.shape[1]
            state = self.initial_state.expand(batch, HIDDEN)
            previous = torch.zeros(batch, dtype=torch.long)
            total = 0
            for t in range(targets.shape[0]):
                logits, context = self.step_logits(
                    state, previous, attended, preprocessed
                )
                total = total + nn.functional.cross_entropy(
                    logits, targets[t], reduction="sum"
                )
                state = self.next_state(state, targets[t], context)
                previous = targets[t]
            return total / batch

    return Reverser()


def run_torch():
    start = time.perf_counter()
    import torch

    model = torch_model()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    batch = make_batch()
    chars = torch.from_numpy(batch["features"])
    targets = torch.from_numpy(batch["targets"])

    def step():
        opt.zero_grad()
        loss = model.cost(chars, targets)
        loss.backward()
        opt.step()
        return loss

    step()
    return time.perf_counter() - start, step, model


def torch_beam_search(model):
    import torch

    word = numpy.random.RandomState(1).randint(VOCAB, size=(SEQ, 1))
    chars = torch.from_numpy(numpy.tile(word, (1, BEAM)))

    @torch.no_grad()
    def run():
        attended, preprocessed = model.encode(chars)
        state = model.initial_state.expand(BEAM, HIDDEN)
        previous = torch.zeros(BEAM, dtype=torch.long)
        costs = torch.zeros(BEAM)
        history = []
        for i in range(BEAM_STEPS):
            logits, context = model.step_logits(state, previous, attended, preprocessed)
            candidates = costs[:, None] - torch.log_softmax(logits, dim=1)
            if i == 0:
                candidates = candidates[:1]
            costs, flat = candidates.flatten().topk(BEAM, largest=False)
            rows, outputs = flat // VOCAB, flat % VOCAB
            state, context = state[rows], context[rows]
            history = [h[rows] for h in history] + [outputs]
            state = model.next_state(state, outputs, context)
            previous = outputs
        return torch.stack(history), costs

    start = time.perf_counter()
    run()
    return time.perf_counter() - start, run


# Main ------------------------------------------------------------------------------
def report_profile(algorithm, rounds):
    """Per-op time of our training step, from the function's profile."""
    for _ in range(rounds):
        algorithm.process_batch(make_batch())
    profile = algorithm._function.profile
    profile.summary(file=sys.stdout, n_ops_to_print=15, n_apply_to_print=15)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--skip", default="", help="comma-separated: torch, cold")
    parser.add_argument(
        "--profile", action="store_true", help="print our training step's profile"
    )
    parser.add_argument("--first-result", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_result:
        start = time.perf_counter()
        run_ours()
        print(json.dumps({"seconds": time.perf_counter() - start}))
        return
    skip = set(filter(None, args.skip.split(",")))
    print(
        f"reverse-words training step: vocab {VOCAB}, embedding {EMBED}, GRU "
        f"{HIDDEN}, sequence {SEQ}, batch {BATCH}, float32; beam search "
        f"{BEAM} x {BEAM_STEPS} steps; median of {args.steps} interleaved rounds"
    )
    if "cold" not in skip:
        with tempfile.TemporaryDirectory() as compiledir:
            cold = first_result_in_new_process(compiledir)
            warm = first_result_in_new_process(compiledir)
        print(
            f"ours, new process: first result {cold:.2f} s cold, "
            f"{warm:.2f} s warm cache"
        )

    firsts, steps, searches, search_firsts = {}, {}, {}, {}
    firsts["ours"], steps["ours"], reverser, algorithm = run_ours(args.profile)
    search_firsts["ours"], searches["ours"] = ours_beam_search(reverser)
    labels = {"ours": "ours (blocks)", "torch": "PyTorch, Python loop"}
    if "torch" in skip:
        print(f"{labels['torch']:24s} skipped")
    else:
        try:
            firsts["torch"], steps["torch"], model = run_torch()
            search_firsts["torch"], searches["torch"] = torch_beam_search(model)
        except ImportError as exc:
            print(f"{labels['torch']:24s} could not be imported ({exc})")

    step_medians = time_interleaved(steps, args.steps)
    search_medians = time_interleaved(searches, args.steps)
    for key in step_medians:
        print(
            f"{labels[key]:24s} first {firsts[key]:7.2f} s   train step "
            f"{step_medians[key] * 1e3:8.1f} ms   beam search "
            f"{search_medians[key] * 1e3:8.1f} ms (first {search_firsts[key]:.2f} s)"
        )
    if "torch" in step_medians:
        print(
            f"ratio ours / PyTorch: train step "
            f"{step_medians['ours'] / step_medians['torch']:.2f}, beam search "
            f"{search_medians['ours'] / search_medians['torch']:.2f}"
        )
    if args.profile:
        report_profile(algorithm, args.steps)


if __name__ == "__main__":
    os.environ["SYMBOLIC_FLAGS"] = float32_flags()
    main()

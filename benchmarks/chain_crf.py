"""ChainCRF cost and gradient: our brick against the same algorithm in PyTorch.

Workload (float32): batch 32, length 50, 20 tags, every sequence of full
length. One step computes the mean negative log-likelihood (log-space
forward algorithm and the score of the given tags) and its gradient with
respect to the unaries and the transition, start and end scores. PyTorch
runs the same forward recursion step by step with ``logsumexp`` and
autograd ("torch"), and also in the form our brick uses, one matrix
product of exponentials per step ("torch_mm"). The script checks that
the costs and gradients agree, prints the median step time of each (the
engines alternate, round by round) and the ratios ours / peer, and says
when PyTorch does not import.

Run: ``python benchmarks/chain_crf.py [--rounds N]``. On a shared machine
pin both to one BLAS thread (``OMP_NUM_THREADS=1``).
"""

import argparse
import os
import statistics
import sys
import time

import numpy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

SEQ, BATCH, TAGS = 50, 32, 20


def make_data(seed=0):
    rng = numpy.random.RandomState(seed)
    unaries = rng.randn(SEQ, BATCH, TAGS).astype("float32")
    tags = rng.randint(0, TAGS, size=(SEQ, BATCH)).astype("int32")
    transitions = (rng.randn(TAGS, TAGS) * 0.1).astype("float32")
    start = (rng.randn(TAGS) * 0.1).astype("float32")
    end = (rng.randn(TAGS) * 0.1).astype("float32")
    return unaries, tags, transitions, start, end


def build_ours():
    import symbolic
    from blocks.bricks.crf import ChainCRF
    from blocks.initialization import Constant

    unaries0, tags0, transitions0, start0, end0 = make_data()
    with symbolic.change_flags(floatX="float32"):
        crf = ChainCRF(num_tags=TAGS, weights_init=Constant(0), biases_init=Constant(0))
        crf.initialize()
        crf.transitions.set_value(transitions0)
        crf.start_transitions.set_value(start0)
        crf.end_transitions.set_value(end0)
        unaries = symbolic.tensor.ftensor3("unaries")
        tags = symbolic.tensor.imatrix("tags")
        cost = crf.cost(unaries, tags)
        wrt = [unaries, *crf.parameters]
        fn = symbolic.function([unaries, tags], [cost, *symbolic.grad(cost, wrt)])
    return lambda: fn(unaries0, tags0)


def build_torch(matrix_product=False):
    """PyTorch's step; with `matrix_product`, the recursion ours uses.

    The plain form takes ``logsumexp`` over a (batch, tags, tags) tensor
    each step; the other shifts by the row and column maxima and does one
    matrix product of exponentials each step, as the ChainCRF brick does.
    """
    import torch

    unaries0, tags0, transitions0, start0, end0 = make_data()
    unaries = torch.tensor(unaries0, requires_grad=True)
    tags = torch.from_numpy(tags0.astype("int64"))
    transitions = torch.tensor(transitions0, requires_grad=True)
    start = torch.tensor(start0, requires_grad=True)
    end = torch.tensor(end0, requires_grad=True)

    def step():
        for p in (unaries, transitions, start, end):
            p.grad = None
        forward = unaries[0] + start
        if matrix_product:
            column_shift = transitions.detach().max(dim=0).values
            exp_transitions = torch.exp(transitions - column_shift)
        for t in range(1, SEQ):
            if matrix_product:
                shift = forward.detach().max(dim=1, keepdim=True).values
                total = torch.exp(forward - shift) @ exp_transitions
                forward = torch.log(total) + shift + column_shift + unaries[t]
                continue
            forward = (
                torch.logsumexp(forward[:, :, None] + transitions[None], dim=1)
                + unaries[t]
            )
        log_partition = torch.logsumexp(forward + end, dim=1)
        score = (
            unaries.gather(2, tags[:, :, None]).squeeze(2).sum(0)
            + transitions[tags[:-1], tags[1:]].sum(0)
            + start[tags[0]]
            + end[tags[-1]]
        )
        cost = (log_partition - score).mean()
        cost.backward()
        return cost.item(), unaries.grad, transitions.grad

    return step


def check_agree(ours, theirs):
    cost, d_unaries, d_transitions, _, _ = ours()
    t_cost, t_unaries, t_transitions = theirs()
    if not numpy.allclose(cost, t_cost, rtol=1e-4):
        raise AssertionError(f"costs differ: ours {cost}, PyTorch {t_cost}")
    if not numpy.allclose(d_transitions, t_transitions.numpy(), atol=1e-4):
        raise AssertionError("the transition gradients differ")
    if not numpy.allclose(d_unaries, t_unaries.numpy(), atol=1e-5):
        raise AssertionError("the unary gradients differ")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    steps = {"ours": build_ours()}
    try:
        steps["torch"] = build_torch()
        steps["torch_mm"] = build_torch(matrix_product=True)
    except ImportError as error:
        print(f"PyTorch could not be imported ({error}); timing ours alone")
    if "torch" in steps:
        check_agree(steps["ours"], steps["torch"])
        check_agree(steps["ours"], steps["torch_mm"])
    times = {key: [] for key in steps}
    for _ in range(args.rounds):
        for key, step in steps.items():
            step()
            start = time.perf_counter()
            step()
            times[key].append(time.perf_counter() - start)
    medians = {key: statistics.median(t) for key, t in times.items()}
    print(f"ChainCRF cost+gradient, batch {BATCH}, length {SEQ}, {TAGS} tags")
    for key, seconds in medians.items():
        print(f"  {key:8s} {seconds * 1e3:8.2f} ms")
    for peer in ("torch", "torch_mm"):
        if peer in medians:
            print(f"  ratio ours/{peer}: {medians['ours'] / medians[peer]:.2f}x")


if __name__ == "__main__":
    main()

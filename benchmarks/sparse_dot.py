"""Milliseconds per training step of a sparse-input softmax regression, ours and peers.

The step is the text-model pattern: ``structured_dot(x_csr, W)``, a softmax
cross-entropy, the gradient with respect to the dense ``W`` and an SGD
update. Peers (optional): hand-written scipy.sparse + numpy (the floor),
PyTensor's sparse module, PyTorch sparse. Prints each figure and the ratio
ours / peer, and which peers could not be imported.
"""

import os
import sys
import timeit

import numpy
import scipy.sparse

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

N_SAMPLES, N_FEATURES, N_CLASSES, DENSITY = 256, 20000, 20, 0.005
LR = 0.1


def _data():
    rng = numpy.random.RandomState(0)
    x = scipy.sparse.random(
        N_SAMPLES, N_FEATURES, density=DENSITY, format="csr", random_state=rng
    )
    y = rng.randint(0, N_CLASSES, size=N_SAMPLES)
    w = rng.randn(N_FEATURES, N_CLASSES) * 0.01
    return x, y, w


def ours(x, y, w0):
    import symbolic
    import symbolic.tensor as T
    from symbolic import sparse

    xs = sparse.csr_matrix("x", dtype="float64")
    ys = T.lvector("y")
    w = symbolic.shared(w0.copy(), name="w")
    p = T.nnet.softmax(sparse.structured_dot(xs, w))
    cost = T.nnet.categorical_crossentropy(p, ys).mean()
    step = symbolic.function([xs, ys], cost, updates=[(w, w - LR * T.grad(cost, w))])
    return lambda: step(x, y)


def numpy_step(x, y, w0):
    w = w0.copy()
    xt = x.T.tocsr()

    def step():
        logits = x @ w
        logits -= logits.max(axis=1, keepdims=True)
        p = numpy.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        cost = -numpy.log(p[numpy.arange(len(y)), y]).mean()
        p[numpy.arange(len(y)), y] -= 1
        w[...] -= LR * (xt @ (p / len(y)))
        return cost

    return step


def pytensor_step(x, y, w0):
    import pytensor
    import pytensor.sparse as ps
    import pytensor.tensor as pt

    xs = ps.csr_matrix("x", dtype="float64")
    ys = pt.lvector("y")
    w = pytensor.shared(w0.copy(), name="w")
    p = pt.special.softmax(ps.structured_dot(xs, w), axis=-1)
    cost = -pt.log(p[pt.arange(ys.shape[0]), ys]).mean()
    step = pytensor.function([xs, ys], cost, updates=[(w, w - LR * pt.grad(cost, w))])
    return lambda: step(x, y)


def torch_step(x, y, w0):
    import torch

    coo = x.tocoo()
    xt = torch.sparse_coo_tensor(
        numpy.vstack([coo.row, coo.col]),
        coo.data,
        size=x.shape,
        check_invariants=False,
    ).coalesce()
    yt = torch.as_tensor(y)
    w = torch.tensor(w0.copy(), requires_grad=True)

    def step():
        cost = torch.nn.functional.cross_entropy(torch.sparse.mm(xt, w), yt)
        cost.backward()
        with torch.no_grad():
            w.sub_(LR * w.grad)
            w.grad = None
        return cost

    return step


def _ms(step, number=20, repeat=5):
    step()
    return min(timeit.repeat(step, number=number, repeat=repeat)) / number * 1e3


def main():
    x, y, w = _data()
    ours_ms = _ms(ours(x, y, w))
    print(f"ours: {ours_ms:.3f} ms/step ({N_SAMPLES}x{N_FEATURES} csr, nnz={x.nnz})")
    missing = []
    for name, make in (
        ("scipy+numpy by hand", numpy_step),
        ("PyTensor sparse", pytensor_step),
        ("PyTorch sparse", torch_step),
    ):
        try:
            peer_ms = _ms(make(x, y, w))
        except ImportError as exc:
            missing.append(f"{name} ({exc})")
            continue
        print(f"{name}: {peer_ms:.3f} ms/step, ratio ours/peer {ours_ms / peer_ms:.2f}")
    if missing:
        print("could not import: " + "; ".join(missing))


if __name__ == "__main__":
    main()

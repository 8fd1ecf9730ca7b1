"""A 784-100-10 MLP trained by SGD through updates matches a numpy implementation."""

import numpy

import symbolic
import symbolic.tensor as T
from symbolic.tensor import nnet


def _numpy_train(W1, b1, W2, b2, X, y, lr, steps):
    W1, b1, W2, b2 = (p.copy() for p in (W1, b1, W2, b2))
    n = X.shape[0]
    for _ in range(steps):
        pre = X @ W1 + b1
        h = numpy.maximum(pre, 0)
        logits = h @ W2 + b2
        logits = logits - logits.max(axis=1, keepdims=True)
        p = numpy.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        d_logits = p.copy()
        d_logits[numpy.arange(n), y] -= 1
        d_logits /= n
        gW2 = h.T @ d_logits
        gb2 = d_logits.sum(axis=0)
        d_h = d_logits @ W2.T
        d_pre = d_h * (pre > 0)
        gW1 = X.T @ d_pre
        gb1 = d_pre.sum(axis=0)
        W1 -= lr * gW1
        b1 -= lr * gb1
        W2 -= lr * gW2
        b2 -= lr * gb2
    return W1, b1, W2, b2


def test_mlp_matches_numpy_to_1e6():
    rng = numpy.random.RandomState(1234)
    X = rng.rand(64, 784)
    y = rng.randint(0, 10, size=64)
    init = [
        rng.randn(784, 100) * 0.05,
        numpy.zeros(100),
        rng.randn(100, 10) * 0.05,
        numpy.zeros(10),
    ]
    lr = 0.1

    params = [
        symbolic.shared(p.copy(), name)
        for p, name in zip(init, ["W1", "b1", "W2", "b2"])
    ]
    W1, b1, W2, b2 = params
    x = T.dmatrix("x")
    t = T.lvector("t")
    h = nnet.relu(T.dot(x, W1) + b1)
    probs = nnet.softmax(T.dot(h, W2) + b2)
    cost = nnet.categorical_crossentropy(probs, t).mean()
    grads = symbolic.grad(cost, params)
    train = symbolic.function(
        [x, t], cost, updates=[(p, p - lr * g) for p, g in zip(params, grads)]
    )
    losses = [float(train(X, y)) for _ in range(10)]
    expected = _numpy_train(*init, X, y, lr, 10)
    for param, want in zip(params, expected):
        numpy.testing.assert_allclose(param.get_value(), want, rtol=1e-6, atol=1e-12)
    assert losses[-1] < losses[0]

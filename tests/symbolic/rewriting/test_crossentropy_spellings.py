"""The cross-entropies of Theano's tutorials, in each spelling, stay finite.

Each spelling is compiled in FAST_RUN and in DebugMode (with the finiteness
check off, as CI runs it); its value and gradient at logits of +-1000 must
match the stable formula, and the rewritten graph must have lost the
unstable pieces (``log`` of a probability, a division by it).
"""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.config import change_flags
from tests.symbolic.rewriting.rewrite_helpers import RAW, scalar_ops

LOGITS = numpy.array([1000.0, -1000.0, 100.0, -100.0, 0.5, -2.0])
LABELS = numpy.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0])


def _softplus(v):
    return numpy.maximum(v, 0) + numpy.log1p(numpy.exp(-numpy.abs(v)))


def _sigmoid(v):
    return numpy.exp(-_softplus(-v))


def _by_hand(p, y):
    return -y * T.log(p) - (1 - y) * T.log(1 - p)


BINARY = {
    "one_over_one_plus_exp": lambda x, y: _by_hand(1 / (1 + T.exp(-x)), y),
    "nnet_sigmoid": lambda x, y: _by_hand(T.nnet.sigmoid(x), y),
    "exp_over_one_plus_exp": lambda x, y: _by_hand(T.exp(x) / (1 + T.exp(x)), y),
    "binary_crossentropy": lambda x, y: T.nnet.binary_crossentropy(
        T.nnet.sigmoid(x), y
    ),
    "binary_crossentropy_of_written_sigmoid": lambda x, y: T.nnet.binary_crossentropy(
        1 / (1 + T.exp(-x)), y
    ),
}
REDUCTIONS = {"sum": lambda c: c.sum(), "mean": lambda c: c.mean()}
MODES = ["FAST_RUN", "DebugMode"]
REWRITTEN = symbolic.Mode("py", "fast_run").excluding("fusion", "inplace")


def _compile(inputs, outputs, mode):
    with change_flags(DebugMode__check_finite=False):
        return symbolic.function(inputs, outputs, mode=mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reduce", sorted(REDUCTIONS))
@pytest.mark.parametrize("spelling", sorted(BINARY))
def test_binary_crossentropy_spellings_are_finite(spelling, reduce, mode):
    x, y = T.dvectors("x", "y")
    cost = REDUCTIONS[reduce](BINARY[spelling](x, y))
    f = _compile([x, y], [cost, T.grad(cost, x)], mode)
    value, grad = f(LOGITS, LABELS)
    scale = len(LOGITS) if reduce == "mean" else 1
    expected = _softplus(LOGITS) - LABELS * LOGITS
    numpy.testing.assert_allclose(value, expected.sum() / scale, rtol=1e-12)
    numpy.testing.assert_allclose(grad, (_sigmoid(LOGITS) - LABELS) / scale, rtol=1e-9)


@pytest.mark.parametrize("spelling", sorted(BINARY))
def test_binary_crossentropy_graph_before_and_after(spelling):
    x, y = T.dvectors("x", "y")
    cost = BINARY[spelling](x, y).sum()
    outputs = [cost, T.grad(cost, x)]
    before = symbolic.function([x, y], outputs, mode=RAW)
    after = symbolic.function([x, y], outputs, mode=REWRITTEN)
    assert "Log" in scalar_ops(before)
    ops = scalar_ops(after)
    assert "Log" not in ops and "TrueDiv" not in ops, ops
    assert "ScalarSoftplus" in ops
    # Unrewritten, the hand-written forms overflow; that is what is fixed.
    if spelling != "binary_crossentropy":
        with numpy.errstate(all="ignore"):
            assert not numpy.isfinite(before(LOGITS, LABELS)[1]).all()


def test_sigmoid_spellings_become_sigmoid():
    x = T.dvector("x")
    mode = REWRITTEN
    for p in (1 / (1 + T.exp(-x)), T.exp(x) / (1 + T.exp(x))):
        f = symbolic.function([x], p, mode=mode)
        assert scalar_ops(f) == ["ScalarSigmoid"]
        numpy.testing.assert_allclose(f(LOGITS), _sigmoid(LOGITS), rtol=1e-12)
    # Left as it is (as Theano did), so a sigmoid's gradient s * (1 - s)
    # does not compute a second sigmoid.
    f = symbolic.function([x], T.grad(T.nnet.sigmoid(x).sum(), x), mode=mode)
    assert scalar_ops(f).count("ScalarSigmoid") == 1


@pytest.mark.parametrize("mode", MODES)
def test_log_one_plus_exp_is_softplus(mode):
    x = T.dvector("x")
    cost = T.log(1 + T.exp(x))
    f = _compile([x], [cost, T.grad(cost.sum(), x)], mode)
    value, grad = f(LOGITS)
    numpy.testing.assert_allclose(value, _softplus(LOGITS), rtol=1e-12)
    numpy.testing.assert_allclose(grad, _sigmoid(LOGITS), rtol=1e-9)
    plain = symbolic.function([x], cost, mode=REWRITTEN)
    assert scalar_ops(plain) == ["ScalarSoftplus"]


X2 = numpy.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 3.0], [0.1, 0.2, 0.3]])
Y2 = numpy.array([1, 0, 2])


def _indexed_log(x, y):
    return -T.log(T.nnet.softmax(x))[T.arange(y.shape[0]), y]


CATEGORICAL = {
    "minus_log_softmax_indexed": _indexed_log,
    "log_softmax_indexed_negated": lambda x, y: (
        -(T.log(T.nnet.softmax(x))[T.arange(y.shape[0]), y])
    ),
    "categorical_crossentropy": lambda x, y: T.nnet.categorical_crossentropy(
        T.nnet.softmax(x), y
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reduce", sorted(REDUCTIONS))
@pytest.mark.parametrize("spelling", sorted(CATEGORICAL))
def test_categorical_crossentropy_spellings_are_finite(spelling, reduce, mode):
    x = T.dmatrix("x")
    y = T.lvector("y")
    cost = REDUCTIONS[reduce](CATEGORICAL[spelling](x, y))
    f = _compile([x, y], [cost, T.grad(cost, x)], mode)
    value, grad = f(X2, Y2)
    scale = len(Y2) if reduce == "mean" else 1
    shifted = X2 - X2.max(axis=1, keepdims=True)
    log_sm = shifted - numpy.log(numpy.exp(shifted).sum(axis=1, keepdims=True))
    rows = numpy.arange(len(Y2))
    numpy.testing.assert_allclose(value, -log_sm[rows, Y2].sum() / scale, rtol=1e-12)
    onehot = numpy.eye(X2.shape[1])[Y2]
    numpy.testing.assert_allclose(
        grad, (numpy.exp(log_sm) - onehot) / scale, rtol=1e-9, atol=1e-300
    )


@pytest.mark.parametrize("spelling", sorted(CATEGORICAL))
def test_categorical_crossentropy_graph_before_and_after(spelling):
    x = T.dmatrix("x")
    y = T.lvector("y")
    cost = CATEGORICAL[spelling](x, y).mean()
    outputs = [cost, T.grad(cost, x)]
    before = symbolic.function([x, y], outputs, mode=RAW)
    after = symbolic.function([x, y], outputs, mode=REWRITTEN)
    assert "Softmax" in scalar_ops(before)
    ops = scalar_ops(after)
    assert "Log" not in ops, ops
    assert {"LogSoftmax", "CrossentropySoftmaxArgmax1HotWithBias"} & set(ops), ops
    # What divides is the mean's count, never a probability.
    for node in after.maker.fgraph.toposort():
        if type(getattr(node.op, "scalar_op", None)).__name__ == "TrueDiv":
            assert all(node.inputs[1].broadcastable), node
    with numpy.errstate(all="ignore"):
        assert not numpy.isfinite(before(X2, Y2)[1]).all()


@pytest.mark.parametrize("mode", MODES)
def test_tutorial_softmax_regression_with_bias(mode):
    """The deep-learning tutorial's ``-mean(log(p_y_given_x)[arange(n), y])``."""
    x = T.dmatrix("x")
    y = T.lvector("y")
    W = T.dmatrix("W")
    b = T.dvector("b")
    p_y_given_x = T.nnet.softmax(T.dot(x, W) + b)
    cost = -T.mean(T.log(p_y_given_x)[T.arange(y.shape[0]), y])
    f = _compile([x, y, W, b], [cost] + T.grad(cost, [W, b]), mode)
    eye = numpy.eye(3)
    value, g_w, g_b = f(eye, Y2, X2, numpy.array([0.0, 0.0, 1000.0]))
    logits = X2 + [0.0, 0.0, 1000.0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_sm = shifted - numpy.log(numpy.exp(shifted).sum(axis=1, keepdims=True))
    numpy.testing.assert_allclose(value, -log_sm[numpy.arange(3), Y2].mean())
    d_logits = (numpy.exp(log_sm) - eye[Y2]) / 3
    numpy.testing.assert_allclose(g_w, d_logits, atol=1e-15)
    numpy.testing.assert_allclose(g_b, d_logits.sum(axis=0), atol=1e-15)


def test_float32_spelling_stays_float32_and_finite():
    with change_flags(floatX="float32"):
        x, y = T.vectors("x", "y")
        cost = BINARY["one_over_one_plus_exp"](x, y).mean()
        f = symbolic.function([x, y], [cost, T.grad(cost, x)])
    value, grad = f(LOGITS.astype("float32"), LABELS.astype("float32"))
    assert value.dtype == grad.dtype == numpy.float32
    assert numpy.isfinite(grad).all() and numpy.isfinite(value)
    numpy.testing.assert_allclose(
        grad, (_sigmoid(LOGITS) - LABELS) / len(LOGITS), rtol=1e-5, atol=1e-7
    )

"""Stabilize: stable forms of log/exp/sigmoid/softmax graphs and their gradients."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from tests.symbolic.rewriting.rewrite_helpers import FAST, check_same, scalar_ops

XV = numpy.array([[0.5, -1.5, 2.0], [3.0, 0.25, -0.75]])
TV = numpy.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
YV = numpy.array([1, 0])
EXTREME = numpy.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 3.0]])


def test_log_sigmoid_is_minus_softplus():
    x = T.dmatrix("x")
    f = check_same([x], T.log(T.nnet.sigmoid(x)), [XV])
    assert "ScalarSoftplus" in scalar_ops(f) and "Log" not in scalar_ops(f)
    g = check_same([x], T.log(1 - T.nnet.sigmoid(x)), [XV])
    assert "ScalarSoftplus" in scalar_ops(g) and "Log" not in scalar_ops(g)
    assert numpy.isfinite(f(EXTREME)).all() and numpy.isfinite(g(EXTREME)).all()


def test_log1p_and_expm1():
    x = T.dmatrix("x")
    f = check_same([x], T.log(1 + x * 1e-3), [XV])
    assert "Log1p" in scalar_ops(f)
    g = check_same([x], T.exp(x) - 1, [XV])
    assert scalar_ops(g) == ["Expm1"]
    tiny = numpy.full((1, 1), 1e-20)
    assert f(tiny * 1e3)[0, 0] == pytest.approx(1e-20)
    assert g(tiny)[0, 0] == pytest.approx(1e-20)


def test_logsumexp_is_max_shifted():
    x = T.dmatrix("x")
    f = check_same([x], T.log(T.sum(T.exp(x), axis=1)), [XV])
    assert "Max" in scalar_ops(f)
    numpy.testing.assert_allclose(f(EXTREME), [1000.0, 1000.0])
    ninf = numpy.full((1, 2), -numpy.inf)
    assert f(ninf)[0] == -numpy.inf


def test_log_softmax_is_logsoftmax():
    x = T.dmatrix("x")
    f = check_same([x], T.log(T.nnet.softmax(x)), [XV])
    assert scalar_ops(f) == ["LogSoftmax"]
    assert numpy.isfinite(f(EXTREME)).all()


def test_softmax_crossentropy_with_int_labels_is_fused():
    x = T.dmatrix("x")
    y = T.lvector("y")
    loss = T.nnet.categorical_crossentropy(T.nnet.softmax(x), y).mean()
    f = check_same([x, y], [loss, T.grad(loss, x)], [XV, YV])
    ops = scalar_ops(f)
    assert "CrossentropySoftmaxArgmax1HotWithBias" in ops
    assert "CrossentropySoftmax1HotWithBiasDx" in ops
    assert "Softmax" not in ops and "CrossentropyCategorical1Hot" not in ops


def test_softmax_crossentropy_with_one_hot_targets_uses_logsoftmax():
    x = T.dmatrix("x")
    t = T.dmatrix("t")
    loss = T.nnet.categorical_crossentropy(T.nnet.softmax(x), t).mean()
    f = check_same([x, t], [loss, T.grad(loss, x)], [XV, TV])
    ops = scalar_ops(f)
    assert "LogSoftmax" in ops and "SoftmaxGrad" not in ops


def _loss_and_grad(kind):
    x = T.dmatrix("x")
    t = T.dmatrix("t")
    y = T.lvector("y")
    if kind == "softmax_int":
        loss = T.nnet.categorical_crossentropy(T.nnet.softmax(x), y).mean()
    elif kind == "softmax_onehot":
        loss = T.nnet.categorical_crossentropy(T.nnet.softmax(x), t).mean()
    else:
        loss = T.nnet.binary_crossentropy(T.nnet.sigmoid(x), t).mean()
    return symbolic.function(
        [x, t, y], [loss, T.grad(loss, x)], on_unused_input="ignore"
    )


@pytest.mark.parametrize("kind", ["softmax_int", "softmax_onehot", "sigmoid"])
def test_extreme_logits_give_finite_loss_and_gradient(kind):
    f = _loss_and_grad(kind)
    loss, grad = f(EXTREME, TV, YV)
    assert numpy.isfinite(loss) and numpy.isfinite(grad).all()
    # Moderate logits: the same numbers as the unrewritten graph.
    raw = symbolic.function(
        f.maker.inputs and [i.variable for i in f.maker.inputs],
        [o.variable for o in f.maker.outputs],
        mode=symbolic.Mode(optimizer=None),
        on_unused_input="ignore",
    )
    for a, b in zip(f(XV, TV, YV), raw(XV, TV, YV)):
        numpy.testing.assert_allclose(a, b, rtol=1e-10)


def test_sigmoid_crossentropy_gradient_loses_its_divisions():
    x = T.dmatrix("x")
    t = T.dmatrix("t")
    loss = T.nnet.binary_crossentropy(T.nnet.sigmoid(x), t).sum()
    f = symbolic.function([x, t], T.grad(loss, x), mode=FAST.excluding("fusion"))
    assert "TrueDiv" not in scalar_ops(f)


def test_float32_stays_float32():
    x = T.fmatrix("x")
    y = T.lvector("y")
    loss = T.nnet.categorical_crossentropy(T.nnet.softmax(x), y).mean()
    f = symbolic.function([x, y], [loss, T.grad(loss, x)])
    loss_v, grad_v = f(EXTREME.astype("float32"), YV)
    assert numpy.isfinite(loss_v)
    assert grad_v.dtype == numpy.float32 and numpy.isfinite(grad_v).all()


def test_excluding_stabilize_keeps_the_unstable_graph():
    x = T.dmatrix("x")
    mode = symbolic.Mode(optimizer="fast_run").excluding("stabilize")
    f = symbolic.function([x], T.log(T.nnet.softmax(x)), mode=mode)
    assert "LogSoftmax" not in scalar_ops(f)

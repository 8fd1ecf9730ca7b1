"""Softmax, SoftmaxGrad, SoftmaxWithBias, LogSoftmax and softmax_graph."""

import pickle
import warnings

import numpy
import pytest
import scipy.special

from symbolic.compile.function import function
from symbolic.gradient import Rop, grad, verify_grad
from symbolic.ops.nnet import (
    LogSoftmax,
    Softmax,
    SoftmaxGrad,
    SoftmaxWithBias,
    logsoftmax,
    softmax,
    softmax_grad,
    softmax_graph,
    softmax_op,
    softmax_with_bias,
)
from symbolic.types.tensor import TensorType
from tests.helpers.op_check import check_op

RNG = numpy.random.RandomState(7)
EXTREME = numpy.array([[1000.0, -1000.0, 0.0, 999.0], [-1000.0, -1000.0, -999.0, 5.0]])


def _matrix(dtype="float64", name="x", broadcastable=(False, False)):
    return TensorType(dtype, broadcastable)(name)


def _logits(shape, dtype="float64", scale=3.0):
    return RNG.uniform(-scale, scale, size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "fn, reference",
    [
        (softmax, lambda v: scipy.special.softmax(v, axis=1)),
        (logsoftmax, lambda v: scipy.special.log_softmax(v, axis=1)),
        (softmax_graph, lambda v: scipy.special.softmax(v, axis=-1)),
    ],
)
def test_perform_matches_scipy(dtype, fn, reference):
    x = _matrix(dtype)
    value = _logits((4, 5), dtype)
    y = fn(x)
    assert y.type == x.type
    out = function([x], y)(value)
    assert out.dtype == dtype
    tol = 1e-5 if dtype == "float32" else 1e-12
    numpy.testing.assert_allclose(
        out, reference(value.astype("float64")), rtol=tol, atol=tol
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_extreme_logits_stay_finite(dtype):
    x = _matrix(dtype)
    value = EXTREME.astype(dtype)
    sm, lsm, smg = function([x], [softmax(x), logsoftmax(x), softmax_graph(x)])(value)
    for out in (sm, lsm, smg):
        assert numpy.all(numpy.isfinite(out))
    expected = scipy.special.log_softmax(EXTREME, axis=1)
    numpy.testing.assert_allclose(lsm, expected, rtol=1e-6)
    numpy.testing.assert_allclose(sm, numpy.exp(expected), rtol=1e-5, atol=1e-30)
    numpy.testing.assert_allclose(smg, sm, rtol=1e-5, atol=1e-30)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("fn", [softmax, logsoftmax, softmax_graph])
def test_extreme_logits_grads_stay_finite(dtype, fn):
    x = _matrix(dtype)
    weights = numpy.arange(8, dtype=dtype).reshape(2, 4)
    g = grad((fn(x) * weights).sum(), x)
    assert g.type == x.type
    out = function([x], g)(EXTREME.astype(dtype))
    assert numpy.all(numpy.isfinite(out))


def test_vector_input_is_padded_to_a_row_with_a_warning():
    x = TensorType("float64", (False,))("v")
    for fn in (softmax, logsoftmax):
        with pytest.warns(UserWarning, match="pad x"):
            y = fn(x)
        assert y.broadcastable == (True, False)
        value = _logits((5,))
        out = function([x], y)(value)
        assert out.shape == (1, 5)
        assert numpy.isclose(numpy.exp(out).sum() if fn is logsoftmax else out.sum(), 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            verify_grad(fn, [value], rng=RNG)


def test_softmax_warns_on_a_broadcastable_last_axis():
    x = _matrix(broadcastable=(False, True))
    with pytest.warns(UserWarning, match="dimension of shape 1"):
        softmax(x)


@pytest.mark.parametrize("op", [softmax_op, LogSoftmax()])
def test_rejects_bad_inputs(op):
    with pytest.raises(ValueError, match="must be a 1-d or 2-d tensor of floats"):
        op(TensorType("int64", (False, False))("labels"))
    with pytest.raises(ValueError, match=r"x \(cube\)"):
        op(TensorType("float64", (False,) * 3)("cube"))


@pytest.mark.parametrize("fn", [softmax, logsoftmax, softmax_graph])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_verify_grad(fn, dtype):
    verify_grad(fn, [_logits((3, 4), dtype)], rng=RNG)


def test_softmax_grad_op_perform_and_grad():
    dy, sm = _logits((3, 4)), scipy.special.softmax(_logits((3, 4)), axis=1)
    a, b = _matrix(name="dy"), _matrix(name="sm")
    out = function([a, b], softmax_grad(a, b))(dy, sm)
    expected = sm * (dy - (dy * sm).sum(axis=1, keepdims=True))
    numpy.testing.assert_allclose(out, expected, rtol=1e-12)
    verify_grad(softmax_grad, [dy, sm], rng=RNG)


def test_softmax_grad_shape_mismatch_names_inputs():
    a, b = _matrix(name="dy"), _matrix(name="probs")
    f = function([a, b], softmax_grad(a, b))
    with pytest.raises(ValueError, match=r"dy has shape \(2, 3\) but probs"):
        f(numpy.ones((2, 3)), numpy.ones((2, 4)))


def test_softmax_second_derivative():
    # The Hessian-vector product goes through SoftmaxGrad's own gradient.
    w = _logits((2, 3))

    def fn(v):
        return grad((softmax(v) * w).sum(), v)

    verify_grad(fn, [_logits((2, 3))], rng=RNG)


def test_softmax_with_bias():
    x, b = _matrix(name="x"), TensorType("float64", (False,))("b")
    xv, bv = _logits((3, 4)), _logits((4,))
    y = softmax_with_bias(x, b)
    assert y.type == x.type
    numpy.testing.assert_allclose(
        function([x, b], y)(xv, bv), scipy.special.softmax(xv + bv, axis=1), rtol=1e-12
    )
    verify_grad(softmax_with_bias, [xv, bv], rng=RNG)
    gb = grad((y * xv).sum(), b)
    assert gb.type == b.type
    with pytest.raises(ValueError, match="b has 3 entries but x has 4 columns"):
        function([x, b], y)(xv, bv[:3])
    with pytest.raises(ValueError, match="must be a 1-d tensor of floats"):
        softmax_with_bias(x, x)


@pytest.mark.parametrize(
    "op, shapes",
    [
        (softmax_op, [(3, 4)]),
        (LogSoftmax(), [(3, 4)]),
        (softmax_grad, [(3, 4), (3, 4)]),
        (softmax_with_bias, [(3, 4), (4,)]),
    ],
)
def test_infer_shape(op, shapes):
    inputs = [TensorType("float64", (False,) * len(s))() for s in shapes]
    node = op(*inputs).owner
    values = [_logits(s) for s in shapes]
    actual = function(inputs, node.outputs[0])(*values).shape
    assert tuple(op.infer_shape(None, node, shapes)[0]) == actual


@pytest.mark.parametrize(
    "op", [Softmax(), SoftmaxGrad(), SoftmaxWithBias(), LogSoftmax()]
)
def test_identity_and_pickle(op):
    assert op == type(op)()
    assert hash(op) == hash(type(op)())
    assert pickle.loads(pickle.dumps(op)) == op
    assert str(op) == type(op).__name__


@pytest.mark.parametrize("fn", [softmax, logsoftmax])
def test_rop_matches_the_jacobian(fn):
    x, v = _matrix(name="x"), _matrix(name="v")
    xv, vv = _logits((2, 3)), _logits((2, 3))
    r = function([x, v], Rop(fn(x), x, v))(xv, vv)
    eps = 1e-6
    f = function([x], fn(x))
    numeric = (f(xv + eps * vv) - f(xv - eps * vv)) / (2 * eps)
    numpy.testing.assert_allclose(r, numeric, rtol=1e-6, atol=1e-8)


def test_softmax_with_bias_rop():
    x, b = _matrix(name="x"), TensorType("float64", (False,))("b")
    ex, eb = _matrix(name="ex"), TensorType("float64", (False,))("eb")
    xv, bv, exv, ebv = _logits((2, 3)), _logits((3,)), _logits((2, 3)), _logits((3,))
    r = function([x, b, ex, eb], Rop(softmax_with_bias(x, b), [x, b], [ex, eb]))(
        xv, bv, exv, ebv
    )
    eps = 1e-6
    f = function([x, b], softmax_with_bias(x, b))
    plus = f(xv + eps * exv, bv + eps * ebv)
    minus = f(xv - eps * exv, bv - eps * ebv)
    numeric = (plus - minus) / (2 * eps)
    numpy.testing.assert_allclose(r, numeric, rtol=1e-6, atol=1e-8)


def test_empty_rows():
    x = _matrix()
    value = numpy.zeros((0, 3))
    sm, lsm = function([x], [softmax(x), logsoftmax(x)])(value)
    assert sm.shape == (0, 3) and lsm.shape == (0, 3)


@pytest.mark.parametrize(
    "fn, reference",
    [
        (softmax, lambda v: scipy.special.softmax(v, axis=1)),
        (logsoftmax, lambda v: scipy.special.log_softmax(v, axis=1)),
        (softmax_with_bias, lambda v, b: scipy.special.softmax(v + b, axis=1)),
    ],
)
def test_op_contract(fn, reference):
    values = [_logits((3, 4)), _logits((4,))][: reference.__code__.co_argcount]
    check_op(fn, values, expected=reference)

"""sigmoid, softplus, ultra_fast_sigmoid and hard_sigmoid."""

import pickle

import numpy
import pytest
import scipy.special

from symbolic.compile.function import function
from symbolic.gradient import grad, verify_grad
from symbolic.ops.nnet import (
    hard_sigmoid,
    scalar_sigmoid,
    scalar_softplus,
    sigmoid,
    softplus,
    ultra_fast_scalar_sigmoid,
    ultra_fast_sigmoid,
)
from symbolic.ops.scalar import expr as E
from symbolic.types.tensor import TensorType

RNG = numpy.random.RandomState(42)
EXTREMES = numpy.array([-1000.0, -800.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 800.0, 1000.0])


def _reference_softplus(x):
    return numpy.logaddexp(0, numpy.asarray(x, dtype="float64"))


def _reference_ultra_fast(x):
    h = 0.5 * numpy.asarray(x, dtype="float64")
    a = numpy.abs(h)
    middle = 0.935409070603099 + 0.0458812946797165 * (a - 1.7)
    t = numpy.where(
        a < 1.7, 1.5 * a / (1 + a), numpy.where(a < 3, middle, 0.99505475368673)
    )
    return 0.5 * (numpy.where(h >= 0, t, -t) + 1)


CASES = [
    (sigmoid, scipy.special.expit, 1e-6),
    (softplus, _reference_softplus, 1e-6),
    (ultra_fast_sigmoid, _reference_ultra_fast, 1e-6),
]


def _vector(dtype, name="x"):
    return TensorType(dtype, (False,))(name)


@pytest.mark.parametrize("fn, reference, rtol", CASES)
@pytest.mark.parametrize(
    "dtype, out_dtype",
    [
        ("float64", "float64"),
        ("float32", "float32"),
        ("int8", "float32"),
        ("int16", "float32"),
        ("int32", "float64"),
        ("int64", "float64"),
    ],
)
def test_perform_matches_reference(fn, reference, rtol, dtype, out_dtype):
    x = _vector(dtype)
    if numpy.dtype(dtype).kind == "i":
        value = numpy.arange(-100, 101, 7).astype(dtype)
    else:
        value = numpy.concatenate([RNG.uniform(-8, 8, 20), EXTREMES]).astype(dtype)
    y = fn(x)
    assert y.dtype == out_dtype
    out = function([x], y)(value)
    assert out.dtype == out_dtype
    tol = 1e-5 if out_dtype == "float32" else rtol
    numpy.testing.assert_allclose(out, reference(value), rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "scalar_op", [scalar_sigmoid, scalar_softplus, ultra_fast_scalar_sigmoid]
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_expression_agrees_with_impl(scalar_op, dtype):
    value = numpy.concatenate([RNG.uniform(-8, 8, 30), EXTREMES]).astype(dtype)
    (expr,) = scalar_op.expression([E.arg(0, dtype)], [dtype], [dtype])
    assert expr.dtype == dtype
    numpy.testing.assert_allclose(
        E.evaluate(expr, [value]), scalar_op.impl(value), rtol=1e-6
    )


@pytest.mark.parametrize(
    "scalar_op", [scalar_sigmoid, scalar_softplus, ultra_fast_scalar_sigmoid]
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_impl_is_silent_and_finite_at_extremes(scalar_op, dtype):
    with numpy.errstate(all="raise"):
        out = scalar_op.impl(EXTREMES.astype(dtype))
    assert numpy.all(numpy.isfinite(out))
    assert out.dtype == dtype


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_and_softplus_exact_at_extremes(dtype):
    x = _vector(dtype)
    sig, sp = function([x], [sigmoid(x), softplus(x)])(EXTREMES.astype(dtype))
    assert sig[0] == 0 and sig[-1] == 1
    assert sp[0] == 0 and sp[-1] == 1000
    numpy.testing.assert_allclose(sp[4], numpy.log(2), rtol=1e-6)


@pytest.mark.parametrize("fn", [sigmoid, softplus, ultra_fast_sigmoid, hard_sigmoid])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_grads_are_finite_at_extremes(fn, dtype):
    x = _vector(dtype)
    g = grad(fn(x).sum(), x)
    assert g.type == x.type
    out = function([x], g)(EXTREMES.astype(dtype))
    assert numpy.all(numpy.isfinite(out))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_and_softplus_grad_values(dtype):
    x = _vector(dtype)
    value = EXTREMES.astype(dtype)
    gsig, gsp = function([x], [grad(sigmoid(x).sum(), x), grad(softplus(x).sum(), x)])(
        value
    )
    s = scipy.special.expit(value.astype("float64"))
    numpy.testing.assert_allclose(gsig, s * (1 - s), rtol=1e-5, atol=1e-7)
    numpy.testing.assert_allclose(gsp, s, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("fn", [sigmoid, softplus])
def test_verify_grad(fn):
    verify_grad(fn, [RNG.uniform(-5, 5, size=(3, 4))], rng=RNG)


def test_ultra_fast_sigmoid_grad_is_theanos_surrogate():
    # Theano differentiates the approximation as if it were the sigmoid: y (1 - y).
    x = _vector("float64")
    y = ultra_fast_sigmoid(x)
    value = numpy.linspace(-8, 8, 401)
    yv, gv = function([x], [y, grad(y.sum(), x)])(value)
    numpy.testing.assert_allclose(gv, yv * (1 - yv), rtol=1e-12)
    # The piecewise approximation stays within 0.028 of the sigmoid.
    numpy.testing.assert_allclose(yv, scipy.special.expit(value), atol=0.028)


def test_verify_grad_hard_sigmoid_away_from_kinks():
    value = numpy.array([-4.0, -1.0, 0.3, 2.0, 3.5])
    verify_grad(hard_sigmoid, [value], rng=RNG)


def test_hard_sigmoid_values_and_dtype():
    for dtype, out_dtype in [
        ("float32", "float32"),
        ("float64", "float64"),
        ("int8", "float32"),
        ("int64", "float64"),
    ]:
        x = _vector(dtype)
        y = hard_sigmoid(x)
        assert y.dtype == out_dtype
        value = numpy.array([-10, -2, 0, 1, 2, 10]).astype(dtype)
        expected = numpy.clip(0.2 * value.astype("float64") + 0.5, 0, 1)
        numpy.testing.assert_allclose(function([x], y)(value), expected, rtol=1e-6)


def test_names_and_pickle():
    assert str(sigmoid) == "sigmoid"
    assert str(softplus) == "softplus"
    assert str(ultra_fast_sigmoid) == "ultra_fast_sigmoid"
    assert str(scalar_sigmoid) == "scalar_sigmoid"
    assert str(sigmoid(_vector("float64")).owner.op) == "sigmoid"
    for op in (sigmoid, softplus, ultra_fast_sigmoid):
        clone = pickle.loads(pickle.dumps(op))
        assert clone == op
        assert hash(clone) == hash(op)
    assert sigmoid != softplus
    x = _vector("float32", "x")
    y = pickle.loads(pickle.dumps(sigmoid(x)))
    assert y.owner.op == sigmoid and y.type == TensorType("float32", (False,))


def test_infer_shape_of_elemwise():
    x = TensorType("float64", (False, True))("x")
    y = softplus(x)
    assert y.broadcastable == (False, True)
    assert y.owner.op.infer_shape(None, y.owner, [(5, 1)]) == [(5, 1)]

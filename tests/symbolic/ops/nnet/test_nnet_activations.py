"""relu, elu, selu, binary_crossentropy and sigmoid_binary_crossentropy."""

import pickle

import numpy
import pytest
import scipy.special

from symbolic.compile.function import function
from symbolic.config import config
from symbolic.gradient import grad, verify_grad
from symbolic.ops.nnet import (
    ScalarSigmoidBinaryCrossentropy,
    binary_crossentropy,
    elu,
    relu,
    selu,
    sigmoid,
    sigmoid_binary_crossentropy,
)
from symbolic.ops.scalar import expr as E
from symbolic.types.tensor import TensorType

RNG = numpy.random.RandomState(3)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _vector(dtype="float64", name="x"):
    return TensorType(dtype, (False,))(name)


def _away_from_zero(n):
    values = RNG.uniform(0.1, 3, n)
    return values * numpy.where(RNG.rand(n) < 0.5, -1, 1)


def _elu_ref(v, alpha):
    return numpy.where(v > 0, v, alpha * numpy.expm1(numpy.minimum(v, 0)))


@pytest.mark.parametrize(
    "fn, reference",
    [
        (relu, lambda v: numpy.maximum(v, 0)),
        (lambda x: relu(x, 0.1), lambda v: numpy.where(v > 0, v, 0.1 * v)),
        (elu, lambda v: _elu_ref(v, 1.0)),
        (lambda x: elu(x, 0.5), lambda v: _elu_ref(v, 0.5)),
        (selu, lambda v: SELU_SCALE * _elu_ref(v, SELU_ALPHA)),
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_activation_values_and_grads(fn, reference, dtype):
    x = _vector(dtype)
    value = numpy.concatenate([_away_from_zero(10), [-1000, 0, 1000]]).astype(dtype)
    y = fn(x)
    out = function([x], y)(value)
    # Under floatX=float32 the Python-float constants (alpha, scale) are float32.
    tol = 1e-5 if "float32" in (dtype, config.floatX) else 1e-12
    numpy.testing.assert_allclose(out, reference(value.astype("float64")), rtol=tol)
    g = function([x], grad(y.sum(), x))(value)
    assert numpy.all(numpy.isfinite(g))
    verify_grad(fn, [_away_from_zero(6).astype(dtype)], rng=RNG)


def test_activation_dtypes_follow_theano():
    f32 = _vector("float32")
    assert relu(f32).dtype == "float32"
    assert relu(f32, 0.5).dtype == "float32"
    assert elu(f32).dtype == "float32"
    assert relu(_vector("int8")).dtype == "float32"


def test_relu_with_symbolic_alpha():
    x = _vector()
    alpha = TensorType("float64", ())("alpha")
    value = numpy.array([-2.0, -0.5, 0.5, 2.0])
    out = function([x, alpha], relu(x, alpha))(value, 0.2)
    numpy.testing.assert_allclose(out, numpy.where(value > 0, value, 0.2 * value))
    ga = function([x, alpha], grad(relu(x, alpha).sum(), alpha))(value, 0.2)
    numpy.testing.assert_allclose(ga, value[value < 0].sum())


def test_relu_gradient_at_zero_is_half_as_in_theano():
    x = _vector()
    g = function([x], grad(relu(x).sum(), x))(numpy.zeros(2))
    numpy.testing.assert_allclose(g, [0.5, 0.5])


def test_binary_crossentropy_values_and_grad():
    o, t = _vector(name="o"), _vector(name="t")
    ov, tv = RNG.uniform(0.05, 0.95, 6), RNG.uniform(0, 1, 6)
    out = function([o, t], binary_crossentropy(o, t))(ov, tv)
    expected = -(tv * numpy.log(ov) + (1 - tv) * numpy.log(1 - ov))
    numpy.testing.assert_allclose(out, expected)
    verify_grad(binary_crossentropy, [ov, tv], rng=RNG)


def _sbce_ref(x, t):
    x = numpy.asarray(x, dtype="float64")
    return numpy.logaddexp(0, x) - x * t


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_binary_crossentropy_matches_the_probability_form(dtype):
    x, t = _vector(dtype, "logits"), _vector(dtype, "t")
    xv = RNG.uniform(-6, 6, 8).astype(dtype)
    tv = RNG.uniform(0, 1, 8).astype(dtype)
    y = sigmoid_binary_crossentropy(x, t)
    assert y.dtype == dtype
    out, ref = function([x, t], [y, binary_crossentropy(sigmoid(x), t)])(xv, tv)
    tol = 1e-4 if dtype == "float32" else 1e-10
    numpy.testing.assert_allclose(out, ref, rtol=tol)
    numpy.testing.assert_allclose(out, _sbce_ref(xv, tv), rtol=tol)
    verify_grad(sigmoid_binary_crossentropy, [xv, tv], rng=RNG)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_binary_crossentropy_at_extreme_logits(dtype):
    x, t = _vector(dtype, "logits"), _vector(dtype, "t")
    xv = numpy.array([-1000, -1000, 1000, 1000, 30, -30, 0], dtype=dtype)
    tv = numpy.array([0, 1, 0, 1, 1, 0, 1], dtype=dtype)
    y = sigmoid_binary_crossentropy(x, t)
    gx, gt = grad(y.sum(), [x, t])
    out, gxv, gtv = function([x, t], [y, gx, gt])(xv, tv)
    assert numpy.all(numpy.isfinite(out))
    numpy.testing.assert_allclose(
        out,
        [
            0,
            1000,
            1000,
            0,
            numpy.log1p(numpy.exp(-30)),
            numpy.log1p(numpy.exp(-30)),
            numpy.log(2),
        ],
        rtol=1e-5,
    )
    s = scipy.special.expit(xv.astype("float64"))
    numpy.testing.assert_allclose(gxv, s - tv, rtol=1e-5, atol=1e-7)
    numpy.testing.assert_allclose(gtv, -xv, rtol=1e-6)


def test_sigmoid_binary_crossentropy_with_integer_targets():
    x, t = _vector(name="logits"), TensorType("int64", (False,))("labels")
    xv, tv = RNG.uniform(-3, 3, 5), numpy.array([0, 1, 1, 0, 1])
    y = sigmoid_binary_crossentropy(x, t)
    out, gx = function([x, t], [y, grad(y.sum(), x)])(xv, tv)
    numpy.testing.assert_allclose(out, _sbce_ref(xv, tv))
    numpy.testing.assert_allclose(gx, scipy.special.expit(xv) - tv)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_binary_crossentropy_expression_agrees_with_impl(dtype):
    op = ScalarSigmoidBinaryCrossentropy()
    xv = numpy.array([-1000, -5, -0.5, 0, 0.5, 5, 1000], dtype=dtype)
    tv = numpy.linspace(0, 1, 7).astype(dtype)
    (expr,) = op.expression([E.arg(0, dtype), E.arg(1, dtype)], [dtype] * 2, [dtype])
    numpy.testing.assert_allclose(
        E.evaluate(expr, [xv, tv]), op.impl(xv, tv), rtol=1e-6
    )


def test_sigmoid_binary_crossentropy_op_identity():
    op = ScalarSigmoidBinaryCrossentropy()
    assert op == ScalarSigmoidBinaryCrossentropy()
    assert pickle.loads(pickle.dumps(op)) == op
    y = sigmoid_binary_crossentropy(_vector(), _vector())
    assert str(y.owner.op) == "sigmoid_binary_crossentropy"

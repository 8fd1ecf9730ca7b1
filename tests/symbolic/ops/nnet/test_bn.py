"""Batch normalization: the plain expression and the train/test ops."""

import numpy
import pytest

import symbolic
from symbolic import tensor
from symbolic.gradient import grad, verify_grad
from symbolic.tensor.nnet.bn import (
    AbstractBatchNormInference,
    AbstractBatchNormTrain,
    AbstractBatchNormTrainGrad,
    batch_normalization,
    batch_normalization_test,
    batch_normalization_train,
)
from symbolic.types.tensor import TensorType
from tests.helpers.op_check import check_op_identity

RNG = numpy.random.RandomState(5)
AXES = {"per-activation": (0,), "spatial": (0, 2, 3), (0, 3): (0, 3)}


def _reference(x, gamma, beta, axes, eps):
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    invstd = 1 / numpy.sqrt(var + eps)
    return (x - mean) * gamma * invstd + beta, mean, invstd, var


def _param_shape(x_shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(x_shape))


def _row(name):
    return TensorType("float64", (True, False))(name)


@pytest.mark.parametrize("mode", ["low_mem", "high_mem"])
def test_batch_normalization_values_and_grad(mode):
    x = RNG.randn(6, 4)
    gamma, beta = RNG.rand(1, 4) + 0.5, RNG.randn(1, 4)
    mean, std = RNG.randn(1, 4), RNG.rand(1, 4) + 0.5
    xs = tensor.matrix("x")
    rows = [_row(n) for n in ("gamma", "beta", "mean", "std")]
    out = batch_normalization(xs, *rows, mode=mode)
    got = symbolic.function([xs, *rows], out)(x, gamma, beta, mean, std)
    numpy.testing.assert_allclose(got, (x - mean) * (gamma / std) + beta, rtol=1e-12)
    cost = (out * RNG.randn(6, 4)).sum()
    grads = grad(cost, [xs, *rows])
    values = symbolic.function([xs, *rows], grads)(x, gamma, beta, mean, std)
    step = 1e-6
    f = symbolic.function([xs, *rows], cost)
    for k in range(5):
        bumped = [v.copy() for v in (x, gamma, beta, mean, std)]
        bumped[k].flat[0] += step
        numeric = (f(*bumped) - f(x, gamma, beta, mean, std)) / step
        assert abs(numeric - values[k].flat[0]) < 1e-4


def test_batch_normalization_rejects_mismatched_ndim():
    with pytest.raises(ValueError, match="gamma \\(g\\) must have at most"):
        batch_normalization(
            tensor.vector("x"), tensor.matrix("g"), 0.0, tensor.row(), tensor.row()
        )
    with pytest.raises(ValueError, match="mode"):
        m = tensor.matrix()
        batch_normalization(m, m, m, m, m, mode="fast")


@pytest.mark.parametrize("axes", list(AXES))
@pytest.mark.parametrize("reduced_params", [True, False])
def test_train_matches_reference(axes, reduced_params):
    norm_axes = AXES[axes]
    x = RNG.randn(5, 3, 4, 2)
    full = _param_shape(x.shape, norm_axes)
    gamma, beta = RNG.rand(*full) + 0.5, RNG.randn(*full)
    rm, rv = RNG.randn(*full), RNG.rand(*full) + 0.5
    squeeze = [i for i in range(4) if i not in norm_axes]
    if reduced_params:
        params = [p.reshape([full[i] for i in squeeze]) for p in (gamma, beta, rm, rv)]
        types = [TensorType("float64", (False,) * len(squeeze)) for _ in params]
    else:
        params = [gamma, beta, rm, rv]
        types = [TensorType("float64", tuple(s == 1 for s in full)) for _ in params]
    xs = tensor.tensor4("x")
    ps = [t(n) for t, n in zip(types, ("gamma", "beta", "rm", "rv"))]
    outs = batch_normalization_train(xs, ps[0], ps[1], axes, 2e-4, 0.3, ps[2], ps[3])
    got = symbolic.function([xs, *ps], list(outs))(x, *params)
    out, mean, invstd, var = _reference(x, gamma, beta, norm_axes, 2e-4)
    m = numpy.prod([x.shape[a] for a in norm_axes])
    wants = [
        out,
        mean,
        invstd,
        rm * 0.7 + 0.3 * mean,
        rv * 0.7 + 0.3 * var * m / (m - 1),
    ]
    for g, w, p in zip(got, wants, [x, *params]):
        assert g.shape == (x.shape if g.ndim == 4 and g.size == x.size else p.shape)
        numpy.testing.assert_allclose(g.reshape(w.shape), w, rtol=1e-10)


@pytest.mark.parametrize("output", range(5))
def test_train_gradients_of_every_output(output):
    x = RNG.randn(4, 3, 2, 2)
    gamma, beta = RNG.rand(3) + 0.5, RNG.randn(3)
    rm, rv = RNG.randn(3), RNG.rand(3) + 0.5

    def build(x, gamma, beta, rm, rv):
        outs = batch_normalization_train(x, gamma, beta, "spatial", 1e-4, 0.2, rm, rv)
        return outs[output]

    verify_grad(build, [x, gamma, beta, rm, rv], rng=RNG)


@pytest.mark.parametrize("wrt", range(3))
def test_train_second_order_gradients(wrt):
    weights = RNG.randn(4, 3)

    def build(x, gamma, beta):
        out = batch_normalization_train(x, gamma, beta, "per-activation")[0]
        return grad((out**3 * weights).sum(), [x, gamma, beta])[wrt]

    verify_grad(build, [RNG.randn(4, 3), RNG.rand(3) + 0.5, RNG.randn(3)], rng=RNG)


@pytest.mark.parametrize("axes", ["per-activation", "spatial"])
def test_inference_values_and_gradients(axes):
    norm_axes = AXES[axes]
    x = RNG.randn(4, 3, 2, 3)
    shape = [s for i, s in enumerate(x.shape) if i not in norm_axes]
    gamma, beta, mean = RNG.rand(*shape) + 0.5, RNG.randn(*shape), RNG.randn(*shape)
    var = RNG.rand(*shape) + 0.5
    xs = tensor.tensor4("x")
    ps = [TensorType("float64", (False,) * len(shape))(n) for n in "gbmv"]
    out = batch_normalization_test(xs, *ps, axes=axes, epsilon=1e-3)
    got = symbolic.function([xs, *ps], out)(x, gamma, beta, mean, var)
    full = _param_shape(x.shape, norm_axes)
    g, b, m, v = (p.reshape(full) for p in (gamma, beta, mean, var))
    numpy.testing.assert_allclose(got, (x - m) * g / numpy.sqrt(v + 1e-3) + b)
    verify_grad(
        lambda *a: batch_normalization_test(*a, axes=axes),
        [x, gamma, beta, mean, var],
        rng=RNG,
    )


def test_float32_stays_float32():
    xs = tensor.fmatrix("x")
    g, b = tensor.fvector("g"), tensor.fvector("b")
    out, mean, invstd = batch_normalization_train(xs, g, b)
    assert {out.dtype, mean.dtype, invstd.dtype} == {"float32"}
    x = RNG.randn(5, 3).astype("float32")
    values = symbolic.function([xs, g, b], [out, mean, invstd])(
        x, numpy.ones(3, "float32"), numpy.zeros(3, "float32")
    )
    assert all(v.dtype == "float32" for v in values)
    numpy.testing.assert_allclose(values[0], _reference(x, 1, 0, (0,), 1e-4)[0], 1e-4)


def test_infer_shape_and_identity():
    xs = tensor.tensor4("x")
    g, b = tensor.vector("g"), tensor.vector("b")
    outs = batch_normalization_train(xs, g, b, "spatial")
    shapes = symbolic.function([xs, g, b], [o.shape for o in outs])
    values = RNG.randn(2, 3, 4, 5), numpy.ones(3), numpy.zeros(3)
    assert [tuple(s) for s in shapes(*values)] == [(2, 3, 4, 5), (3,), (3,)]
    for op in (
        AbstractBatchNormTrain((0, 2)),
        AbstractBatchNormInference((0,)),
        AbstractBatchNormTrainGrad((1,)),
    ):
        check_op_identity(op)
    assert AbstractBatchNormTrain([0, 2]) == AbstractBatchNormTrain((0, 2))


def test_bad_arguments_raise_clear_errors():
    xs = tensor.tensor4("x")
    g, b = tensor.vector("g"), tensor.vector("b")
    with pytest.raises(ValueError, match="axes"):
        batch_normalization_train(xs, g, b, axes="everything")
    with pytest.raises(ValueError, match="axes should be less than ndim"):
        batch_normalization_train(xs, g, b, axes=(0, 4))
    with pytest.raises(ValueError, match="gamma \\(g\\) must have 3 dims"):
        batch_normalization_train(xs, g, b, axes=(0,))
    with pytest.raises(ValueError, match="both be given"):
        batch_normalization_train(xs, g, b, "spatial", running_mean=g)
    with pytest.raises(ValueError, match="epsilon must be at least"):
        batch_normalization_train(xs, g, b, "spatial", epsilon=1e-7)
    with pytest.raises(ValueError, match="var \\(v\\) must have 1 dims"):
        batch_normalization_test(xs, g, b, g, tensor.matrix("v"), "spatial")


def test_batch_normalization_pads_lower_ndim_statistics_on_the_left():
    x = tensor.matrix("x")
    g, b, m, s = (tensor.vector(n) for n in "gbms")
    f = symbolic.function([x, g, b, m, s], batch_normalization(x, g, b, m, s))
    xv, gv, bv, mv, sv = (
        RNG.randn(3, 4),
        RNG.rand(4),
        RNG.randn(4),
        RNG.randn(4),
        RNG.rand(4) + 1,
    )
    numpy.testing.assert_allclose(f(xv, gv, bv, mv, sv), (xv - mv) * (gv / sv) + bv)

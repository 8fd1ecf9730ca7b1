"""Categorical cross-entropies and the fused softmax + NLL op."""

import pickle

import numpy
import pytest
import scipy.special

from symbolic.compile.function import function
from symbolic.gradient import grad, verify_grad
from symbolic.ops.nnet import (
    CrossentropyCategorical1Hot,
    CrossentropyCategorical1HotGrad,
    CrossentropySoftmax1HotWithBiasDx,
    CrossentropySoftmaxArgmax1HotWithBias,
    categorical_crossentropy,
    crossentropy_categorical_1hot,
    crossentropy_categorical_1hot_grad,
    crossentropy_softmax_1hot,
    crossentropy_softmax_1hot_with_bias,
    crossentropy_softmax_1hot_with_bias_dx,
    crossentropy_softmax_argmax_1hot_with_bias,
    softmax,
)
from symbolic.types.tensor import TensorType, as_tensor_variable

RNG = numpy.random.RandomState(11)
LABELS = numpy.array([2, 0, 3], dtype="int64")


def _matrix(dtype="float64", name="x"):
    return TensorType(dtype, (False, False))(name)


def _vector(dtype="float64", name="v"):
    return TensorType(dtype, (False,))(name)


def _probs(shape, dtype="float64"):
    return scipy.special.softmax(RNG.uniform(-2, 2, shape), axis=1).astype(dtype)


def _nll(logits, labels):
    lsm = scipy.special.log_softmax(numpy.asarray(logits, dtype="float64"), axis=1)
    return -lsm[numpy.arange(len(labels)), labels]


# categorical_crossentropy -------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("label_dtype", ["int64", "int32", "int8"])
def test_categorical_crossentropy_with_indices(dtype, label_dtype):
    p, y = _matrix(dtype, "p"), _vector(label_dtype, "y")
    pv = _probs((3, 4), dtype)
    cost = categorical_crossentropy(p, y)
    assert isinstance(cost.owner.op, CrossentropyCategorical1Hot)
    assert cost.type == TensorType(dtype, (False,))
    out = function([p, y], cost)(pv, LABELS.astype(label_dtype))
    assert out.dtype == dtype
    numpy.testing.assert_allclose(
        out, -numpy.log(pv[numpy.arange(3), LABELS]), rtol=1e-6
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_categorical_crossentropy_with_distributions(dtype):
    p, t = _matrix(dtype, "p"), _matrix(dtype, "t")
    pv, tv = _probs((3, 4), dtype), _probs((3, 4), dtype)
    out = function([p, t], categorical_crossentropy(p, t))(pv, tv)
    numpy.testing.assert_allclose(out, -(tv * numpy.log(pv)).sum(axis=1), rtol=1e-5)
    verify_grad(categorical_crossentropy, [pv, tv], rng=RNG)


def test_categorical_crossentropy_rank_mismatch():
    message = r"rank mismatch.*probs.*ndim 2.*targets.*ndim 3"
    with pytest.raises(TypeError, match=message):
        categorical_crossentropy(
            _matrix(name="probs"), TensorType("float64", (False,) * 3)("targets")
        )


def test_crossentropy_categorical_1hot_grad_and_hessian():
    def fn(p):
        return crossentropy_categorical_1hot(p, as_tensor_variable(LABELS))

    pv = _probs((3, 4))
    verify_grad(fn, [pv], rng=RNG)
    p = _matrix(name="p")
    g = function([p], grad(fn(p).sum(), p))(pv)
    expected = numpy.zeros_like(pv)
    expected[numpy.arange(3), LABELS] = -1 / pv[numpy.arange(3), LABELS]
    numpy.testing.assert_allclose(g, expected)

    def first_derivative(q):
        return grad((fn(q) * numpy.array([1.0, 2.0, 3.0])).sum(), q)

    verify_grad(first_derivative, [pv], rng=RNG)


def test_crossentropy_categorical_1hot_grad_op_gradients():
    def fn(gy, p):
        return crossentropy_categorical_1hot_grad(gy, p, as_tensor_variable(LABELS))

    verify_grad(fn, [RNG.uniform(0.5, 1.5, 3), _probs((3, 4))], rng=RNG)


def test_labels_get_no_gradient():
    p, y = _matrix(name="p"), _vector("int64", "y")
    node = crossentropy_categorical_1hot(p, y).owner
    assert node.op.connection_pattern(node) == [[True], [False]]
    g = grad(crossentropy_categorical_1hot(p, y).sum(), y, disconnected_inputs="ignore")
    out = function([p, y], g, on_unused_input="ignore")(_probs((3, 4)), LABELS)
    numpy.testing.assert_array_equal(out, 0)


@pytest.mark.parametrize(
    "bad, message",
    [
        (numpy.array([0, 4, 1]), r"class index 4 in y is out of range \[0, 4\)"),
        (numpy.array([0, -1, 1]), r"class index -1 in y is out of range"),
        (numpy.array([0, 1]), "y has 2 indices but there are 3 rows"),
    ],
)
def test_bad_labels_raise_with_the_variable_name(bad, message):
    p, y = _matrix(name="p"), _vector("int64", "y")
    f = function([p, y], crossentropy_categorical_1hot(p, y))
    with pytest.raises(ValueError, match=message):
        f(_probs((3, 4)), bad)
    x = _matrix(name="x")
    g = function([x, y], crossentropy_softmax_1hot(x, y)[0])
    with pytest.raises(ValueError, match=message):
        g(RNG.randn(3, 4), bad)


def test_bad_types_raise():
    with pytest.raises(
        TypeError,
        match=r"true_one_of_n \(y\) must be a vector of "
        "integer class indices",
    ):
        crossentropy_categorical_1hot(_matrix(), _vector("float64", "y"))
    with pytest.raises(TypeError, match=r"coding_dist \(p\) must be a 2-d tensor"):
        crossentropy_categorical_1hot(
            TensorType("float64", (False,) * 3)("p"), _vector("int64")
        )
    with pytest.raises(TypeError, match=r"x \(x\) must be a 2-d tensor of floats"):
        crossentropy_softmax_1hot(_vector(name="x"), _vector("int64"))


# The fused softmax + NLL op -----------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_crossentropy_softmax_1hot_values(dtype):
    x, y = _matrix(dtype), _vector("int64", "y")
    xv = RNG.uniform(-3, 3, (3, 4)).astype(dtype)
    nll, sm = crossentropy_softmax_1hot(x, y)
    assert nll.type == TensorType(dtype, (False,)) and sm.type == x.type
    nllv, smv = function([x, y], [nll, sm])(xv, LABELS)
    tol = 1e-5 if dtype == "float32" else 1e-12
    numpy.testing.assert_allclose(nllv, _nll(xv, LABELS), rtol=tol)
    expected = scipy.special.softmax(xv.astype("float64"), axis=1)
    numpy.testing.assert_allclose(smv, expected, rtol=tol)


def test_crossentropy_softmax_argmax_1hot_with_bias_outputs():
    x, b, y = _matrix(), _vector(name="b"), _vector("int64", "y")
    xv, bv = RNG.uniform(-3, 3, (3, 4)), RNG.uniform(-1, 1, 4)
    outs = crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    assert len(outs) == 3 and outs[2].dtype == "int64"
    nllv, smv, amv = function([x, b, y], outs)(xv, bv, LABELS)
    numpy.testing.assert_allclose(nllv, _nll(xv + bv, LABELS), rtol=1e-12)
    numpy.testing.assert_allclose(smv, scipy.special.softmax(xv + bv, axis=1))
    numpy.testing.assert_array_equal(amv, numpy.argmax(xv + bv, axis=1))
    with pytest.raises(ValueError, match="b has 3 entries but x has 4 columns"):
        function([x, b, y], outs[0])(xv, bv[:3], LABELS)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_crossentropy_softmax_at_extreme_logits(dtype):
    x, y = _matrix(dtype), _vector("int64", "y")
    xv = numpy.array(
        [[1000, -1000, 0, 999], [-1000, -1000, -1000, 1000], [-1000, 500, 1000, -1000]],
        dtype=dtype,
    )
    nll = crossentropy_softmax_1hot(x, y)[0]
    gx = grad(nll.sum(), x)
    nllv, gxv = function([x, y], [nll, gx])(xv, LABELS)
    assert numpy.all(numpy.isfinite(nllv)) and numpy.all(numpy.isfinite(gxv))
    numpy.testing.assert_allclose(nllv, _nll(xv, LABELS), rtol=1e-5)
    onehot = numpy.eye(4)[LABELS]
    numpy.testing.assert_allclose(
        gxv, scipy.special.softmax(xv.astype("float64"), axis=1) - onehot, atol=1e-6
    )


def test_crossentropy_softmax_1hot_verify_grad():
    def nll_only(x):
        return crossentropy_softmax_1hot(x, as_tensor_variable(LABELS))[0]

    def both(x, b):
        nll, sm = crossentropy_softmax_1hot_with_bias(x, b, as_tensor_variable(LABELS))
        return [nll, sm]

    def sm_only(x, b):
        return crossentropy_softmax_1hot_with_bias(x, b, as_tensor_variable(LABELS))[1]

    xv, bv = RNG.uniform(-3, 3, (3, 4)), RNG.uniform(-1, 1, 4)
    verify_grad(nll_only, [xv], rng=RNG)
    verify_grad(both, [xv, bv], rng=RNG)
    verify_grad(sm_only, [xv, bv], rng=RNG)


def test_crossentropy_softmax_second_derivative():
    weights = numpy.array([1.0, 2.0, 3.0])

    def first_derivative(x):
        nll, _ = crossentropy_softmax_1hot(x, as_tensor_variable(LABELS))
        return grad((nll * weights).sum(), x)

    verify_grad(first_derivative, [RNG.uniform(-3, 3, (3, 4))], rng=RNG)


@pytest.mark.parametrize("dy_shape", [(3,), ()])
def test_dx_op_values_and_grads(dy_shape):
    dyv = RNG.uniform(0.5, 1.5, dy_shape)
    smv = _probs((3, 4))
    dy = TensorType("float64", (False,) * len(dy_shape))("dy")
    sm = _matrix(name="sm")
    out = function(
        [dy, sm],
        crossentropy_softmax_1hot_with_bias_dx(dy, sm, as_tensor_variable(LABELS)),
    )(dyv, smv)
    expected = smv - numpy.eye(4)[LABELS]
    expected *= dyv[:, None] if dyv.ndim else dyv
    numpy.testing.assert_allclose(out, expected)

    def fn(a, b):
        return crossentropy_softmax_1hot_with_bias_dx(a, b, as_tensor_variable(LABELS))

    verify_grad(fn, [dyv, smv], rng=RNG)


def test_dx_op_rejects_mismatched_dy():
    dy, sm = _vector(name="dy"), _matrix(name="sm")
    f = function(
        [dy, sm],
        crossentropy_softmax_1hot_with_bias_dx(dy, sm, as_tensor_variable(LABELS)),
    )
    with pytest.raises(ValueError, match="dy has 2 entries but sm has 3 rows"):
        f(numpy.ones(2), _probs((3, 4)))


def test_softmax_then_categorical_crossentropy_matches_fused_op():
    x, y = _matrix(), _vector("int64", "y")
    xv = RNG.uniform(-3, 3, (3, 4))
    unfused = categorical_crossentropy(softmax(x), y)
    fused, _ = crossentropy_softmax_1hot(x, y)
    a, b, ga, gb = function(
        [x, y], [unfused, fused, grad(unfused.sum(), x), grad(fused.sum(), x)]
    )(xv, LABELS)
    numpy.testing.assert_allclose(a, b, rtol=1e-12)
    numpy.testing.assert_allclose(ga, gb, rtol=1e-10, atol=1e-12)


# Contract: shapes and identity --------------------------------------------------------
def _nodes():
    x, b, y = _matrix(), _vector(name="b"), _vector("int64", "y")
    gy = _vector(name="gy")
    return [
        (crossentropy_categorical_1hot(x, y).owner, [(3, 4), (3,)]),
        (crossentropy_categorical_1hot_grad(gy, x, y).owner, [(3,), (3, 4), (3,)]),
        (
            crossentropy_softmax_argmax_1hot_with_bias(x, b, y)[0].owner,
            [(3, 4), (4,), (3,)],
        ),
        (crossentropy_softmax_1hot_with_bias_dx(gy, x, y).owner, [(3,), (3, 4), (3,)]),
    ]


def test_infer_shape():
    for node, shapes in _nodes():
        values = [
            LABELS if v.dtype == "int64" else RNG.uniform(0.1, 1, s)
            for v, s in zip(node.inputs, shapes, strict=True)
        ]
        actual = function(node.inputs, node.outputs)(*values)
        inferred = node.op.infer_shape(None, node, shapes)
        assert [tuple(s) for s in inferred] == [a.shape for a in actual]


@pytest.mark.parametrize(
    "cls",
    [
        CrossentropyCategorical1Hot,
        CrossentropyCategorical1HotGrad,
        CrossentropySoftmaxArgmax1HotWithBias,
        CrossentropySoftmax1HotWithBiasDx,
    ],
)
def test_identity_and_pickle(cls):
    op = cls()
    assert op == cls() and hash(op) == hash(cls())
    assert pickle.loads(pickle.dumps(op)) == op
    assert str(op) == cls.__name__

"""Products with sparse operands and the structured elementwise functions."""

import numpy
import pytest
import scipy.sparse

import symbolic
from symbolic import sparse
from symbolic import tensor as T
from symbolic.sparse import verify_grad_sparse


def _sparse(rows, cols, seed, fmt="csr"):
    dense = numpy.random.RandomState(seed).rand(rows, cols) + 0.5
    return scipy.sparse.csr_matrix(dense).asformat(fmt)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("product", ["structured_dot", "true_dot", "dot"])
def test_products_match_scipy(fmt, product):
    fn = getattr(sparse, product)
    x = sparse.SparseType(fmt, "float64")("x")
    w = T.dmatrix("w")
    f = symbolic.function([x, w], [fn(x, w), fn(w.T, x.T)])
    xv = scipy.sparse.random(4, 5, density=0.4, format=fmt, random_state=0)
    wv = numpy.random.RandomState(1).randn(5, 3)
    left, right = f(xv, wv)
    numpy.testing.assert_allclose(left, xv @ wv)
    numpy.testing.assert_allclose(right, (xv @ wv).T)


@pytest.mark.parametrize("product", ["structured_dot", "true_dot", "dot"])
def test_product_gradients(product):
    fn = getattr(sparse, product)
    a = _sparse(3, 4, seed=1)
    b = numpy.random.RandomState(2).rand(4, 2)
    verify_grad_sparse(fn, [a, b], structured=product == "structured_dot")
    verify_grad_sparse(lambda s, d: fn(d.T, s.T), [a, b])
    verify_grad_sparse(fn, [a, _sparse(4, 2, seed=3, fmt="csc")])


def test_structured_dot_gradient_keeps_the_pattern():
    x = sparse.csr_matrix("x", dtype="float64")
    w = T.dmatrix("w")
    cost = sparse.structured_dot(x, w).sum()
    g = symbolic.function([x, w], symbolic.grad(cost, x))
    xv = scipy.sparse.csr_matrix(numpy.array([[1.0, 0.0], [0.0, 2.0]]))
    wv = numpy.array([[1.0, 2.0], [3.0, 4.0]])
    grad = g(xv, wv)
    assert grad.nnz == 2
    numpy.testing.assert_allclose(grad.toarray(), [[3.0, 0.0], [0.0, 7.0]])


def test_tensor_dot_of_a_sparse_operand_is_structured_dot():
    x = sparse.csr_matrix("x", dtype="float64")
    w = T.dmatrix("w")
    assert isinstance(T.dot(x, w).owner.op, sparse.StructuredDot)


def test_sparse_logistic_regression_trains():
    # The text-model pattern: structured_dot(x_sparse, W), gradient wrt W.
    rng = numpy.random.RandomState(0)
    n_features, n_samples = 30, 60
    dense = rng.rand(n_samples, n_features) * (rng.rand(n_samples, n_features) < 0.2)
    truth = rng.randn(n_features)
    labels = (dense @ truth > numpy.median(dense @ truth)).astype("float64")
    x = sparse.csr_matrix("x", dtype="float64")
    y = T.dvector("y")
    w = symbolic.shared(numpy.zeros((n_features, 1)), name="w")
    b = symbolic.shared(0.0, name="b")
    p = T.nnet.sigmoid(sparse.structured_dot(x, w)[:, 0] + b)
    cost = T.nnet.binary_crossentropy(p, y).mean()
    gw, gb = symbolic.grad(cost, [w, b])
    train = symbolic.function(
        [x, y], cost, updates=[(w, w - 2.0 * gw), (b, b - 2.0 * gb)]
    )
    xv = scipy.sparse.csr_matrix(dense)
    first = train(xv, labels)
    for _ in range(200):
        last = train(xv, labels)
    assert last < 0.5 * first
    predict = symbolic.function([x], p > 0.5)
    assert (predict(xv) == labels).mean() > 0.9


@pytest.mark.parametrize(
    "name, reference",
    [
        ("structured_sigmoid", lambda v: 1 / (1 + numpy.exp(-v))),
        ("structured_exp", numpy.exp),
        ("structured_log", numpy.log),
        ("structured_sqrt", numpy.sqrt),
        ("structured_tanh", numpy.tanh),
        ("structured_sqr", numpy.square),
    ],
)
def test_structured_unary_functions(name, reference):
    fn = getattr(sparse, name)
    x = sparse.csr_matrix("x", dtype="float64")
    f = symbolic.function([x], fn(x))
    value = scipy.sparse.random(4, 4, density=0.4, format="csr", random_state=5)
    value.data += 0.5
    out = f(value)
    assert out.nnz == value.nnz
    numpy.testing.assert_allclose(out.data, reference(value.data))
    verify_grad_sparse(fn, [_sparse(3, 3, seed=6)], structured=True)


@pytest.mark.parametrize(
    "name, arg, reference",
    [
        ("structured_pow", 3, lambda v: v**3),
        ("structured_minimum", 1.0, lambda v: numpy.minimum(v, 1.0)),
        ("structured_maximum", 1.0, lambda v: numpy.maximum(v, 1.0)),
        ("structured_add", 2.0, lambda v: v + 2.0),
    ],
)
def test_structured_binary_functions(name, arg, reference):
    fn = getattr(sparse, name)
    value = _sparse(3, 3, seed=7)
    x = sparse.csr_matrix("x", dtype="float64")
    out = symbolic.function([x], fn(x, arg))(value)
    numpy.testing.assert_allclose(out.toarray(), reference(value.toarray()))
    verify_grad_sparse(lambda s: fn(s, arg), [value * 1.3], structured=True)
    with pytest.raises(TypeError, match="constant"):
        fn(x, T.dscalar("s"))


def test_structured_dot_gradient_in_chunks(monkeypatch):
    import importlib

    # The package's dot function shadows its dot module as an attribute.
    sparse_dot = importlib.import_module("symbolic.ops.sparse.dot")
    monkeypatch.setattr(sparse_dot, "_GATHER_LIMIT", 4)
    verify_grad_sparse(
        sparse.structured_dot,
        [_sparse(5, 4, seed=8), numpy.random.RandomState(9).rand(4, 3)],
        structured=True,
    )


def test_sampling_dot():
    rng = numpy.random.RandomState(10)
    x, y = rng.rand(4, 3), rng.rand(5, 3)
    pattern = _sparse(4, 5, seed=11)
    pattern.data[::2] = 0.0
    pattern.eliminate_zeros()
    xs, ys = T.dmatrix("x"), T.dmatrix("y")
    p = sparse.csr_matrix("p", dtype="float64")
    out = symbolic.function([xs, ys, p], sparse.sampling_dot(xs, ys, p))(x, y, pattern)
    assert out.nnz == pattern.nnz
    expected = pattern.toarray() * (x @ y.T)
    numpy.testing.assert_allclose(out.toarray(), expected)
    verify_grad_sparse(sparse.sampling_dot, [x, y, pattern], structured=True)


@pytest.mark.parametrize(
    "name", ["sin", "tan", "arcsin", "arctan", "sinh", "arcsinh", "tanh",
             "arctanh", "sqrt", "sqr", "log1p", "expm1", "abs_", "deg2rad",
             "rad2deg"],
)  # fmt: skip
def test_zero_preserving_functions(name):
    fn = getattr(sparse, name)
    value = _sparse(3, 3, seed=12) * 0.5  # entries in (0.25, 0.75)
    reference = {"sqr": numpy.square, "abs_": numpy.abs}.get(name)
    reference = reference or getattr(numpy, name)
    x = sparse.csr_matrix("x", dtype="float64")
    out = symbolic.function([x], fn(x))(value)
    numpy.testing.assert_allclose(out.toarray(), reference(value.toarray()))
    verify_grad_sparse(fn, [value], structured=True)


@pytest.mark.parametrize("name", ["sgn", "ceil", "floor", "trunc", "rint"])
def test_piecewise_constant_functions(name):
    fn = getattr(sparse, name)
    value = _sparse(3, 3, seed=13) * 2.3
    x = sparse.csr_matrix("x", dtype="float64")
    out = symbolic.function([x], fn(x))(value)
    reference = numpy.sign if name == "sgn" else getattr(numpy, name)
    numpy.testing.assert_allclose(out.toarray(), reference(value.toarray()))
    g = symbolic.function([x], symbolic.grad(sparse.sp_sum(fn(x)), x))(value)
    assert g.nnz == value.nnz and not g.data.any()


def test_remove0():
    value = scipy.sparse.csr_matrix(numpy.array([[1.0, 0.0], [0.0, 2.0]]))
    value.data[0] = 0.0  # an explicitly stored zero
    x = sparse.csr_matrix("x", dtype="float64")
    out = symbolic.function([x], sparse.remove0(x))(value)
    assert value.nnz == 2 and out.nnz == 1
    verify_grad_sparse(sparse.remove0, [_sparse(3, 3, seed=14)])

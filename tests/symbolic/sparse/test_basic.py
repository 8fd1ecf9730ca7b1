"""Sparse variables: types, conversions, arithmetic, sums and their gradients."""

import numpy
import pytest
import scipy.sparse

import symbolic
from symbolic import sparse
from symbolic import tensor as T
from symbolic.sparse import verify_grad_sparse


def _dense(rows=3, cols=4, seed=0):
    # Every entry nonzero: the structured gradients then equal the dense ones.
    return numpy.random.RandomState(seed).rand(rows, cols) + 0.5


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_type_filters_format_and_dtype(fmt):
    t = sparse.SparseType(fmt, "float64")
    value = scipy.sparse.random(3, 4, density=0.5, format="coo", random_state=0)
    converted = t.filter(value)
    assert converted.format == fmt
    assert numpy.array_equal(converted.toarray(), value.toarray())
    with pytest.raises(TypeError, match="strict"):
        t.filter(value, strict=True)
    with pytest.raises(TypeError, match=r"scipy\.sparse"):
        t.filter(numpy.zeros((2, 2)))
    with pytest.raises(TypeError, match="allow_downcast"):
        sparse.SparseType(fmt, "float32").filter(converted)
    assert str(t) == f"Sparse[float64, {fmt}]"


def test_constructors_and_as_sparse_variable():
    x = sparse.csc_matrix("x", dtype="float32")
    assert x.type == sparse.csc_fmatrix and x.ndim == 2 and x.format == "csc"
    assert sparse.as_sparse_variable(x) is x
    const = sparse.as_sparse_variable(scipy.sparse.eye(3, format="csr"))
    assert isinstance(const, sparse.SparseConstant)
    with pytest.raises(TypeError, match="csr_from_dense"):
        sparse.as_sparse_variable(T.dmatrix("d"))
    with pytest.raises(TypeError, match="sparse"):
        T.as_tensor_variable(x)
    with pytest.raises(ValueError, match="format"):
        sparse.SparseType("coo", "float64")


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_conversions_round_trip(fmt):
    d = T.dmatrix("d")
    to_sparse = sparse.csr_from_dense if fmt == "csr" else sparse.csc_from_dense
    s = to_sparse(d)
    assert s.type.format == fmt
    f = symbolic.function([d], [s, sparse.dense_from_sparse(s), s.shape])
    value = numpy.array([[0.0, 2.0], [3.0, 0.0], [0.0, 0.0]])
    as_sparse, back, shape = f(value)
    assert as_sparse.format == fmt and as_sparse.nnz == 2
    assert numpy.array_equal(back, value)
    assert list(shape) == [3, 2]


def test_arithmetic_matches_scipy():
    x = sparse.csr_matrix("x", dtype="float64")
    y = sparse.csr_matrix("y", dtype="float64")
    d = T.dmatrix("d")
    exprs = [x + y, x + d, x - y, x * y, x * d, x * 2.0, -x, x.T, x - d]
    f = symbolic.function([x, y, d], exprs)
    xv = scipy.sparse.random(3, 4, density=0.5, format="csr", random_state=1)
    yv = scipy.sparse.random(3, 4, density=0.5, format="csr", random_state=2)
    dv = _dense()
    expected = [
        xv + yv,
        xv + dv,
        xv - yv,
        xv.multiply(yv),
        xv.multiply(dv),
        xv * 2.0,
        -xv,
        xv.T,
        xv - dv,
    ]
    for got, want in zip(f(xv, yv, dv), expected):
        got = got.toarray() if scipy.sparse.issparse(got) else got
        want = want.toarray() if scipy.sparse.issparse(want) else numpy.asarray(want)
        numpy.testing.assert_allclose(got, want)
    assert exprs[0].type.format == "csr" and exprs[7].type.format == "csc"
    assert isinstance(exprs[1].type, T.TensorType)


def test_mixed_dtypes_of_two_sparse_operands_are_refused():
    x = sparse.csr_matrix("x", dtype="float64")
    y = sparse.csr_matrix("y", dtype="float32")
    with pytest.raises(NotImplementedError, match="cast one"):
        x + y


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("sparse_grad", [False, True])
def test_sp_sum(axis, sparse_grad):
    x = sparse.csc_matrix("x", dtype="float64")
    f = symbolic.function([x], sparse.sp_sum(x, axis=axis, sparse_grad=sparse_grad))
    value = scipy.sparse.random(4, 3, density=0.5, format="csc", random_state=3)
    numpy.testing.assert_allclose(
        f(value), numpy.asarray(value.sum(axis=axis)).ravel().reshape(f(value).shape)
    )
    dense = scipy.sparse.csc_matrix(_dense(4, 3))
    verify_grad_sparse(
        lambda s: sparse.sp_sum(s, axis=axis, sparse_grad=sparse_grad),
        [dense],
        structured=sparse_grad,
    )


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_gradients_of_unary_ops(fmt):
    value = scipy.sparse.csr_matrix(_dense()).asformat(fmt)
    for op in (sparse.neg, sparse.transpose, lambda s: s * 3.0):
        verify_grad_sparse(op, [value])
        verify_grad_sparse(op, [value], structured=True)


def test_gradients_of_binary_ops():
    a = scipy.sparse.csr_matrix(_dense(seed=1))
    b = scipy.sparse.csr_matrix(_dense(seed=2))
    d = _dense(seed=3)
    verify_grad_sparse(sparse.add, [a, b])
    verify_grad_sparse(sparse.add, [a, d], structured=True)
    verify_grad_sparse(sparse.add, [a, b.asformat("csc")])
    verify_grad_sparse(sparse.mul, [a, b])
    verify_grad_sparse(sparse.mul, [a, d], structured=True)
    verify_grad_sparse(sparse.sub, [d, a])
    verify_grad_sparse(lambda s, y: sparse.mul(s, y.sum()), [a, d])


def test_structured_gradient_ignores_unstored_entries():
    x = sparse.csr_matrix("x", dtype="float64")
    cost = sparse.dense_from_sparse(x).sum()
    g = symbolic.function([x], symbolic.grad(cost, x))
    value = scipy.sparse.csr_matrix(numpy.array([[0.0, 2.0], [3.0, 0.0]]))
    grad = g(value)
    assert grad.format == "csr"
    assert numpy.array_equal(grad.toarray(), numpy.array([[0.0, 1.0], [1.0, 0.0]]))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_shared_sparse_variable(fmt):
    value = scipy.sparse.random(3, 3, density=0.5, format=fmt, random_state=4)
    s = symbolic.shared(value, name="s")
    assert isinstance(s, sparse.SparseTensorSharedVariable)
    assert s.type == sparse.SparseType(fmt, "float64")
    f = symbolic.function([], [], updates=[(s, s * 2.0)])
    f()
    numpy.testing.assert_allclose(s.get_value().toarray(), 2 * value.toarray())
    assert s.get_value(borrow=True).format == fmt
    s.zero()
    assert s.get_value().nnz == 0 and s.get_value().shape == (3, 3)


def test_sparse_inputs_refuse_dense_values():
    x = sparse.csr_matrix("x", dtype="float64")
    f = symbolic.function([x], sparse.dense_from_sparse(x))
    with pytest.raises(TypeError, match=r"scipy\.sparse"):
        f(numpy.zeros((2, 2)))


def test_dense_operand_on_the_left():
    x = sparse.csr_matrix("x", dtype="float64")
    d = T.dmatrix("d")
    f = symbolic.function([x, d], [d + x, d * x, d - x])
    xv = scipy.sparse.csr_matrix(numpy.array([[1.0, 0.0], [0.0, 2.0]]))
    dv = numpy.array([[1.0, 2.0], [3.0, 4.0]])
    added, product, difference = f(xv, dv)
    numpy.testing.assert_allclose(added, dv + xv.toarray())
    numpy.testing.assert_allclose(product.toarray(), dv * xv.toarray())
    numpy.testing.assert_allclose(difference, dv - xv.toarray())

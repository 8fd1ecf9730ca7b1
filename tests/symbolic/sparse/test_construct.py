"""Sparse matrices from their compressed arrays, their parts, stacking and scaling."""

import numpy
import pytest
import scipy.sparse

import symbolic
from symbolic import sparse
from symbolic import tensor as T
from symbolic.gradient import verify_grad
from symbolic.sparse import verify_grad_sparse


def _matrix(rows=3, cols=4, seed=0, fmt="csr"):
    dense = numpy.random.RandomState(seed).rand(rows, cols) + 0.5
    dense[dense < 0.9] = 0.0
    return scipy.sparse.csr_matrix(dense).asformat(fmt)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_csm_round_trip(fmt):
    value = _matrix(fmt=fmt)
    x = sparse.SparseType(fmt, "float64")("x")
    data, indices, indptr, shape = sparse.csm_properties(x)
    build = sparse.CSR if fmt == "csr" else sparse.CSC
    rebuilt = build(data * 2, indices, indptr, shape)
    f = symbolic.function([x], [rebuilt, data, shape])
    out, got_data, got_shape = f(value)
    assert out.format == fmt
    numpy.testing.assert_allclose(out.toarray(), 2 * value.toarray())
    numpy.testing.assert_allclose(got_data, value.data)
    assert list(got_shape) == [3, 4]


def test_csm_gradients():
    value = _matrix()
    indices, indptr = value.indices, value.indptr
    shape = numpy.asarray(value.shape, dtype="int32")

    def build(data):
        return sparse.dense_from_sparse(sparse.CSR(data, indices, indptr, shape))

    verify_grad(build, [value.data.copy()])
    verify_grad_sparse(lambda x: sparse.csm_data(x) * 3, [value], structured=True)


def test_csm_refuses_bad_parts():
    with pytest.raises(TypeError, match="vector"):
        sparse.CSR(T.dmatrix("d"), T.ivector("i"), T.ivector("p"), T.ivector("s"))
    with pytest.raises(TypeError, match="integer vector"):
        sparse.CSR(T.dvector("d"), T.dvector("i"), T.ivector("p"), T.ivector("s"))


@pytest.mark.parametrize("stack, axis", [(sparse.hstack, 1), (sparse.vstack, 0)])
def test_stacking(stack, axis):
    a, b = _matrix(seed=1), _matrix(seed=2, fmt="csc")
    x = sparse.csr_matrix("x", dtype="float64")
    y = sparse.csc_matrix("y", dtype="float64")
    out = symbolic.function([x, y], stack([x, y]))(a, b)
    join = numpy.hstack if axis else numpy.vstack
    numpy.testing.assert_allclose(out.toarray(), join([a.toarray(), b.toarray()]))
    verify_grad_sparse(lambda p, q: stack([p, q]), [_matrix(seed=3), _matrix(seed=4)])


def test_row_and_col_scale():
    value = _matrix()
    x = sparse.csr_matrix("x", dtype="float64")
    r, c = T.dvector("r"), T.dvector("c")
    f = symbolic.function([x, r, c], [sparse.row_scale(x, r), sparse.col_scale(x, c)])
    rows, cols = numpy.arange(1.0, 4.0), numpy.arange(1.0, 5.0)
    by_row, by_col = f(value, rows, cols)
    numpy.testing.assert_allclose(by_row.toarray(), value.toarray() * rows[:, None])
    numpy.testing.assert_allclose(by_col.toarray(), value.toarray() * cols[None, :])
    full = scipy.sparse.csr_matrix(numpy.random.RandomState(5).rand(3, 4) + 0.5)
    verify_grad_sparse(sparse.row_scale, [full, rows])
    verify_grad_sparse(sparse.col_scale, [full, cols])

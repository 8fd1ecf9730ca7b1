"""Indexing sparse matrices: slices, row lists, single entries, minibatches."""

import numpy
import pytest
import scipy.sparse

import symbolic
from symbolic import sparse
from symbolic import tensor as T
from symbolic.sparse import verify_grad_sparse


def _matrix(fmt="csr"):
    dense = numpy.random.RandomState(0).rand(5, 4) + 0.5
    return scipy.sparse.csr_matrix(dense).asformat(fmt)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_indexing_matches_scipy(fmt):
    value = _matrix(fmt)
    x = sparse.SparseType(fmt, "float64")("x")
    i = T.lscalar("i")
    exprs = [x[1:4], x[1:4:2, 1:], x[i], x[numpy.array([0, 0, 3])], x[i, 2], x[:, i]]
    outs = symbolic.function([x, i], exprs)(value, 2)
    dense = value.toarray()
    expected = [
        dense[1:4],
        dense[1:4:2, 1:],
        dense[2:3],
        dense[[0, 0, 3]],
        dense[2, 2],
        dense[:, 2:3],
    ]
    for got, want in zip(outs, expected):
        if scipy.sparse.issparse(got):
            assert got.format == fmt
            got = got.toarray()
        numpy.testing.assert_allclose(got, want)


def test_indexing_gradients():
    value = _matrix()
    verify_grad_sparse(lambda x: x[1:4], [value])
    verify_grad_sparse(lambda x: x[1:4:2, 1:], [value])
    verify_grad_sparse(lambda x: x[numpy.array([0, 0, 3])], [value])
    verify_grad_sparse(lambda x: x[1, 2] * 3, [value])


def test_minibatches_of_a_shared_sparse_data_set():
    data = symbolic.shared(_matrix(), name="data")
    w = symbolic.shared(numpy.zeros((4, 1)), name="w")
    index = T.lscalar("index")
    batch = data[index * 2 : (index + 1) * 2]
    cost = T.sqr(sparse.structured_dot(batch, w) - 1).mean()
    train = symbolic.function([index], cost, updates=[(w, w - 0.2 * T.grad(cost, w))])
    first = train(0)
    for _ in range(30):
        for b in range(2):
            last = train(b)
    assert last < first / 10


def test_bad_indices_are_refused():
    x = sparse.csr_matrix("x", dtype="float64")
    with pytest.raises(TypeError, match="two axes"):
        x[1, 2, 3]
    with pytest.raises(TypeError, match="slices or integers"):
        x[1:2, T.dvector("v")]
    with pytest.raises(TypeError, match="integer"):
        x[1:2, T.dscalar("s")]

"""Advanced indexing: integer arrays, masks, take, nonzero."""

import numpy
import pytest

import symbolic
from symbolic.gradient import Rop, grad, verify_grad
from symbolic.ops import (
    AdvancedSubtensor,
    AdvancedSubtensor1,
    Nonzero,
    flatnonzero,
    nonzero,
    nonzero_values,
    take,
)
from symbolic.types.tensor import (
    TensorType,
    bvector,
    dmatrix,
    dtensor3,
    dvector,
    ivector,
    lmatrix,
    lscalar,
    lvector,
)
from tests.helpers.op_check import check_op, check_op_identity

RNG = numpy.random.RandomState(5)
X3 = RNG.rand(3, 4, 5)
I = numpy.array([0, 2, 2, 1])
J = numpy.array([1, 3, 3, 0])

ADVANCED_CASES = [
    ("vector axis 0", lambda a: a[I], AdvancedSubtensor1),
    ("list", lambda a: a[[2, 0]], AdvancedSubtensor1),
    ("empty list", lambda a: a[[]], AdvancedSubtensor1),
    ("negative", lambda a: a[numpy.array([-1, -3])], AdvancedSubtensor1),
    ("vector axis 1", lambda a: a[:, J], AdvancedSubtensor),
    ("vector last axis", lambda a: a[..., J], AdvancedSubtensor),
    ("two adjacent", lambda a: a[I, J], AdvancedSubtensor),
    ("two separated", lambda a: a[I, :, J], AdvancedSubtensor),
    ("int makes separated", lambda a: a[0, :, J], AdvancedSubtensor),
    ("int adjacent", lambda a: a[:, 1, J], AdvancedSubtensor),
    ("with slices", lambda a: a[1:, [0, 1], 2:4], AdvancedSubtensor),
    ("matrix index", lambda a: a[numpy.array([[0, 1], [2, 0]])], AdvancedSubtensor),
    ("broadcast indices", lambda a: a[I[:, None], J[None, :2]], AdvancedSubtensor),
    ("none before", lambda a: a[None, I], AdvancedSubtensor),
    ("none between", lambda a: a[I, None, J], AdvancedSubtensor),
    ("reverse slice", lambda a: a[::-1, J, ::2], AdvancedSubtensor),
    ("bool list", lambda a: a[[True, False, True]], AdvancedSubtensor),
    ("mask", lambda a: a[a > 0.5], AdvancedSubtensor),
    ("mask axis 1", lambda a: a[:, a[0, :, 0] > 0.3], AdvancedSubtensor),
    ("mask two axes", lambda a: a[:, a[0] > 0.5], AdvancedSubtensor),
    ("mask and int array", lambda a: a[a[:, 0, 0] > 0.2, 1, J[:1]], AdvancedSubtensor),
]


@pytest.mark.parametrize(
    ("name", "index", "op_class"),
    ADVANCED_CASES,
    ids=[c[0] for c in ADVANCED_CASES],
)
def test_advanced_index_matches_numpy(name, index, op_class):
    out = index(dtensor3("x"))
    assert isinstance(out.owner.op, op_class)
    check_op(index, [X3], expected=index, grad=False)


@pytest.mark.parametrize(
    ("name", "index", "op_class"),
    [c for c in ADVANCED_CASES if c[0] != "empty list"],
    ids=[c[0] for c in ADVANCED_CASES if c[0] != "empty list"],
)
def test_advanced_grad(name, index, op_class):
    verify_grad(index, [X3], rng=numpy.random.RandomState(0))


@pytest.mark.parametrize("dtype", ["int8", "int32", "uint16", "int64"])
def test_symbolic_index_vector(dtype):
    x = dmatrix("x")
    idx = TensorType(dtype, (False,))("idx")
    value = RNG.rand(4, 4)
    f = symbolic.function([x, idx], [x[idx], x[:, idx[:2]]])
    got0, got1 = f(value, numpy.array([3, 0, 0], dtype=dtype))
    numpy.testing.assert_array_equal(got0, value[[3, 0, 0]])
    numpy.testing.assert_array_equal(got1, value[:, [3, 0]])


def test_symbolic_scalar_with_array():
    x = dtensor3("x")
    i = lscalar("i")
    idx = lvector("idx")
    out = x[i, :, idx]
    f = symbolic.function([x, i, idx], out)
    numpy.testing.assert_array_equal(f(X3, -1, J), X3[-1, :, J])


def test_nonzero_indexing():
    x = dmatrix("x")
    value = RNG.rand(3, 4)
    picked = x[(x > 0.5).nonzero()]
    numpy.testing.assert_array_equal(picked.eval({x: value}), value[value > 0.5])
    v = dvector("v")
    vec = RNG.rand(6)
    picked1 = v[(v > 0.5).nonzero()]
    assert isinstance(picked1.owner.op, AdvancedSubtensor1)
    numpy.testing.assert_array_equal(picked1.eval({v: vec}), vec[vec > 0.5])


def test_output_broadcastable():
    col = TensorType("float64", (False, True))("col")
    row_idx = TensorType("int64", (True,))("one")
    assert col[lvector()].broadcastable == (False, True)
    assert col[row_idx].broadcastable == (True, True)
    assert col[lvector(), 0].broadcastable == (False,)
    assert col[:, lvector()].broadcastable == (False, False)
    assert col[lmatrix(), :].broadcastable == (False, False, True)
    x = dtensor3("x")
    assert x[None, lvector()].broadcastable == (True, False, False, False)


def test_advanced_subtensor1_infer_shape_and_identity():
    x = dmatrix("x")
    idx = lvector("idx")
    out = x[idx]
    fgraph = symbolic.graph.fgraph.FunctionGraph([x, idx], [out], clone=False)
    (shape,) = out.owner.op.infer_shape(fgraph, out.owner, [(3, 4), (7,)])
    assert shape == (7, 4)
    check_op_identity(AdvancedSubtensor1())
    check_op_identity(AdvancedSubtensor([slice(None), TensorType("int32", (False,))]))
    assert AdvancedSubtensor([slice(1, None), TensorType("int32", (False,))]) != (
        AdvancedSubtensor([slice(None), TensorType("int32", (False,))])
    )


def test_gradient_scatter_adds_repeated_rows():
    x = dmatrix("x")
    g = grad(x[[0, 2, 2]].sum(), x)
    assert isinstance(g.owner.op, symbolic.ops.AdvancedIncSubtensor1)
    numpy.testing.assert_array_equal(
        g.eval({x: numpy.ones((3, 2))}), [[1, 1], [0, 0], [2, 2]]
    )


def test_integer_source_has_zero_grad():
    x = lmatrix("x")
    op = AdvancedSubtensor1()
    gx, _ = op.L_op([x, lvector()], [x[lvector()]], [dmatrix()])
    assert gx.dtype == symbolic.config.floatX


def test_rop():
    x = dmatrix("x")
    v = dmatrix("v")
    out = x[:, [1, 0, 1]] + x[[2, 2]].sum()
    r = Rop(out, x, v)
    value = RNG.rand(3, 2)
    want = value[:, [1, 0, 1]] + value[[2, 2]].sum()
    f = symbolic.function([x, v], r, on_unused_input="ignore")
    numpy.testing.assert_allclose(f(RNG.rand(3, 2), value), want)


def test_index_errors():
    x = dmatrix("x")
    f = symbolic.function([x], x[[0, 5]])
    with pytest.raises(IndexError, match="AdvancedSubtensor1: indexing x"):
        f(numpy.ones((3, 2)))
    with pytest.raises(TypeError, match="integer or boolean dtype"):
        x[dvector("d")]
    with pytest.raises(IndexError, match="too many indices"):
        x[lvector(), lvector(), lvector()]
    with pytest.raises(TypeError, match="indices must be integers"):
        AdvancedSubtensor1()(x, dvector())
    with pytest.raises(TypeError, match="must be a vector"):
        AdvancedSubtensor1()(x, lmatrix())
    with pytest.raises(IndexError, match="cannot index the scalar"):
        AdvancedSubtensor1()(x[0, 0], lvector())
    with pytest.raises(TypeError, match="the index has no array"):
        AdvancedSubtensor([slice(None)])(x)


def test_mask_shape_mismatch():
    x = dmatrix("x")
    f = symbolic.function([x], x[numpy.array([True, False])])
    with pytest.raises(IndexError, match="AdvancedSubtensor: indexing x"):
        f(numpy.ones((3, 2)))


# take ---------------------------------------------------------------------------
TAKE_CASES = [
    (numpy.array([0, 2, -1]), None, "raise"),
    (numpy.array([3, 0]), 0, "raise"),
    (numpy.array([[0, 1], [4, 3]]), 1, "raise"),
    (numpy.array([1, 2]), -1, "raise"),
    (numpy.int64(2), 1, "raise"),
    (numpy.array([5, -7, 2]), 1, "clip"),
    (numpy.array([5, -7, 2]), 0, "wrap"),
    (numpy.array([[5, 1]]), None, "wrap"),
]


@pytest.mark.parametrize(("indices", "axis", "mode"), TAKE_CASES)
def test_take(indices, axis, mode):
    def build(a):
        return take(a, indices, axis=axis, mode=mode)

    def want(a):
        return numpy.take(a, indices, axis=axis, mode=mode)

    check_op(build, [X3[0]], expected=want)


def test_take_symbolic_indices():
    x = dmatrix("x")
    idx = ivector("idx")
    out = take(x, idx, axis=1)
    value = RNG.rand(2, 5)
    numpy.testing.assert_array_equal(
        out.eval({x: value, idx: numpy.array([4, 0], dtype="int32")}),
        value[:, [4, 0]],
    )


def test_take_errors():
    x = dmatrix("x")
    with pytest.raises(TypeError, match="indices must be integers"):
        take(x, [0.5])
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        take(x, [0], axis=2)
    with pytest.raises(ValueError, match="mode must be"):
        take(x, [0], axis=0, mode="bogus")


# nonzero ------------------------------------------------------------------------
NONZERO_VALUES = [
    numpy.array([0.0, 1.5, 0.0, -2.0]),
    numpy.array([[0, 3], [4, 0], [0, 0]], dtype="int32"),
    numpy.zeros((2, 3)),
    RNG.rand(2, 3, 2) > 0.5,
]


@pytest.mark.parametrize("value", NONZERO_VALUES, ids=lambda v: f"{v.dtype}{v.shape}")
def test_nonzero(value):
    x = TensorType(value.dtype, (False,) * value.ndim)("x")
    parts = nonzero(x)
    assert isinstance(parts, tuple)
    assert len(parts) == value.ndim
    assert all(p.type == TensorType("int64", (False,)) for p in parts)
    f = symbolic.function([x], [*parts, nonzero(x, return_matrix=True)])
    *got, matrix = f(value)
    for got_part, want in zip(got, numpy.nonzero(value), strict=True):
        numpy.testing.assert_array_equal(got_part, want)
    assert matrix.shape == (value.ndim, numpy.count_nonzero(value))


@pytest.mark.parametrize("value", NONZERO_VALUES, ids=lambda v: f"{v.dtype}{v.shape}")
def test_flatnonzero_and_nonzero_values(value):
    x = TensorType(value.dtype, (False,) * value.ndim)("x")
    f = symbolic.function([x], [flatnonzero(x), nonzero_values(x)])
    flat, values = f(value)
    numpy.testing.assert_array_equal(flat, numpy.flatnonzero(value))
    numpy.testing.assert_array_equal(values, value.flatten()[numpy.flatnonzero(value)])


def test_method_form_and_contract():
    x = bvector("x")
    (first,) = x.nonzero()
    assert first.dtype == "int64"
    check_op(
        lambda v: Nonzero()(v),
        [numpy.array([[1, 0], [0, 1]])],
        expected=lambda v: numpy.array(numpy.nonzero(v)),
        grad=False,
    )


def test_nonzero_errors():
    with pytest.raises(ValueError, match="non-scalar"):
        nonzero(lscalar("s"))
    with pytest.raises(ValueError, match="non-scalar"):
        flatnonzero(lscalar("s"))


def test_nonzero_is_not_differentiable():
    x = dvector("x")
    cost = nonzero(x, return_matrix=True).sum().astype("float64")
    with pytest.raises(Exception, match="undefined"):
        grad(cost, x)

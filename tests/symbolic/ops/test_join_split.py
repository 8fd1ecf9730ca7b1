"""join, concatenate, stack and split against numpy: types, errors and gradients."""

import numpy
import pytest

import symbolic.ops as T
from symbolic.compile.function import function
from symbolic.gradient import grad
from symbolic.ops.basic import MakeVector
from symbolic.ops.join_split import Join, Split
from symbolic.types.tensor import (
    TensorType,
    dmatrix,
    dscalar,
    fmatrix,
    imatrix,
    iscalar,
    lscalar,
    lvector,
    matrix,
    row,
    vector,
)
from tests.helpers.op_check import check_infer_shape_of, check_op, check_op_identity
from tests.symbolic.ops.shape_checks import check_rop

rng = numpy.random.RandomState(5)


def _value(shape, dtype="float64"):
    if numpy.dtype(dtype).kind in "iu":
        return rng.randint(-5, 6, size=shape).astype(dtype)
    return rng.uniform(-1, 1, size=shape).astype(dtype)


# join and concatenate -----------------------------------------------------------------
JOINS = [
    ([(2, 3), (4, 3)], 0),
    ([(2, 3), (2, 1), (2, 2)], 1),
    ([(2, 3), (2, 5)], -1),
    ([(2, 3, 4), (2, 1, 4)], 1),
    ([(3,), (0,), (2,)], 0),
]


@pytest.mark.parametrize("shapes, axis", JOINS)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_join_matches_numpy(shapes, axis, dtype):
    values = [_value(s, dtype) for s in shapes]
    check_op(
        lambda *xs: T.join(axis, *xs),
        values,
        expected=lambda *vs: numpy.concatenate(vs, axis=axis),
    )


@pytest.mark.parametrize(
    "dtypes, out",
    [
        (("float32", "float64"), "float64"),
        (("int8", "int32"), "int32"),
        (("int16", "float32"), "float32"),
        (("int64", "float64"), "float64"),
        (("bool", "int8"), "int8"),
    ],
)
def test_join_upcasts(dtypes, out):
    values = [
        _value((2, 2), d) if d != "bool" else numpy.eye(2, dtype=bool) for d in dtypes
    ]
    got = check_op(
        lambda *xs: T.concatenate(list(xs), axis=1),
        values,
        expected=lambda *vs: numpy.concatenate(vs, axis=1).astype(out),
        grad=False,
    )
    assert got[0].dtype == out


def test_join_broadcastable_pattern():
    col = TensorType("float64", (False, True))("col")
    assert T.join(0, col, matrix()).broadcastable == (False, True)
    assert T.join(1, row("r"), row("s")).broadcastable == (True, False)
    assert T.join(0, row("r"), row("s")).broadcastable == (False, False)
    assert T.join(lscalar("a"), row("r"), row("s")).broadcastable == (False, False)
    x = row("x")
    assert T.join(0, x) is x


def test_join_symbolic_axis():
    a, b = dmatrix("a"), dmatrix("b")
    axis = lscalar("axis")
    out = T.join(axis, a, b)
    f = function([axis, a, b], out)
    av, bv = _value((2, 3)), _value((2, 3))
    for ax in (0, 1, -1, -2):
        got = f(ax, av, bv)
        numpy.testing.assert_array_equal(got, numpy.concatenate([av, bv], axis=ax))
        check_infer_shape_of([axis, a, b], [out], [numpy.int64(ax), av, bv], [got])
    w = dmatrix("w")
    ga, gb = grad((out * w).sum(), [a, b])
    wv = _value((2, 6))
    got_a, got_b = function([axis, a, b, w], [ga, gb])(1, av, bv, wv)
    numpy.testing.assert_array_equal(got_a, wv[:, :3])
    numpy.testing.assert_array_equal(got_b, wv[:, 3:])


def test_join_gradient_mixed_dtypes_and_rop():
    a, b = fmatrix("a"), imatrix("b")
    out = T.join(0, a, b)
    ga, gb = grad(out.sum(), [a, b])
    assert ga.dtype == "float32"
    got_a, got_b = function([a, b], [ga, gb])(
        _value((1, 2), "float32"), _value((2, 2), "int32")
    )
    numpy.testing.assert_array_equal(got_a, numpy.ones((1, 2)))
    numpy.testing.assert_array_equal(got_b, numpy.zeros((2, 2)))
    check_rop(lambda x, y: T.join(1, x, y), [_value((2, 3)), _value((2, 1))])


def test_join_errors():
    with pytest.raises(TypeError, match="same number of dimensions"):
        T.join(0, matrix("m"), vector("v"))
    with pytest.raises(TypeError, match="use stack"):
        T.join(0, dscalar("s"), dscalar("t"))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        T.join(2, matrix(), matrix())
    with pytest.raises(TypeError, match="axis must be an integer scalar"):
        T.join(1.5, matrix(), matrix())
    with pytest.raises(TypeError, match="tuple or a list"):
        T.concatenate(matrix("m"))
    a, b = dmatrix("a"), dmatrix("b")
    f = function([a, b], T.join(0, a, b))
    with pytest.raises(
        ValueError, match=r"a has shape \(2, 3\) but b has shape \(2, 4\)"
    ):
        f(_value((2, 3)), _value((2, 4)))


def test_join_op_identity():
    assert Join() == Join() and hash(Join()) == hash(Join())
    check_op_identity(Join())


# stack --------------------------------------------------------------------------------
def test_stack_scalars_make_one_vector():
    a, b = iscalar("a"), dscalar("b")
    out = T.stack([a, b, 3])
    assert isinstance(out.owner.op, MakeVector)
    assert out.dtype == "float64" and out.ndim == 1
    numpy.testing.assert_array_equal(function([a, b], out)(1, 2.5), [1, 2.5, 3])
    assert T.stack(a, a).dtype == "int32"


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack_matrices(axis):
    values = [_value((2, 3)) for _ in range(3)]
    check_op(
        lambda *xs: T.stack(list(xs), axis=axis),
        values,
        expected=lambda *vs: numpy.stack(vs, axis=axis),
    )


def test_stack_call_forms():
    a, b = vector("a"), vector("b")
    av, bv = _value((3,)), _value((3,))
    for out in (
        T.stack(a, b),
        T.stack([a, b]),
        T.stack((a, b), 1),
        T.stack(tensors=[a, b]),
    ):
        got = function([a, b], out)(av, bv)
        axis = 1 if got.shape == (3, 2) else 0
        numpy.testing.assert_array_equal(got, numpy.stack([av, bv], axis=axis))
    assert T.stack(a, b, axis=1).broadcastable == (False, False)
    assert T.stack([a]).broadcastable == (True, False)
    with pytest.raises(ValueError, match="no tensors"):
        T.stack([])
    with pytest.raises(TypeError, match="unexpected keyword"):
        T.stack([a], dim=0)


# split --------------------------------------------------------------------------------
SPLITS = [
    ((6, 2), [1, 2, 3], 0),
    ((2, 5), [2, 3], 1),
    ((2, 5), [0, 5], -1),
    ((4,), [4], 0),
]


@pytest.mark.parametrize("shape, sizes, axis", SPLITS)
def test_split_matches_numpy(shape, sizes, axis):
    def expected(v):
        return numpy.split(v, numpy.cumsum(sizes)[:-1], axis=axis)

    def build(x):
        out = T.split(x, sizes, len(sizes), axis=axis)
        return out if isinstance(out, list) else [out]

    check_op(build, [_value(shape)], expected=expected)
    check_op(build, [_value(shape, "int32")], expected=expected)


def test_split_symbolic_sizes_and_axis():
    x = dmatrix("x")
    sizes = lvector("sizes")
    axis = lscalar("axis")
    outs = T.split(x, sizes, 2, axis=axis)
    value = _value((4, 6))
    got = function([x, sizes, axis], outs)(value, [1, 5], 1)
    numpy.testing.assert_array_equal(got[0], value[:, :1])
    numpy.testing.assert_array_equal(got[1], value[:, 1:])
    check_infer_shape_of(
        [x, sizes, axis], outs, [value, numpy.asarray([1, 5]), numpy.int64(1)], got
    )
    assert all(o.broadcastable == (False, False) for o in outs)


def test_split_gradient_with_unused_piece():
    x = dmatrix("x")
    first, _, third = T.split(x, [1, 2, 1], 3, axis=0)
    gx = grad((first * 2).sum() + third.sum(), x)
    expected = numpy.zeros((4, 3))
    expected[0] = 2
    expected[3] = 1
    numpy.testing.assert_array_equal(function([x], gx)(_value((4, 3))), expected)
    check_rop(lambda t: T.split(t, [2, 1], 2, axis=1)[1], [_value((2, 3))])


def test_split_errors_and_identity():
    x = dmatrix("x")
    sizes = lvector("sizes")
    f = function([x, sizes], T.split(x, sizes, 2, axis=0))
    with pytest.raises(ValueError, match=r"sum to 3 but x has length 4 along axis 0"):
        f(_value((4, 2)), [1, 2])
    with pytest.raises(ValueError, match="holds 3 sizes"):
        f(_value((4, 2)), [1, 2, 1])
    with pytest.raises(ValueError, match="negative size"):
        f(_value((4, 2)), [-1, 5])
    with pytest.raises(TypeError, match="splits must be an integer vector"):
        T.split(x, [1.5, 2.5], 2)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        T.split(x, [1, 1], 2, axis=2)
    with pytest.raises(ValueError, match="len_splits must be >= 1"):
        Split(0)
    assert Split(2) == Split(2) and Split(2) != Split(3)
    check_op_identity(Split(4))
    assert Split(3).view_map == {0: [0], 1: [0], 2: [0]}
    assert str(Split(3)) == "Split{3}"

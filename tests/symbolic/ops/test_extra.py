"""extra_ops: repeat, cumsum, cumprod, diff, bincount, to_one_hot, fill_diagonal."""

import numpy
import pytest

import symbolic.ops as T
from symbolic.compile.function import function
from symbolic.config import config
from symbolic.gradient import grad
from symbolic.ops.extra import (
    BinCount,
    CumOp,
    DiffOp,
    FillDiagonal,
    RepeatGrad,
    RepeatOp,
)
from symbolic.types.tensor import (
    TensorType,
    bvector,
    dmatrix,
    dtensor3,
    dvector,
    fvector,
    iscalar,
    ivector,
    lvector,
    matrix,
    row,
)
from tests.helpers.op_check import check_infer_shape_of, check_op, check_op_identity
from tests.symbolic.ops.shape_checks import check_rop

rng = numpy.random.RandomState(13)


def _value(shape, dtype="float64"):
    if numpy.dtype(dtype).kind in "iu":
        return rng.randint(-5, 6, size=shape).astype(dtype)
    return rng.uniform(0.5, 1.5, size=shape).astype(dtype)


# repeat -------------------------------------------------------------------------------
REPEATS = [
    ((3,), 2, None),
    ((2, 3), 2, None),
    ((2, 3), 3, 0),
    ((2, 3), 2, 1),
    ((2, 3), 0, 1),
    ((2, 3), [1, 0, 2], 1),
    ((2, 3, 2), [2, 1], -1),
    ((2, 2), [1, 2, 0, 3], None),
    ((2, 3), [2], 0),
]


@pytest.mark.parametrize("shape, repeats, axis", REPEATS)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_repeat_matches_numpy(shape, repeats, axis, dtype):
    check_op(
        lambda x: T.repeat(x, repeats, axis),
        [_value(shape, dtype)],
        expected=lambda v: numpy.repeat(v, repeats, axis),
    )


def test_repeat_symbolic_repeats_and_method():
    x = dmatrix("x")
    r = iscalar("r")
    rv = lvector("rv")
    value = _value((2, 3))
    out = x.repeat(r, 1)
    got = function([x, r], out)(value, 3)
    numpy.testing.assert_array_equal(got, numpy.repeat(value, 3, 1))
    check_infer_shape_of([x, r], [out], [value, numpy.int32(3)], [got])
    out = T.repeat(x, rv, axis=0)
    got = function([x, rv], out)(value, [3, 1])
    numpy.testing.assert_array_equal(got, numpy.repeat(value, [3, 1], 0))
    check_infer_shape_of([x, rv], [out], [value, numpy.asarray([3, 1])], [got])
    one = numpy.asarray([2])
    got = function([x, rv], out)(value, one)
    numpy.testing.assert_array_equal(got, numpy.repeat(value, 2, 0))
    check_infer_shape_of([x, rv], [out], [value, one], [got])
    gx = grad((out * numpy.arange(12.0).reshape(4, 3)).sum(), x)
    numpy.testing.assert_array_equal(
        function([x, rv], gx)(value, [3, 1]), [[9, 12, 15], [9, 10, 11]]
    )


def test_repeat_broadcastable_rule():
    r = row("r")
    assert T.repeat(r, 1, axis=0).broadcastable == (True, False)
    assert T.repeat(r, numpy.array([1]), axis=0).broadcastable == (True, False)
    assert T.repeat(r, 2, axis=0).broadcastable == (False, False)
    assert T.repeat(r, iscalar(), axis=0).broadcastable == (False, False)
    assert T.repeat(r, 2, axis=1).broadcastable == (True, False)
    assert T.repeat(r, 1).broadcastable == (False,)


def test_repeat_gradient_second_order_and_rop():
    check_rop(lambda x: T.repeat(x, 2, 1), [_value((2, 3))])
    check_rop(lambda x: T.repeat(x, numpy.array([1, 3]), 0), [_value((2, 3))])
    repeats = numpy.array([2, 0, 1])
    check_op(
        lambda x, g: RepeatGrad(1)(x, g, repeats),
        [_value((2, 3)), _value((2, 3))],
        expected=lambda x, g: numpy.stack(
            [g[:, 0] + g[:, 1], numpy.zeros(2), g[:, 2]], axis=1
        ),
    )
    check_rop(lambda g: RepeatGrad(None)(numpy.zeros((2, 2)), g, 2), [_value((8,))])


def test_repeat_errors_and_identity():
    x = dmatrix("x")
    with pytest.raises(TypeError, match="repeats must be an integer"):
        T.repeat(x, 1.5)
    with pytest.raises(ValueError, match="scalar or a vector"):
        T.repeat(x, numpy.ones((2, 2), "int64"))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        T.repeat(x, 2, axis=2)
    rv = lvector("rv")
    f = function([x, rv], T.repeat(x, rv, axis=1))
    with pytest.raises(ValueError, match="rv holds 2 counts but x has 3 elements"):
        f(_value((2, 3)), [1, 2])
    with pytest.raises(ValueError, match="negative count"):
        f(_value((2, 3)), [1, -2, 1])
    assert RepeatOp(0) == RepeatOp(0) != RepeatOp(1)
    for op in (RepeatOp(None), RepeatOp(1), RepeatGrad(0)):
        check_op_identity(op)


# cumsum and cumprod -------------------------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int8"])
def test_cumsum_cumprod_match_numpy(axis, dtype):
    value = _value((3, 4), dtype)
    for fn, oracle in ((T.cumsum, numpy.cumsum), (T.cumprod, numpy.cumprod)):
        check_op(
            lambda x, fn=fn: fn(x, axis),
            [value],
            expected=lambda v, oracle=oracle: oracle(v, axis=axis).astype(dtype),
        )


def test_cum_methods_dtypes_and_rop():
    x = dtensor3("x")
    value = _value((2, 3, 2))
    numpy.testing.assert_allclose(
        function([x], x.cumsum(1))(value), numpy.cumsum(value, 1)
    )
    numpy.testing.assert_allclose(
        function([x], x.cumprod())(value), numpy.cumprod(value)
    )
    assert T.cumsum(TensorType("bool", (False,))()).dtype == "int64"
    assert T.cumsum(x).broadcastable == (False,)
    assert T.cumsum(row("r"), 1).broadcastable == (True, False)
    check_rop(lambda t: T.cumsum(t, 0), [_value((3, 2))])
    check_rop(lambda t: T.cumprod(t, 1), [_value((2, 3))])
    check_rop(lambda t: T.cumprod(t), [_value((2, 3))])


def test_cumprod_gradient_values():
    x = dvector("x")
    gx = grad(T.cumprod(x).sum(), x)
    v = numpy.array([2.0, -3.0, 0.5])
    # d/dx_i sum_k prod_{j<=k} x_j = sum_{k>=i} prod_{j<=k, j!=i} x_j
    expected = [1 + -3 + -1.5, 2 + 1.0, -6.0]
    numpy.testing.assert_allclose(function([x], gx)(v), expected)


def test_cumop_errors_and_identity():
    with pytest.raises(ValueError, match="mode must be 'add' or 'mul'"):
        CumOp(0, "max")
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        T.cumsum(matrix("m"), 2)
    assert CumOp(1, "add") == CumOp(1, "add") != CumOp(1, "mul")
    check_op_identity(CumOp(None, "mul"))


# diff ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 2, 5])
@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_diff_matches_numpy(n, axis, dtype):
    check_op(
        lambda x: T.diff(x, n, axis),
        [_value((4, 3), dtype)],
        expected=lambda v: numpy.diff(v, n, axis),
        grad=n <= 3,
    )


def test_diff_vector_gradient_and_rop():
    check_op(
        lambda x: T.diff(x, 2), [_value((6,))], expected=lambda v: numpy.diff(v, 2)
    )
    check_rop(lambda x: T.diff(x, 1, 0), [_value((3, 2))])
    assert T.diff(row("r"), 1, 0).broadcastable == (False, False)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        T.diff(matrix("m"), axis=2)
    with pytest.raises(ValueError, match="order n must be >= 0"):
        DiffOp(-1)
    check_op_identity(DiffOp(2, 0))


# bincount -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8"])
@pytest.mark.parametrize("minlength", [None, 0, 3, 10])
def test_bincount_matches_numpy(dtype, minlength):
    x = TensorType(dtype, (False,))("x")
    value = numpy.array([0, 1, 1, 4, 2, 1], dtype=dtype)
    out = T.bincount(x, minlength=minlength)
    assert out.dtype == dtype
    got = function([x], out)(value)
    numpy.testing.assert_array_equal(
        got, numpy.bincount(value, minlength=minlength or 0)
    )
    check_infer_shape_of([x], [out], [value], [got])


def test_bincount_weights_gradient_and_empty():
    x = ivector("x")
    w = dvector("w")
    out = T.bincount(x, w, minlength=2)
    assert out.dtype == "float64"
    xv = numpy.array([3, 0, 3], dtype="int32")
    wv = numpy.array([0.5, 1.0, 2.0])
    numpy.testing.assert_array_equal(
        function([x, w], out)(xv, wv), numpy.bincount(xv, wv, minlength=2)
    )
    gw = grad((out * numpy.arange(4.0)).sum(), w)
    numpy.testing.assert_array_equal(function([x, w], gw)(xv, wv), [3.0, 0.0, 3.0])
    assert T.bincount(x, fvector()).dtype == "float32"
    check_rop(lambda t: T.bincount(numpy.array([2, 0, 2]), t), [wv])
    empty = numpy.zeros(0, dtype="int32")
    got = function([x], T.bincount(x, minlength=2))(empty)
    numpy.testing.assert_array_equal(got, [0, 0])
    check_infer_shape_of([x], [T.bincount(x)], [empty], [numpy.zeros(0)])


def test_bincount_errors_and_identity():
    with pytest.raises(TypeError, match="x must be an integer vector"):
        T.bincount(dvector("v"))
    with pytest.raises(TypeError, match="weights must be a vector"):
        T.bincount(ivector("x"), dmatrix("w"))
    x = bvector("x")
    f = function([x], T.bincount(x))
    with pytest.raises(ValueError, match="x holds negative values"):
        f(numpy.array([1, -1], dtype="int8"))
    w = dvector("w")
    g = function([x, w], T.bincount(x, w))
    with pytest.raises(ValueError, match="weights w have shape"):
        g(numpy.array([1], dtype="int8"), numpy.ones(2))
    check_op_identity(BinCount())


# to_one_hot ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [None, "int32", "float32"])
def test_to_one_hot(dtype):
    y = ivector("y")
    out = T.to_one_hot(y, 4, dtype=dtype)
    assert out.dtype == (dtype or config.floatX)
    yv = numpy.array([0, 3, 1, 1], dtype="int32")
    numpy.testing.assert_array_equal(function([y], out)(yv), numpy.eye(4)[yv])
    n = iscalar("n")
    got = function([y, n], T.to_one_hot(y, n))(yv, 5)
    numpy.testing.assert_array_equal(got, numpy.eye(5)[yv])
    with pytest.raises(TypeError, match="y must be an integer vector"):
        T.to_one_hot(dvector("y"), 3)


# fill_diagonal ------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (5, 2), (3, 3, 3)])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_fill_diagonal_matches_numpy(shape, dtype):
    def expected(a, val):
        out = a.copy()
        if a.ndim == 2:
            out[range(min(shape)), range(min(shape))] = val
        else:
            numpy.fill_diagonal(out, val)
        return out

    value = _value(shape, dtype)
    val = numpy.asarray(7, dtype=dtype)
    check_op(T.fill_diagonal, [value, val], expected=expected, grad=len(shape) == 2)


def test_fill_diagonal_gradients_and_rop():
    a = dmatrix("a")
    v = TensorType("float64", ())("v")
    out = T.fill_diagonal(a, v)
    w = numpy.arange(6.0).reshape(2, 3)
    ga, gv = grad((out * w).sum(), [a, v])
    got_a, got_v = function([a, v], [ga, gv])(_value((2, 3)), 1.0)
    numpy.testing.assert_array_equal(got_a, w * (1 - numpy.eye(2, 3)))
    assert got_v == 0.0 + 4.0
    check_rop(lambda x, s: T.fill_diagonal(x, s), [_value((3, 2)), numpy.float64(2.0)])
    check_rop(lambda x: T.fill_diagonal(x, 3.0), [_value((2, 2))])


def test_fill_diagonal_errors_and_identity():
    with pytest.raises(TypeError, match="at least 2 dims"):
        T.fill_diagonal(dvector("v"), 1)
    with pytest.raises(TypeError, match="val must be a scalar"):
        T.fill_diagonal(dmatrix("m"), dvector("v"))
    with pytest.raises(TypeError, match="does not fit a's dtype int32"):
        T.fill_diagonal(TensorType("int32", (False, False))("m"), 0.5)
    x = dtensor3("x")
    f = function([x], T.fill_diagonal(x, 1))
    with pytest.raises(ValueError, match="must have all dims equal"):
        f(_value((2, 3, 2)))
    check_op_identity(FillDiagonal())


def test_diff_of_order_zero_is_a_copy():
    # DebugMode found this: numpy.diff(x, n=0) is x itself, an undeclared view.
    from symbolic.ops.extra import DiffOp

    x = dvector("x")
    node = DiffOp(n=0, axis=0)(x).owner
    value = numpy.arange(3.0)
    cell = [None]
    node.op.perform(node, [value], [cell])
    assert cell[0] is not value
    numpy.testing.assert_array_equal(cell[0], value)

"""reshape, flatten, squeeze, swapaxes, tile, roll and arange against numpy."""

import pickle

import numpy
import pytest

import symbolic.ops as T
from symbolic.compile.function import function
from symbolic.ops.reshaping import ARange, Reshape, Roll
from symbolic.types.tensor import (
    TensorType,
    as_tensor_variable,
    dscalar,
    iscalar,
    ivector,
    lscalar,
    lvector,
    matrix,
    row,
    tensor3,
)
from tests.helpers.op_check import check_infer_shape_of, check_op, check_op_identity
from tests.symbolic.ops.shape_checks import check_rop

rng = numpy.random.RandomState(3)
DTYPES = ["float64", "float32", "int32", "int8"]


def _value(shape, dtype="float64"):
    if numpy.dtype(dtype).kind in "iub":
        return rng.randint(-5, 6, size=shape).astype(dtype)
    return rng.uniform(-1, 1, size=shape).astype(dtype)


# reshape ----
RESHAPES = [
    ((2, 3), (3, 2)),
    ((2, 3), (-1,)),
    ((2, 3, 4), (4, -1)),
    ((6,), (1, 6)),
    ((), (1, 1)),
    ((2, 3), (6, 1)),
    ((1, 1), ()),
    ((0, 3), (3, -1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, newshape", RESHAPES)
def test_reshape_matches_numpy(shape, newshape, dtype):
    value = _value(shape, dtype)
    check_op(
        lambda x: T.reshape(x, newshape),
        [value],
        expected=lambda v: numpy.reshape(v, newshape),
    )


def test_reshape_gradient_and_rop():
    check_rop(lambda x: T.reshape(x, (3, -1)), [_value((2, 3, 2))])
    check_op(
        lambda x: x.reshape((4, 3)).T,
        [_value((2, 6))],
        expected=lambda v: v.reshape(4, 3).T,
    )


def test_reshape_constant_one_is_broadcastable():
    x = matrix("x")
    assert T.reshape(x, (1, -1)).broadcastable == (True, False)
    assert T.reshape(x, (x.shape[0], 1, -1)).broadcastable == (False, True, False)
    n = lscalar("n")
    assert T.reshape(x, (n, -1)).broadcastable == (False, False)
    shp32 = as_tensor_variable(numpy.array([1, -1], dtype="int32"))
    assert Reshape(2)(x, shp32).broadcastable == (True, False)
    assert Reshape(2)(x, T.cast(shp32, "int64")).broadcastable == (True, False)


def test_reshape_symbolic_entries():
    x = matrix("x")
    n = iscalar("n")
    out = T.reshape(x, (n, -1))
    value = _value((4, 6))
    got = function([x, n], out)(value, 3)
    numpy.testing.assert_array_equal(got, value.reshape(3, -1))
    check_infer_shape_of([x, n], [out], [value, numpy.int32(3)], [got])


def test_reshape_symbolic_vector_needs_ndim():
    x = matrix("x")
    shp = lvector("shp")
    with pytest.raises(ValueError, match="pass ndim="):
        T.reshape(x, shp)
    out = T.reshape(x, shp, ndim=3)
    assert out.ndim == 3 and out.broadcastable == (False,) * 3
    value = _value((4, 6))
    for newshape in ([2, 3, 4], [2, -1, 4], [-1, 2, 2]):
        got = function([x, shp], out)(value, newshape)
        numpy.testing.assert_array_equal(got, value.reshape(newshape))
        check_infer_shape_of([x, shp], [out], [value, numpy.asarray(newshape)], [got])


def test_reshape_method_and_known_length_vector():
    x = tensor3("x")
    out = matrix("m").reshape(x.shape)
    assert out.ndim == 3
    value = _value((2, 3, 4))
    got = function([x, out.owner.inputs[0]], out)(value, value.reshape(6, 4))
    numpy.testing.assert_array_equal(got, value)


def test_reshape_errors():
    x = matrix("x")
    with pytest.raises(ValueError, match="at most one -1"):
        T.reshape(x, (-1, -1))
    with pytest.raises(TypeError, match="entry 1 must be an integer scalar"):
        T.reshape(x, (2, matrix("m")))
    with pytest.raises(TypeError, match="entry 0 must be an integer"):
        T.reshape(x, (2.5, 3))
    with pytest.raises(ValueError, match="ndim=3"):
        T.reshape(x, (2, 3), ndim=3)
    f = function([x], T.reshape(x, (4, -1)))
    with pytest.raises(
        ValueError, match=r"cannot reshape x of shape \(2, 3\).*\(4, -1\)"
    ):
        f(_value((2, 3)))


def test_reshape_op_identity():
    assert Reshape(2) == Reshape(2) and Reshape(2) != Reshape(3)
    assert hash(Reshape(2)) == hash(Reshape(2))
    check_op_identity(Reshape(3))
    assert str(Reshape(2)) == "Reshape{2}"


# flatten, squeeze, swapaxes ----
@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_flatten(ndim, dtype):
    value = _value((2, 3, 4), dtype)
    check_op(
        lambda x: T.flatten(x, ndim),
        [value],
        expected=lambda v: v.reshape(v.shape[: ndim - 1] + (-1,)),
    )


def test_flatten_default_method_and_outdim_alias():
    x = tensor3("x")
    assert T.flatten(x).ndim == 1
    assert x.flatten(2).ndim == 2
    with pytest.warns(DeprecationWarning, match="outdim"):
        out = T.flatten(x, outdim=2)
    value = _value((2, 3, 4))
    numpy.testing.assert_array_equal(function([x], out)(value), value.reshape(2, 12))
    with pytest.raises(ValueError, match="only"):
        T.flatten(x, ndim=2, outdim=2)
    with pytest.raises(ValueError, match="out of bounds"):
        T.flatten(x, 4)


def test_flatten_keeps_broadcastable():
    x = TensorType("float64", (True, False, True))("x")
    assert T.flatten(x, 2).broadcastable == (True, False)
    assert T.flatten(row("r"), 1).broadcastable == (False,)
    y = TensorType("float64", (False, True, True))("y")
    assert T.flatten(y, 2).broadcastable == (False, True)


def test_squeeze_and_swapaxes():
    x = TensorType("float64", (True, False, True))("x")
    value = _value((1, 3, 1))
    assert T.squeeze(x).broadcastable == (False,)
    numpy.testing.assert_array_equal(function([x], x.squeeze())(value), value.squeeze())
    assert T.squeeze(x, axis=0).ndim == 2
    with pytest.raises(ValueError, match=r"axis 1 .* not broadcastable"):
        T.squeeze(x, axis=1)
    y = tensor3("y")
    v = _value((2, 3, 4))
    for a, b in [(0, 2), (1, -1), (0, 0)]:
        numpy.testing.assert_array_equal(
            function([y], T.swapaxes(y, a, b))(v), numpy.swapaxes(v, a, b)
        )
    check_op(lambda t: t.swapaxes(0, 1), [v], expected=lambda t: t.swapaxes(0, 1))


# tile ----
TILES = [
    ((2, 3), 2),
    ((2, 3), (2, 3)),
    ((3,), (2, 2)),
    ((2, 3), (1, 1, 2)),
    ((2, 1, 2), (3, 1)),
    ((2,), ()),
]


@pytest.mark.parametrize("shape, reps", TILES)
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_tile_matches_numpy(shape, reps, dtype):
    check_op(
        lambda x: T.tile(x, reps),
        [_value(shape, dtype)],
        expected=lambda v: numpy.tile(v, reps),
    )


def test_tile_symbolic_reps_and_rop():
    x = matrix("x")
    r = iscalar("r")
    value = _value((2, 3))
    numpy.testing.assert_array_equal(
        function([x, r], T.tile(x, r))(value, 3), numpy.tile(value, 3)
    )
    reps = ivector("reps")
    out = T.tile(x, reps, ndim=3)
    assert out.ndim == 3
    for rv in ([2, 3], [2, 1, 3]):
        numpy.testing.assert_array_equal(
            function([x, reps], out)(value, rv),
            numpy.tile(value, [1] * (3 - len(rv)) + rv),
        )
    check_rop(lambda t: T.tile(t, (2, 2)), [value])


def test_tile_errors():
    x = matrix("x")
    with pytest.raises(ValueError, match="ndim is required"):
        T.tile(x, ivector())
    with pytest.raises(ValueError, match=r"must be at least x\.ndim"):
        T.tile(x, 2, ndim=1)
    with pytest.raises(ValueError, match="integers"):
        T.tile(x, (2.0, 1))
    with pytest.raises(ValueError, match="exceeds ndim"):
        T.tile(x, (1, 2, 3), ndim=2)


# roll ----
@pytest.mark.parametrize("shift", [0, 1, -2, 7])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_roll_matches_numpy(shift, axis):
    check_op(
        lambda x: T.roll(x, shift, axis),
        [_value((3, 4))],
        expected=lambda v: numpy.roll(v, shift, axis),
    )


def test_roll_symbolic_shift_vector_and_rop():
    x = matrix("x")
    s = lscalar("s")
    value = _value((3, 4))
    f = function([x, s], T.roll(x, s, axis=1))
    for shift in (-5, 0, 3):
        numpy.testing.assert_array_equal(f(value, shift), numpy.roll(value, shift, 1))
    check_op(
        lambda v: T.roll(v, 2), [_value((5,))], expected=lambda v: numpy.roll(v, 2)
    )
    check_op(
        lambda v: T.roll(v, 1),
        [_value((2, 3), "int32")],
        expected=lambda v: numpy.roll(v, 1),
    )
    check_rop(lambda t: T.roll(t, 1, 0), [value])


def test_roll_errors_and_identity():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        T.roll(matrix("x"), 1, axis=2)
    with pytest.raises(TypeError, match="shift must be an integer scalar"):
        T.roll(matrix("x"), 1.5)
    assert Roll(0) == Roll(0) and Roll(0) != Roll(1) and Roll(None) != Roll(0)
    check_op_identity(Roll(1))


# arange ----
ARANGES = [
    ((5,), "int64"),
    ((2, 10, 3), "int64"),
    ((10, 2, -3), "int64"),
    ((3, 3), "int64"),
    ((5, 2), "int64"),
    ((0.5, 3), "float32"),
    ((numpy.float64(0.25), 2.0, 0.5), "float64"),
    ((1, 2.5, 0.5), "float32"),
]


@pytest.mark.parametrize("args, dtype", ARANGES)
def test_arange_values_and_dtype(args, dtype):
    out = T.arange(*args)
    assert out.dtype == dtype
    got = function([], out)()
    numpy.testing.assert_allclose(got, numpy.arange(*args).astype(dtype))
    check_infer_shape_of([], [out], [], [got])


def test_arange_symbolic_arguments():
    start, stop, step = iscalar("start"), iscalar("stop"), iscalar("step")
    out = T.arange(start, stop, step)
    assert out.dtype == "int64" and out.broadcastable == (False,)
    f = function([start, stop, step], out)
    for args in [(0, 10, 3), (10, 0, -4), (3, 3, 1), (5, 0, 1), (-3, 4, 2)]:
        got = f(*args)
        numpy.testing.assert_array_equal(got, numpy.arange(*args))
        check_infer_shape_of(
            [start, stop, step], [out], [numpy.int32(a) for a in args], [got]
        )
    x = dscalar("x")
    assert T.arange(x).dtype == "float64"
    assert T.arange(3, dtype="int32").dtype == "int32"
    assert T.arange(lscalar(), dtype="floatX").dtype == "float64"


def test_arange_gradient_and_errors():
    check_op(
        lambda start, step: T.arange(start, 4.0, step) ** 2,
        [numpy.float64(0.3), numpy.float64(0.7)],
        expected=lambda a, s: numpy.arange(a, 4.0, s) ** 2,
    )
    n = iscalar("n")
    f = function([n], T.arange(0, 5, n))
    with pytest.raises(ValueError, match="step n is 0"):
        f(0)
    with pytest.raises(TypeError, match="stop must be a scalar"):
        T.arange(0, ivector("v"))
    assert ARange("int64") == ARange("int64") != ARange("int32")
    assert pickle.loads(pickle.dumps(ARange("float32"))) == ARange("float32")
    assert str(as_tensor_variable(T.arange(3)).owner.op) == "ARange{dtype=int64}"

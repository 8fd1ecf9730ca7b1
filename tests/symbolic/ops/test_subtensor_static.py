"""Static folding of indexed shapes and constants (get_scalar_constant_value)."""

import numpy
import pytest

from symbolic.ops import (
    NotScalarConstantError,
    get_scalar_constant_value,
    get_vector_length,
    make_vector,
    shape_padright,
    subtensor_constant_value,
    subtensor_vector_length,
)
from symbolic.types.tensor import TensorType, constant, dmatrix, iscalar, lscalar


def test_shape_of_broadcastable_axis():
    x = shape_padright(dmatrix("x"))
    assert int(get_scalar_constant_value(x.shape[2])) == 1
    assert int(get_scalar_constant_value(x.shape[-1])) == 1
    value = subtensor_constant_value(x.shape[2])
    assert isinstance(value, numpy.ndarray)
    assert value.shape == ()
    assert value.dtype == "int64"


def test_shape_of_constant():
    c = constant(numpy.zeros((2, 3)))
    assert int(get_scalar_constant_value(c.shape[1])) == 3
    assert int(get_scalar_constant_value(c.shape[-2])) == 2


def test_make_vector_entry():
    n = lscalar("n")
    v = make_vector(n, 4, 7)
    assert int(get_scalar_constant_value(v[1])) == 4
    assert int(get_scalar_constant_value(v[-1])) == 7
    with pytest.raises(NotScalarConstantError):
        get_scalar_constant_value(v[0])


def test_constant_indexed_by_constants():
    c = constant(numpy.arange(6).reshape(2, 3))
    assert int(get_scalar_constant_value(c[1, -1])) == 5
    assert int(get_scalar_constant_value(c[1][2])) == 5


def test_unknown_values_raise():
    x = dmatrix("x")
    with pytest.raises(NotScalarConstantError):
        get_scalar_constant_value(x.shape[0])
    with pytest.raises(NotScalarConstantError):
        get_scalar_constant_value(x[0, 0])
    with pytest.raises(NotScalarConstantError):
        get_scalar_constant_value(shape_padright(x).shape[iscalar("i")])


@pytest.mark.parametrize(
    ("index", "length"),
    [
        (slice(1, None), 3),
        (slice(None, -1), 3),
        (slice(None, None, 2), 2),
        (slice(None, None, -1), 4),
        (slice(5, None), 0),
        (slice(-2, None), 2),
    ],
)
def test_shape_slice_length(index, length):
    x = TensorType("float64", (False,) * 4)("x")
    sub = x.shape[index]
    assert subtensor_vector_length(sub) == length
    assert get_vector_length(sub) == length
    assert len(list(sub)) == length


def test_other_static_vector_lengths():
    x = TensorType("float64", (False,) * 4)("x")
    assert get_vector_length(x.shape[1:][1:]) == 2
    assert get_vector_length(constant(numpy.arange(5))[1:]) == 4
    assert get_vector_length(constant(numpy.zeros((3, 4)))[0]) == 4
    assert get_vector_length(constant(numpy.zeros((3, 4)))[1:][0, ::2]) == 2
    assert get_vector_length(make_vector(lscalar(), lscalar(), lscalar())[:2]) == 2


def test_symbolic_bounds_have_no_static_length():
    x = TensorType("float64", (False,) * 4)("x")
    with pytest.raises(ValueError, match="index is symbolic"):
        subtensor_vector_length(x.shape[iscalar("i") :])
    with pytest.raises(ValueError, match="not known statically"):
        get_vector_length(dmatrix("m")[0])

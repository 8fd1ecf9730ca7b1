"""TensorType: constructors, printing, dtype rules, literal autocasting, filtering."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T


@pytest.mark.parametrize(
    "name,dtype,bcast",
    [
        ("scalar", None, ()),
        ("vector", None, (False,)),
        ("row", None, (True, False)),
        ("col", None, (False, True)),
        ("matrix", None, (False, False)),
        ("tensor3", None, (False,) * 3),
        ("tensor4", None, (False,) * 4),
        ("tensor5", None, (False,) * 5),
        ("bvector", "int8", (False,)),
        ("wmatrix", "int16", (False, False)),
        ("iscalar", "int32", ()),
        ("lmatrix", "int64", (False, False)),
        ("ftensor4", "float32", (False,) * 4),
        ("dvector", "float64", (False,)),
        ("cscalar", "complex64", ()),
    ],
)
def test_constructors(name, dtype, bcast):
    var = getattr(T, name)("v")
    assert var.dtype == (dtype or symbolic.config.floatX)
    assert var.broadcastable == bcast
    assert var.name == "v"


def test_plural_constructors():
    a, b = T.scalars("ab")
    assert (a.name, b.name) == ("a", "b")
    assert len(T.fmatrices(3)) == 3
    assert T.tensor("int32", (False, True)).type == T.TensorType("int32", (False, True))


def test_type_strings():
    assert str(T.fmatrix().type) == "TensorType(float32, matrix)"
    assert str(T.dcol().type) == "TensorType(float64, col)"
    assert str(T.tensor3().type).endswith("3D)")
    assert str(T.constant(2)) == "TensorConstant{2}"


@pytest.mark.parametrize(
    "literal,dtype",
    [
        (1, "int8"),
        (300, "int16"),
        (70000, "int32"),
        (2**40, "int64"),
        (0.5, "float32"),
        (1.1, "float64"),
        (True, "bool"),
    ],
)
def test_literal_autocast(literal, dtype):
    assert T.constant(literal).dtype == dtype


@pytest.mark.parametrize(
    "a,b,out",
    [
        ("float32", "int8", "float32"),
        ("float32", "int16", "float32"),
        ("float32", "int32", "float64"),
        ("float32", "int64", "float64"),
        ("int64", "float32", "float64"),
        ("int8", "int32", "int32"),
    ],
)
def test_upcasting_table(a, b, out):
    assert (T.tensor(a, ()) + T.tensor(b, ())).dtype == out


def test_floatx_literals():
    assert (T.fvector() + 1.1).dtype == "float64"
    assert (T.dvector() * 0.5).dtype == "float64"
    assert (T.ivector() + 1).dtype == "int32"
    with symbolic.change_flags(floatX="float32"):
        assert (T.fvector() + 1.1).dtype == "float32"
        assert T.matrix().dtype == "float32"


def test_unary_float_functions_upgrade_ints():
    assert T.exp(T.bvector()).dtype == "float32"
    assert T.exp(T.ivector()).dtype == "float64"
    assert T.sqr(T.ivector()).dtype == "int32"
    assert T.sum(T.bvector()).dtype == "int64"
    assert T.mean(T.ivector()).dtype == "float64"
    assert T.isnan(T.dvector()).dtype == "bool"


def test_filter_rules():
    t = T.TensorType("float32", (False,))
    arr = numpy.zeros(2, dtype="float32")
    assert t.filter(arr) is arr
    assert t.filter(numpy.zeros(2, dtype="int8")).dtype == numpy.float32
    with pytest.raises(TypeError):
        t.filter(numpy.zeros(2))
    assert t.filter(numpy.zeros(2), allow_downcast=True).dtype == numpy.float32
    with pytest.raises(TypeError):
        t.filter(numpy.zeros(2, dtype="int8"), strict=True)


def test_as_tensor_variable():
    x = T.dvector()
    assert T.as_tensor_variable(x) is x
    assert T.as_tensor_variable(x.owner or x) is x
    c = T.as_tensor_variable([[1, 2]])
    assert c.broadcastable == (True, False)
    s = T.as_tensor_variable([T.dscalar(), T.dscalar()])
    assert s.ndim == 1
    with pytest.raises(TypeError):
        T.as_tensor_variable(object())
    assert T.as_tensor_variable(T.dvector(), ndim=2).broadcastable == (True, False)


def test_filter_variable_error_names_both_types_and_the_setting():
    wide = T.dmatrix("wide")
    with pytest.raises(TypeError) as info:
        T.fmatrix().type.filter_variable(wide, allow_convert=False)
    message = str(info.value)
    assert "wide" in message and "float64" in message and "float32" in message
    assert "allow_convert=False" in message

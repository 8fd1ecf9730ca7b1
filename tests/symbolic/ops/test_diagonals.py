"""eye, identity_like, diag, diagonal and trace against numpy, with gradients."""

import numpy
import pytest

import symbolic.ops as T
from symbolic.compile.function import function
from symbolic.config import config
from symbolic.gradient import grad
from symbolic.ops.diagonals import AllocDiag, ExtractDiag, ExtractDiagGrad, Eye
from symbolic.types.tensor import dmatrix, dscalar, fmatrix, iscalar, matrix, vector
from tests.helpers.op_check import check_infer_shape_of, check_op, check_op_identity
from tests.symbolic.ops.shape_checks import check_rop

rng = numpy.random.RandomState(7)


def _value(shape, dtype="float64"):
    if numpy.dtype(dtype).kind in "iu":
        return rng.randint(-5, 6, size=shape).astype(dtype)
    return rng.uniform(-1, 1, size=shape).astype(dtype)


@pytest.mark.parametrize(
    "n, m, k", [(3, None, 0), (2, 4, 1), (4, 2, -1), (3, 3, 5), (0, 2, 0)]
)
@pytest.mark.parametrize("dtype", [None, "int32", "float32"])
def test_eye_matches_numpy(n, m, k, dtype):
    out = T.eye(n, m, k, dtype=dtype)
    assert out.dtype == (dtype or config.floatX)
    got = function([], out)()
    numpy.testing.assert_array_equal(got, numpy.eye(n, m, k))
    check_infer_shape_of([], [out], [], [got])


def test_eye_symbolic_and_identity_like():
    n, k = iscalar("n"), iscalar("k")
    out = T.eye(n, k=k)
    numpy.testing.assert_array_equal(function([n, k], out)(3, -1), numpy.eye(3, k=-1))
    x = fmatrix("x")
    ident = T.identity_like(x)
    assert ident.dtype == "float32"
    numpy.testing.assert_array_equal(
        function([x], ident)(_value((2, 3), "float32")), numpy.eye(2, 3)
    )
    with pytest.raises(TypeError, match="n must be an integer scalar"):
        T.eye(2.5)
    f = function([n], T.eye(n, 2))
    with pytest.raises(ValueError, match="negative dimensions"):
        f(-1)
    assert Eye("float32") == Eye("float32") != Eye("float64")
    check_op_identity(Eye("int8"))
    a = dmatrix("a")
    assert grad((T.eye(3) * a).sum(), a) is not None


@pytest.mark.parametrize("k", [0, 1, -2])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_diag_of_vector(k, dtype):
    check_op(
        lambda v: T.diag(v, k),
        [_value((3,), dtype)],
        expected=lambda v: numpy.diag(v, k),
    )


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2)])
@pytest.mark.parametrize("k", [0, 1, -1, 5])
def test_diag_of_matrix(shape, k):
    check_op(
        lambda m: T.diag(m, k), [_value(shape)], expected=lambda m: numpy.diag(m, k)
    )


@pytest.mark.parametrize(
    "offset, axis1, axis2", [(0, 0, 1), (1, 1, 2), (-1, 2, 0), (0, -1, -3)]
)
def test_diagonal_of_3d(offset, axis1, axis2):
    check_op(
        lambda x: T.diagonal(x, offset, axis1, axis2),
        [_value((3, 4, 3))],
        expected=lambda x: numpy.diagonal(x, offset, axis1, axis2),
    )
    check_op(
        lambda x: x.diagonal(offset, axis1, axis2),
        [_value((3, 4, 3), "int32")],
        expected=lambda x: numpy.diagonal(x, offset, axis1, axis2),
    )


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2)])
def test_trace(shape):
    check_op(lambda m: T.trace(m), [_value(shape)], expected=numpy.trace)
    check_op(lambda m: m.trace(), [_value(shape)], expected=numpy.trace)


def test_diagonal_rop_and_second_order():
    check_rop(lambda x: T.diagonal(x, 1), [_value((3, 4))])
    check_rop(lambda v: T.diag(v, -1), [_value((3,))])
    x = dmatrix("x")
    gx = grad(T.diagonal(x, 1).sum(), x)
    assert isinstance(gx.owner.op, ExtractDiagGrad)
    expected = numpy.eye(3, 4, 1)
    numpy.testing.assert_array_equal(function([x], gx)(_value((3, 4))), expected)
    check_op(
        lambda gz: ExtractDiagGrad(-1, 0, 1)(numpy.zeros((3, 2)), gz),
        [_value((2,))],
        expected=lambda gz: numpy.diag(gz, -1)[:, :2],
    )
    check_rop(
        lambda gz: ExtractDiagGrad(0, 1, 0)(numpy.zeros((2, 3)), gz), [_value((2,))]
    )


def test_diagonal_errors_and_identity():
    with pytest.raises(ValueError, match="needs at least 2 dims"):
        T.diagonal(vector("v"))
    with pytest.raises(ValueError, match="axis1 and axis2 must differ"):
        T.diagonal(matrix("m"), 0, 1, 1)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        T.diagonal(matrix("m"), 0, 0, 2)
    with pytest.raises(ValueError, match="at least 1 dim"):
        T.diag(dscalar("s"))
    with pytest.raises(TypeError, match="expected a vector"):
        AllocDiag()(matrix("m"))
    assert ExtractDiag(1, 0, 1) == ExtractDiag(1, 0, 1) != ExtractDiag(0, 0, 1)
    assert ExtractDiag(view=True).view_map == {0: [0]}
    for op in (AllocDiag(2), ExtractDiag(1, 2, 0), ExtractDiagGrad(1, 0, 1)):
        check_op_identity(op)

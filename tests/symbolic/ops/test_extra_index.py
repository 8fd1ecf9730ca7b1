"""searchsorted, unravel_index and ravel_multi_index against numpy."""

import numpy
import pytest

import symbolic.ops as T
from symbolic.compile.function import function
from symbolic.gradient import grad
from symbolic.ops.extra_index import RavelMultiIndex, SearchsortedOp, UnravelIndex
from symbolic.types.tensor import dmatrix, dvector, imatrix, ivector, lvector
from tests.helpers.op_check import check_infer_shape_of, check_op, check_op_identity


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_searchsorted_matches_numpy(side, dtype):
    x = numpy.array([1, 2, 2, 5, 8], dtype=dtype)
    v = numpy.array([[0, 2], [5, 9]], dtype=dtype)
    check_op(
        lambda a, b: T.searchsorted(a, b, side),
        [x, v],
        expected=lambda a, b: numpy.searchsorted(a, b, side),
        grad=False,
    )


def test_searchsorted_sorter_and_gradient():
    x, v, s = dvector("x"), dmatrix("v"), lvector("s")
    out = T.searchsorted(x, v, sorter=s)
    xv = numpy.array([5.0, 1.0, 3.0])
    vv = numpy.array([[2.0, 4.0]])
    sv = numpy.argsort(xv)
    got = function([x, v, s], out)(xv, vv, sv)
    numpy.testing.assert_array_equal(got, numpy.searchsorted(xv, vv, sorter=sv))
    check_infer_shape_of([x, v, s], [out], [xv, vv, sv], [got])
    gx = grad((T.searchsorted(x, v) * 1.0).sum() + x.sum(), x)
    numpy.testing.assert_array_equal(function([x, v], gx)(xv, vv), [1.0, 1.0, 1.0])


def test_searchsorted_errors_and_identity():
    with pytest.raises(ValueError, match="side must be 'left' or 'right'"):
        T.searchsorted(dvector(), 1.0, side="middle")
    with pytest.raises(TypeError, match="x must be a vector"):
        T.searchsorted(dmatrix("m"), 1.0)
    with pytest.raises(TypeError, match="sorter must be an integer vector"):
        T.searchsorted(dvector(), 1.0, sorter=dvector("s"))
    assert SearchsortedOp("left") != SearchsortedOp("right")
    check_op_identity(SearchsortedOp("right"))


@pytest.mark.parametrize("order", ["C", "F"])
def test_unravel_and_ravel_round_trip(order):
    dims = (3, 4, 2)
    flat = numpy.array([[0, 5], [23, 11]], dtype="int32")
    coords = T.unravel_index(imatrix("i"), dims, order)
    assert len(coords) == 3 and all(c.dtype == "int64" for c in coords)
    i = coords[0].owner.inputs[0]
    got = function([i], list(coords))(flat)
    for g, want in zip(got, numpy.unravel_index(flat, dims, order=order), strict=True):
        numpy.testing.assert_array_equal(g, want)
    check_infer_shape_of([i], list(coords), [flat], got)
    back = T.ravel_multi_index(coords, dims, order=order)
    numpy.testing.assert_array_equal(function([i], back)(flat), flat)


def test_ravel_multi_index_modes_and_errors():
    a, b = ivector("a"), ivector("b")
    av = numpy.array([1, 5], dtype="int32")
    bv = numpy.array([-1, 2], dtype="int32")
    for mode in ("wrap", "clip"):
        out = T.ravel_multi_index([a, b], (3, 4), mode=mode)
        numpy.testing.assert_array_equal(
            function([a, b], out)(av, bv),
            numpy.ravel_multi_index((av, bv), (3, 4), mode=mode),
        )
    f = function([a, b], T.ravel_multi_index((a, b), (3, 4)))
    with pytest.raises(ValueError, match=r"into shape \(3, 4\)"):
        f(av, bv)
    with pytest.raises(TypeError, match="tuple or a list"):
        T.ravel_multi_index(a, (3, 4))
    with pytest.raises(ValueError, match="mode must be"):
        T.ravel_multi_index([a], (3,), mode="bounce")
    with pytest.raises(ValueError, match="order must be 'C' or 'F'"):
        T.unravel_index(a, (3,), order="K")
    with pytest.raises(ValueError, match="must be known statically"):
        T.unravel_index(a, lvector("d"))
    with pytest.raises(TypeError, match="indices must hold integers"):
        T.unravel_index(dvector("d"), (3,))
    g = function([a], T.unravel_index(a, (2, 2))[0])
    with pytest.raises(ValueError, match=r"a into shape \(2, 2\)"):
        g(numpy.array([4], dtype="int32"))
    for op in (UnravelIndex("F"), RavelMultiIndex("clip", "C")):
        check_op_identity(op)

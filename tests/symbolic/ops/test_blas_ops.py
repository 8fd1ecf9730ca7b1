"""Gemm, Gemv, Ger, Dot22 and Dot22Scalar against numpy, in and out of place."""

import pickle

import numpy
import pytest

import symbolic
from symbolic.compile.io import In
from symbolic.ops.blas import Dot22, Dot22Scalar, Gemm, Gemv, Ger
from symbolic.types.tensor import TensorType
from tests.helpers.op_check import check_op, check_op_identity

RNG = numpy.random.RandomState(42)


def _values(dtype, *shapes):
    return [RNG.randn(*s).astype(dtype) for s in shapes]


def _tol(dtype):
    return 1e-5 if dtype == "float32" else 1e-12


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gemm_matches_numpy(dtype):
    z, x, y = _values(dtype, (3, 4), (3, 5), (5, 4))
    a, b = numpy.asarray(1.5, dtype), numpy.asarray(-0.5, dtype)
    check_op(
        lambda *v: Gemm()(*v),
        [z, a, x, y, b],
        lambda z, a, x, y, b: b * z + a * x.dot(y),
        grad=False,
        rtol=_tol(dtype) * 10,
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gemv_and_ger_match_numpy(dtype):
    y, A, x = _values(dtype, (3,), (3, 4), (4,))
    a, b = numpy.asarray(2.0, dtype), numpy.asarray(0.25, dtype)
    check_op(
        lambda *v: Gemv()(*v),
        [y, a, A, x, b],
        lambda y, a, A, x, b: b * y + a * A.dot(x),
        grad=False,
        rtol=_tol(dtype) * 10,
    )
    u, v = _values(dtype, (3,), (4,))
    check_op(
        lambda *w: Ger()(*w),
        [A, a, u, v],
        lambda A, a, u, v: A + a * numpy.outer(u, v),
        grad=False,
        rtol=_tol(dtype) * 10,
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dot22_and_dot22scalar_match_numpy(dtype):
    x, y = _values(dtype, (2, 3), (3, 4))
    results = check_op(lambda a, b: Dot22()(a, b), [x, y], lambda a, b: a.dot(b))
    assert results[0].dtype == dtype
    a = numpy.asarray(-3.0, dtype)
    check_op(
        lambda *v: Dot22Scalar()(*v),
        [x, y, a],
        lambda x, y, a: a * x.dot(y),
        grad=False,
        rtol=_tol(dtype) * 10,
    )


def test_gemm_handles_every_layout():
    """Transposed and strided operands give the same numbers, written into z."""
    for z_order in "CF":
        for x_t in (False, True):
            for y_t in (False, True):
                z = numpy.array(RNG.randn(3, 4), order=z_order)
                x = RNG.randn(5, 3).T if x_t else RNG.randn(3, 5)
                y = RNG.randn(4, 5).T if y_t else RNG.randn(5, 4)
                want = 0.5 * z + 2 * x.dot(y)
                out = [None]
                node = Gemm(inplace=True).make_node(
                    *[
                        symbolic.tensor.as_tensor_variable(v)
                        for v in (z, 2.0, x, y, 0.5)
                    ]
                )
                Gemm(inplace=True).perform(node, [z, 2.0, x, y, 0.5], [out])
                assert out[0] is z
                numpy.testing.assert_allclose(z, want, rtol=1e-12)
    strided = RNG.randn(6, 8)[::2, ::2]
    x, y = RNG.randn(3, 2), RNG.randn(2, 4)
    want = 0.5 * strided + 2 * x.dot(y)
    node = Gemm(inplace=True).make_node(
        *[symbolic.tensor.as_tensor_variable(v) for v in (strided, 2.0, x, y, 0.5)]
    )
    out = [None]
    Gemm(inplace=True).perform(node, [strided, 2.0, x, y, 0.5], [out])
    numpy.testing.assert_allclose(strided, want, rtol=1e-12)


def test_zero_beta_ignores_z_and_empty_inner_dimension():
    z = numpy.full((2, 2), numpy.nan)
    x, y = RNG.randn(2, 3), RNG.randn(3, 2)
    node = Gemm().make_node(
        *[symbolic.tensor.as_tensor_variable(v) for v in (z, 1.0, x, y, 0.0)]
    )
    out = [None]
    Gemm().perform(node, [z, 1.0, x, y, 0.0], [out])
    numpy.testing.assert_allclose(out[0], x.dot(y))
    assert numpy.isnan(z).all()
    empty = Gemm().make_node(
        *[
            symbolic.tensor.as_tensor_variable(v)
            for v in (
                numpy.ones((2, 2)),
                1.0,
                numpy.ones((2, 0)),
                numpy.ones((0, 2)),
                3.0,
            )
        ]
    )
    Gemm().perform(
        empty,
        [numpy.ones((2, 2)), 1.0, numpy.ones((2, 0)), numpy.ones((0, 2)), 3.0],
        [out],
    )
    numpy.testing.assert_array_equal(out[0], numpy.full((2, 2), 3.0))


@pytest.mark.parametrize(
    ("op", "shapes"),
    [
        (Gemm(inplace=True), [(3, 4), (), (3, 5), (5, 4), ()]),
        (Gemv(inplace=True), [(3,), (), (3, 4), (4,), ()]),
        (Ger(destructive=True), [(3, 4), (), (3,), (4,)]),
    ],
)
def test_destructive_forms_overwrite_their_first_input(op, shapes):
    assert op.destroy_map == {0: [0]}
    values = [RNG.randn(*s) for s in shapes]
    inputs = [TensorType("float64", (False,) * len(s))() for s in shapes]
    plain = type(op)()
    expected = symbolic.function(
        inputs, plain(*inputs), mode=symbolic.Mode(optimizer=None)
    )(*values)
    first = values[0].copy()
    f = symbolic.function(
        [In(inputs[0], mutable=True)] + inputs[1:],
        op(*inputs),
        accept_inplace=True,
        mode=symbolic.Mode(optimizer=None),
    )
    f(first, *values[1:])
    numpy.testing.assert_allclose(first, expected, rtol=1e-12)


def test_identity_pickling_and_names():
    for op in [Gemm(), Gemm(inplace=True), Gemv(), Gemv(True), Ger(), Ger(True)]:
        check_op_identity(op)
    assert Gemm(inplace=True) != Gemm()
    assert str(Gemm(inplace=True)) == "Gemm{inplace}"
    assert str(Ger()) == "Ger{non-destructive}"
    assert pickle.loads(pickle.dumps(Dot22())) == Dot22()


def test_bad_operands_raise_clear_errors():
    m32 = TensorType("float32", (False, False))("m32")
    m64 = TensorType("float64", (False, False))("m64")
    s = TensorType("float64", ())("s")
    with pytest.raises(TypeError, match="m32 must have dtype float64"):
        Gemm()(m64, s, m32, m64, s)
    with pytest.raises(TypeError, match="must be a scalar"):
        Gemm()(m64, m64, m64, m64, s)
    ints = TensorType("int64", (False, False))("ints")
    with pytest.raises(TypeError, match="float32 or float64"):
        Dot22()(ints, ints)
    x = TensorType("float64", (False, False))("x")
    y = TensorType("float64", (False, False))("y")
    f = symbolic.function([x, y], Dot22()(x, y), mode=symbolic.Mode(optimizer=None))
    with pytest.raises(ValueError, match="not aligned"):
        f(numpy.ones((2, 3)), numpy.ones((2, 3)))

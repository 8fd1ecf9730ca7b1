"""Every elementwise function against numpy, its gradient, and broadcasting rules."""

import numpy
import pytest
import scipy.special

import symbolic
import symbolic.tensor as T
from symbolic.ops.scalar import expr as E
from tests.helpers.op_check import check_op

rng = numpy.random.RandomState(1)


def _pos(shape, dtype="float64"):
    return (rng.rand(*shape) + 0.5).astype(dtype)


def _unit(shape, dtype="float64"):
    return (rng.rand(*shape) * 1.6 - 0.8).astype(dtype)


def _any(shape, dtype="float64"):
    return (rng.randn(*shape)).astype(dtype)


UNARY = [
    ("exp", numpy.exp, _any),
    ("exp2", numpy.exp2, _any),
    ("log", numpy.log, _pos),
    ("log2", numpy.log2, _pos),
    ("log10", numpy.log10, _pos),
    ("log1p", numpy.log1p, _pos),
    ("expm1", numpy.expm1, _any),
    ("sqrt", numpy.sqrt, _pos),
    ("sqr", numpy.square, _any),
    ("inv", lambda x: 1 / x, _pos),
    ("sin", numpy.sin, _any),
    ("cos", numpy.cos, _any),
    ("tan", numpy.tan, _unit),
    ("arcsin", numpy.arcsin, _unit),
    ("arccos", numpy.arccos, _unit),
    ("arctan", numpy.arctan, _any),
    ("sinh", numpy.sinh, _any),
    ("cosh", numpy.cosh, _any),
    ("tanh", numpy.tanh, _any),
    ("arcsinh", numpy.arcsinh, _any),
    ("arccosh", numpy.arccosh, lambda s, d="float64": _pos(s, d) + 1.5),
    ("arctanh", numpy.arctanh, _unit),
    ("erf", scipy.special.erf, _any),
    ("erfc", scipy.special.erfc, _any),
    ("erfinv", scipy.special.erfinv, _unit),
    ("gamma", scipy.special.gamma, _pos),
    ("gammaln", scipy.special.gammaln, _pos),
    ("psi", scipy.special.psi, _pos),
    ("neg", numpy.negative, _any),
    ("abs_", numpy.abs, _any),
]


@pytest.mark.parametrize("name,oracle,gen", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unary_float(name, oracle, gen, dtype):
    fn = getattr(T, name)
    x = gen((3, 4), dtype)
    check_op(
        fn,
        [x],
        expected=lambda v: oracle(v).astype(dtype),
        grad=dtype == "float64",
        rtol=1e-4 if dtype == "float32" else 1e-9,
    )


NONDIFF_UNARY = [
    ("floor", numpy.floor),
    ("ceil", numpy.ceil),
    ("trunc", numpy.trunc),
    ("sgn", numpy.sign),
    ("round_half_to_even", numpy.round),
    (
        "round_half_away_from_zero",
        lambda x: numpy.where(x >= 0, numpy.floor(x + 0.5), numpy.ceil(x - 0.5)),
    ),
]


@pytest.mark.parametrize(
    "name,oracle", NONDIFF_UNARY, ids=[u[0] for u in NONDIFF_UNARY]
)
def test_piecewise_constant(name, oracle):
    x = numpy.array([[-2.5, -1.5, -0.4, 0.0, 0.5, 1.5, 2.5]])
    check_op(getattr(T, name), [x], expected=oracle, grad=False)
    v = T.dmatrix()
    g = symbolic.grad(T.sum(getattr(T, name)(v)), v)
    numpy.testing.assert_array_equal(g.eval({v: x}), numpy.zeros_like(x))


BINARY = [
    ("add", numpy.add),
    ("sub", numpy.subtract),
    ("mul", numpy.multiply),
    ("true_div", numpy.true_divide),
    ("pow", numpy.power),
    ("maximum", numpy.maximum),
    ("minimum", numpy.minimum),
    ("arctan2", numpy.arctan2),
]


@pytest.mark.parametrize("name,oracle", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((1, 4), (3, 1))])
def test_binary_float(name, oracle, shapes):
    a = _pos(shapes[0])
    b = _pos(shapes[1]) + (0.3 if name in ("maximum", "minimum") else 0)

    def fn(x, y):
        if x.ndim == y.ndim:
            x = T.patternbroadcast(x, [s == 1 for s in shapes[0]])
            y = T.patternbroadcast(y, [s == 1 for s in shapes[1]])
        return getattr(T, name)(x, y)

    check_op(fn, [a, b], expected=oracle)


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8"])
def test_integer_arithmetic_keeps_dtype(dtype):
    x = T.tensor(dtype, (False,))
    y = T.tensor(dtype, (False,))
    a = (
        numpy.array([7, -8, 9], dtype=dtype)
        if "u" not in dtype
        else numpy.array([7, 8, 9], dtype=dtype)
    )
    b = numpy.array([2, 3, 4], dtype=dtype)
    f = symbolic.function([x, y], [x + y, x * y, x // y, x % y, T.sqr(x)])
    for got, want in zip(f(a, b), [a + b, a * b, a // b, a % b, a * a]):
        assert got.dtype == numpy.dtype(dtype)
        numpy.testing.assert_array_equal(got, want)


def test_int_true_div_gives_floatx():
    x, y = T.iscalar(), T.iscalar()
    assert (x / y).dtype == symbolic.config.floatX
    assert float((x / y).eval({x: 7, y: 2})) == 3.5


@pytest.mark.parametrize(
    "name,oracle",
    [
        ("lt", numpy.less),
        ("gt", numpy.greater),
        ("le", numpy.less_equal),
        ("ge", numpy.greater_equal),
        ("eq", numpy.equal),
        ("neq", numpy.not_equal),
    ],
)
def test_comparisons_give_bool(name, oracle):
    a = numpy.array([1.0, 2.0, 3.0])
    b = numpy.array([2.0, 2.0, 2.0])
    out = check_op(getattr(T, name), [a, b], expected=oracle, grad=False)
    assert out[0].dtype == numpy.bool_


def test_comparison_refuses_bool():
    x = T.dscalar()
    with pytest.raises(TypeError, match="truth value"):
        bool(x < 1)
    assert bool(x)


def test_logic_and_bitwise():
    a = numpy.array([0, 1, 2, 3], dtype="int32")
    b = numpy.array([1, 1, 0, 2], dtype="int32")
    for name, oracle in [
        ("and_", numpy.bitwise_and),
        ("or_", numpy.bitwise_or),
        ("xor", numpy.bitwise_xor),
    ]:
        check_op(getattr(T, name), [a, b], expected=oracle, grad=False)
    check_op(T.invert, [a], expected=numpy.invert, grad=False)
    m = T.bvector()
    with pytest.raises(TypeError):
        T.and_(T.dvector(), m)


def test_isnan_isinf():
    a = numpy.array([numpy.nan, numpy.inf, -numpy.inf, 1.0])
    check_op(T.isnan, [a], expected=numpy.isnan, grad=False)
    check_op(T.isinf, [a], expected=numpy.isinf, grad=False)
    i = T.ivector()
    assert not T.isnan(i).eval({i: numpy.array([1, 2], dtype="int32")}).any()


def test_switch_and_clip():
    c = numpy.array([True, False, True])
    a = _any((3,))
    b = _any((3,))
    check_op(
        lambda c_, a_, b_: T.switch(c_, a_, b_),
        [c, a, b],
        expected=numpy.where,
        grad=False,
    )
    x, y = T.dvector(), T.dvector()
    cond = T.bvector()
    g = symbolic.grad(T.sum(T.switch(cond, x * 2, y * 3)), [x, y])
    gx, gy = symbolic.function([cond, x, y], g)(c.astype("int8"), a, b)
    numpy.testing.assert_array_equal(gx, [2, 0, 2])
    numpy.testing.assert_array_equal(gy, [0, 3, 0])
    v = numpy.array([-2.0, -0.5, 0.5, 2.0])
    check_op(
        lambda t: T.clip(t, -1.0, 1.0), [v], expected=lambda t: numpy.clip(t, -1, 1)
    )


def test_cast_roundtrip_and_grad():
    x = T.dvector()
    y = T.cast(x, "float32")
    assert y.dtype == "float32"
    assert T.cast(x, "float64") is x
    g = symbolic.grad(T.sum(T.cast(x, "float32") * 2), x)
    assert g.dtype == "float64"
    numpy.testing.assert_allclose(g.eval({x: numpy.ones(3)}), [2, 2, 2])
    assert str(y.owner.op) == "Elemwise{Cast{float32}}"


def test_printing_names():
    x = T.dmatrix()
    assert str((x + 1).owner.op) == "Elemwise{add,no_inplace}"
    assert str(x.copy().owner.op) == "Elemwise{identity}"
    v = T.dvector()
    assert str((x + v).owner.inputs[1].owner.op) == "DimShuffle{x,0}"


def test_broadcast_mismatch_names_variables():
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    f = symbolic.function([x, y], x + y)
    with pytest.raises(ValueError, match=r"mis-match.*x with shape \(2, 3\).*y"):
        f(numpy.ones((2, 3)), numpy.ones((2, 4)))
    # A non-broadcastable dim of length 1 does not stretch.
    with pytest.raises(ValueError, match="mis-match"):
        f(numpy.ones((2, 3)), numpy.ones((1, 3)))


@pytest.mark.parametrize("linker", ["py", "cvm", "c", "llvm"])
@pytest.mark.parametrize("optimizer", ["fast_run", "fast_compile"])
def test_broadcast_mismatch_has_theano_s_words_in_every_mode(linker, optimizer):
    # Scripts and test suites written for Theano look for its phrase; a
    # fused kernel and a single Elemwise must both carry it.
    x, y, z = T.dmatrix("x"), T.dmatrix("y"), T.dmatrix("z")
    mode = symbolic.compile.mode.Mode(linker=linker, optimizer=optimizer)
    f = symbolic.function([x, y, z], (x + y) * z + T.exp(x), mode=mode)
    with pytest.raises(ValueError, match="Input dimension mis-match"):
        f(numpy.ones((2, 3)), numpy.ones((3, 3)), numpy.ones((2, 3)))


def test_broadcastable_dims_stretch():
    x = T.dmatrix("x")
    r = T.drow("r")
    f = symbolic.function([x, r], x * r)
    numpy.testing.assert_allclose(
        f(numpy.ones((2, 3)), [[1.0, 2.0, 3.0]]), [[1, 2, 3], [1, 2, 3]]
    )
    assert (x * r).broadcastable == (False, False)
    assert (r * T.dcol()).broadcastable == (False, False)
    assert (r * T.drow()).broadcastable == (True, False)


@pytest.mark.parametrize(
    "op",
    [T.add.op, T.exp.op, T.tanh.op, T.true_div.op, T.maximum.op, T.switch, T.sqr.op],
)
def test_expression_form_matches_impl(op):
    """Every scalar op's expression, run by the numpy evaluator, equals its impl."""
    if not hasattr(op, "scalar_op"):
        op = T.math._switch.op
    scalar_op = op.scalar_op
    nin = scalar_op.nin if scalar_op.nin > 0 else 2
    values = [numpy.abs(_any((5,))) + 0.5 for _ in range(nin)]
    in_dtypes = ["float64"] * nin
    if isinstance(scalar_op, symbolic.scalar.Switch):
        values[0] = values[0] > 1
        in_dtypes[0] = "bool"
    out_dtypes = scalar_op.output_types(in_dtypes)
    args = [E.arg(i, d) for i, d in enumerate(in_dtypes)]
    (expr,) = scalar_op.expression(args, in_dtypes, out_dtypes)
    numpy.testing.assert_allclose(E.evaluate(expr, values), scalar_op.impl(*values))


def test_all_scalar_ops_state_an_expression():
    from symbolic.ops.scalar import basic as sb
    from symbolic.ops.scalar import math as sm

    missing = []
    for module in (sb, sm):
        for name in dir(module):
            cls = getattr(module, name)
            if not (isinstance(cls, type) and issubclass(cls, sb.ScalarOp)):
                continue
            if cls in (
                sb.ScalarOp,
                sb._Prim,
                sb.UnaryScalarOp,
                sb.BinaryScalarOp,
                sb._Compare,
                sb._Predicate,
                sb._Bitwise,
                sm.FloatUnaryOp,
                sm._Rounding,
                sm.TriGamma,
                sb.Cast,
            ):
                continue
            op = cls()
            nin = op.nin if op.nin > 0 else 2
            dts = (
                ["float64"] * nin
                if not isinstance(op, (sb._Bitwise, sb.Invert))
                else ["int32"] * nin
            )
            args = [E.arg(i, d) for i, d in enumerate(dts)]
            try:
                op.expression(args, dts, op.output_types(dts))
            except NotImplementedError:
                missing.append(name)
    assert missing == []


def test_rop_of_elemwise():
    x = T.dvector("x")
    v = T.dvector("v")
    y = T.tanh(x) * x
    jv = symbolic.Rop(y, x, v)
    xv = _any((4,))
    vv = _any((4,))
    expected = (1 - numpy.tanh(xv) ** 2) * xv * vv + numpy.tanh(xv) * vv
    numpy.testing.assert_allclose(jv.eval({x: xv, v: vv}), expected)


def test_verify_grad_of_remaining_elemwise_ops():
    from symbolic.gradient import verify_grad

    r = numpy.random.RandomState(7)
    a = r.rand(3, 2) + 0.5
    b = r.rand(3, 2) + 2.0
    verify_grad(lambda x, y: T.switch(T.gt(x, 1.0), x * y, y), [a, b], rng=r)
    verify_grad(lambda x, y: T.mod(x, y), [b * 3.1, b], rng=r)
    verify_grad(lambda x, y: T.second(x, y) * x, [a, b], rng=r)
    verify_grad(
        lambda x: T.cast(T.cast(x, "float32"), "float64") * x,
        [a],
        rng=r,
        eps=1e-3,
        abs_tol=1e-3,
        rel_tol=1e-3,
    )
    verify_grad(lambda x: x.copy() * 2, [a], rng=r)

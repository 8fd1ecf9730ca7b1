"""Dot and dot(): numpy.dot semantics, shapes, types, gradients and errors."""

import pickle
import subprocess
import sys

import numpy
import pytest

from symbolic.compile.function import function
from symbolic.gradient import Rop, grad, verify_grad
from symbolic.ops.dot import Dot, dot, outer
from symbolic.types.tensor import TensorType, as_tensor_variable
from tests.helpers.op_check import check_op

RNG = numpy.random.RandomState(1234)

SHAPES = {
    "vv": ((4,), (4,)),
    "vm": ((4,), (4, 3)),
    "mv": ((2, 4), (4,)),
    "mm": ((2, 4), (4, 3)),
}


def _value(shape, dtype):
    if numpy.dtype(dtype).kind in "iu":
        return RNG.randint(-3, 4, size=shape).astype(dtype)
    return RNG.uniform(-1, 1, size=shape).astype(dtype)


def _var(shape, dtype, name, broadcastable=None):
    if broadcastable is None:
        broadcastable = (False,) * len(shape)
    return TensorType(dtype, broadcastable)(name)


@pytest.mark.parametrize("combo", sorted(SHAPES))
@pytest.mark.parametrize(
    "dtypes",
    [
        ("float64", "float64"),
        ("float32", "float32"),
        ("float32", "float64"),
        ("int32", "int32"),
        ("int64", "float64"),
    ],
)
def test_dot_perform_matches_numpy(combo, dtypes):
    xs, ys = SHAPES[combo]
    x, y = _var(xs, dtypes[0], "x"), _var(ys, dtypes[1], "y")
    xv, yv = _value(xs, dtypes[0]), _value(ys, dtypes[1])
    z = Dot()(x, y)
    expected = numpy.dot(xv, yv)
    assert z.dtype == str(numpy.result_type(dtypes[0], dtypes[1]))
    assert z.ndim == expected.ndim
    out = function([x, y], z)(xv, yv)
    assert out.dtype == z.dtype
    numpy.testing.assert_allclose(out, expected, rtol=1e-5)


@pytest.mark.parametrize(
    "xb, yb, zb",
    [
        ((True, False), (False, False), (True, False)),
        ((False, False), (False, True), (False, True)),
        ((True, False), (False, True), (True, True)),
        ((False,), (False, True), (True,)),
        ((True, False), (False,), (True,)),
    ],
)
def test_dot_output_broadcastable(xb, yb, zb):
    x = TensorType("float64", xb)("x")
    y = TensorType("float64", yb)("y")
    assert Dot()(x, y).broadcastable == zb


@pytest.mark.parametrize("combo", sorted(SHAPES))
def test_dot_infer_shape(combo):
    xs, ys = SHAPES[combo]
    x, y = _var(xs, "float64", "x"), _var(ys, "float64", "y")
    z = Dot()(x, y)
    (inferred,) = z.owner.op.infer_shape(None, z.owner, [xs, ys])
    assert tuple(inferred) == numpy.dot(numpy.ones(xs), numpy.ones(ys)).shape


def test_dot_identity_str_and_pickle():
    assert Dot() == Dot()
    assert hash(Dot()) == hash(Dot())
    assert str(Dot()) == "dot"
    assert pickle.loads(pickle.dumps(Dot())) == Dot()
    x, y = _var((2, 3), "float64", "x"), _var((3,), "float64", "y")
    z = dot(x, y)
    z2 = pickle.loads(pickle.dumps(z))
    assert z2.owner.op == Dot()
    assert z2.type == z.type


def test_dot_shape_mismatch_names_inputs():
    x, y = _var((2, 3), "float64", "weights"), _var((4, 5), "float64", "inputs")
    f = function([x, y], dot(x, y))
    with pytest.raises(ValueError, match=r"dot.*weights.*\(2, 3\).*inputs.*\(4, 5\)"):
        f(numpy.ones((2, 3)), numpy.ones((4, 5)))


def test_dot_op_rejects_other_ranks():
    x = TensorType("float64", (False,) * 3)("cube")
    y = _var((3, 3), "float64", "y")
    with pytest.raises(TypeError, match=r"input 0 \(cube\).*ndim 3"):
        Dot()(x, y)


@pytest.mark.parametrize("combo", sorted(SHAPES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dot_verify_grad(combo, dtype):
    xs, ys = SHAPES[combo]
    verify_grad(Dot(), [_value(xs, dtype), _value(ys, dtype)], rng=RNG)


@pytest.mark.parametrize(
    "xt, yt",
    [
        (("float32", (True, False)), ("float64", (False, False))),
        (("float64", (False, False)), ("float32", (False, True))),
        (("float64", (True,)), ("float64", (True, False))),
        (("float32", (False,)), ("float64", (False,))),
        (("float64", (False, True)), ("float64", (True,))),
    ],
)
def test_dot_grads_have_the_input_types(xt, yt):
    x = TensorType(*xt)("x")
    y = TensorType(*yt)("y")
    cost = dot(x, y).sum()
    gx, gy = grad(cost, [x, y])
    assert gx.type == x.type
    assert gy.type == y.type
    xs = tuple(1 if b else 3 for b in x.broadcastable)
    ys = tuple(1 if b else 3 for b in y.broadcastable)
    if len(xs) == 2 and len(ys) >= 1:
        ys = (xs[1],) + ys[1:]
    elif len(xs) == 1:
        ys = (xs[0],) + ys[1:]
    xv, yv = _value(xs, xt[0]), _value(ys, yt[0])
    gxv, gyv = function([x, y], [gx, gy])(xv, yv)
    ones = numpy.ones(numpy.dot(xv, yv).shape)
    if xv.ndim == 1 and yv.ndim == 1:
        expected_gx, expected_gy = yv, xv
    elif yv.ndim == 1:
        expected_gx, expected_gy = numpy.outer(ones, yv), xv.T.dot(ones)
    elif xv.ndim == 1:
        expected_gx, expected_gy = ones.dot(yv.T), numpy.outer(xv, ones)
    else:
        expected_gx, expected_gy = ones.dot(yv.T), xv.T.dot(ones)
    numpy.testing.assert_allclose(gxv, expected_gx, rtol=1e-5)
    numpy.testing.assert_allclose(gyv, expected_gy, rtol=1e-5)


def test_dot_integer_inputs_get_zero_grads():
    x = TensorType("int32", (False, False))("x")
    w = TensorType("float64", (False, False))("w")
    gx, gw = grad(dot(x, w).sum(), [x, w], disconnected_inputs="ignore")
    xv = numpy.arange(6, dtype="int32").reshape(2, 3)
    gxv, gwv = function([x, w], [gx, gw])(xv, numpy.ones((3, 2)))
    numpy.testing.assert_array_equal(gxv, 0)
    numpy.testing.assert_allclose(gwv, xv.T.dot(numpy.ones((2, 2))))


@pytest.mark.parametrize("which", ["x", "y", "both"])
def test_dot_rop(which):
    x, y = _var((2, 4), "float64", "x"), _var((4, 3), "float64", "y")
    ex, ey = _var((2, 4), "float64", "ex"), _var((4, 3), "float64", "ey")
    z = dot(x, y)
    xv, yv, exv, eyv = (_value(s, "float64") for s in [(2, 4), (4, 3), (2, 4), (4, 3)])
    if which == "x":
        r = Rop(z, x, ex)
        expected = exv.dot(yv)
        args = [x, y, ex]
        vals = [xv, yv, exv]
    elif which == "y":
        r = Rop(z, y, ey)
        expected = xv.dot(eyv)
        args = [x, y, ey]
        vals = [xv, yv, eyv]
    else:
        r = Rop(z, [x, y], [ex, ey])
        expected = exv.dot(yv) + xv.dot(eyv)
        args = [x, y, ex, ey]
        vals = [xv, yv, exv, eyv]
    f = function(args, r, on_unused_input="ignore")
    numpy.testing.assert_allclose(f(*vals), expected)


# dot(): every rank combination -----------------------------------------------------
RANK_SHAPES = [
    ((), ()),
    ((), (3,)),
    ((2, 3), ()),
    ((3,), (3,)),
    ((2, 3), (3, 4)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (4, 5)),
    ((4,), (2, 4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (6, 4, 5)),
    ((2, 2, 3, 4), (4, 5)),
]


@pytest.mark.parametrize("xs, ys", RANK_SHAPES)
def test_dot_function_matches_numpy_for_every_rank(xs, ys):
    x, y = _var(xs, "float64", "x"), _var(ys, "float64", "y")
    xv, yv = _value(xs, "float64"), _value(ys, "float64")
    z = dot(x, y)
    expected = numpy.dot(xv, yv)
    assert z.ndim == expected.ndim
    numpy.testing.assert_allclose(function([x, y], z)(xv, yv), expected, rtol=1e-10)


ND_SHAPES = [s for s in RANK_SHAPES if len(s[0]) > 2 or len(s[1]) > 2]


@pytest.mark.parametrize("xs, ys", ND_SHAPES)
def test_dot_nd_verify_grad(xs, ys):
    verify_grad(dot, [_value(xs, "float64"), _value(ys, "float64")], rng=RNG)


def test_dot_3d_by_matrix_like_a_blocks_linear_brick():
    x = TensorType("float32", (False, False, False))("x")
    w = TensorType("float32", (False, False))("W")
    b = TensorType("float32", (False,))("b")
    out = dot(x, w) + b
    assert out.type == x.type
    cost = (out**2).sum()
    gw, gb = grad(cost, [w, b])
    assert gw.type == w.type
    rng = numpy.random.RandomState(11)
    xv, wv, bv = (
        rng.uniform(-1, 1, s).astype("float32") for s in ((5, 2, 3), (3, 4), (4,))
    )
    outv, gwv, gbv = function([x, w, b], [out, gw, gb])(xv, wv, bv)
    expected = numpy.dot(xv, wv) + bv
    numpy.testing.assert_allclose(outv, expected, rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(
        gwv, numpy.tensordot(xv, 2 * expected, [[0, 1], [0, 1]]), rtol=1e-4, atol=1e-4
    )
    numpy.testing.assert_allclose(
        gbv, (2 * expected).sum(axis=(0, 1)), rtol=1e-4, atol=1e-4
    )


def test_dot_keeps_broadcastable_pattern_of_nd_result():
    x = TensorType("float64", (True, False, False))("x")
    w = TensorType("float64", (False, True))("w")
    assert dot(x, w).broadcastable == (True, False, True)


def test_variable_dot_method_and_matmul():
    x, y = _var((2, 3), "float64", "x"), _var((3, 4), "float64", "y")
    assert x.dot(y).owner.op == Dot()
    assert (x @ y).owner.op == Dot()


def test_dot_with_constants():
    x = _var((2, 3), "float64", "x")
    z = dot(x, numpy.ones(3))
    xv = _value((2, 3), "float64")
    numpy.testing.assert_allclose(function([x], z)(xv), xv.sum(axis=1))
    assert dot(as_tensor_variable(2.0), x).owner.op != Dot()


def test_dot_of_a_sparse_value_before_the_sparse_ops_are_loaded_names_them():
    # The sparse product sits above the dense ops, which reach it through a
    # hook that importing symbolic.ops.sparse fills.
    probe = (
        "import scipy.sparse, symbolic.ops as O\n"
        "try:\n"
        "    O.dot(scipy.sparse.identity(2, format='csr'), [[1.0], [2.0]])\n"
        "except RuntimeError as exc:\n"
        "    print(exc)\n"
        "import symbolic.ops.sparse as S, symbolic.types.tensor as TT\n"
        "print(type(O.dot(S.csr_matrix('x'), TT.matrix('w')).owner.op).__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    message, op_name = result.stdout.strip().splitlines()
    assert "dot of a sparse operand" in message
    assert "import symbolic.ops.sparse (or symbolic.sparse)" in message
    assert op_name == "StructuredDot"


# outer -------------------------------------------------------------------------------
def test_outer_matches_numpy_and_flattens():
    x, y = _var((3,), "float64", "x"), _var((2, 2), "float64", "y")
    xv, yv = _value((3,), "float64"), _value((2, 2), "float64")
    z = outer(x, y)
    assert z.broadcastable == (False, False)
    numpy.testing.assert_allclose(function([x, y], z)(xv, yv), numpy.outer(xv, yv))


def test_outer_verify_grad():
    verify_grad(outer, [_value((3,), "float64"), _value((4,), "float64")], rng=RNG)


@pytest.mark.parametrize("combo", sorted(SHAPES))
def test_dot_op_contract(combo):
    xs, ys = SHAPES[combo]
    check_op(Dot(), [_value(xs, "float64"), _value(ys, "float64")], expected=numpy.dot)

"""tensordot, batched_dot (BatchedDot), batched_tensordot."""

import pickle

import numpy
import pytest

from symbolic.compile.function import function
from symbolic.gradient import Rop, grad, verify_grad
from symbolic.ops.dot import BatchedDot, Dot, batched_dot, batched_tensordot, tensordot
from symbolic.types.tensor import TensorType

RNG = numpy.random.RandomState(5)


def _var(ndim, name, dtype="float64", broadcastable=None):
    return TensorType(dtype, broadcastable or (False,) * ndim)(name)


def _value(shape, dtype="float64"):
    return RNG.uniform(-1, 1, size=shape).astype(dtype)


TENSORDOT_CASES = [
    ((2, 3, 4), (3, 4, 5), 2),
    ((2, 3, 4), (4, 5), 1),
    ((2, 3), (4, 5), 0),
    ((2, 3, 4), (2, 3, 4), 3),
    ((2, 3, 4), (5, 3, 2), [[0, 1], [2, 1]]),
    ((2, 3, 4), (4, 2), [[2, 0], [0, 1]]),
    ((3, 4), (4, 3), [[-1], [0]]),
    ((3, 4), (5, 4), ([1], [1])),
    ((3, 4), (4,), (1, 0)),
]


@pytest.mark.parametrize("xs, ys, axes", TENSORDOT_CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tensordot_matches_numpy(xs, ys, axes, dtype):
    x, y = _var(len(xs), "x", dtype), _var(len(ys), "y", dtype)
    xv, yv = _value(xs, dtype), _value(ys, dtype)
    z = tensordot(x, y, axes)
    expected = numpy.tensordot(xv, yv, axes)
    assert z.ndim == expected.ndim and z.dtype == dtype
    out = function([x, y], z)(xv, yv)
    numpy.testing.assert_allclose(
        out, expected, rtol=1e-5 if dtype == "float32" else 1e-12
    )


@pytest.mark.parametrize("xs, ys, axes", TENSORDOT_CASES)
def test_tensordot_verify_grad(xs, ys, axes):
    verify_grad(lambda a, b: tensordot(a, b, axes), [_value(xs), _value(ys)], rng=RNG)


def test_tensordot_goes_through_dot():
    x, y = _var(3, "x"), _var(2, "y")
    ops = set()
    todo = [tensordot(x, y, [[2], [0]])]
    while todo:
        var = todo.pop()
        if var.owner is not None:
            ops.add(type(var.owner.op))
            todo.extend(var.owner.inputs)
    assert Dot in ops


def test_tensordot_broadcastable_pattern():
    x = _var(3, "x", broadcastable=(True, False, False))
    y = _var(2, "y", broadcastable=(False, True))
    assert tensordot(x, y, 1).broadcastable == (True, False, True)


@pytest.mark.parametrize(
    "axes, message",
    [
        (3, r"cannot sum over 3 axes of a \(x, ndim 2\)"),
        ([[0], [0, 1]], "same length"),
        ([[2], [0]], r"axis 2 is out of range for a \(x, ndim 2\)"),
        ([[0, 0], [0, 1]], "repeated axis"),
        ([[0]], "pair of axis lists"),
    ],
)
def test_tensordot_bad_axes(axes, message):
    with pytest.raises(ValueError, match=message):
        tensordot(_var(2, "x"), _var(3, "y"), axes)


# batched_dot ------------------------------------------------------------------------
BATCHED_CASES = [
    ((4, 3), (4, 3)),
    ((4, 2, 3), (4, 3)),
    ((4, 3), (4, 3, 5)),
    ((4, 2, 3), (4, 3, 5)),
    ((4,), (4, 3, 5)),
    ((4, 2, 3), (4,)),
    ((4, 2, 2, 3), (4, 3, 5)),
    ((4, 2, 3), (4, 6, 3, 5)),
]


def _batched_reference(xv, yv):
    if xv.ndim == 1 or yv.ndim == 1:
        xv = xv.reshape(xv.shape + (1,) * (yv.ndim - 1)) if xv.ndim == 1 else xv
        yv = yv.reshape(yv.shape + (1,) * (xv.ndim - 1)) if yv.ndim == 1 else yv
        return xv * yv
    return numpy.stack([numpy.dot(a, b) for a, b in zip(xv, yv, strict=True)])


@pytest.mark.parametrize("xs, ys", BATCHED_CASES)
def test_batched_dot_matches_numpy(xs, ys):
    x, y = _var(len(xs), "x"), _var(len(ys), "y")
    xv, yv = _value(xs), _value(ys)
    z = batched_dot(x, y)
    expected = _batched_reference(xv, yv)
    assert z.ndim == expected.ndim
    numpy.testing.assert_allclose(function([x, y], z)(xv, yv), expected, rtol=1e-12)
    verify_grad(batched_dot, [xv, yv], rng=RNG)


@pytest.mark.parametrize("xs, ys", BATCHED_CASES[:4])
def test_batched_dot_infer_shape(xs, ys):
    x, y = _var(len(xs), "x"), _var(len(ys), "y")
    z = batched_dot(x, y)
    assert isinstance(z.owner.op, BatchedDot)
    (inferred,) = z.owner.op.infer_shape(None, z.owner, [xs, ys])
    assert tuple(inferred) == _batched_reference(_value(xs), _value(ys)).shape


def test_batched_dot_upcasts_and_grads_keep_input_types():
    x = _var(3, "x", "float32", (False, True, False))
    y = _var(3, "y", "float64")
    z = batched_dot(x, y)
    assert z.dtype == "float64" and z.broadcastable == (False, True, False)
    gx, gy = grad(z.sum(), [x, y])
    assert gx.type == x.type and gy.type == y.type
    xv, yv = _value((2, 1, 3), "float32"), _value((2, 3, 4))
    gxv, gyv = function([x, y], [gx, gy])(xv, yv)
    numpy.testing.assert_allclose(
        gxv, numpy.einsum("bmn,bkn->bmk", numpy.ones((2, 1, 4)), yv), rtol=1e-6
    )
    numpy.testing.assert_allclose(
        gyv, numpy.einsum("bmk,bmn->bkn", xv, numpy.ones((2, 1, 4))), rtol=1e-6
    )


def test_batched_dot_errors_name_the_inputs():
    x, y = _var(3, "left"), _var(3, "right")
    f = function([x, y], batched_dot(x, y))
    with pytest.raises(
        ValueError,
        match=r"batch sizes differ: left \(2, 3, 4\) and "
        r"right \(3, 4, 5\)",
    ):
        f(_value((2, 3, 4)), _value((3, 4, 5)))
    with pytest.raises(
        ValueError,
        match=r"left \(2, 3, 4\) and right \(2, 5, 5\) are "
        "not aligned",
    ):
        f(_value((2, 3, 4)), _value((2, 5, 5)))
    with pytest.raises(TypeError, match="need a batch axis"):
        batched_dot(TensorType("float64", ())("s"), y)
    with pytest.raises(TypeError, match=r"input 1 \(v\) must be 2-d or 3-d"):
        BatchedDot()(x, _var(1, "v"))


def test_batched_dot_rop():
    x, y, ex = _var(3, "x"), _var(3, "y"), _var(3, "ex")
    xv, yv, exv = _value((2, 3, 4)), _value((2, 4, 5)), _value((2, 3, 4))
    r = function([x, y, ex], Rop(batched_dot(x, y), x, ex), on_unused_input="ignore")(
        xv, yv, exv
    )
    numpy.testing.assert_allclose(r, numpy.matmul(exv, yv), rtol=1e-12)


def test_batched_dot_identity():
    assert BatchedDot() == BatchedDot()
    assert hash(BatchedDot()) == hash(BatchedDot())
    assert pickle.loads(pickle.dumps(BatchedDot())) == BatchedDot()


@pytest.mark.parametrize(
    "xs, ys, axes",
    [
        ((3, 2, 4), (3, 4, 5), 1),
        ((3, 2, 4, 5), (3, 4, 5, 6), 2),
        ((3, 2, 4), (3, 5, 4), [[2], [2]]),
        ((3, 4, 2, 5), (3, 5, 6, 4), [[1, 3], [3, 1]]),
    ],
)
def test_batched_tensordot(xs, ys, axes):
    x, y = _var(len(xs), "x"), _var(len(ys), "y")
    xv, yv = _value(xs), _value(ys)
    z = batched_tensordot(x, y, axes)
    expected = numpy.stack(
        [
            numpy.tensordot(
                a,
                b,
                axes
                if isinstance(axes, int)
                else [[i - 1 for i in axes[0]], [i - 1 for i in axes[1]]],
            )
            for a, b in zip(xv, yv, strict=True)
        ]
    )
    numpy.testing.assert_allclose(function([x, y], z)(xv, yv), expected, rtol=1e-12)
    verify_grad(lambda a, b: batched_tensordot(a, b, axes), [xv, yv], rng=RNG)


def test_batched_tensordot_refuses_the_batch_axis():
    with pytest.raises(ValueError, match="batch axis"):
        batched_tensordot(_var(3, "x"), _var(3, "y"), [[0], [0]])

"""pool_2d, pool_3d and the pooling gradient ops against nested-loop numpy pooling."""

import itertools
import pickle
import warnings

import numpy
import pytest

import symbolic
from symbolic import tensor
from symbolic.gradient import grad, verify_grad
from symbolic.tensor.signal.pool import (
    AveragePoolGrad,
    DownsampleFactorMaxGradGrad,
    MaxPoolGrad,
    Pool,
    pool_2d,
    pool_3d,
)
from tests.helpers.op_check import check_op, check_op_identity

RNG = numpy.random.RandomState(11)
MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]
# (ws, stride, pad, ignore_border)
CONFIGS = [
    ((2, 2), None, (0, 0), True),
    ((2, 2), None, (0, 0), False),
    ((3, 2), (2, 1), (0, 0), False),
    ((2, 3), (3, 3), (0, 0), False),
    ((3, 2), (1, 2), (1, 1), True),
    ((3, 3), (2, 2), (2, 1), True),
]


def _reference_len(size, ws, st, pad, ignore_border):
    """Count windows one by one instead of using the closed form."""
    v = size + 2 * pad
    if ignore_border:
        count = 0
        while count * st + ws <= v:
            count += 1
        return count
    count = 1
    if st >= ws:
        while count * st < v:
            count += 1
    else:
        while (count - 1) * st + ws < v:
            count += 1
    return count


def reference_pool(x, ws, stride, pad, ignore_border, mode):
    """Loop over windows; max and sum skip the padding, averages divide by
    the clipped window size (with or without the padding)."""
    nd = len(ws)
    stride = stride or ws
    size = x.shape[-nd:]
    out = [
        _reference_len(s, w, st, p, ignore_border)
        for s, w, st, p in zip(size, ws, stride, pad)
    ]
    result = numpy.zeros(x.shape[:-nd] + tuple(out))
    for lead in numpy.ndindex(*x.shape[:-nd]):
        image = x[lead]
        for cell in itertools.product(*(range(o) for o in out)):
            values = []
            region = 1
            for pos in itertools.product(
                *(
                    range(c * st, min(c * st + w, s + 2 * p))
                    for c, st, w, s, p in zip(cell, stride, ws, size, pad)
                )
            ):
                inside = all(p <= q < p + s for q, p, s in zip(pos, pad, size))
                if inside:
                    values.append(image[tuple(q - p for q, p in zip(pos, pad))])
                elif mode == "average_inc_pad":
                    values.append(0.0)
            if mode == "average_inc_pad":
                region = len(values)
            result[lead + cell] = {
                "max": lambda v: max(v),
                "sum": lambda v: sum(v),
                "average_exc_pad": lambda v: sum(v) / len(v),
                "average_inc_pad": lambda v, r=region: sum(v) / r,
            }[mode](values)
    return result


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ws, stride, pad, ignore_border", CONFIGS)
def test_pool_2d_matches_reference_with_gradient(mode, ws, stride, pad, ignore_border):
    value = RNG.randn(2, 3, 7, 8)
    check_op(
        lambda x: pool_2d(x, ws, ignore_border, stride, pad, mode),
        [value],
        expected=lambda v: reference_pool(v, ws, stride, pad, ignore_border, mode),
    )


@pytest.mark.parametrize("mode", MODES)
def test_pool_2d_leading_dims_and_float32(mode):
    value = RNG.randn(2, 2, 3, 5, 6).astype("float32")
    x = tensor.TensorType("float32", (False,) * 5)("x")
    out = symbolic.function([x], pool_2d(x, (2, 3), True, (1, 2), mode=mode))(value)
    assert out.dtype == "float32"
    want = reference_pool(value, (2, 3), (1, 2), (0, 0), True, mode)
    numpy.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)
    # A matrix is pooled too (no leading dims).
    m = tensor.matrix("m")
    got = symbolic.function([m], pool_2d(m, (2, 2), False, mode=mode))(value[0, 0, 0])
    numpy.testing.assert_allclose(
        got, reference_pool(value[0, 0, 0], (2, 2), None, (0, 0), False, mode), 1e-5
    )


@pytest.mark.parametrize("mode", MODES)
def test_pool_3d(mode):
    value = RNG.randn(2, 4, 5, 6)
    check_op(
        lambda x: pool_3d(x, (2, 2, 3), True, (1, 2, 2), (1, 0, 1), mode),
        [value],
        expected=lambda v: reference_pool(
            v, (2, 2, 3), (1, 2, 2), (1, 0, 1), True, mode
        ),
    )


def test_max_pool_gradient_goes_to_every_tied_maximum():
    x = tensor.matrix("x")
    g = grad(pool_2d(x, (2, 2), True).sum(), x)
    value = numpy.array([[1.0, 1.0, 0.0, 2.0], [0.0, 1.0, 2.0, 2.0]])
    got = symbolic.function([x], g)(value)
    numpy.testing.assert_array_equal(got, [[1, 1, 0, 1], [0, 1, 1, 1]])


@pytest.mark.parametrize("ws, stride, pad, ignore_border", CONFIGS)
def test_max_pool_second_order(ws, stride, pad, ignore_border):
    value = RNG.randn(2, 2, 7, 8)

    def grad_of_squares(x):
        return grad((pool_2d(x, ws, ignore_border, stride, pad) ** 2).sum(), x)

    verify_grad(grad_of_squares, [value], rng=RNG)


@pytest.mark.parametrize("mode", ["sum", "average_inc_pad", "average_exc_pad"])
def test_average_pool_grad_op_contract(mode):
    x = RNG.randn(2, 7, 6)
    gz = RNG.randn(2, 4, 5)
    op = AveragePoolGrad(True, mode=mode)
    check_op(lambda a, b: op(a, b, (3, 2), (2, 1), (1, 0)), [x, gz])


def test_max_pool_grad_ops_contract():
    x = RNG.randn(2, 7, 6)
    ws, stride, pad = (3, 2), (2, 1), (1, 0)
    maxout = reference_pool(x, ws, stride, pad, True, "max")
    gz = RNG.randn(*maxout.shape)
    ggx = RNG.randn(*x.shape)
    check_op(
        lambda a, b, c: MaxPoolGrad(True)(a, b, c, ws, stride, pad),
        [x, maxout, gz],
        grad_values=[x, maxout, gz],
    )
    check_op(
        lambda a, b, c: DownsampleFactorMaxGradGrad(True)(a, b, c, ws, stride, pad),
        [x, maxout, ggx],
    )


def test_r_op_of_pooling():
    x, e = tensor.tensor3("x"), tensor.tensor3("e")
    value, point = RNG.randn(2, 6, 6), RNG.randn(2, 6, 6)
    for mode in MODES:
        y = pool_2d(x, (2, 3), True, (2, 1), mode=mode)
        r_op = symbolic.function(
            [x, e], symbolic.Rop(y, x, e), on_unused_input="ignore"
        )
        rop = r_op(value, point)
        assert rop.shape == y.eval({x: value}).shape
        # Rop is linear in the direction: R(x, 2e) == 2 R(x, e).
        numpy.testing.assert_allclose(r_op(value, 2 * point), 2 * rop)
        # Its total matches the gradient of the sum along the direction.
        jac = symbolic.function([x], grad(y.sum(), x))
        numpy.testing.assert_allclose(rop.sum(), (jac(value) * point).sum(), rtol=1e-10)


def test_out_shape():
    assert Pool.out_shape((5, 5), (2, 2), ignore_border=True) == [2, 2]
    assert Pool.out_shape((5, 5), (2, 2), ignore_border=False) == [3, 3]
    assert Pool.out_shape((None, 3, 5, 6), (3, 3), False, (1, 2)) == [None, 3, 3, 3]
    assert Pool.out_shape((4, 4), (3, 3), True, (2, 2), (1, 1)) == [2, 2]
    assert Pool.out_shape((2, 7), (3, 3), True) == [0, 2]
    with pytest.warns(UserWarning, match="deprecated"):
        old = Pool.out_shape((9, 9), ds=(3, 3), st=(2, 2), padding=(1, 1))
    assert old == Pool.out_shape((9, 9), (3, 3), False, (2, 2), (1, 1)) == [5, 5]
    shape = Pool.out_shape((None, 3, None, 8), (2, 2), True)
    assert shape == [None, 3, None, 4]
    assert all(type(s) is int for s in shape if s is not None)
    rows = tensor.lscalar("rows")
    for ignore_border in (True, False):
        sym = Pool.out_shape((rows, 9), (3, 3), ignore_border, (2, 2))
        for n in (1, 2, 5, 8):
            want = Pool.out_shape((n, 9), (3, 3), ignore_border, (2, 2))
            assert symbolic.function([rows], sym[0])(n) == want[0]


def test_symbolic_window_arguments():
    x = tensor.tensor4("x")
    ws = tensor.lvector("ws")
    value = RNG.randn(1, 2, 6, 7)
    f = symbolic.function([x, ws], pool_2d(x, ws, True, mode="sum"))
    want = reference_pool(value, (2, 3), None, (0, 0), True, "sum")
    numpy.testing.assert_allclose(f(value, [2, 3]), want)


def test_identity_pickling_and_deprecated_names():
    check_op_identity(Pool(True, "average_exc_pad"))
    check_op_identity(MaxPoolGrad(False))
    assert Pool(mode="max_deterministic") == Pool(mode="max")
    x = tensor.tensor4("x")
    with pytest.warns(UserWarning, match="ignore_border"):
        pool_2d(x, (2, 2))
    with pytest.warns(UserWarning, match="deprecated"):
        old = pool_2d(x, ds=(2, 2), st=(1, 1), ignore_border=True)
    value = RNG.randn(1, 1, 4, 4)
    f = symbolic.function([x], old)
    numpy.testing.assert_allclose(
        f(value), reference_pool(value, (2, 2), (1, 1), (0, 0), True, "max")
    )
    g = pickle.loads(pickle.dumps(f))
    numpy.testing.assert_allclose(g(value), f(value))


def test_bad_arguments_raise_clear_errors():
    x = tensor.tensor4("x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="window size"):
            pool_2d(x)
    with pytest.raises(ValueError, match="mode"):
        Pool(mode="median")
    with pytest.raises(NotImplementedError, match="ignore_border=True"):
        pool_2d(x, (2, 2), False, pad=(1, 1))
    with pytest.raises(NotImplementedError, match="smaller than the window"):
        pool_2d(x, (2, 2), True, pad=(2, 0))
    with pytest.raises(ValueError, match="ws must have 2 entries"):
        pool_2d(x, (2, 2, 2), True)
    with pytest.raises(NotImplementedError, match="dimension >= 2"):
        pool_2d(tensor.vector("v"), (2, 2), True)
    ws = tensor.lvector("ws")
    f = symbolic.function([x, ws], pool_2d(x, ws, True))
    with pytest.raises(ValueError, match="ws must have 2 entries"):
        f(numpy.zeros((1, 1, 4, 4)), [2])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_max_pool_on_windows_tiling_the_image(dtype):
    value = RNG.randn(2, 3, 6, 9).astype(dtype)
    value[0, 0, :2, :3] = 1.0  # a tie inside one window
    x = tensor.TensorType(dtype, (False,) * 4)("x")
    gz = RNG.randn(2, 3, 3, 3).astype(dtype)
    y = pool_2d(x, (2, 3), True)
    g = symbolic.grad((y * gz).sum(), x)
    out, got = symbolic.function([x], [y, g])(value)
    numpy.testing.assert_allclose(
        out, reference_pool(value, (2, 3), None, (0, 0), True, "max")
    )
    want = numpy.zeros_like(value)
    for lead in numpy.ndindex(2, 3):
        for i, j in numpy.ndindex(3, 3):
            block = value[lead][2 * i : 2 * i + 2, 3 * j : 3 * j + 3]
            hits = block == block.max()
            want[lead][2 * i : 2 * i + 2, 3 * j : 3 * j + 3] += hits * gz[lead][i, j]
    numpy.testing.assert_array_equal(got, want)
    assert got[0, 0, :2, :3].astype(bool).all()

"""Every op kind the C runtime lowers, cross-checked against ``perform``.

Each graph is compiled twice without rewrites, once for the C runtime and
once for the Python VM; both get the same random values (float32 and
float64, broadcasting, non-contiguous and empty arrays) and must agree, and
bad values must raise the same errors.
"""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.lowering import KINDS
from symbolic.backends.c.runtime import runtime
from symbolic.compile.mode import Mode
from symbolic.ops import blas
from symbolic.ops.basic import Alloc, MakeVector, shape
from symbolic.ops.nnet import basic as nnet
from symbolic.ops.nnet import crossentropy as ce

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)

C_MODE = Mode(linker="cvm", optimizer=None)
PY_MODE = Mode(linker="py", optimizer=None)
RNG = numpy.random.default_rng(42)


def compiled(inputs, outputs, kind, accept_inplace=False):
    """The C-linked function (checked to lower ``kind``) and the Python one."""
    fc = symbolic.function(inputs, outputs, mode=C_MODE, accept_inplace=accept_inplace)
    fp = symbolic.function(inputs, outputs, mode=PY_MODE, accept_inplace=accept_inplace)
    assert KINDS[kind] in fc.vm.kinds, [str(n.op) for n in fc.vm.nodes]
    return fc, fp


def check(inputs, outputs, kind, *values, accept_inplace=False, exact=False):
    fc, fp = compiled(inputs, outputs, kind, accept_inplace)
    got = fc(*[numpy.copy(v) if isinstance(v, numpy.ndarray) else v for v in values])
    want = fp(*values)
    if not isinstance(got, list):
        got, want = [got], [want]
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        if exact:
            numpy.testing.assert_array_equal(g, w)
        else:
            rtol = 1e-5 if g.dtype == numpy.float32 else 1e-10
            numpy.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)
    # The C path ran, not the Python slow path.
    assert fc.vm.slow_calls()[fc.vm.kinds.index(KINDS[kind])] == 0
    return fc, got


def rand(*shape, dtype="float64"):
    return RNG.standard_normal(shape).astype(dtype)


def same_error(inputs, outputs, values, exc_type=ValueError):
    fc, fp = compiled(inputs, outputs, _kind_of(inputs, outputs))
    with pytest.raises(exc_type) as from_py:
        fp(*values)
    with pytest.raises(exc_type) as from_c:
        fc(*values)
    first_line = str(from_py.value).splitlines()[0]
    assert str(from_c.value).splitlines()[0] == first_line
    assert "Apply node that caused the error" in str(from_c.value)


def _kind_of(inputs, outputs):
    fc = symbolic.function(inputs, outputs, mode=C_MODE)
    return next(k for k, v in KINDS.items() if v == max(fc.vm.kinds))


# BLAS ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "xs, ys",
    [
        ((3, 4), (4, 5)),
        ((1, 4), (4, 1)),
        ((3, 0), (0, 2)),
        ((0, 3), (3, 2)),
        ((5,), (5,)),
    ],
)
def test_dot_matches_perform(dtype, xs, ys):
    x = T.TensorType(dtype, (False,) * len(xs))("x")
    y = T.TensorType(dtype, (False,) * len(ys))("y")
    check([x, y], T.dot(x, y), "DOT", rand(*xs, dtype=dtype), rand(*ys, dtype=dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dot_matrix_vector_both_ways(dtype):
    m = T.TensorType(dtype, (False, False))("m")
    v = T.TensorType(dtype, (False,))("v")
    check([m, v], T.dot(m, v), "DOT", rand(3, 4, dtype=dtype), rand(4, dtype=dtype))
    check([m, v], T.dot(v, m), "DOT", rand(4, 3, dtype=dtype), rand(4, dtype=dtype))


@pytest.mark.parametrize("layout", ["T", "strided", "both"])
def test_dot_reads_transposed_and_strided_operands(layout):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    xa = x.T if layout in ("T", "both") else x
    ya = y[:, ::2] if layout in ("strided", "both") else y
    a = rand(6, 3) if layout in ("T", "both") else rand(3, 6)
    check([x, y], T.dot(xa, ya), "DOT", a, rand(6, 8))


def test_dot_shape_error_is_perform_s():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    same_error([x, y], T.dot(x, y), [rand(2, 3), rand(4, 2)])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("b", [0.0, 0.5])
def test_gemm(dtype, inplace, b):
    p, q, x, y = (T.TensorType(dtype, (False, False))(n) for n in "pqxy")
    z = T.dot(p, q)
    a_ = T.constant(numpy.asarray(1.5, dtype=dtype))
    b_ = T.constant(numpy.asarray(b, dtype=dtype))
    out = blas.Gemm(inplace)(z, a_, x.T, y, b_)
    values = [rand(3, 2, dtype=dtype), rand(2, 4, dtype=dtype)]
    values += [rand(5, 3, dtype=dtype), rand(5, 4, dtype=dtype)]
    check([p, q, x, y], out, "GEMM", *values, accept_inplace=True)


Z_LAYOUTS = {
    "contiguous": lambda v: v,
    "transposed": lambda v: numpy.asfortranarray(v),
    "row-strided": lambda v: numpy.pad(v, ((0, 0), (0, 3)))[:, : v.shape[1]],
    "column-strided": lambda v: numpy.repeat(v, 2, axis=1)[:, ::2],
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", sorted(Z_LAYOUTS))
@pytest.mark.parametrize("shape", [(4, 3, 5), (1, 3, 5), (4, 3, 1), (4, 0, 5)])
@pytest.mark.parametrize("b", [0.0, 1.0, 0.999])
@pytest.mark.parametrize("threads", [1, 3])
def test_gemm_not_in_place_leaves_z(dtype, layout, shape, b, threads):
    # A Gemm that may not overwrite z writes b z + a x y into an array of
    # its own: each block of a product split over the pool copies its part
    # of z, scaled, before its product (z in the output's layout), or z is
    # copied whole first (other layouts, vectors, k = 0).  The thresholds
    # are lowered so that these small products are split too.
    m, k, n = shape
    z, x, y = (T.TensorType(dtype, (False, False))(n) for n in "zxy")
    a_ = T.constant(numpy.asarray(-0.1, dtype=dtype))
    b_ = T.constant(numpy.asarray(b, dtype=dtype))
    out = blas.Gemm(False)(z, a_, x, y, b_)
    z_value = Z_LAYOUTS[layout](rand(m, n, dtype=dtype))
    kept = z_value.copy()
    values = [z_value, rand(m, k, dtype=dtype), rand(k, n, dtype=dtype)]
    module = runtime.load()
    saved = module.split_thresholds()
    try:
        module.set_threads(threads)
        module.split_thresholds(1)
        fc, (want,) = check([z, x, y], out, "GEMM", *values)
        # Once more on the very arrays: check passes contiguous copies.
        got = fc(*values)
    finally:
        module.split_thresholds(*saved)
        module.set_threads(runtime.kernel_threads())
    numpy.testing.assert_array_equal(z_value, kept)
    rtol = 1e-5 if dtype == "float32" else 1e-10
    numpy.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("inplace", [False, True])
def test_gemv_and_ger(dtype, inplace):
    A = T.TensorType(dtype, (False, False))("A")
    x, y = (T.TensorType(dtype, (False,))(n) for n in "xy")
    a_ = T.constant(numpy.asarray(-2.0, dtype=dtype))
    b_ = T.constant(numpy.asarray(0.25, dtype=dtype))
    values = [rand(4, 3, dtype=dtype), rand(3, dtype=dtype), rand(4, dtype=dtype)]
    gemv = blas.Gemv(inplace)(y * 1, a_, A, x, b_)
    check([A, x, y], gemv, "GEMV", *values, accept_inplace=True)
    gemv_t = blas.Gemv(inplace)(x * 1, a_, A.T, y, b_)
    check([A, x, y], gemv_t, "GEMV", *values, accept_inplace=True)
    ger = blas.Ger(inplace)(A * 1, a_, y, x)
    check([A, x, y], ger, "GER", *values, accept_inplace=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dot22_and_dot22scalar(dtype):
    x, y = (T.TensorType(dtype, (False, False))(n) for n in "xy")
    a_ = T.constant(numpy.asarray(3.0, dtype=dtype))
    values = [rand(3, 4, dtype=dtype), rand(4, 2, dtype=dtype)]
    check([x, y], blas.Dot22()(x, y), "DOT22", *values)
    check([x, y], blas.Dot22Scalar()(x, y, a_), "DOT22", *values)


def test_gemm_shape_error_is_perform_s():
    z, x, y = T.dmatrix("z"), T.dmatrix("x"), T.dmatrix("y")
    out = blas.Gemm(False)(z, T.constant(1.0), x, y, T.constant(1.0))
    same_error([z, x, y], out, [rand(2, 2), rand(2, 3), rand(3, 3)])


# Reductions ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduce", ["sum", "prod", "max", "min"])
@pytest.mark.parametrize("axis", [None, 0, 1, 2, (0, 2), (1, 2)])
def test_reductions(dtype, reduce, axis):
    x = T.TensorType(dtype, (False,) * 3)("x")
    out = getattr(T, reduce)(x, axis=axis)
    check([x], out, "REDUCE", rand(3, 4, 5, dtype=dtype))


def test_reductions_of_strided_and_empty_inputs():
    x = T.dmatrix("x")
    check([x], T.sum(x.T[::2], axis=1), "REDUCE", rand(5, 6))
    check([x], [T.sum(x, axis=0), T.prod(x, axis=1), T.sum(x)], "REDUCE", rand(0, 3))


@pytest.mark.parametrize(
    "dtype", ["bool", "int8", "uint8", "int16", "int32", "uint32", "int64", "uint64"]
)
@pytest.mark.parametrize("reduce", ["sum", "prod", "max", "min"])
@pytest.mark.parametrize("axis", [None, 0, (0, 2)])
def test_integer_and_boolean_reductions(dtype, reduce, axis):
    """Integer sums and products accumulate in int64 and wrap as numpy's do."""
    x = T.TensorType(dtype, (False,) * 3)("x")
    out = getattr(T, reduce)(x, axis=axis)
    info = numpy.iinfo(dtype) if dtype != "bool" else None
    if info is None:
        values = RNG.integers(0, 2, size=(3, 4, 5)).astype(dtype)
    else:
        # The extremes of the type: sums and products overflow and wrap.
        values = RNG.integers(info.min, info.max, size=(3, 4, 5), dtype=dtype)
    if dtype == "uint64" and reduce in ("max", "min"):
        # Compared as int64 by the runtime: this one stays on perform.
        fc = symbolic.function([x], out, mode=C_MODE)
        assert KINDS["REDUCE"] not in fc.vm.kinds
        numpy.testing.assert_array_equal(
            fc(values), getattr(numpy, reduce)(values, axis)
        )
        return
    check([x], out, "REDUCE", values, exact=True)
    # Strided, and empty along the reduced axes for sums and products.
    check([x], out, "REDUCE", values[:, ::-2, 1:], exact=True)
    if reduce in ("sum", "prod"):
        check([x], out, "REDUCE", values[:0, :0], exact=True)


def test_sum_of_a_comparison_runs_in_c():
    """A misclassification count: the sum of a boolean vector, in int64."""
    a, b = T.lvector("a"), T.lvector("b")
    _, (got,) = check(
        [a, b],
        T.neq(a, b).sum(),
        "REDUCE",
        numpy.arange(9),
        numpy.zeros(9, "int64"),
        exact=True,
    )
    assert got.dtype == numpy.int64 and int(got) == 8


@pytest.mark.parametrize(
    "dtype", ["bool", "int8", "uint8", "int32", "uint32", "uint64"]
)
@pytest.mark.parametrize("reduce", ["sum", "prod"])
@pytest.mark.parametrize("out_dtype", ["float32", "float64"])
def test_integer_reductions_into_a_float_output(dtype, reduce, out_dtype):
    """A count of mismatches summed into floatX (a misclassification rate):
    int64 accumulation, read as uint64 for unsigned input, then cast."""
    x = T.TensorType(dtype, (False,) * 3)("x")
    out = getattr(T, reduce)(x, axis=(0, 2), dtype=out_dtype)
    assert out.dtype == out_dtype
    info = numpy.iinfo(dtype) if dtype != "bool" else None
    if info is None:
        values = RNG.integers(0, 2, size=(3, 4, 5)).astype(dtype)
    else:
        # The extremes of the type: sums and products wrap before the cast.
        values = RNG.integers(info.min, info.max, size=(3, 4, 5), dtype=dtype)
    check([x], out, "REDUCE", values, exact=True)
    check([x], out, "REDUCE", values[:, ::-2, 1:], exact=True)


def test_a_misclassification_rate_runs_in_c():
    """Blocks' error rate: the mean of a comparison, in float32."""
    a, b = T.lvector("a"), T.lvector("b")
    rate = T.neq(a, b).mean(dtype="float32")
    fc = symbolic.function([a, b], rate, mode=Mode(linker="cvm"))
    assert KINDS["PYTHON"] not in fc.vm.kinds, [str(n) for n in fc.vm.nodes]
    got = fc(numpy.arange(8), numpy.zeros(8, "int64"))
    assert got.dtype == numpy.float32 and float(got) == 7 / 8


def test_max_of_empty_axis_raises_like_perform():
    x = T.dmatrix("x")
    same_error([x], T.max(x, axis=0), [rand(0, 3)])


def test_sum_keeps_nan_and_float32_accuracy():
    x = T.fvector("x")
    values = numpy.full(100000, 0.1, dtype="float32")
    _, (got,) = check([x], T.sum(x), "REDUCE", values)
    assert abs(float(got) - 10000.0) < 1e-2
    y = T.dvector("y")
    check([y], T.max(y), "REDUCE", numpy.array([1.0, numpy.nan, 3.0]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("shape", "axis"),
    [
        ((70, 130), 0),
        ((32, 1024), 0),
        ((3, 23, 64), (0, 1)),
        ((5, 7, 9), 0),
        ((6, 32, 100), 1),
        ((3, 5, 7, 66), (1, 2)),
        ((4, 3, 5, 2), 2),
    ],
)
def test_sums_over_one_run_of_axes_match_numpy(dtype, shape, axis):
    """Column sums add each column's rows in order in float64, as numpy does.

    The reduced axes lead, or sit between kept axes (each index of the axes
    before them sums its own block: an LSTM's bias gradient).
    """
    x = T.TensorType(dtype, (False,) * len(shape))("x")
    values = rand(*shape, dtype=dtype)
    _, (got,) = check([x], T.sum(x, axis=axis), "REDUCE", values)
    want = values.astype("float64").sum(axis=axis).astype(dtype)
    numpy.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("shape", "axis"), [((1600, 1024), 0), ((3, 2000, 200), 1)])
def test_large_column_sums_split_over_the_pool_keep_every_bit(dtype, shape, axis):
    """Split by whole blocks of columns: any thread count gives numpy's sums."""
    module = runtime.load()
    x = T.TensorType(dtype, (False,) * len(shape))("x")
    values = rand(*shape, dtype=dtype)
    want = values.astype("float64").sum(axis=axis).astype(dtype)
    before = module.pooled_elemwise()
    try:
        for threads in (1, 2, 3):
            module.set_threads(threads)
            _, (got,) = check([x], T.sum(x, axis=axis), "REDUCE", values)
            numpy.testing.assert_array_equal(got, want)
    finally:
        module.set_threads(runtime.kernel_threads())
    assert module.pooled_elemwise() > before


def test_column_sums_accumulate_float32_in_float64():
    x = T.fmatrix("x")
    values = numpy.full((100000, 70), 0.1, dtype="float32")
    _, (got,) = check([x], T.sum(x, axis=0), "REDUCE", values)
    numpy.testing.assert_allclose(got, 10000.0, atol=1e-2)


# Softmax family ---------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(4, 5), (1, 3), (0, 3)])
def test_softmax_family(dtype, shape):
    x, dy = (T.TensorType(dtype, (False, False))(n) for n in ("x", "dy"))
    b = T.TensorType(dtype, (False,))("b")
    xv, dyv = rand(*shape, dtype=dtype), rand(*shape, dtype=dtype)
    bv = rand(shape[1], dtype=dtype)
    check([x], nnet.softmax_op(x), "SOFTMAX", xv)
    check([x], nnet.logsoftmax_op(x), "LOGSOFTMAX", xv * 100)
    check([x, b], nnet.softmax_with_bias(x, b), "SOFTMAX_BIAS", xv, bv)
    sm = nnet.softmax_op(x)
    check([dy, x], nnet.softmax_grad(dy, sm), "SOFTMAX_GRAD", dyv, xv)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_crossentropy_ops(dtype):
    x = T.TensorType(dtype, (False, False))("x")
    b = T.TensorType(dtype, (False,))("b")
    g = T.TensorType(dtype, (False,))("g")
    y = T.ivector("y")
    xv, bv = rand(6, 4, dtype=dtype) * 30, rand(4, dtype=dtype)
    yv = numpy.array([0, 3, 1, 2, 3, 0], dtype="int32")
    gv = rand(6, dtype=dtype)
    nll, sm, am = ce.crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    check([x, b, y], [nll, sm, am], "CE_SOFTMAX_BIAS", xv, bv, yv)
    dx = ce.crossentropy_softmax_1hot_with_bias_dx(g, nnet.softmax_op(x), y)
    check([g, x, y], dx, "CE_SOFTMAX_DX", gv, xv, yv)
    probs = nnet.softmax_op(x)
    check([x, y], ce.crossentropy_categorical_1hot(probs, y), "CE_1HOT", xv, yv)
    grad = ce.crossentropy_categorical_1hot_grad(g, probs, y)
    check([g, x, y], grad, "CE_1HOT_GRAD", gv, xv, yv)


@pytest.mark.parametrize("n", [1, 7, 10, 16, 17])
@pytest.mark.parametrize("rows", [0, 1, 13, 256])
@pytest.mark.parametrize("layout", ["C", "strided rows", "strided columns"])
def test_softmax_crossentropy_of_narrow_float32_rows(n, rows, layout):
    """Rows of at most 16 float32 logits (one AVX-512 register a row where
    the CPU has it) agree with perform: nan, -inf and +inf entries, rows of
    -inf, and the layouts that fall back to the loop over each value."""
    x, b, y = T.fmatrix("x"), T.fvector("b"), T.lvector("y")
    wide = rand(rows, 2 * n + 1, dtype="float32") * 10
    xv = {
        "C": numpy.ascontiguousarray(wide[:, :n]),
        "strided rows": wide[:, :n],
        "strided columns": wide[:, : 2 * n : 2],
    }[layout]
    if rows >= 13:
        xv[3, n // 2] = numpy.nan
        xv[4, :] = -numpy.inf
        xv[5, n - 1] = numpy.inf
        xv[6, 0] = -numpy.inf
        xv[7, :] = 1.0  # ties once b is added where b ties
    bv, yv = rand(n, dtype="float32"), RNG.integers(0, n, rows)
    bv[n // 2 :] = bv[-1]
    nll, sm, am = ce.crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    fc, fp = compiled([x, b, y], [nll, sm, am], "CE_SOFTMAX_BIAS")
    got, want = fc(xv, bv, yv), fp(xv, bv, yv)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        numpy.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    assert fc.vm.slow_calls()[fc.vm.kinds.index(KINDS["CE_SOFTMAX_BIAS"])] == 0
    # The argmax: the first nan of a row with one, else the first maximum.
    logits = xv + bv
    nan = numpy.isnan(logits)
    first = numpy.where(nan.any(axis=1), nan.argmax(axis=1), logits.argmax(axis=1))
    numpy.testing.assert_array_equal(got[2], first)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["C", "strided rows", "strided columns"])
@pytest.mark.parametrize("dy_rank", [0, 1])
def test_softmax_crossentropy_dx_of_any_layout(dtype, layout, dy_rank):
    """The dx of the softmax cross-entropy: contiguous rows of sm take the
    vectorized loop, others the loop over each value; both agree with
    perform, a row scale or one scale for all, an empty batch too."""
    dy = T.TensorType(dtype, (False,) * dy_rank)("dy")
    sm = T.TensorType(dtype, (False, False))("sm")
    y = T.ivector("y")
    fc, fp = compiled(
        [dy, sm, y],
        ce.crossentropy_softmax_1hot_with_bias_dx(dy, sm, y),
        "CE_SOFTMAX_DX",
    )
    for rows in (0, 1, 37):
        wide = RNG.random((rows, 21)).astype(dtype)
        smv = {
            "C": numpy.ascontiguousarray(wide[:, :10]),
            "strided rows": wide[:, :10],
            "strided columns": wide[:, :20:2],
        }[layout]
        yv = RNG.integers(0, 10, rows).astype("int32")
        dyv = rand(rows, dtype=dtype) if dy_rank else numpy.asarray(0.37, dtype=dtype)
        got, want = fc(dyv, smv, yv), fp(dyv, smv, yv)
        assert got.dtype == want.dtype and got.shape == want.shape == (rows, 10)
        rtol = 1e-6 if dtype == "float32" else 1e-14
        numpy.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    assert fc.vm.slow_calls()[fc.vm.kinds.index(KINDS["CE_SOFTMAX_DX"])] == 0


def test_crossentropy_bad_index_raises_like_perform():
    x = T.dmatrix("x")
    y = T.lvector("y")
    out = ce.crossentropy_categorical_1hot(nnet.softmax_op(x), y)
    same_error([x, y], out, [rand(2, 3), numpy.array([0, 3])])


# Views and shape ops -----------------------------------------------------------------
def test_dimshuffle_is_a_view_with_perform_s_values():
    x = T.TensorType("float32", (False, True, False))("x")
    _, (got,) = check(
        [x], x.dimshuffle(2, "x", 0), "DIMSHUFFLE", rand(3, 1, 4, dtype="float32")
    )
    assert got.shape == (4, 1, 3)


@pytest.mark.parametrize(
    "index",
    [
        (slice(1, None),),
        (slice(None, None, -2), 1),
        (-1, slice(2, -1)),
        (slice(10, 20), slice(None, None, 3)),
    ],
)
def test_constant_subtensors(index):
    x = T.dmatrix("x")
    check([x], x[index], "SUBTENSOR", rand(5, 6), exact=True)


def test_symbolic_subtensor_bounds_and_errors():
    x = T.dmatrix("x")
    i = T.lscalar("i")
    check([x, i], x[i, i:], "SUBTENSOR", rand(5, 6), 2, exact=True)
    same_error([x, i], x[i], [rand(5, 6), 7], IndexError)


@pytest.mark.parametrize("new_shape", [(6, 2), (-1,), (3, -1, 2)])
def test_reshape(new_shape):
    x = T.dmatrix("x")
    check([x], x.reshape(new_shape), "RESHAPE", rand(3, 4), exact=True)
    check([x], x.T.reshape(new_shape), "RESHAPE", rand(4, 3), exact=True)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int16", "complex128"])
@pytest.mark.parametrize(
    ("layout", "new_shape"),
    [
        ("reversed", (-1, 512)),  # a backward loop's rows, back in time order
        ("reversed", (100, -1)),
        ("transposed", (-1,)),
        ("strided", (50, 64, 512)),
        ("strided", (100, 32, 512)),  # a view does it: left to numpy
        ("reversed", (100, 32, 1, 512)),
    ],
)
def test_large_reshapes_that_copy_run_over_the_pool(dtype, layout, new_shape):
    """Past 1 MB a reshape that needs a copy copies in C order over the pool;
    one that a view can do stays a view."""
    module = runtime.load()
    x = T.TensorType(dtype, (False,) * 3)("x")
    base = (rand(100, 32, 1024) * 100).astype(dtype)
    value = {
        "reversed": base[::-1, :, :512],
        "transposed": base.transpose(1, 0, 2),
        "strided": base[:, :, ::2],
    }[layout]
    want = value.reshape(new_shape)
    try:
        for threads in (1, 3):
            module.set_threads(threads)
            _, (got,) = check([x], x.reshape(new_shape), "RESHAPE", value, exact=True)
            numpy.testing.assert_array_equal(got, want)
    finally:
        module.set_threads(runtime.kernel_threads())


@pytest.mark.parametrize("dtype", ["float32", "float64", "int16"])
def test_large_allocs_that_copy_run_over_the_pool(dtype):
    """An Alloc of a value of its own shape is a copy: in C, over the pool."""
    module = runtime.load()
    v = T.TensorType(dtype, (False,) * 3)("v")
    n = T.lscalar("n")
    value = (rand(100, 32, 1024) * 100).astype(dtype)[::-1, :, ::2]
    out = Alloc()(v, n, v.shape[1], v.shape[2])
    try:
        for threads in (1, 3):
            module.set_threads(threads)
            _, (got,) = check([v, n], out, "ALLOC", value, 100, exact=True)
            numpy.testing.assert_array_equal(got, value)
    finally:
        module.set_threads(runtime.kernel_threads())
    # A broadcast stays numpy's.
    check([v, n], out, "ALLOC", value[:1], 100, exact=True)


def test_reshape_error_is_perform_s():
    x = T.dmatrix("x")
    same_error([x], x.reshape((5, 5)), [rand(3, 4)])


def test_alloc_shape_and_makevector():
    v = T.dvector("v")
    n = T.lscalar("n")
    check([v, n], Alloc()(v, n, v.shape[0]), "ALLOC", rand(3), 4, exact=True)
    check([v], shape(v), "SHAPE", rand(7), exact=True)
    check([n], MakeVector("int64")(n, n, n), "MAKEVECTOR", 5, exact=True)
    same_error([v, n], Alloc()(v, n, n), [rand(3), 4])


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_join(axis, dtype):
    x, y, z = (T.TensorType(dtype, (False, False))(n) for n in "xyz")
    a = (rand(3, 4) * 10).astype(dtype)
    b = (rand(3, 4) * 10).astype(dtype)
    c = (rand(3, 4) * 10).astype(dtype)
    check([x, y, z], T.join(axis, x, y, z), "JOIN", a, b, c, exact=True)
    # Strided and transposed pieces take the view-copy path.
    check(
        [x, y],
        T.join(axis, x, y.T),
        "JOIN",
        a,
        numpy.ascontiguousarray(b.T),
        exact=True,
    )
    check([x, y], T.join(axis, x[:, ::2], y[:, 1::2]), "JOIN", a, b, exact=True)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_large_joins_split_over_the_pool(axis):
    """Past 64 KB the copies of contiguous pieces are split over the pool by
    blocks of rows; a strided piece sends the join back to one thread."""
    module = runtime.load()
    pieces = [T.ftensor3(n) for n in "abcd"]
    values = [rand(8, 32, 64 + 8 * i, dtype="float32") for i in range(4)]
    if axis != 2:
        values = [rand(8, 32, 64, dtype="float32") for _ in range(4)]
    want = numpy.concatenate(values, axis=axis)
    try:
        for threads in (1, 2, 3):
            module.set_threads(threads)
            _, (got,) = check(
                pieces, T.join(axis, *pieces), "JOIN", *values, exact=True
            )
            numpy.testing.assert_array_equal(got, want)
            strided = [values[0][:, :, ::-1], *values[1:]]
            _, (got,) = check(
                pieces, T.join(axis, *pieces), "JOIN", *strided, exact=True
            )
            numpy.testing.assert_array_equal(got, numpy.concatenate(strided, axis=axis))
    finally:
        module.set_threads(runtime.kernel_threads())


def test_join_symbolic_axis_empty_pieces_and_errors():
    x, y = T.fmatrix("x"), T.fmatrix("y")
    axis = T.lscalar("axis")
    check(
        [x, y, axis],
        T.join(axis, x, y),
        "JOIN",
        rand(2, 3, dtype="float32"),
        rand(0, 3, dtype="float32"),
        0,
        exact=True,
    )
    check(
        [x, y, axis],
        T.join(axis, x, y),
        "JOIN",
        rand(2, 3, dtype="float32"),
        rand(2, 0, dtype="float32"),
        1,
        exact=True,
    )
    same_error(
        [x, y],
        T.join(0, x, y),
        [rand(2, 3, dtype="float32"), rand(2, 4, dtype="float32")],
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("m, k, n", [(301, 150, 97), (97, 150, 301)])
@pytest.mark.parametrize("layout", ["C", "T", "F-out"])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_large_products_split_over_the_pool(dtype, m, k, n, layout, threads):
    """Products above the split size run as one BLAS call per pool thread."""
    module = runtime.load()
    x = T.TensorType(dtype, (False, False))("x")
    y = T.TensorType(dtype, (False, False))("y")
    z = T.TensorType(dtype, (False, False))("z")
    a, b, c = rand(m, k, dtype=dtype), rand(k, n, dtype=dtype), rand(m, n, dtype=dtype)
    if layout == "T":
        a = numpy.ascontiguousarray(a.T).T
        b = numpy.ascontiguousarray(b.T).T
    if layout == "F-out":
        c = numpy.asfortranarray(c)
    module.set_threads(threads)
    try:
        check([x, y], T.dot(x, y), "DOT", a, b)
        half = T.constant(numpy.asarray(0.5, dtype=dtype))
        two = T.constant(numpy.asarray(2.0, dtype=dtype))
        check([z, x, y], blas.Gemm(False)(z, two, x, y, half), "GEMM", c, a, b)
    finally:
        module.set_threads(runtime.kernel_threads())

"""Sums of elemwise expressions in one pass, and the softmax cross-entropy kernel."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.lowering import KINDS
from symbolic.backends.c.runtime import runtime
from symbolic.compile.mode import Mode
from symbolic.ops.nnet import crossentropy as ce

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)

C_MODE = Mode(linker="cvm", optimizer="fast_run").excluding("specialize")
PY_MODE = Mode(linker="py", optimizer=None)
RNG = numpy.random.default_rng(7)


def _compile(inputs, output, mode=C_MODE):
    f = symbolic.function(inputs, output, mode=mode, on_unused_input="ignore")
    getattr(f.vm, "wait", lambda: None)()
    return f


def _rtol(dtype):
    return 1e-6 if dtype == "float32" else 1e-12


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "expression",
    [lambda w, v: (w**2).sum(), lambda w, v: abs(w * v - 1).sum()],
    ids=["sum_sqr", "sum_abs"],
)
def test_sum_of_elemwise_runs_as_one_pass(dtype, expression):
    w = T.matrix("w", dtype=dtype)
    v = T.matrix("v", dtype=dtype)
    out = expression(w, v)
    f = _compile([w, v], out)
    g = symbolic.function([w, v], out, mode=PY_MODE, on_unused_input="ignore")
    assert KINDS["REDUCE_MAP"] in f.vm.kinds and KINDS["SKIP"] in f.vm.kinds
    wv = RNG.standard_normal((37, 29)).astype(dtype)
    vv = RNG.standard_normal((37, 29)).astype(dtype)
    got, want = f(wv, vv), g(wv, vv)
    assert got.dtype == want.dtype and got.shape == ()
    numpy.testing.assert_allclose(got, want, rtol=_rtol(dtype))
    # Strided inputs take the two-step path: the same numbers.
    numpy.testing.assert_allclose(
        f(wv[:, ::2], vv[:, ::2]), g(wv[:, ::2], vv[:, ::2]), rtol=_rtol(dtype)
    )
    # Empty, nan and inf inputs behave as perform's.
    empty = numpy.zeros((0, 3), dtype)
    assert f(empty, empty) == g(empty, empty) == 0
    wv[3, 4] = numpy.inf
    assert f(wv, vv) == g(wv, vv) == numpy.inf
    wv[5, 6] = numpy.nan
    assert numpy.isnan(f(wv, vv)) and numpy.isnan(g(wv, vv))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [8192, 8193, 78400, 3 * 2**20 + 5])
def test_large_fused_sums_are_chunked_the_same_on_any_thread_count(dtype, size):
    """Past one chunk the pass runs chunk by chunk, split over the pool; the
    chunks depend on the size only, so every thread count gives the same bits."""
    module = runtime.load()
    w = T.vector("w", dtype=dtype)
    values = RNG.standard_normal(size).astype(dtype)
    want = float((values.astype("float64") ** 2).sum())
    results = []
    try:
        for threads in (1, 2, 3):
            module.set_threads(threads)
            f = _compile([w], (w**2).sum())
            assert KINDS["REDUCE_MAP"] in f.vm.kinds
            before = module.pooled_elemwise()
            results.append(f(values))
            if threads > 1 and size > 2**21:
                # Split even when the workers sleep (smaller sums only when
                # they are spinning from the last job).
                assert module.pooled_elemwise() > before
            assert not any(f.vm.slow_calls())
    finally:
        module.set_threads(runtime.kernel_threads())
    assert results[0] == results[1] == results[2]
    numpy.testing.assert_allclose(float(results[0]), want, rtol=_rtol(dtype))


@pytest.mark.parametrize("size", [255, 256, 257, 78400, 100003])
@pytest.mark.parametrize(
    "expression",
    [lambda w: (w**2).sum(), lambda w: abs(w).sum(), lambda w: T.sqr(w - 0.5).sum()],
    ids=["sqr", "abs", "shifted_sqr"],
)
def test_float32_sum_of_nonnegative_values_is_correctly_rounded(expression, size):
    """Float32 squares and absolute values add in float32 lanes (sixteen
    values each) before float64: within two float32 roundings of the exact
    sum here, also across block boundaries and past one chunk."""
    w = T.vector("w", dtype="float32")
    f = _compile([w], expression(w))
    assert KINDS["REDUCE_MAP"] in f.vm.kinds
    values = RNG.standard_normal(size).astype("float32") * 30
    terms = symbolic.function([w], expression(w).owner.inputs[0], mode=PY_MODE)
    exact = float(terms(values).astype("float64").sum())
    got = f(values)
    assert got.dtype == numpy.float32
    assert abs(float(got) - exact) <= 2 * numpy.spacing(numpy.float32(exact))


def test_float32_nonnegative_sum_overflows_only_when_the_sum_does():
    w = T.vector("w", dtype="float32")
    f = _compile([w], (w**2).sum())
    big = numpy.full(4096, 1.5e17, "float32")  # squares 2.25e34: the sum fits
    numpy.testing.assert_allclose(f(big), 4096 * 2.25e34, rtol=1e-6)
    assert numpy.isinf(f(numpy.full(4096, 1e19, "float32")))


def test_float32_sum_of_mixed_signs_keeps_float64_partial_sums():
    """A sum whose terms may cancel keeps every value in float64.  Here one
    float32 lane would see 2**25, six ones, then -2**25 (values 0, 32, ...,
    224 of a block of 256 share a lane), and lose the ones: the sum is 6,
    not 0."""
    w, v = T.vector("w", dtype="float32"), T.vector("v", dtype="float32")
    f = _compile([w, v], (w * v).sum())
    assert KINDS["REDUCE_MAP"] in f.vm.kinds
    values = numpy.zeros(512, "float32")
    values[0:256:32] = 1
    values[0], values[224] = 2**25, -(2**25)
    assert f(values, numpy.ones(512, "float32")) == 6


def test_sum_of_elemwise_with_another_client_is_not_fused():
    w = T.dmatrix("w")
    sq = w**2
    f = _compile([w], [sq.sum(), sq])
    assert KINDS["REDUCE_MAP"] not in f.vm.kinds
    wv = RNG.standard_normal((4, 5))
    total, squares = f(wv)
    numpy.testing.assert_allclose(total, (wv**2).sum(), rtol=1e-12)
    numpy.testing.assert_allclose(squares, wv**2)


def test_partial_sums_are_not_fused():
    w = T.dmatrix("w")
    f = _compile([w], (w**2).sum(axis=0))
    assert KINDS["REDUCE_MAP"] not in f.vm.kinds
    wv = RNG.standard_normal((4, 5))
    numpy.testing.assert_allclose(f(wv), (wv**2).sum(axis=0), rtol=1e-12)


def test_fused_sum_profile_and_debugmode_agree():
    w = T.fmatrix("w")
    out = (w**2).sum()
    wv = RNG.standard_normal((30, 20)).astype("float32")
    want = symbolic.function([w], out, mode=PY_MODE)(wv)
    profiled = symbolic.function([w], out, mode=C_MODE, profile=True)
    getattr(profiled.vm, "wait", lambda: None)()
    numpy.testing.assert_allclose(profiled(wv), want, rtol=1e-6)
    debug = symbolic.function([w], out, mode="DebugMode")
    numpy.testing.assert_allclose(debug(wv), want, rtol=1e-6)


def _crossentropy_functions(dtype):
    """The softmax cross-entropy op compiled for the C runtime and for perform."""
    x = T.matrix("x", dtype=dtype)
    b = T.vector("b", dtype=dtype)
    y = T.ivector("y")
    outs = list(ce.crossentropy_softmax_argmax_1hot_with_bias(x, b, y))
    f = _compile([x, b, y], outs, mode=Mode(linker="cvm", optimizer=None))
    return f, symbolic.function([x, b, y], outs, mode=PY_MODE)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["c", "transposed", "strided"])
def test_crossentropy_kernel_matches_perform(dtype, layout):
    f, g = _crossentropy_functions(dtype)
    assert KINDS["CE_SOFTMAX_BIAS"] in f.vm.kinds
    xv = RNG.standard_normal((33, 10)).astype(dtype) * 20
    xv[0] = 0  # ties: the first maximum is the argmax
    xv[1, 3] = -numpy.inf
    xv[2, 4] = 1e4  # exp underflows to 0 elsewhere in the row
    bv = RNG.standard_normal(10).astype(dtype)
    if layout == "transposed":
        xv = numpy.ascontiguousarray(xv.T).T
    elif layout == "strided":
        xv = numpy.repeat(xv, 2, axis=1)[:, ::2]
        bv = numpy.repeat(bv, 2)[::2]
    yv = RNG.integers(0, 10, 33).astype("int32")
    got, want = f(xv, bv, yv), g(xv, bv, yv)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    for a, e in zip(got, want):
        assert a.dtype == e.dtype and a.shape == e.shape
        numpy.testing.assert_allclose(a, e, rtol=rtol, atol=rtol)
    assert f.vm.slow_calls()[f.vm.kinds.index(KINDS["CE_SOFTMAX_BIAS"])] == 0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_crossentropy_kernel_wide_rows(dtype):
    """Rows longer than the eight max and sum lanes: the first maximum is
    the argmax wherever the lanes put it, and the sums agree with perform."""
    f, g = _crossentropy_functions(dtype)
    xv = RNG.standard_normal((6, 1003)).astype(dtype) * 5
    xv[0, [13, 700, 1001]] = 50  # ties in different lanes and the tail
    xv[1, 1002] = 60  # the maximum in the tail
    xv[2, [9, 17]] = numpy.nan  # the first nan wins
    bv = numpy.zeros(1003, dtype)
    yv = RNG.integers(0, 1003, 6).astype("int32")
    with numpy.errstate(invalid="ignore"):
        want = g(xv, bv, yv)
    got = f(xv, bv, yv)
    assert list(got[2][:3]) == [13, 1002, 9] == list(want[2][:3])
    rtol = 1e-5 if dtype == "float32" else 1e-12
    for a, e in zip(got, want):
        numpy.testing.assert_allclose(a, e, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_crossentropy_kernel_nan_rows(dtype):
    f, g = _crossentropy_functions(dtype)
    xv = numpy.zeros((3, 4), dtype)
    xv[0, 2] = numpy.nan
    xv[1, 1] = numpy.inf
    xv[2] = [1, 5, numpy.nan, numpy.nan]
    bv = numpy.zeros(4, dtype)
    yv = numpy.array([0, 1, 2], "int32")
    with numpy.errstate(invalid="ignore"):
        want = g(xv, bv, yv)
    for a, e in zip(f(xv, bv, yv), want):
        numpy.testing.assert_array_equal(a, e)

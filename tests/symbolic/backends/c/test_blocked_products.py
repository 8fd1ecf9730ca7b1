"""Float32 products computed by the blocked kernels (gemm_blocked.c) on AVX-512.

On a CPU with AVX-512 the C runtime computes float32 products of at least
2**20 multiply-adds (2**17 with 64 rows or more) with its own kernel instead
of BLAS: the 16-lane one (all such products), or the AVX2 one where it
timed faster (those of at most 128 columns).  Every test runs under both,
forced with ``use_blocked_kernel``.  They compare it with the Python backend
(numpy's ``perform``) over the shapes the kernels tile unevenly (rows not a
multiple of 4 or 6, chunks of 112 or 16 columns, a last vector of 8 or 16
lanes, more than one block of k), over strided and transposed operands,
and over ``Gemm``'s in-place update in both layouts; and check, by the
runtime's counter, that the kernel did the work.
"""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.runtime import runtime
from symbolic.compile.mode import Mode, get_mode

pytestmark = pytest.mark.skipif(
    not runtime.available() or runtime.load().packed_isa() != "avx512",
    reason="no C runtime or no AVX-512 on this CPU",
)

PY_MODE = Mode(linker="py")

#: The widest product the AVX2 kernel takes on an AVX-512 CPU.
AVX2_KERNEL_MAX_COLUMNS = 128


@pytest.fixture(autouse=True, params=["avx512", "avx2"])
def kernel(request):
    """Run the test with this register kernel forced, then measure again."""
    rt = runtime.load()
    previous = rt.use_blocked_kernel(request.param)
    try:
        assert rt.blocked_kernel() == request.param
        yield request.param
    finally:
        rt.use_blocked_kernel(previous)


def _takes(kernel, n):
    """Whether ``kernel`` computes a (large enough) product of ``n`` columns."""
    return kernel == "avx512" or n <= AVX2_KERNEL_MAX_COLUMNS


def _blocked_count():
    return runtime.load().blocked_products()


def _run_both(inputs, outputs, values, updates=None, shared=None):
    """Results of the C and Python backends (shared values reset in between)."""
    results = []
    for mode in (get_mode("FAST_RUN"), PY_MODE):
        if shared is not None:
            for var, value in shared:
                var.set_value(value.copy(order="A"))
        fn = symbolic.function(inputs, outputs, updates=updates, mode=mode)
        out = fn(*values)
        results.append((out, [var.get_value() for var, _ in shared or ()]))
    return results


def _close(got, want, k):
    # Sums of k products of values in [0, 1): float32 rounding grows with k.
    numpy.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6 * k)


@pytest.mark.parametrize("m", [16, 17, 255])
@pytest.mark.parametrize("n", [8, 10, 16, 24, 100, 112, 113, 200, 500])
def test_product_matches_python(m, n, kernel):
    k = max(16, -(-(1 << 20) // (m * n)))  # at least the kernel's threshold
    rng = numpy.random.RandomState(m * 1000 + n)
    xv, yv = rng.rand(m, k).astype("float32"), rng.rand(k, n).astype("float32")
    x, y = T.fmatrix("x"), T.fmatrix("y")
    before = _blocked_count()
    (c_out, _), (py_out, _) = _run_both([x, y], T.dot(x, y), [xv, yv])
    assert (_blocked_count() > before) == _takes(kernel, n)
    _close(c_out, py_out, k)


def test_several_blocks_of_k_add_up():
    # k beyond one packed block: the later blocks add to the first's result.
    rng = numpy.random.RandomState(3)
    xv, yv = rng.rand(33, 2500).astype("float32"), rng.rand(2500, 70).astype("float32")
    x, y = T.fmatrix("x"), T.fmatrix("y")
    before = _blocked_count()
    (c_out, _), (py_out, _) = _run_both([x, y], T.dot(x, y), [xv, yv])
    assert _blocked_count() > before
    _close(c_out, py_out, 2500)


@pytest.mark.parametrize("left", ["transposed", "strided"])
@pytest.mark.parametrize("right", ["transposed", "strided", "rows"])
def test_operands_of_any_strides(left, right):
    rng = numpy.random.RandomState(7)
    m, k, n = 130, 300, 90
    x, y = T.fmatrix("x"), T.fmatrix("y")
    if left == "transposed":
        xv, lhs = rng.rand(k, m).astype("float32"), x.T
    else:
        xv, lhs = rng.rand(2 * m, 2 * k).astype("float32"), x[::2, ::2]
    if right == "transposed":
        yv, rhs = rng.rand(n, k).astype("float32"), y.T
    elif right == "strided":
        yv, rhs = rng.rand(k, 3 * n).astype("float32"), y[:, ::3]
    else:
        yv, rhs = rng.rand(2 * k, n).astype("float32"), y[::2]
    before = _blocked_count()
    (c_out, _), (py_out, _) = _run_both([x, y], T.dot(lhs, rhs), [xv, yv])
    assert _blocked_count() > before
    _close(c_out, py_out, k)


@pytest.mark.parametrize("order", ["C", "F"])
def test_in_place_weight_update(order):
    # W <- W - lr x^T d: Gemm on W in place, beta * W read and written by
    # the kernel in one pass; a Fortran-ordered W is computed transposed.
    rng = numpy.random.RandomState(11)
    wv = numpy.asarray(rng.randn(784, 100), dtype="float32", order=order)
    w = symbolic.shared(wv.copy(order="A"), name="W")
    x, d = T.fmatrix("x"), T.fmatrix("d")
    xv, dv = rng.rand(256, 784).astype("float32"), rng.randn(256, 100).astype("float32")
    update = w * numpy.float32(0.99) - numpy.float32(0.1) * T.dot(x.T, d)
    before = _blocked_count()
    (_, [c_w]), (_, [py_w]) = _run_both(
        [x, d], [], [xv, dv], updates=[(w, update)], shared=[(w, wv)]
    )
    assert _blocked_count() > before
    _close(c_w, py_w, 256)


def test_output_buffer_is_not_read():
    # beta = 0: a reused output buffer holding NaN must not leak into C.
    rng = numpy.random.RandomState(5)
    xv, yv = rng.rand(64, 512).astype("float32"), rng.rand(512, 64).astype("float32")
    x, y = T.fmatrix("x"), T.fmatrix("y")
    fn = symbolic.function([x, y], T.dot(x, y), mode=get_mode("FAST_RUN"))
    first = fn(xv, yv)
    first[...] = numpy.nan  # the runtime may hand this buffer back next call
    second = fn(xv, yv)
    assert numpy.isfinite(second).all()
    _close(second, xv.astype("float64") @ yv, 512)


def test_same_result_with_one_thread_and_with_blas():
    rt = runtime.load()
    rng = numpy.random.RandomState(9)
    xv, yv = rng.rand(256, 784).astype("float32"), rng.rand(784, 100).astype("float32")
    x, y = T.fmatrix("x"), T.fmatrix("y")
    fn = symbolic.function([x, y], T.dot(x, y), mode=get_mode("FAST_RUN"))
    rt.set_threads(2)
    try:
        pooled = fn(xv, yv).copy()
        rt.set_threads(1)
        alone = fn(xv, yv).copy()
    finally:
        rt.set_threads(runtime.kernel_threads())
    previous = rt.use_blocked_products(False)
    try:
        before = _blocked_count()
        blas = fn(xv, yv).copy()
        assert _blocked_count() == before
    finally:
        rt.use_blocked_products(previous)
    # Each element is summed in the same order by every thread count.
    numpy.testing.assert_array_equal(pooled, alone)
    _close(pooled, blas, 784)


@pytest.mark.parametrize("m, k, n", [(48, 48, 48), (32, 256, 32), (300, 2, 300)])
def test_small_products_stay_with_blas(m, k, n):
    # Below 2**17 multiply-adds, below 2**20 with fewer than 64 rows, and
    # with fewer than 4 terms per sum, BLAS measured as fast or faster.
    rng = numpy.random.RandomState(1)
    xv, yv = rng.rand(m, k).astype("float32"), rng.rand(k, n).astype("float32")
    x, y = T.fmatrix("x"), T.fmatrix("y")
    fn = symbolic.function([x, y], T.dot(x, y), mode=get_mode("FAST_RUN"))
    before = _blocked_count()
    _close(fn(xv, yv), xv.astype("float64") @ yv, k)
    assert _blocked_count() == before


def test_thin_products_of_a_training_step():
    # The MLP's 100 -> 10 layer: its three products (forward, input gradient,
    # weight gradient), each under 2**20 multiply-adds, are split over the
    # pool by the blocked kernel.
    rng = numpy.random.RandomState(4)
    h, w, d = T.fmatrix("h"), T.fmatrix("w"), T.fmatrix("d")
    hv, wv = rng.rand(256, 100).astype("float32"), rng.rand(100, 10).astype("float32")
    dv = rng.rand(256, 10).astype("float32")
    before = _blocked_count()
    (c_out, _), (py_out, _) = _run_both(
        [h, w, d], [T.dot(h, w), T.dot(d, w.T), T.dot(h.T, d)], [hv, wv, dv]
    )
    assert _blocked_count() - before == 3
    for got, want in zip(c_out, py_out):
        _close(got, want, 256)


def test_kernel_choice_is_measured_by_default_and_names_are_checked(kernel):
    rt = runtime.load()
    previous = rt.use_blocked_kernel("measured")
    try:
        assert previous == kernel
        assert rt.blocked_kernel() in ("avx512", "avx2")
        with pytest.raises(ValueError, match="expected 'measured', 'avx512' or 'avx2'"):
            rt.use_blocked_kernel("sse")
        with pytest.raises(TypeError, match="expected a kernel name, got int"):
            rt.use_blocked_kernel(1)
        assert rt.use_blocked_kernel("measured") == "measured"
    finally:
        rt.use_blocked_kernel(previous)

"""Elemwise kernel calls split over the runtime's thread pool.

The runtime hands ranges of a large call to its pool threads: element
ranges for contiguous operands, ranges of the outermost dimension for
strided ones.  Every element is computed by the same code whatever range it
falls in, so the results must be bit for bit those of one thread.
"""

import threading

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.lowering import KINDS
from symbolic.backends.c.runtime import runtime
from symbolic.compile.mode import Mode
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.scalar import basic as sb

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)

#: Fused kernels, as the default mode builds them; the hand-made in-place
#: graphs run without rewrites.
FUSED = Mode(linker="cvm")
C_MODE = Mode(linker="cvm", optimizer=None)
RNG = numpy.random.default_rng(7)
THREADS = (1, 2, 3)


def _gates(z, c, hidden):
    """The LSTM cell: column slices of ``z`` through sigmoid and tanh."""
    i = T.nnet.sigmoid(z[:, :hidden])
    f = T.nnet.sigmoid(z[:, hidden : 2 * hidden])
    o = T.nnet.sigmoid(z[:, 2 * hidden : 3 * hidden])
    g = T.tanh(z[:, 3 * hidden :])
    c_new = f * c + i * g
    return [o * T.tanh(c_new), c_new]


def _by_thread_count(make, values):
    """``{threads: outputs}`` of functions from ``make()`` run on ``values``.

    Each thread count gets its own function, kept alive to the end, and runs
    it on other values first: no output buffer it writes can already hold the
    numbers of another thread count's run.
    """
    module = runtime.load()
    functions, results = [], {}
    try:
        for threads in THREADS:
            module.set_threads(threads)
            fn = make()
            functions.append(fn)
            fn(*[numpy.full_like(v, 0.5) for v in values])
            outputs = fn(*[numpy.copy(v) for v in values])
            if not isinstance(outputs, list):
                outputs = [outputs]
            results[threads] = [numpy.copy(out) for out in outputs]
    finally:
        module.set_threads(runtime.kernel_threads())
    for fn in functions:
        assert not any(fn.vm.slow_calls())
    return results


def _assert_thread_count_does_not_matter(inputs, outputs, values, inplace=False):
    def make():
        mode = C_MODE if inplace else FUSED
        return symbolic.function(inputs, outputs, mode=mode, accept_inplace=inplace)

    assert KINDS["ELEMWISE"] in make().vm.kinds
    before = runtime.load().pooled_elemwise()
    results = _by_thread_count(make, values)
    # The calls were large enough to be split.
    assert runtime.load().pooled_elemwise() > before
    for threads in THREADS[1:]:
        for got, want in zip(results[threads], results[1]):
            numpy.testing.assert_array_equal(got, want)
    return results[1]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_contiguous_split_is_bit_identical(dtype):
    # An odd length: the last range is short and not a multiple of a vector.
    x = T.TensorType(dtype, (False,))("x")
    y = T.TensorType(dtype, (False,))("y")
    values = [RNG.uniform(-8, 8, n).astype(dtype) for n in (300_001, 300_001)]
    out = _assert_thread_count_does_not_matter(
        [x, y], [T.tanh(x) * T.nnet.sigmoid(y) + T.exp(-x * x)], values
    )
    expected = numpy.tanh(values[0]) / (1 + numpy.exp(-values[1])) + numpy.exp(
        -(values[0] ** 2)
    )
    numpy.testing.assert_allclose(out[0], expected, rtol=1e-5, atol=1e-6)


def test_strided_column_slices_like_an_lstm_cell():
    hidden = 256
    z, c = T.fmatrix("z"), T.fmatrix("c")
    values = [
        RNG.standard_normal((512, 4 * hidden)).astype("float32"),
        RNG.standard_normal((512, hidden)).astype("float32"),
    ]
    _assert_thread_count_does_not_matter([z, c], _gates(z, c, hidden), values)


def test_broadcast_and_reversed_operands():
    x = T.fmatrix("x")
    row = T.TensorType("float32", (True, False))("row")
    col = T.TensorType("float32", (False, True))("col")
    values = [
        RNG.standard_normal((700, 600)).astype("float32"),
        RNG.standard_normal((1, 600)).astype("float32"),
        RNG.standard_normal((700, 1)).astype("float32"),
    ]
    outputs = [
        T.tanh(x + row) * T.nnet.sigmoid(col),
        T.tanh(x[::-1, ::-2] - row[:, ::-2]),
    ]
    _assert_thread_count_does_not_matter([x, row, col], outputs, values)


def test_outer_dimension_shorter_than_the_thread_count():
    # Two outer indices for three threads: one part gets nothing to do.
    x = T.ftensor3("x")
    values = [RNG.standard_normal((2, 600, 300)).astype("float32")]
    _assert_thread_count_does_not_matter([x], [T.tanh(x[:, :, ::2])], values)


def test_inplace_output_under_the_split():
    x, y = T.fmatrix("x"), T.fmatrix("y")
    middle = T.tanh(x) * y
    inplace = Elemwise(sb.Mul(), {0: 0})(middle, y)
    values = [RNG.standard_normal((600, 500)).astype("float32") for _ in range(2)]
    (got,) = _assert_thread_count_does_not_matter(
        [x, y], [inplace], values, inplace=True
    )
    want = numpy.tanh(values[0]) * values[1] * values[1]
    numpy.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_inplace_on_a_strided_view():
    # The destroyed operand is every other column of an intermediate.
    x, y = T.fmatrix("x"), T.fmatrix("y")
    view = (x * 2)[:, ::2]
    inplace = Elemwise(sb.Add(), {0: 0})(view, T.tanh(y))
    values = [
        RNG.standard_normal((1000, 2000)).astype("float32"),
        RNG.standard_normal((1000, 1000)).astype("float32"),
    ]
    (got,) = _assert_thread_count_does_not_matter(
        [x, y], [inplace], values, inplace=True
    )
    numpy.testing.assert_allclose(
        got, values[0][:, ::2] * 2 + numpy.tanh(values[1]), rtol=1e-5, atol=1e-6
    )


def test_calls_without_the_gil_from_two_threads():
    # Calls this large release the GIL, so two Python threads use the pool at
    # once; its job lock must keep their jobs apart.
    x = T.fvector("x")
    values = [RNG.uniform(-4, 4, 400_000).astype("float32") for _ in range(2)]
    module = runtime.load()
    module.set_threads(1)
    try:
        single = symbolic.function([x], T.tanh(x) * T.nnet.sigmoid(x), mode=FUSED)
        want = [numpy.copy(single(v)) for v in values]
        module.set_threads(3)
        got = [[], []]

        def run(k):
            fn = symbolic.function([x], T.tanh(x) * T.nnet.sigmoid(x), mode=FUSED)
            for _ in range(40):
                got[k].append(numpy.copy(fn(values[k])))

        threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        module.set_threads(runtime.kernel_threads())
    for k in range(2):
        assert len(got[k]) == 40
        for result in got[k]:
            numpy.testing.assert_array_equal(result, want[k])


def test_small_calls_stay_on_one_thread():
    x = T.fvector("x")
    before = runtime.load().pooled_elemwise()
    _by_thread_count(
        lambda: symbolic.function([x], T.tanh(x), mode=C_MODE),
        [numpy.ones(64, dtype="float32")],
    )
    assert runtime.load().pooled_elemwise() == before


def test_split_thresholds_decide_what_is_split():
    """``split_thresholds`` (a measuring knob) sets when a call is split."""
    module = runtime.load()
    x = T.vector("x")
    f = symbolic.function([x], T.tanh(x), mode=FUSED)
    values = RNG.standard_normal(4096)
    saved = module.split_thresholds()
    try:
        module.set_threads(2)
        module.split_thresholds(-1, 1 << 40, 1 << 40)
        before = module.pooled_elemwise()
        f(values)
        assert module.pooled_elemwise() == before
        module.split_thresholds(-1, 1, 1)
        assert module.split_thresholds()[1:] == (1, 1)
        want = numpy.tanh(values)
        numpy.testing.assert_allclose(f(values), want, rtol=1e-12)
        assert module.pooled_elemwise() > before
    finally:
        module.split_thresholds(*saved)
        module.set_threads(runtime.kernel_threads())
    assert module.split_thresholds() == saved

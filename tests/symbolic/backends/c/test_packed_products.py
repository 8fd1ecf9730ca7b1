"""Products whose right operand a loop keeps fixed: packed once per loop.

Inside a scan the C runtime packs a non-sequence matrix operand on the
first step of each loop and reuses the packed copy on later steps.  These
tests compare such loops with the Python backend over the layouts and
shapes the kernel tiles unevenly, and check that a changed operand is
packed again on the next loop.
"""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.runtime import runtime
from symbolic.compile.mode import Mode, get_mode

pytestmark = pytest.mark.skipif(
    not runtime.available() or runtime.load().packed_isa() is None,
    reason="no C runtime or no packed-product kernel on this CPU",
)

PY_MODE = Mode(linker="py")


def _loop(step, h0, non_seqs, n_steps, mode):
    out, _ = symbolic.scan(
        step, outputs_info=[h0], non_sequences=non_seqs, n_steps=n_steps, mode=mode
    )
    return out


def _compare(build, values, rtol=2e-5):
    """Run ``build(mode)`` under the C and Python backends; return the C result."""
    results = []
    for mode in (get_mode("FAST_RUN"), PY_MODE):
        inputs, output = build(mode)
        fn = symbolic.function(inputs, output, mode=mode)
        results.append(fn(*values))
    numpy.testing.assert_allclose(results[0], results[1], rtol=rtol, atol=1e-5)
    return results[0]


def _packed_count():
    return runtime.load().packed_products()


@pytest.mark.parametrize("rows", [1, 5, 8, 13, 32, 41])
@pytest.mark.parametrize("k, n", [(7, 3), (64, 32), (300, 70), (33, 1000)])
def test_recurrent_product_matches_python(rows, k, n):
    rng = numpy.random.RandomState(rows * 1000 + k + n)
    h0 = rng.randn(rows, k).astype("float32")
    w = (rng.randn(k, n) / numpy.sqrt(k)).astype("float32")
    back = (rng.randn(n, k) / numpy.sqrt(n)).astype("float32")

    def build(mode):
        H0, W, V = T.fmatrix("h0"), T.fmatrix("W"), T.fmatrix("V")

        def step(h, W, V):
            return T.tanh(T.dot(T.tanh(T.dot(h, W)), V))

        return [H0, W, V], _loop(step, H0, [W, V], 4, mode)

    before = _packed_count()
    _compare(build, [h0, w, back])
    assert _packed_count() - before == 8  # two products on each of four steps


def test_gemm_with_added_matrix_and_scale():
    rng = numpy.random.RandomState(0)
    h0 = rng.randn(9, 40).astype("float32")
    w = (rng.randn(40, 40) * 0.1).astype("float32")
    bias = rng.randn(9, 40).astype("float32")

    def build(mode):
        H0, W, B = T.fmatrix(), T.fmatrix(), T.fmatrix()

        def step(h, W, B):
            return T.tanh(B + 0.5 * T.dot(h, W))

        return [H0, W, B], _loop(step, H0, [W, B], 5, mode)

    before = _packed_count()
    _compare(build, [h0, w, bias])
    assert _packed_count() - before == 5


@pytest.mark.parametrize("layout", ["transposed", "strided", "fortran"])
def test_operand_layouts(layout):
    rng = numpy.random.RandomState(1)
    h0 = rng.randn(6, 24).astype("float32")
    base = (rng.randn(48, 48) * 0.2).astype("float32")

    def build(mode):
        H0, M = T.fmatrix(), T.fmatrix()
        if layout == "transposed":
            W = M.T[:24, :24]
        elif layout == "strided":
            W = M[::2, 1::2]
        else:
            W = M[:24, :24]

        def step(h, W):
            return T.tanh(T.dot(h, W))

        return [H0, M], _loop(step, H0, [W], 3, mode)

    value = numpy.asfortranarray(base) if layout == "fortran" else base
    before = _packed_count()
    _compare(build, [h0, value])
    assert _packed_count() > before


def test_sequence_operand_is_not_packed():
    """A per-step right operand changes every step: it goes to BLAS."""
    rng = numpy.random.RandomState(2)
    seq = rng.randn(4, 10, 10).astype("float32")
    h0 = rng.randn(3, 10).astype("float32")

    def build(mode):
        S, H0 = T.ftensor3(), T.fmatrix()
        out, _ = symbolic.scan(
            lambda s, h: T.tanh(T.dot(h, s)),
            sequences=[S],
            outputs_info=[H0],
            mode=mode,
        )
        return [S, H0], out

    before = _packed_count()
    _compare(build, [seq, h0])
    assert _packed_count() == before


def test_input_projection_runs_packed_in_the_loop():
    """The C linker pulls a sequence ``dot(X, W) + b`` into its loop, where
    ``W`` is packed like the recurrent weights: two packed products a step."""
    from symbolic.backends.c.linker import CLinker
    from symbolic.rewriting.rules.c_backend import IN_LOOP_PRODUCTS

    assert IN_LOOP_PRODUCTS in CLinker().required_rewrites
    rng = numpy.random.RandomState(3)
    x = rng.randn(6, 5, 7).astype("float32")
    h0 = rng.randn(5, 9).astype("float32")
    w = rng.randn(7, 9).astype("float32")
    u = (rng.randn(9, 9) * 0.3).astype("float32")
    b = rng.randn(9).astype("float32")

    def build(mode):
        X, H0 = T.ftensor3("X"), T.fmatrix("h0")
        W, U, B = (symbolic.shared(v) for v in (w, u, b))
        out, _ = symbolic.scan(
            lambda p, h: T.tanh(p + T.dot(h, U)),
            sequences=[T.dot(X, W) + B],
            outputs_info=[H0],
            mode=mode,
        )
        return [X, H0], out

    before = _packed_count()
    _compare(build, [x, h0])
    assert _packed_count() - before == 2 * len(x)


def test_changed_operand_is_packed_again():
    """An operand updated in place between calls (same buffer) is repacked."""
    rng = numpy.random.RandomState(3)
    w_value = (rng.randn(16, 16) * 0.3).astype("float32")
    W = symbolic.shared(w_value, name="W")
    H0 = T.fmatrix()
    out, _ = symbolic.scan(lambda h: T.tanh(T.dot(h, W)), outputs_info=[H0], n_steps=3)
    fn = symbolic.function([H0], out[-1], updates=[(W, W * 0.5)])
    h0 = rng.randn(4, 16).astype("float32")
    for _ in range(3):
        current = W.get_value(borrow=True).copy()
        h = h0
        for _ in range(3):
            h = numpy.tanh(h @ current)
        numpy.testing.assert_allclose(fn(h0), h, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("transposed", [False, True])
def test_thread_counts_give_the_same_result(threads, transposed):
    """The pool splits the packing and the panels between threads; the sums
    do not depend on it.  The second operand may be a transposed view (a
    backward step's W.T), packed across its rows."""
    module = runtime.load()
    rng = numpy.random.RandomState(4)
    h0 = rng.randn(32, 256).astype("float32")
    w = (rng.randn(256, 1024) * 0.05).astype("float32")
    back = (rng.randn(1024, 256) * 0.05).astype("float32")
    H0, W, V = T.fmatrix(), T.fmatrix(), T.fmatrix()
    if transposed:
        back = numpy.ascontiguousarray(back.T)
        V_used = V.T
    else:
        V_used = V
    out = _loop(
        lambda h, W, V: T.tanh(T.dot(T.tanh(T.dot(h, W)), V)),
        H0,
        [W, V_used],
        3,
        None,
    )
    fn = symbolic.function([H0, W, V], out)
    want = h0
    for _ in range(3):
        want = numpy.tanh(numpy.tanh(want @ w) @ (back.T if transposed else back))
    module.set_threads(1)
    try:
        before = _packed_count()
        reference = fn(h0, w, back)
        assert _packed_count() > before
        module.set_threads(threads)
        numpy.testing.assert_array_equal(fn(h0, w, back), reference)
    finally:
        module.set_threads(runtime.kernel_threads())
    numpy.testing.assert_allclose(reference[-1], want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("rows", [3, 8, 21])
def test_rows_without_unit_stride_are_packed(rows):
    """``dot(h[:, ::2], W)`` and ``dot(h, h.T)``: left operands packed per step."""
    rng = numpy.random.RandomState(5)
    h0 = rng.randn(rows, 40).astype("float32")
    w = (rng.randn(20, 40) * 0.2).astype("float32")
    square = (rng.randn(rows, 40) * 0.2).astype("float32")

    def build(mode):
        H0, W, S = T.fmatrix(), T.fmatrix(), T.fmatrix()

        def step(h, W, S):
            strided = T.dot(h[:, ::2], W)
            transposed = T.dot(T.dot(h, h.T), S)
            return T.tanh(strided + numpy.float32(0.1) * transposed)

        return [H0, W, S], _loop(step, H0, [W, S], 3, mode)

    before = _packed_count()
    _compare(build, [h0, w, square], rtol=1e-4)
    assert _packed_count() - before >= 6


def test_a_forked_child_starts_its_own_workers():
    """After fork the pool's workers are gone; the child must not wait on them."""
    import os

    module = runtime.load()
    module.set_threads(2)
    rng = numpy.random.RandomState(6)
    h0 = rng.randn(32, 256).astype("float32")
    w = (rng.randn(256, 1024) * 0.05).astype("float32")
    H0, W = T.fmatrix(), T.fmatrix()
    fn = symbolic.function(
        [H0, W], _loop(lambda h, W: T.tanh(T.dot(h, W))[:, :256], H0, [W], 2, None)
    )
    expected = fn(h0, w)  # the parent's workers are running now
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only if it computes the same values
        ok = False
        try:
            ok = numpy.array_equal(fn(h0, w), expected)
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    module.set_threads(runtime.kernel_threads())
    assert os.WEXITSTATUS(status) == 0

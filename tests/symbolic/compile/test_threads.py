"""One compiled function called from several threads at once."""

import sys
import threading

import numpy
import pytest

import symbolic
import symbolic.tensor as T

THREADS = 4
CALLS = 1000


def _run_in_threads(work):
    """Run ``work(index)`` in THREADS threads started together; re-raise errors."""
    barrier = threading.Barrier(THREADS)
    errors = []

    def target(index):
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


@pytest.mark.parametrize("mode", [None, "FAST_COMPILE"])
def test_every_result_is_right_and_every_update_counted(mode):
    rng = numpy.random.default_rng(16)
    weights = rng.standard_normal((40, 30))
    x = T.dmatrix("x")
    count = symbolic.shared(numpy.int64(0), name="count")
    total = symbolic.shared(0.0, name="total")
    y = T.tanh(T.dot(x, weights)) + x.sum()
    f = symbolic.function(
        [x],
        y,
        updates=[(count, count + 1), (total, total + x[0, 0])],
        mode=mode,
    )
    inputs = [numpy.full((20, 40), 0.01 * (i + 1)) for i in range(THREADS)]
    expected = [f(value) for value in inputs]
    count.set_value(numpy.int64(0))
    total.set_value(0.0)
    wrong = [0] * THREADS

    def work(index):
        value, want = inputs[index], expected[index]
        for _ in range(CALLS):
            got = f(value)
            if not numpy.array_equal(got, want):
                wrong[index] += 1

    # Switch threads often, so a call is interrupted between filling its
    # inputs and reading its outputs.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        _run_in_threads(work)
    finally:
        sys.setswitchinterval(interval)
    assert wrong == [0] * THREADS
    assert int(count.get_value()) == THREADS * CALLS
    # Each thread adds its own x[0, 0] once per call: an exact sum of
    # multiples, whichever order the calls ran in, up to rounding.
    want_total = sum(CALLS * value[0, 0] for value in inputs)
    numpy.testing.assert_allclose(total.get_value(), want_total, rtol=1e-9)

"""An increment of zeros that covers the whole array is the increment itself."""

import numpy
from numpy.testing import assert_allclose

import symbolic
import symbolic.tensor as T
from symbolic.compile.mode import get_mode
from tests.symbolic.rewriting.rewrite_helpers import RAW

rng = numpy.random.RandomState(11)
FAST_RUN = get_mode("FAST_RUN")
RULE = "local_inc_subtensor_of_zeros_whole"


def op_names(f):
    return [type(node.op).__name__ for node in f.maker.fgraph.toposort()]


def compile_three(inputs, output):
    """Raw, rewritten without the rule, and rewritten."""
    raw = symbolic.function(inputs, output, mode=RAW)
    before = symbolic.function(inputs, output, mode=FAST_RUN.excluding(RULE))
    after = symbolic.function(inputs, output, mode=FAST_RUN)
    return raw, before, after


def test_increment_of_zeros_shaped_like_the_sequence_is_the_increment():
    # The gradient of a scan's sequence ``x[:n]`` has this form.
    x, y = T.dtensor3("x"), T.dtensor3("y")
    n = x.shape[0]
    zeros = T.zeros((n, x.shape[1], x.shape[2]))
    out = T.inc_subtensor(zeros[0:n], y)
    out = T.inc_subtensor(T.zeros_like(out)[:n], out)
    out = T.inc_subtensor(T.zeros_like(out)[0:], out) * 2
    raw, before, after = compile_three([x, y], out)
    assert "IncSubtensor" in op_names(before)
    assert "IncSubtensor" not in op_names(after)
    xv, yv = rng.randn(4, 2, 3), rng.randn(4, 2, 3)
    assert_allclose(after(xv, yv), raw(xv, yv), rtol=1e-12)
    assert_allclose(before(xv, yv), raw(xv, yv), rtol=1e-12)


def test_set_of_the_whole_array_on_any_base():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    out = T.set_subtensor(x[:, :], y) + 1
    raw, before, after = compile_three([x, y], out)
    assert "IncSubtensor" in op_names(before)
    assert "IncSubtensor" not in op_names(after)
    xv, yv = rng.randn(3, 2), rng.randn(3, 2)
    assert_allclose(after(xv, yv), raw(xv, yv), rtol=1e-12)


def test_increment_broadcast_at_run_time_keeps_its_shape():
    # ``y`` of one row fills every row: the result is y broadcast, not y.
    x, y = T.dmatrix("x"), T.dmatrix("y")
    out = T.inc_subtensor(T.zeros_like(x)[0:], y)
    raw, _, after = compile_three([x, y], out)
    assert "IncSubtensor" not in op_names(after)
    xv, yv = rng.randn(3, 2), rng.randn(1, 2)
    assert after(xv, yv).shape == (3, 2)
    assert_allclose(after(xv, yv), raw(xv, yv), rtol=1e-12)


def test_partial_slices_and_nonzero_bases_stay():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    n = x.shape[0]
    partial = T.inc_subtensor(T.zeros_like(x)[1:n], y)
    onto_x = T.inc_subtensor(x[0:n], y)
    for out in (partial, onto_x):
        raw, _, after = compile_three([x, y], out)
        assert "IncSubtensor" in op_names(after)
        rows = 2 if out is partial else 3
        xv, yv = rng.randn(3, 2), rng.randn(rows, 2)
        assert_allclose(after(xv, yv), raw(xv, yv), rtol=1e-12)


def test_gradient_through_the_whole_increment():
    def cost(x, y):
        n = x.shape[0]
        out = T.inc_subtensor(T.zeros_like(x)[0:n], y)
        return (T.tanh(out) * x).sum()

    xv, yv = rng.randn(3, 2), rng.randn(3, 2)
    symbolic.gradient.verify_grad(cost, [xv, yv], rng=rng, mode=FAST_RUN)

"""ShapeFeature and the shape, dimshuffle, subtensor, reshape and reduction rules."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.graph.fgraph import FunctionGraph
from symbolic.ops.basic import Shape_i
from symbolic.rewriting.shape_feature import ShapeFeature, shape_feature
from tests.symbolic.rewriting.rewrite_helpers import (
    FAST,
    check_same,
    op_names,
    scalar_ops,
)

XV = numpy.arange(12.0).reshape(3, 4) + 1


def _measured(f):
    """The variables whose shapes the rewritten graph measures."""
    return [n.inputs[0] for n in f.maker.fgraph.toposort() if isinstance(n.op, Shape_i)]


def test_shape_of_follows_infer_shape_to_the_inputs():
    x = T.dmatrix("x")
    w = T.dmatrix("w")
    y = T.tanh(T.dot(x, w)) + 1
    fg = FunctionGraph([x, w], [y], clone=False)
    feature = shape_feature(fg)
    assert isinstance(feature, ShapeFeature) and shape_feature(fg) is feature
    rows, cols = feature.shape_of(y)
    f = symbolic.function([x, w], [rows, cols])
    assert [int(v) for v in f(XV, numpy.ones((4, 5)))] == [3, 5]
    assert rows.owner.inputs[0] is x and cols.owner.inputs[0] is w


def test_shape_of_a_broadcastable_dim_is_the_constant_one():
    r = T.drow("r")
    fg = FunctionGraph([r], [T.exp(r)], clone=False)
    one, _ = shape_feature(fg).shape_of(fg.outputs[0])
    assert isinstance(one, symbolic.graph.basic.Constant) and int(one.data) == 1


def test_stale_shapes_are_recomputed_after_a_replacement():
    x = T.dmatrix("x")
    y = T.exp(x) * 2
    z = y + 1
    fg = FunctionGraph([x], [z], clone=False)
    feature = shape_feature(fg)
    feature.shape_of(z)
    fg.replace(y, T.exp(x) + x, validate=False)
    rows, _ = feature.shape_of(z)
    assert y.owner not in [v.owner for v in symbolic.graph.traversal.ancestors([rows])]


def test_shape_of_a_computed_tensor_measures_the_inputs():
    x = T.dmatrix("x")
    w = T.dmatrix("w")
    h = T.dot(x, w)
    f = check_same([x, w], h.shape[0] * h.shape[1], [XV, numpy.ones((4, 2))])
    assert "dot" not in op_names(f)
    assert set(_measured(f)) <= set(f.maker.fgraph.inputs)


def test_mean_count_comes_from_the_input_shape():
    x = T.dmatrix("x")
    f = check_same([x], T.exp(x).sum(axis=1).mean(), [XV])
    assert "Shape" not in op_names(f)
    assert _measured(f) == [f.maker.fgraph.inputs[0]]


def test_useless_fill_and_fill_sinking():
    x = T.dmatrix("x")
    f = check_same([x], T.grad((x**2).sum(), x), [XV])
    assert "Second" not in scalar_ops(f)


def test_fill_of_one_value_becomes_an_alloc():
    """The gradient of a sliced mean fills zeros and 1/n: two Allocs."""
    x = T.dtensor3("x")
    value = numpy.arange(24.0).reshape(2, 3, 4)
    f = check_same([x], T.grad(x[1:].mean(), x), [value], mode=FAST)
    assert scalar_ops(f).count("Alloc") == 2 and "Second" not in scalar_ops(f)
    canon = check_same([x], T.grad(x[1:].mean(), x), [value])
    assert "Alloc" not in scalar_ops(canon)


def test_dimshuffle_chains_merge_and_identities_vanish():
    x = T.dmatrix("x")
    f = check_same([x], x.dimshuffle(1, 0).dimshuffle(1, 0) + 1, [XV])
    assert "DimShuffle" not in scalar_ops(f)
    v = T.dvector("v")
    g = check_same([v], v.dimshuffle("x", 0).dimshuffle(1, "x"), [XV[0]])
    assert scalar_ops(g) == ["DimShuffle"]


def test_dimshuffle_lifts_through_elemwise():
    v = T.dvector("v")
    f = check_same([v], T.exp(v).dimshuffle("x", 0), [XV[0]])
    first = f.maker.fgraph.toposort()[0]
    assert type(first.op).__name__ == "DimShuffle"


def test_sum_over_broadcastable_axes_and_sum_of_sum():
    r = T.drow("r")
    f = check_same([r], r.sum(axis=0), [XV[:1]])
    assert "Sum" not in scalar_ops(f)
    x = T.dtensor3("x")
    g = check_same([x], x.sum(axis=2).sum(axis=0), [numpy.ones((2, 3, 4))])
    assert scalar_ops(g).count("Sum") == 1


def test_sum_of_alloc_and_of_fill():
    n = T.lscalar("n")
    c = T.dscalar("c")
    f = check_same([n, c], T.alloc(c, n, 3).sum(), [4, 2.5])
    assert "Alloc" not in scalar_ops(f)
    x = T.dmatrix("x")
    g = check_same([x, c], T.fill(x, c).sum(axis=0), [XV, 2.5])
    assert "Second" not in scalar_ops(g)


def test_subtensor_of_alloc_and_join():
    n = T.lscalar("n")
    c = T.dscalar("c")
    f = check_same([n, c], T.alloc(c, n, 3)[1:], [4, 2.5])
    assert "Subtensor" not in scalar_ops(f)
    a = T.drow("a")
    b = T.dmatrix("b")
    j = T.join(0, a, b)
    g = check_same([a, b], j[2], [XV[:1], XV + 10])
    assert "Join" not in scalar_ops(g)


@pytest.mark.parametrize("stop", ["none", "1+n", "n", "-n", -2, 3, 0, 40])
@pytest.mark.parametrize("n_value", [0, 1, 3, 5, 7, -1])
def test_subtensor_of_an_increment_of_zeros_reads_the_increment(stop, n_value):
    """inc_subtensor(zeros, y, [1:])[1:b] -> y[:...]: a scan gradient's
    ``out[1:]`` read back by the backward loop allocates no zeros."""
    x, y, n = T.dtensor3("x"), T.dtensor3("y"), T.lscalar("n")
    inc = T.inc_subtensor(T.zeros_like(x)[1:], y)
    b = {"none": None, "1+n": 1 + n, "n": n, "-n": -n}.get(stop, stop)
    out = inc[1:b]
    values = [numpy.zeros((6, 2, 3)), numpy.arange(30.0).reshape(5, 2, 3), n_value]
    f = check_same([x, y, n], out, values, mode=FAST)
    assert "IncSubtensor" not in scalar_ops(f) and "Alloc" not in scalar_ops(f)


def test_subtensor_of_an_increment_elsewhere_is_kept():
    """A different start, a broadcast increment or a nonzero base: unchanged."""
    x, y, r = (
        T.dtensor3("x"),
        T.dtensor3("y"),
        T.TensorType("float64", (True, False, False))("r"),
    )
    xv, yv = numpy.ones((6, 2, 3)), numpy.arange(30.0).reshape(5, 2, 3)
    cases = [
        ([x, y], T.inc_subtensor(T.zeros_like(x)[1:], y)[2:], [xv, yv]),
        ([x, r], T.inc_subtensor(T.zeros_like(x)[1:], r)[1:], [xv, yv[:1]]),
        ([x, y], T.inc_subtensor(x[1:], y)[1:], [xv, yv]),
    ]
    for inputs, out, values in cases:
        f = check_same(inputs, out, values, mode=FAST)
        assert "IncSubtensor" in scalar_ops(f)


def test_useless_subtensor_and_shape_entries():
    x = T.dmatrix("x")
    f = check_same([x], x[:, 0 : x.shape[1]] + 1, [XV])
    assert "Subtensor" not in scalar_ops(f)


def test_reshape_chains_and_useless_reshape():
    x = T.dmatrix("x")
    f = check_same([x], x.reshape((12,)).reshape((2, 6)), [XV])
    assert scalar_ops(f) == ["Reshape"]
    g = check_same([x], T.exp(x).reshape((x.shape[0], x.shape[1])), [XV])
    assert "Reshape" not in scalar_ops(g)

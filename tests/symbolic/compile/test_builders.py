"""OpFromGraph: a graph packaged as one op, run whole or inlined."""

import pickle

import numpy
import pytest

import symbolic
from symbolic import tensor as T
from symbolic.compile.builders import OpFromGraph
from symbolic.gradient import Rop, verify_grad


def _axpy():
    a, x, y = T.dscalar("a"), T.dvector("x"), T.dvector("y")
    return a, x, y, a * x + T.exp(y)


@pytest.mark.parametrize("inline", [False, True])
def test_values_and_node_kind(inline):
    a, x, y, out = _axpy()
    op = OpFromGraph([a, x, y], [out], inline=inline)
    a2, x2, y2 = T.dscalar("a2"), T.dvector("x2"), T.dvector("y2")
    f = symbolic.function([a2, x2, y2], op(a2, x2, y2) * 2)
    ones = numpy.ones(2)
    numpy.testing.assert_allclose(f(3.0, ones, ones), 2 * (3.0 + numpy.e))
    kinds = [type(node.op) for node in f.maker.fgraph.toposort()]
    assert (OpFromGraph in kinds) is not inline


@pytest.mark.parametrize("inline", [False, True])
def test_gradient_and_rop(inline):
    a, x, y, out = _axpy()
    op = OpFromGraph([a, x, y], [out], inline=inline)
    rng = numpy.random.RandomState(0)
    verify_grad(op, [numpy.array(1.5), rng.rand(3), rng.rand(3)])
    x2, v = T.dvector("x2"), T.dvector("v")
    jv = Rop(op(T.constant(2.0), x2, x2), x2, v)
    f = symbolic.function([x2, v], jv)
    point, direction = rng.rand(3), rng.rand(3)
    numpy.testing.assert_allclose(
        f(point, direction), (2.0 + numpy.exp(point)) * direction
    )


def test_grad_overrides():
    x = T.dvector("x")
    op = OpFromGraph([x], [x**2], grad_overrides=lambda inps, grads: [grads[0] * 10])
    x2 = T.dvector("x2")
    g = symbolic.function([x2], symbolic.grad(op(x2).sum(), x2))
    numpy.testing.assert_allclose(g(numpy.ones(2)), [10.0, 10.0])


def test_shared_variables_become_inputs_and_several_outputs():
    w = symbolic.shared(numpy.array([1.0, 2.0]), name="w")
    x = T.dvector("x")
    op = OpFromGraph([x], [x * w, (x + w).sum()])
    x2 = T.dvector("x2")
    prod, total = op(x2)
    f = symbolic.function([x2], [prod, total])
    numpy.testing.assert_allclose(f(numpy.ones(2))[0], [1.0, 2.0])
    w.set_value(numpy.array([3.0, 3.0]))
    numpy.testing.assert_allclose(f(numpy.ones(2))[1], 8.0)
    gw = symbolic.function([x2], symbolic.grad(total + prod.sum(), w))
    numpy.testing.assert_allclose(gw(numpy.ones(2)), [2.0, 2.0])


def test_instances_do_not_merge_and_pickle():
    x = T.dvector("x")
    double = OpFromGraph([x], [x * 2])
    triple = OpFromGraph([x], [x * 3])
    assert double != triple and double == double
    x2 = T.dvector("x2")
    f = symbolic.function([x2], [double(x2), triple(x2)])
    assert [list(v) for v in f(numpy.ones(1))] == [[2.0], [3.0]]
    g = pickle.loads(pickle.dumps(f))
    assert [list(v) for v in g(numpy.ones(1))] == [[2.0], [3.0]]


def test_bad_construction_and_calls():
    x, y = T.dvector("x"), T.dvector("y")
    with pytest.raises(ValueError, match="not among its inputs"):
        OpFromGraph([x], [x + y])
    with pytest.raises(TypeError, match="plain graph input"):
        OpFromGraph([x * 2], [x])
    op = OpFromGraph([x], [x + 1])
    with pytest.raises(TypeError, match="takes 1 inputs"):
        op(x, y)
    with pytest.raises(TypeError):
        op(T.dmatrix("m"))

"""grad, Lop, Rop, jacobian, hessian and the gradient-modifying ops."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.gradient import (
    DisconnectedInputError,
    GradientError,
    NullTypeGradError,
    consider_constant,
    disconnected_grad,
    grad_clip,
    grad_scale,
    hessian,
    jacobian,
    undefined_grad,
    verify_grad,
    zero_grad,
)


def test_chain_rule_and_sum_of_paths():
    x = T.dscalar("x")
    y = x * x + T.exp(x) * x
    g = symbolic.grad(y, x)
    v = 0.7
    assert numpy.isclose(float(g.eval({x: v})), 2 * v + numpy.exp(v) * (1 + v))


def test_list_and_tuple_wrt():
    x, y = T.dscalars("xy")
    cost = x * y
    assert isinstance(symbolic.grad(cost, [x, y]), list)
    assert isinstance(symbolic.grad(cost, (x, y)), tuple)


def test_cost_must_be_scalar():
    x = T.dvector()
    with pytest.raises(TypeError, match="scalar"):
        symbolic.grad(x * 2, x)


def test_disconnected_inputs_policies():
    x, y = T.dscalar("x"), T.dscalar("y")
    with pytest.raises(DisconnectedInputError):
        symbolic.grad(x * 2, y)
    with pytest.warns(UserWarning):
        g = symbolic.grad(x * 2, y, disconnected_inputs="warn")
    assert float(g.eval({y: 1.0})) == 0.0
    assert (
        symbolic.grad(
            x * 2, y, disconnected_inputs="ignore", return_disconnected="None"
        )
        is None
    )


def test_integer_inputs_get_zero_gradient():
    i = T.iscalar("i")
    x = T.dscalar("x")
    g = symbolic.grad(x * i, i)
    assert g.dtype == symbolic.config.floatX
    assert float(g.eval({i: 3})) == 0.0


def test_undefined_gradient_raises_clearly():
    x = T.dscalar("x")
    with pytest.raises(NullTypeGradError, match="undefined"):
        symbolic.grad(undefined_grad(x) * 2, x)


def test_consider_constant_and_friends():
    x = T.dscalar("x")
    y = x * x
    g1 = symbolic.grad(consider_constant(y) * x, x)
    assert float(g1.eval({x: 3.0})) == 9.0
    g2 = symbolic.grad(y * x, x, consider_constant=[y])
    assert float(g2.eval({x: 3.0})) == 9.0
    g3 = symbolic.grad(zero_grad(y) + x, x)
    assert float(g3.eval({x: 3.0})) == 1.0
    g4 = symbolic.grad(disconnected_grad(y) + x, x)
    assert float(g4.eval({x: 3.0})) == 1.0
    g5 = symbolic.grad(grad_clip(x, -1, 1) * 10, x)
    assert float(g5.eval({x: 3.0})) == 1.0
    g6 = symbolic.grad(grad_scale(y, 0.5), x)
    assert float(g6.eval({x: 3.0})) == 3.0


def test_known_grads_and_lop():
    x = T.dvector("x")
    h = T.tanh(x)
    gx = symbolic.grad(None, x, known_grads={h: T.ones_like(h)})
    xv = numpy.array([0.1, -0.4])
    numpy.testing.assert_allclose(gx.eval({x: xv}), 1 - numpy.tanh(xv) ** 2)
    v = T.dvector("v")
    lop = symbolic.Lop(h, x, v)
    numpy.testing.assert_allclose(
        symbolic.function([x, v], lop)(xv, numpy.array([2.0, 3.0])),
        (1 - numpy.tanh(xv) ** 2) * [2, 3],
    )


def test_rop_matches_jacobian_vector_product():
    x = T.dvector("x")
    v = T.dvector("v")
    W = numpy.array([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]])
    y = T.dot(T.constant(W), T.sin(x))
    jv = symbolic.Rop(y, x, v)
    xv = numpy.array([0.3, -0.2])
    vv = numpy.array([1.0, 2.0])
    numpy.testing.assert_allclose(
        symbolic.function([x, v], jv)(xv, vv), W @ (numpy.cos(xv) * vv)
    )


def test_jacobian_and_hessian():
    x = T.dvector("x")
    y = x**2 * T.sum(x)
    J = jacobian(y, x)
    xv = numpy.array([1.0, 2.0, 3.0])
    s = xv.sum()
    expected = numpy.diag(2 * xv * s) + (xv**2)[:, None]
    numpy.testing.assert_allclose(J.eval({x: xv}), expected)
    H = hessian(T.sum(x**3), x)
    numpy.testing.assert_allclose(H.eval({x: xv}), numpy.diag(6 * xv))


def test_verify_grad_detects_a_wrong_gradient():
    from symbolic.graph.basic import Apply
    from symbolic.graph.op import Op

    class WrongSquare(Op):
        __props__ = ()

        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, out):
            out[0][0] = inputs[0] ** 2

        def grad(self, inputs, grads):
            return [grads[0] * 3 * inputs[0]]

    with pytest.raises(GradientError):
        verify_grad(
            WrongSquare(), [numpy.array([1.0, 2.0])], rng=numpy.random.RandomState(0)
        )
    verify_grad(
        lambda x: x**2, [numpy.array([1.0, 2.0])], rng=numpy.random.RandomState(0)
    )


def test_grad_names():
    x = T.dscalar("x")
    cost = x * 2
    cost.name = "cost"
    assert symbolic.grad(cost, x).name == "(dcost/dx)"


def test_known_grads_replace_the_backpropagated_gradient():
    x = T.dvector("x")
    h = x * 3
    cost = (h * h).sum()
    g = symbolic.grad(cost, x, known_grads={h: T.ones_like(h)})
    numpy.testing.assert_allclose(g.eval({x: numpy.array([1.0, 2.0])}), [3.0, 3.0])


def test_wrt_an_intermediate_and_the_variables_below_it():
    x, w = T.dvector("x"), T.dvector("w")
    p = T.tanh(x * w)
    cost = (p**2).sum()
    g_w, g_p = symbolic.grad(cost, [w, p])
    f = symbolic.function([x, w], [g_w, g_p])
    xv, wv = numpy.array([0.5, -1.0]), numpy.array([2.0, 0.3])
    pv = numpy.tanh(xv * wv)
    gw, gp = f(xv, wv)
    numpy.testing.assert_allclose(gp, 2 * pv)
    numpy.testing.assert_allclose(gw, 2 * pv * (1 - pv**2) * xv)

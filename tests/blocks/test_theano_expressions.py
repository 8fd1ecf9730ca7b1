import numpy
from numpy.testing import assert_allclose

import symbolic
from blocks.theano_expressions import hessian_times_vector, l2_norm
from symbolic import tensor


def test_l2_norm():
    assert_allclose(l2_norm([2]).eval(), 2.0)
    assert_allclose(l2_norm([3, 4]).eval(), 5.0)
    assert_allclose(l2_norm([3, [1, 2]]).eval(), 14.0**0.5)
    assert_allclose(l2_norm([3, [1, 2], [[1, 2], [3, 4]]]).eval(), 44.0**0.5)
    assert_allclose(l2_norm([3, [1, 2], [[1, 2], [3, 4]]], squared=True).eval(), 44.0)


def test_hessian_times_vector():
    x_y = symbolic.shared(numpy.array([1, 2], dtype=symbolic.config.floatX))
    x, y = x_y[0], x_y[1]
    # The Hessian of this cost is [[2, 2], [2, 4]].
    cost = x**2 + y**2 + x * y * 2 + y**2
    gradient = tensor.grad(cost, x_y)
    vector = tensor.vector("v")
    Hv = hessian_times_vector(gradient, x_y, vector)
    Hv_rop = hessian_times_vector(gradient, x_y, vector, r_op=True)
    function = symbolic.function([vector], [Hv, Hv_rop])
    value = numpy.array([1, 1], dtype=symbolic.config.floatX)
    for result in function(value):
        assert_allclose(result, [4, 6])

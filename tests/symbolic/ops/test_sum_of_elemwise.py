"""SumOfElemwise: the op the C backend's rewrite builds; perform and gradient."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.compile.mode import Mode
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.math import Sum
from symbolic.ops.scalar import basic as sb
from symbolic.ops.sum_of_elemwise import SumOfElemwise
from symbolic.testing import verify_grad

MUL = SumOfElemwise(Elemwise(sb.Mul()), Sum())


def test_perform_is_the_sum_of_the_elemwise_values():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = symbolic.function([x, y], MUL(x, y), mode=Mode(linker="py", optimizer=None))
    a = numpy.arange(6.0).reshape(2, 3)
    b = numpy.full((2, 3), 0.5)
    assert f(a, b) == pytest.approx((a * b).sum())


def test_gradient():
    rng = numpy.random.default_rng(0)
    verify_grad(MUL, [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))])


def test_bad_parts_are_refused_by_name():
    with pytest.raises(TypeError, match="Sum over every axis"):
        SumOfElemwise(Elemwise(sb.Mul()), Sum(axis=(0,)))
    with pytest.raises(TypeError, match="not in place"):
        SumOfElemwise(Elemwise(sb.Mul(), {0: 0}), Sum())

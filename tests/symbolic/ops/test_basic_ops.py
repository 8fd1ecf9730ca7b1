"""DimShuffle, Alloc, Rebroadcast, MakeVector, Shape and constant folding helpers."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.ops.basic import NotScalarConstantError
from tests.helpers.op_check import check_op

rng = numpy.random.RandomState(5)


@pytest.mark.parametrize(
    "pattern,shape",
    [
        ((1, 0), (2, 3)),
        (("x", 0, "x", 1), (2, 3)),
        ((0,), (2, 1)),
        ((2, 0, 1), (2, 3, 4)),
    ],
)
def test_dimshuffle(pattern, shape):
    x = rng.rand(*shape)
    bcast = [s == 1 for s in shape]

    def fn(t):
        return T.patternbroadcast(t, bcast).dimshuffle(*pattern)

    def oracle(v):
        kept = [p for p in pattern if p != "x"]
        dropped = [i for i in range(v.ndim) if i not in kept]
        out = numpy.transpose(v, kept + dropped).reshape([v.shape[p] for p in kept])
        for i, p in enumerate(pattern):
            if p == "x":
                out = numpy.expand_dims(out, i)
        return out

    check_op(fn, [x], expected=oracle)


def test_dimshuffle_errors_and_view():
    x = T.dmatrix()
    with pytest.raises(ValueError, match="non-broadcastable"):
        x.dimshuffle(0)
    with pytest.raises(ValueError, match="repeats"):
        x.dimshuffle(0, 0)
    assert x.dimshuffle(1, 0).owner.op.view_map == {0: [0]}
    assert str(x.dimshuffle("x", 0, 1).owner.op) == "DimShuffle{x,0,1}"


def test_alloc_and_zeros_ones():
    v = rng.rand(3)
    check_op(lambda t: T.alloc(t, 2, 3), [v], expected=lambda a: numpy.tile(a, (2, 1)))
    n = T.lscalar("n")
    z = T.zeros((n, 2))
    assert z.dtype == symbolic.config.floatX
    assert z.broadcastable == (False, False)
    assert T.ones((1, n)).broadcastable == (True, False)
    numpy.testing.assert_array_equal(z.eval({n: 3}), numpy.zeros((3, 2)))
    with pytest.raises(ValueError, match="broadcast"):
        T.alloc(T.constant(numpy.ones(3)), 2, 4).eval()


def test_zeros_like_keeps_pattern_and_dtype():
    r = T.frow()
    z = T.zeros_like(r)
    assert z.type == r.type
    assert T.ones_like(r, dtype="int8").dtype == "int8"


def test_rebroadcast_checks_at_run_time():
    x = T.dmatrix("x")
    y = T.addbroadcast(x, 0)
    assert y.broadcastable == (True, False)
    f = symbolic.function([x], y)
    f(numpy.ones((1, 3)))
    with pytest.raises(ValueError, match="broadcastable"):
        f(numpy.ones((2, 3)))
    assert T.unbroadcast(y, 0).broadcastable == (False, False)
    check_op(
        lambda t: T.addbroadcast(t, 0) * 2, [rng.rand(1, 3)], expected=lambda v: v * 2
    )


def test_make_vector_and_shape():
    a, b = T.lscalar("a"), T.lscalar("b")
    v = T.make_vector(a, b)
    assert T.get_vector_length(v) == 2
    numpy.testing.assert_array_equal(v.eval({a: 1, b: 2}), [1, 2])
    x = T.dtensor3("x")
    assert T.get_vector_length(x.shape) == 3
    s = T.shape(x)
    assert s.dtype == "int64"
    numpy.testing.assert_array_equal(s.eval({x: numpy.zeros((2, 3, 4))}), [2, 3, 4])
    g = symbolic.grad(
        T.sum(T.make_vector(T.dscalar("p"), T.dscalar("q")) * 2),
        [T.dscalar()],
        disconnected_inputs="ignore",
    )
    assert g[0] is not None


def test_get_scalar_constant_value():
    assert int(T.get_scalar_constant_value(T.constant(3) + 4)) == 7
    r = T.drow()
    assert int(T.get_scalar_constant_value(r.shape[0])) == 1
    with pytest.raises(NotScalarConstantError):
        T.get_scalar_constant_value(T.dscalar())
    x = T.dscalar()
    assert T.extract_constant(x) is x


def test_shape_padding():
    x = T.dvector()
    assert T.shape_padleft(x).broadcastable == (True, False)
    assert T.shape_padright(x, 2).broadcastable == (False, True, True)
    assert T.shape_padaxis(x, 0).broadcastable == (True, False)
    with pytest.raises(IndexError):
        T.shape_padaxis(x, 3)


def test_verify_grad_of_make_vector_and_rebroadcast():
    from symbolic.gradient import verify_grad

    r = numpy.random.RandomState(2)
    verify_grad(
        lambda p, q: T.make_vector(p, q, p * q) ** 2,
        [numpy.asarray(1.5), numpy.asarray(-0.5)],
        rng=r,
    )
    verify_grad(
        lambda m: T.unbroadcast(T.addbroadcast(m, 0), 0) * m, [r.rand(1, 3)], rng=r
    )

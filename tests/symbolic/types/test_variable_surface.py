"""The TensorVariable interface: operators, methods, copy, iteration, test values."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T


def test_reflected_operators():
    x = T.dvector("x")
    xv = numpy.array([1.0, 2.0, 4.0])
    cases = [
        (2 + x, 2 + xv),
        (2 - x, 2 - xv),
        (2 * x, 2 * xv),
        (2 / x, 2 / xv),
        (2**x, 2**xv),
        (7 // x, 7 // xv),
        (7 % x, 7 % xv),
        (-x, -xv),
        (abs(x - 3), abs(xv - 3)),
    ]
    f = symbolic.function([x], [c for c, _ in cases])
    for got, (_, want) in zip(f(xv), cases):
        numpy.testing.assert_allclose(got, want)


def test_methods():
    m = T.dmatrix("m")
    mv = numpy.arange(6.0).reshape(2, 3) - 2
    cases = [
        (m.T, mv.T),
        (m.sum(axis=0), mv.sum(0)),
        (m.prod(), mv.prod()),
        (m.mean(axis=1, keepdims=True), mv.mean(1, keepdims=True)),
        (m.var(), mv.var()),
        (m.std(axis=0), mv.std(0)),
        (m.max(axis=1), mv.max(1)),
        (m.min(), mv.min()),
        (m.argmax(axis=1), mv.argmax(1)),
        (m.argmin(), mv.argmin()),
        (m.norm(2), numpy.sqrt((mv**2).sum())),
        (m.norm(1, axis=0), abs(mv).sum(0)),
        (m.clip(-1, 1), mv.clip(-1, 1)),
        (m.astype("float32"), mv.astype("float32")),
        (m.dimshuffle(1, "x", 0), mv.T[:, None, :]),
        (m.flatten(), mv.ravel()),
        (m.reshape((3, 2)), mv.reshape(3, 2)),
        (m.all(), mv.all()),
        (m.any(axis=0), mv.any(0)),
        ((m > 0).any(), (mv > 0).any()),
        (m.round(), numpy.round(mv)),
        (m.sort(axis=1), numpy.sort(mv, 1)),
        (m.repeat(2, axis=0), mv.repeat(2, 0)),
        (m.cumsum(axis=1), mv.cumsum(1)),
        (m.size, mv.size),
        (m.shape, mv.shape),
        (m.zeros_like(), numpy.zeros_like(mv)),
        (m.copy(), mv),
    ]
    f = symbolic.function([m], [c for c, _ in cases])
    for got, (_, want) in zip(f(mv), cases):
        numpy.testing.assert_allclose(got, want, err_msg=str(_))


def test_copy_is_identity_with_empty_tag():
    x = T.dvector("x")
    x.tag.roles = ["INPUT"]
    c = x.copy(name="x_copy")
    assert c.name == "x_copy"
    assert not hasattr(c.tag, "roles")
    assert str(c.owner.op) == "Elemwise{identity}"
    assert isinstance(c.owner.op.scalar_op, symbolic.scalar.basic.Identity)


def test_iteration_and_len():
    x = T.tensor4("x")
    b, c, h, w = x.shape
    assert b.ndim == 0 and b.dtype == "int64"
    assert all(d.dtype == "int64" for d in (c, h, w))
    with pytest.raises(TypeError):
        iter(T.dvector())
        list(T.dvector())
    with pytest.raises(TypeError):
        len(T.dvector())


def test_equality_is_identity():
    x = T.dvector()
    assert (x == x) is True
    assert (x == T.dvector()) is False


def test_compute_test_value_propagates():
    x = T.dvector("x")
    x.tag.test_value = numpy.array([1.0, 2.0])
    with symbolic.change_flags(compute_test_value="raise"):
        y = T.exp(x) * 2
        numpy.testing.assert_allclose(y.tag.test_value, numpy.exp([1.0, 2.0]) * 2)
        with pytest.raises(ValueError, match="test value"):
            T.exp(T.dvector("no_value"))
    with symbolic.change_flags(compute_test_value="ignore"):
        z = T.exp(T.dvector())
        assert not hasattr(z.tag, "test_value")
    # Assigning a test value with the flag off never fails.
    v = T.dmatrix()
    v.tag.test_value = numpy.zeros((2, 2))

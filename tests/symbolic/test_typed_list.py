"""typed_list: lists of one element type, their ops and values."""

import numpy
import pytest

import symbolic
from symbolic import tensor as T
from symbolic import typed_list
from symbolic.typed_list import TypedListType


def _vector_list(name="l"):
    return TypedListType(T.TensorType("float64", (False,)))(name)


def _values(n=3):
    return [numpy.arange(i + 1, dtype="float64") for i in range(n)]


def test_type_filters_elements():
    t = TypedListType(T.TensorType("float64", (False,)))
    assert t.filter([[1.0, 2.0]])[0].dtype == numpy.float64
    with pytest.raises(TypeError, match="list"):
        t.filter(numpy.zeros(3))
    with pytest.raises(TypeError):
        t.filter([numpy.zeros((2, 2))])
    nested = TypedListType(T.TensorType("float64", (False,)), depth=2)
    assert nested.get_depth() == 2
    assert t == TypedListType(T.TensorType("float64", (False,)))


def test_getitem_length_and_slices():
    l = _vector_list()
    i = T.lscalar("i")
    f = symbolic.function([l, i], [l[i], typed_list.length(l), l[1:], l[::-1]])
    item, length, tail, backwards = f(_values(), 2)
    assert numpy.array_equal(item, numpy.arange(3.0))
    assert int(length) == 3
    assert len(tail) == 2 and numpy.array_equal(tail[0], numpy.arange(2.0))
    assert numpy.array_equal(backwards[0], numpy.arange(3.0))


@pytest.mark.parametrize("inplace", [False, True])
def test_append_extend_insert_reverse(inplace):
    l = _vector_list()
    m = _vector_list("m")
    x = T.dvector("x")
    i = T.lscalar("i")
    ops = [
        typed_list.Append(inplace)(l, x),
        typed_list.Extend(inplace)(l, m),
        typed_list.Insert(inplace)(l, i, x),
        typed_list.Reverse(inplace)(l),
    ]
    for op_out in ops:
        l_in = symbolic.In(l, mutable=inplace)
        f = symbolic.function(
            [l_in, m, x, i], op_out, accept_inplace=inplace, on_unused_input="ignore"
        )
        values = _values()
        out = f(values, _values(1), numpy.array([9.0]), 1)
        expected = list(_values())
        kind = type(op_out.owner.op)
        if kind is typed_list.Append:
            expected.append(numpy.array([9.0]))
        elif kind is typed_list.Extend:
            expected.extend(_values(1))
        elif kind is typed_list.Insert:
            expected.insert(1, numpy.array([9.0]))
        else:
            expected.reverse()
        assert len(out) == len(expected)
        for got, want in zip(out, expected):
            assert numpy.array_equal(got, want)
        if not inplace:
            assert len(values) == 3  # the input list is left alone


def test_remove_index_count():
    l = _vector_list()
    x = T.dvector("x")
    f = symbolic.function(
        [l, x],
        [typed_list.remove(l, x), typed_list.index_(l, x), typed_list.count(l, x)],
    )
    values = [numpy.array([1.0]), numpy.array([2.0]), numpy.array([1.0])]
    removed, position, count = f(values, numpy.array([1.0]))
    assert len(removed) == 2 and numpy.array_equal(removed[0], [2.0])
    assert int(position) == 0 and int(count) == 2
    with pytest.raises(ValueError, match="not in the list"):
        f(values, numpy.array([5.0]))


def test_make_list_and_methods():
    a, b = T.dmatrix("a"), T.dmatrix("b")
    l = typed_list.make_list([a, b])
    assert l.type == TypedListType(a.type)
    both = l.append(a + 1)
    f = symbolic.function([a, b], [both, typed_list.length(both), both.count(a)])
    out, length, count = f(numpy.ones((2, 2)), numpy.zeros((2, 2)))
    assert int(length) == 3 and int(count) == 1
    assert numpy.array_equal(out[2], 2 * numpy.ones((2, 2)))
    with pytest.raises(TypeError, match="every element"):
        typed_list.make_list([a, T.dvector("v")])


def test_element_type_is_checked():
    l = _vector_list()
    with pytest.raises(TypeError, match="does not fit"):
        typed_list.append(l, T.dmatrix("m"))
    with pytest.raises(TypeError, match="typed list"):
        typed_list.length(T.dvector("v"))
    with pytest.raises(TypeError, match="integer scalar"):
        l[T.dscalar("f")]


def test_list_of_a_scan_output_can_be_summed():
    # A typed list element feeds ordinary tensor graphs and their gradients.
    l = _vector_list()
    w = T.dvector("w")
    cost = (l[0] * w).sum()
    g = symbolic.grad(cost, w)
    f = symbolic.function([l, w], g)
    assert numpy.array_equal(f([numpy.array([1.0, 2.0])], numpy.zeros(2)), [1.0, 2.0])

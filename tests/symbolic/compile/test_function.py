"""function(): inputs, outputs, updates, givens, defaults and the In/Out specs."""

import warnings
from collections import OrderedDict

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.compile import In, Out
from symbolic.compile.function_module import UnusedInputError
from symbolic.gof import MissingInputError


def test_single_list_dict_and_empty_outputs():
    x = T.dscalar("x")
    assert float(symbolic.function([x], x * 2)(3)) == 6.0
    assert [float(v) for v in symbolic.function([x], [x, x + 1])(1)] == [1.0, 2.0]
    assert symbolic.function([x], [], on_unused_input="ignore")(1) == []
    out = symbolic.function([x], {"b": x + 1, "a": x * 3})(2)
    assert set(out) == {"a", "b"} and float(out["a"]) == 6.0
    assert isinstance(symbolic.function([x], x + 1)(2), numpy.ndarray)


def test_inputs_must_be_a_list():
    x = T.dscalar()
    with pytest.raises(TypeError, match="list"):
        symbolic.function(x, x)


def test_keyword_arguments_by_name():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = symbolic.function([x, y], x - y)
    assert float(f(y=1, x=5)) == 4.0
    with pytest.raises(TypeError, match="unknown input name"):
        f(z=1, x=1)


def test_constant_input_rejected_and_missing_input_named():
    x, y = T.dscalar("x"), T.dscalar("y")
    with pytest.raises(TypeError):
        symbolic.function([T.constant(1.0)], x)
    with pytest.raises(MissingInputError, match="y"):
        symbolic.function([x], x + y)


def test_unused_input_policies():
    x, y = T.dscalar("x"), T.dscalar("y")
    with pytest.raises(UnusedInputError, match="y"):
        symbolic.function([x, y], x)
    with pytest.warns(UserWarning):
        symbolic.function([x, y], x, on_unused_input="warn")
    assert float(symbolic.function([x, y], x, on_unused_input="ignore")(1, 2)) == 1.0


def test_intermediate_variable_as_input_cuts_the_graph():
    x = T.dscalar("x")
    h = T.exp(x)
    y = h * 2
    f = symbolic.function([h], y)
    assert float(f(3.0)) == 6.0


def test_updates_are_computed_from_old_values():
    a = symbolic.shared(numpy.array(1.0), "a")
    b = symbolic.shared(numpy.array(10.0), "b")
    f = symbolic.function([], [a, b], updates=[(a, b), (b, a)])
    old_a, old_b = f()
    assert (float(old_a), float(old_b)) == (1.0, 10.0)
    assert (float(a.get_value()), float(b.get_value())) == (10.0, 1.0)


def test_update_checks():
    w = symbolic.shared(numpy.zeros((2, 2)), "w")
    x = T.dmatrix()
    with pytest.raises(TypeError, match="SharedVariable"):
        symbolic.function([x], [], updates=[(x, x)])
    with pytest.raises(ValueError, match="already has an update"):
        symbolic.function([], [], updates=[(w, w), (w, w * 2)])
    with pytest.raises(TypeError, match="same type"):
        symbolic.function([], [], updates=[(w, T.cast(w, "float32"))])
    row = symbolic.shared(numpy.zeros((1, 3)), "row")
    with pytest.raises(TypeError, match="unbroadcast"):
        symbolic.function([], [], updates=[(row, T.addbroadcast(row, 0))])


def test_plain_dict_updates_warn():
    a = symbolic.shared(numpy.array(0.0))
    b = symbolic.shared(numpy.array(0.0))
    with pytest.warns(UserWarning, match="non-ordered"):
        symbolic.function([], [], updates={a: a + 1, b: b + 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        symbolic.function([], [], updates=OrderedDict([(a, a + 1), (b, b + 1)]))


def test_update_may_change_shape():
    buf = symbolic.shared(numpy.zeros((0,)), "buf")
    x = T.dvector("x")
    f = symbolic.function([x], [], updates=[(buf, x * 2)])
    f(numpy.array([1.0, 2.0]))
    numpy.testing.assert_array_equal(buf.get_value(), [2.0, 4.0])


def test_update_to_a_constant_is_not_changed_by_later_inplace_updates():
    # Reset to a constant zero, then incremented in place: the constant, and
    # so every later reset, used to take the accumulated value.
    acc = symbolic.shared(numpy.zeros(()), name="acc")
    x = T.dscalar("x")
    accumulate = symbolic.function([x], [], updates=[(acc, acc + x)])
    reset = symbolic.function([], [], updates=[(acc, T.zeros_like(acc))])
    for _ in range(2):
        reset()
        accumulate(1.0)
        accumulate(2.0)
        assert float(acc.get_value()) == 3.0
    reset()
    assert float(acc.get_value()) == 0.0


def test_updates_sharing_a_value_do_not_alias():
    a = symbolic.shared(numpy.zeros(3), name="a")
    b = symbolic.shared(numpy.zeros(3), name="b")
    x = T.dvector("x")
    symbolic.function([x], [], updates=[(a, x * 2), (b, x * 2)])(numpy.ones(3))
    symbolic.function([], [], updates=[(b, a)])()
    symbolic.function([], [], updates=[(a, a + 1)])()
    numpy.testing.assert_array_equal(b.get_value(), [2.0, 2.0, 2.0])
    assert a.get_value() is not b.get_value(borrow=True)


def test_default_update_applied_unless_disabled():
    s = symbolic.shared(numpy.array(0.0), "s")
    s.default_update = s + 1
    f = symbolic.function([], s)
    f()
    f()
    assert float(s.get_value()) == 2.0
    g = symbolic.function([], s, no_default_updates=True)
    g()
    assert float(s.get_value()) == 2.0
    h = symbolic.function([], s, no_default_updates=[s])
    h()
    assert float(s.get_value()) == 2.0
    explicit = symbolic.function([], s, updates=[(s, s + 10)])
    explicit()
    assert float(s.get_value()) == 12.0


def test_default_update_reached_through_update_expression():
    counter = symbolic.shared(numpy.array(0.0), "counter")
    counter.default_update = counter + 1
    total = symbolic.shared(numpy.array(0.0), "total")
    f = symbolic.function([], [], updates=[(total, total + counter)])
    f()
    f()
    assert float(counter.get_value()) == 2.0
    assert float(total.get_value()) == 1.0


def test_shared_as_explicit_input_rejected():
    s = symbolic.shared(numpy.array(1.0))
    with pytest.raises(TypeError, match="givens"):
        symbolic.function([s], s + 1)


def test_givens():
    x = T.dscalar("x")
    y = T.dscalar("y")
    s = symbolic.shared(numpy.array(5.0), "s")
    f = symbolic.function([y], x * 2, givens={x: y + 1})
    assert float(f(1.0)) == 4.0
    g = symbolic.function([], x * 3, givens=[(x, s)])
    assert float(g()) == 15.0
    with pytest.raises(ValueError, match="input"):
        symbolic.function([x], x, givens={x: y})
    with pytest.raises(TypeError):
        symbolic.function([y], x, givens={x: T.fscalar()})


def test_in_with_default_and_name():
    x = T.dscalar("x")
    y = T.dscalar("y")
    f = symbolic.function([x, In(y, value=1.0, name="offset")], x + y)
    assert float(f(2.0)) == 3.0
    assert float(f(2.0, 5.0)) == 7.0
    assert float(f(2.0, offset=4.0)) == 6.0
    assert float(f(2.0)) == 3.0


def test_out_borrow_and_outputs_never_alias():
    x = T.dvector("x")
    f = symbolic.function([x], [x, x.T, x + 1, x + 1])
    value = numpy.arange(3.0)
    out = f(value)
    assert not numpy.may_share_memory(out[0], value)
    assert not numpy.may_share_memory(out[1], value)
    out[2][0] = 100
    assert out[3][0] == 1
    s = symbolic.shared(numpy.ones(3))
    g = symbolic.function([], s)
    g()[0] = 5
    assert s.get_value()[0] == 1
    b = symbolic.function([x], Out(x * 2, borrow=True))
    assert b(value).shape == (3,)


def test_seed004_state_form():
    """inc = function([n, ((c, c + n), 0)], []) keeps c as state."""
    n, c = T.scalars("nc")
    inc = symbolic.function([n, ((c, c + n), 0)], [])
    dec = symbolic.function([n, ((c, c - n), inc.container[c])], [])
    plus10 = symbolic.function([(c, inc.container[c])], c + 10)
    assert inc[c] == 0
    inc(2)
    assert inc[c] == 2 and dec[c] == inc[c]
    dec(3)
    assert inc[c] == -1 and dec[c] == inc[c]
    assert plus10() == 9
    assert inc["c"] == -1
    inc.value[c] = 5
    assert dec[c] == 5


def test_function_copy():
    s = symbolic.shared(numpy.array(0.0), "s")
    x = T.dscalar("x")
    f = symbolic.function([x], s, updates=[(s, s + x)])
    g = f.copy()
    g(5.0)
    assert float(s.get_value()) == 0.0
    h = f.copy(share_memory=True)
    h(2.0)
    assert float(s.get_value()) == 2.0
    other = symbolic.shared(numpy.array(100.0), "other")
    k = f.copy(swap={s: other})
    k(1.0)
    assert float(other.get_value()) == 101.0
    assert float(s.get_value()) == 2.0
    d = f.copy(share_memory=True, delete_updates=True)
    d(3.0)
    assert float(s.get_value()) == 2.0


def test_trust_input():
    x = T.dvector("x")
    f = symbolic.function([x], x * 2)
    f.trust_input = True
    numpy.testing.assert_array_equal(f(numpy.ones(2)), [2.0, 2.0])


def test_eval_caches_and_applies_default_updates():
    x = T.dscalar("x")
    y = x * 2
    assert float(y.eval({x: 2.0})) == 4.0
    assert len(y._fn_cache) == 1
    y.eval({x: 3.0})
    assert len(y._fn_cache) == 1
    s = symbolic.shared(numpy.array(0.0))
    s.default_update = s + 1
    (s * 1).eval()
    assert float(s.get_value()) == 1.0


def test_profile():
    x = T.dvector("x")
    f = symbolic.function([x], T.exp(x).sum(), profile=True)
    f(numpy.ones(3))
    assert isinstance(f.profile, symbolic.ProfileStats)
    assert f.profile.fct_callcount == 1
    # One entry per node of the rewritten graph (with the C backend the sum
    # of the exp is one SumOfElemwise node).
    nodes = f.maker.fgraph.apply_nodes
    assert set(f.profile.apply_time) == nodes
    import io

    buffer = io.StringIO()
    f.profile.summary(file=buffer)
    assert "Elemwise" in buffer.getvalue()


def test_modes_are_accepted():
    x = T.dscalar()
    for mode in (
        "FAST_RUN",
        "FAST_COMPILE",
        "DebugMode",
        symbolic.Mode(),
        symbolic.Mode(optimizer=None).excluding("inplace"),
    ):
        assert float(symbolic.function([x], x + 1, mode=mode)(1.0)) == 2.0
    with pytest.raises(ValueError, match="unknown mode"):
        symbolic.function([x], x, mode="FAST")


def test_profile_summary_lists_the_rewrites_and_their_time():
    import io

    x = T.dvector("x")
    f = symbolic.function([x], T.log(1 + T.exp(x) * 1), profile=True)
    f(numpy.ones(3))
    buffer = io.StringIO()
    f.profile.summary(file=buffer)
    text = buffer.getvalue()
    assert "Rewrites (" in text
    assert "merge" in text
    assert f.maker.rewrite_profile.time["total"] > 0


def test_profile_false_means_no_profile():
    x = T.dvector("x")
    f = symbolic.function([x], x + 1, profile=False)
    assert f.profile is None
    numpy.testing.assert_allclose(f(numpy.ones(2)), [2.0, 2.0])

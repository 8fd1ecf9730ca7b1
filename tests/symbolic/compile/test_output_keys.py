"""pfunc(output_keys=...): a call returns its outputs as a dict."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.compile.function import pfunc


def test_output_keys_name_the_outputs():
    x = T.dvector("x")
    f = pfunc([x], [x + 1, x * 2], output_keys=["plus", "times"])
    value = numpy.arange(3.0)
    result = f(value)
    assert sorted(result) == ["plus", "times"]
    numpy.testing.assert_allclose(result["plus"], value + 1)
    numpy.testing.assert_allclose(result["times"], value * 2)


def test_one_output_with_a_key_is_a_dict_too():
    x = T.dscalar("x")
    f = pfunc([x], x * 3, output_keys=("y",))
    assert f(2.0) == {"y": 6.0}


def test_keys_with_updates_and_keyword_inputs():
    x = T.dscalar("x")
    count = symbolic.shared(0.0, name="count")
    f = pfunc([x], [x + count], updates=[(count, count + 1)], output_keys=["y"])
    assert f(x=1.0) == {"y": 1.0}
    assert f(1.0) == {"y": 2.0}


@pytest.mark.parametrize(
    "keys, message",
    [(["a"], "one distinct key per output"), (["a", "a"], "distinct"), ("ab", "list")],
)
def test_bad_keys_are_refused(keys, message):
    x = T.dvector("x")
    with pytest.raises(ValueError, match=message):
        pfunc([x], [x + 1, x * 2], output_keys=keys)


def test_keys_with_a_dict_of_outputs_are_refused():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="outputs is a dict"):
        pfunc([x], {"a": x + 1}, output_keys=["a"])


def test_function_with_a_dict_of_outputs_keeps_its_keys():
    x = T.dvector("x")
    f = symbolic.function([x], {"b": x * 2, "a": x + 1})
    result = f(numpy.ones(2))
    assert sorted(result) == ["a", "b"]
    numpy.testing.assert_allclose(result["b"], [2.0, 2.0])

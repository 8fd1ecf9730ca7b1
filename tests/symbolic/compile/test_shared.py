"""shared(): constructors, value semantics and the storage invariant."""

import numpy
import pytest

import symbolic
from symbolic.tensor.sharedvar import ScalarSharedVariable, TensorSharedVariable


def test_ndarray_keeps_dtype_and_is_copied():
    value = numpy.zeros((2, 3), dtype="float32")
    with symbolic.change_flags(floatX="float64"):
        s = symbolic.shared(value, name="s")
    assert isinstance(s, TensorSharedVariable)
    assert s.dtype == "float32"
    assert s.broadcastable == (False, False)
    value[0, 0] = 1
    assert s.get_value()[0, 0] == 0
    b = symbolic.shared(numpy.zeros((1, 3)), broadcastable=(True, False))
    assert b.broadcastable == (True, False)


def test_borrow_aliases_and_storage_is_the_live_ndarray():
    value = numpy.zeros(3)
    s = symbolic.shared(value, borrow=True)
    assert s.container.storage[0] is value
    assert type(s.container.storage[0]) is numpy.ndarray
    assert s.get_value(borrow=True) is value
    assert s.get_value() is not value
    assert s.get_value(borrow=True, return_internal_type=True) is value


@pytest.mark.parametrize(
    "value,dtype",
    [
        (1.5, "float64"),
        (3, "int64"),
        (numpy.float32(2), "float32"),
        (numpy.int8(2), "int8"),
    ],
)
def test_scalars_become_0d_tensors(value, dtype):
    s = symbolic.shared(value)
    assert isinstance(s, ScalarSharedVariable)
    assert s.dtype == dtype and s.ndim == 0
    assert type(s.container.storage[0]) is numpy.ndarray


def test_generic_objects():
    s = symbolic.shared({"a": 1})
    assert s.get_value() == {"a": 1}
    assert isinstance(s, symbolic.SharedVariable)


def test_set_value_copies_unless_borrowed():
    s = symbolic.shared(numpy.zeros(2))
    new = numpy.ones(2)
    s.set_value(new)
    new[0] = 5
    assert s.get_value()[0] == 1
    s.set_value(new, borrow=True)
    assert s.get_value(borrow=True) is new


def test_clone_shares_container_and_zero():
    s = symbolic.shared(numpy.ones(2), "s")
    c = s.clone()
    assert c.container is s.container
    s.zero()
    numpy.testing.assert_array_equal(c.get_value(), [0, 0])


def test_tensor_interface_on_shared():
    s = symbolic.shared(numpy.arange(6.0).reshape(2, 3))
    numpy.testing.assert_array_equal(
        (s.T * 2).eval(), numpy.arange(6.0).reshape(2, 3).T * 2
    )
    assert isinstance(s, symbolic.tensor.Variable)
    copied = s.copy(name="c")
    assert copied.name == "c" and not isinstance(copied, symbolic.SharedVariable)

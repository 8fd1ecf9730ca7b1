"""Calls with wrong values raise errors naming the input, what was expected and got."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T


def test_wrong_ndim_names_the_input():
    x = T.dmatrix("images")
    f = symbolic.function([x], x * 2)
    with pytest.raises(TypeError, match=r'"images".*expected 2.*got 1'):
        f(numpy.ones(3))


def test_lossy_dtype_is_refused_without_downcast():
    x = T.fvector("x")
    f = symbolic.function([x], x * 2)
    with pytest.raises(TypeError, match=r'"x".*float64.*allow_input_downcast'):
        f(numpy.ones(3, dtype="float64"))
    g = symbolic.function([x], x * 2, allow_input_downcast=True)
    assert g(numpy.ones(3)).dtype == numpy.float32


def test_safe_upcast_and_exact_lists_are_accepted():
    x = T.dvector("x")
    f = symbolic.function([x], x * 2)
    numpy.testing.assert_array_equal(f(numpy.ones(2, dtype="int32")), [2, 2])
    numpy.testing.assert_array_equal(f([1, 2]), [2, 4])
    i = T.ivector("i")
    g = symbolic.function([i], i + 1)
    numpy.testing.assert_array_equal(g([1, 2]), [2, 3])
    with pytest.raises(TypeError, match='"i"'):
        g([1.5, 2])


def test_python_float_downcasts_to_floatx():
    with symbolic.change_flags(floatX="float32"):
        x = T.fscalar("x")
        f = symbolic.function([x], x * 2)
        assert f(0.1).dtype == numpy.float32


def test_broadcastable_dim_must_be_one():
    r = T.drow("r")
    f = symbolic.function([r], r + 1)
    with pytest.raises(TypeError, match=r'"r".*broadcastable'):
        f(numpy.ones((2, 3)))


def test_missing_argument():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = symbolic.function([x, y], x + y)
    with pytest.raises(TypeError, match="missing required input: y"):
        f(1.0)
    with pytest.raises(TypeError, match="takes 2 inputs"):
        f(1.0, 2.0, 3.0)


def test_runtime_shape_error_names_op_and_variables():
    a = T.dmatrix("a")
    b = T.dvector("b")
    f = symbolic.function([a, b], a + b)
    with pytest.raises(ValueError) as info:
        f(numpy.ones((2, 3)), numpy.ones(4))
    message = str(info.value)
    assert "Elemwise{add,no_inplace}" in message
    assert "a with shape (2, 3)" in message
    assert "b with shape (1, 4)" in message or "b" in message


def test_set_value_checks_type():
    s = symbolic.shared(numpy.zeros((2, 2)), "s")
    with pytest.raises(TypeError, match="dimensions"):
        s.set_value(numpy.zeros(3))
    s.set_value(numpy.zeros((5, 1)))
    assert s.get_value().shape == (5, 1)
    f32 = symbolic.shared(numpy.zeros(2, dtype="float32"), "f32")
    with pytest.raises(TypeError, match="float64"):
        f32.set_value(numpy.zeros(2))


@pytest.mark.parametrize("value", [2**70, -(2**63) - 1])
def test_an_int_out_of_range_names_the_input_and_the_range(value):
    n = T.lscalar("n_steps")
    f = symbolic.function([n], n + 1)
    with pytest.raises(OverflowError) as info:
        f(value)
    message = str(info.value)
    assert '"n_steps"' in message and "int64" in message
    assert str(numpy.iinfo("int64").max) in message
    with pytest.raises(OverflowError, match='"n_steps"'):
        f(n_steps=value)


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_an_allocation_too_big_for_memory_names_the_node(mode):
    x, n = T.dscalar("x"), T.lscalar("n")
    f = symbolic.function([x, n], T.exp(T.alloc(x, n, n)) + x, mode=mode)
    # 2**52 float64 values: 32 PiB, beyond the address space of any machine
    # (so no overcommit setting lets it succeed), yet small enough that
    # numpy reports a MemoryError rather than an "array is too big".
    with pytest.raises(MemoryError, match=r"Apply node that caused the error: Alloc"):
        f(1.0, 2**26)


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_a_failing_node_in_a_scan_step_names_the_shapes_it_was_given(mode):
    # Inside a compiled scan step the program lets go of its cells before it
    # reports an error: the message used to say "shape=None" for every input.
    x = T.tensor3("x")
    w = symbolic.shared(numpy.ones((4, 8)), name="w")
    h0 = T.constant(numpy.zeros((2, 4)))

    def step(x_t, h):
        return T.dot(h, w)[:, :4] + x_t[:, :1] * 2

    out, _ = symbolic.scan(step, sequences=x, outputs_info=h0)
    f = symbolic.function([x], out, mode=mode)
    with pytest.raises(ValueError) as info:
        f(numpy.ones((3, 2, 3)))
    message = str(info.value)
    assert "shape=(2, 1)" in message and "shape=(2, 4)" in message, message
    assert "shape=None" not in message

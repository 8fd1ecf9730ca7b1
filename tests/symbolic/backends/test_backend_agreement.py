"""Every backend and mode gives numpy's answer, or numpy's error, on edge cases."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.config import change_flags

LLVM_KERNELS = "llvm-kernels"

# The C linker with no C compiler builds its elemwise kernels with LLVM.
MODES = ["FAST_COMPILE", "FAST_RUN", "DebugMode", "py", "cvm", LLVM_KERNELS]


def _compile(inputs, output, mode):
    # No background build: the first call already runs the compiled kernels.
    flags = {"compile__background": False}
    if mode == LLVM_KERNELS:
        pytest.importorskip("llvmlite", reason="the LLVM kernels need llvmlite")
        flags["cxx"] = ""
    if mode in ("py", "cvm", LLVM_KERNELS):
        mode = symbolic.Mode(
            linker="py" if mode == "py" else "cvm", optimizer="fast_run"
        )
    with change_flags(**flags):
        return symbolic.function(inputs, output, mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_integer_power_with_a_negative_exponent_raises_as_in_numpy(mode):
    a, b = T.lvector("a"), T.lvector("b")
    f = _compile([a, b], a**b, mode)
    base_values, exponents = numpy.array([1, 3]), numpy.array([-1, 2])
    with pytest.raises(ValueError) as numpy_error:
        numpy.power(base_values, exponents)
    with pytest.raises(ValueError, match="negative integer powers") as ours:
        f(base_values, exponents)
    assert str(numpy_error.value) in str(ours.value)
    positive = numpy.array([3, 2])
    numpy.testing.assert_array_equal(
        f(base_values, positive), numpy.power(base_values, positive)
    )


@pytest.mark.parametrize("mode", MODES)
def test_integer_power_with_a_constant_exponent_is_numpy_power(mode):
    a = T.lvector("a")
    f = _compile([a], a**3 + a**0, mode)
    values = numpy.array([-4, 0, 5, 3_000_000])
    numpy.testing.assert_array_equal(f(values), values**3 + values**0)


@pytest.mark.parametrize("mode", MODES)
def test_argmax_over_a_full_axis_of_an_empty_matrix_is_empty(mode):
    m = T.dmatrix("m")
    f = _compile([m], [T.argmax(m, axis=1), T.argmin(m, axis=1)], mode)
    empty = numpy.zeros((0, 3))
    for got, want in zip(f(empty), (empty.argmax(axis=1), empty.argmin(axis=1))):
        assert got.shape == want.shape == (0,)
        assert got.dtype == want.dtype
    # Reducing an empty axis stays an error, as in numpy.
    with pytest.raises(ValueError, match="empty sequence"):
        numpy.zeros((3, 0)).argmax(axis=1)
    with pytest.raises(ValueError, match="empty sequence"):
        f(numpy.zeros((3, 0)))


@pytest.mark.parametrize("mode", MODES)
def test_the_sum_of_an_alloc_too_big_to_exist_is_an_error(mode):
    n = T.lscalar("n")
    f = _compile([n], T.alloc(1.0, n, 4).sum(), mode)
    with pytest.raises((ValueError, MemoryError), match="too big"):
        f(2**62 + 1)
    with pytest.raises((ValueError, MemoryError), match="too big"):
        _compile([], T.alloc(1.0, 2**62 + 1, 4).sum(), mode)()
    assert f(5) == 20.0
    with pytest.raises(ValueError, match="negative"):
        f(-5)

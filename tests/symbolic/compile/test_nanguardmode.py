"""NanGuardMode checks every node's outputs and names the node that went bad."""

import numpy
import pytest

import symbolic
from symbolic import tensor as T
from symbolic.compile.nanguardmode import NanGuardError, NanGuardMode
from symbolic.config import change_flags


def test_nan_names_the_node():
    x = T.dvector("x")
    f = symbolic.function([x], T.log(x) * 2, mode=NanGuardMode(True, True, True))
    assert numpy.allclose(f(numpy.array([1.0])), [0.0])
    with pytest.raises(NanGuardError, match="NaN in output 0") as info:
        f(numpy.array([-1.0]))
    assert "log" in str(info.value)
    assert isinstance(info.value, AssertionError)  # Theano raised AssertionError


def test_inf_and_big_values():
    x = T.dvector("x")
    out = T.exp(x)
    f = symbolic.function([x], out, mode=NanGuardMode(False, True, False))
    with pytest.raises(NanGuardError, match="Inf"):
        f(numpy.array([1000.0]))
    f = symbolic.function([x], out, mode=NanGuardMode(False, False, True))
    with pytest.raises(NanGuardError, match="Big value"):
        f(numpy.array([30.0]))
    f = symbolic.function([x], out, mode=NanGuardMode(False, False, False))
    assert numpy.isinf(f(numpy.array([1000.0]))).all()


def test_bad_function_input_is_reported():
    x = T.dvector("x")
    f = symbolic.function([x], x * 2, mode=NanGuardMode(True, True, True))
    with pytest.raises(NanGuardError, match="function input"):
        f(numpy.array([numpy.nan]))


def test_flags_give_the_defaults_and_warn_action(caplog):
    x = T.dvector("x")
    with change_flags(NanGuardMode__big_is_error=False):
        f = symbolic.function([x], x * 1e12, mode=NanGuardMode())
    assert f(numpy.array([1.0]))[0] == 1e12
    with change_flags(NanGuardMode__action="warn"):
        g = symbolic.function([x], T.log(x), mode=NanGuardMode())
        g(numpy.array([-1.0]))
    assert "NanGuardMode found NaN" in caplog.text


def test_mode_by_name_and_updates_are_checked():
    w = symbolic.shared(numpy.array([1.0]), name="w")
    f = symbolic.function([], [], updates=[(w, T.log(w - 2))], mode="NanGuardMode")
    with pytest.raises(NanGuardError, match="NaN"):
        f()


def test_int_and_sparse_values_pass():
    import scipy.sparse

    from symbolic import sparse

    x = sparse.csr_matrix("x", dtype="float64")
    i = T.lvector("i")
    f = symbolic.function(
        [x, i], [sparse.sp_sum(x), i * 2], mode=NanGuardMode(True, True, True)
    )
    value = scipy.sparse.csr_matrix(numpy.eye(2))
    assert float(f(value, numpy.array([1]))[0]) == 2.0
    value.data[0] = numpy.nan
    with pytest.raises(NanGuardError, match="NaN"):
        f(value, numpy.array([1]))

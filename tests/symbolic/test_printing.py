"""pprint, debugprint and the Print op."""

import io

import numpy

import symbolic
import symbolic.tensor as T
from symbolic.printing import Print, debugprint, pprint


def test_pprint_parenthesizes_binary_ops():
    x = T.dscalar("x")
    assert pprint((x + 2) * 3) == "((x + TensorConstant{2}) * TensorConstant{3})"


def test_debugprint_format():
    i1, i2 = T.dmatrix("i1"), T.dmatrix("i2")
    a = i1.copy(name="in1")
    b = i2.copy(name="in2")
    y = (a + b).copy(name="out")
    text = debugprint(y, file="str")
    assert text.splitlines() == [
        "Elemwise{identity} [id A] 'out'",
        " |Elemwise{add,no_inplace} [id B] ''",
        "   |Elemwise{identity} [id C] 'in1'",
        "   | |i1 [id D]",
        "   |Elemwise{identity} [id E] 'in2'",
        "     |i2 [id F]",
    ]
    buffer = io.StringIO()
    debugprint(y, file=buffer)
    assert buffer.getvalue() == text


def test_debugprint_of_function_and_repeated_nodes():
    x = T.dvector("x")
    h = T.exp(x)
    y = h + h
    f = symbolic.function([x], y, mode=symbolic.Mode().excluding("fusion"))
    text = debugprint(f, file="str")
    assert "Elemwise{exp,no_inplace}" in text
    assert text.count("[id B]") == 2


def test_print_op_calls_hook():
    seen = []
    x = T.dvector("x")
    y = Print("value", global_fn=lambda op, v: seen.append((op.message, v.tolist())))(x)
    f = symbolic.function([x], y * 2)
    numpy.testing.assert_array_equal(f(numpy.array([1.0, 2.0])), [2.0, 4.0])
    assert seen == [("value", [1.0, 2.0])]
    g = symbolic.grad((y * 3).sum(), x)
    numpy.testing.assert_array_equal(g.eval({x: numpy.ones(2)}), [3.0, 3.0])

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
    # Theano 1.0's lines: three spaces after the name (empty destroy map,
    # view map and order fields).
    assert text.splitlines() == [
        "Elemwise{identity} [id A] 'out'   ",
        " |Elemwise{add,no_inplace} [id B] ''   ",
        "   |Elemwise{identity} [id C] 'in1'   ",
        "   | |i1 [id D]",
        "   |Elemwise{identity} [id E] 'in2'   ",
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


def test_debugprint_of_a_function_shows_the_node_order():
    x, y = T.dvectors("x", "y")
    z = T.exp(x) * y
    mode = symbolic.Mode(linker="py", optimizer="fast_run")
    f = symbolic.function([x, y], z, mode=mode.excluding("fusion", "inplace"))
    assert debugprint(f, file="str") == (
        "Elemwise{mul,no_inplace} [id A] ''   1\n"
        " |Elemwise{exp,no_inplace} [id B] ''   0\n"
        " | |x [id C]\n"
        " |y [id D]\n"
    )


def test_debugprint_types_ids_depth_and_names():
    x = T.dvector("x")
    y = T.exp(x)
    y.name = "e"
    z = y + 1
    assert debugprint(z, print_type=True, file="str").splitlines() == [
        "Elemwise{add,no_inplace} [id A] <TensorType(float64, vector)> ''   ",
        " |Elemwise{exp,no_inplace} [id B] <TensorType(float64, vector)> 'e'   ",
        " | |x [id C] <TensorType(float64, vector)>",
        " |DimShuffle{x} [id D] <TensorType(int8, (True,))> ''   ",
        "   |TensorConstant{1} [id E] <TensorType(int8, scalar)>",
    ]
    assert debugprint(z, ids="int", file="str").splitlines()[1] == (
        " |Elemwise{exp,no_inplace} [id 1] 'e'   "
    )
    assert debugprint(z, ids="", file="str").splitlines()[2] == " | |x "
    assert debugprint(z, depth=1, file="str").count("\n") == 1
    assert debugprint(z, depth=0, file="str") == ""
    assert "|x" not in debugprint(z, stop_on_name=True, file="str")


def test_char_ids_follow_theano_after_z():
    from symbolic.printing import _char_id

    assert [_char_id(n) for n in (0, 1, 25, 26, 27, 26 * 26)] == [
        "A",
        "B",
        "Z",
        "BA",
        "BB",
        "BAA",
    ]


def test_debugprint_multiple_outputs_and_scan_inner_graph():
    k = T.iscalar("k")
    a = T.dvector("a")
    result, _ = symbolic.scan(
        lambda prior, a: prior * a,
        outputs_info=T.ones_like(a),
        non_sequences=a,
        n_steps=k,
    )
    text = debugprint(result, file="str")
    lines = text.splitlines()
    assert lines[:2] == [
        "Subtensor{int64::} [id A] ''   ",
        " |for{cpu,scan_fn} [id B] ''   ",
    ]
    assert lines[4:6] == [
        " | |Elemwise{second,no_inplace} [id E] ''   ",
        " | | |a [id F]",
    ]
    assert "Inner graphs of the scan ops:" in lines
    inner = lines[lines.index("Inner graphs of the scan ops:") + 2 :]
    # The loop's line again, then its body; inner inputs point at the outer
    # variables they are fed from.
    assert inner == [
        "for{cpu,scan_fn} [id B] ''   ",
        " >Elemwise{mul,no_inplace} [id J] ''   ",
        " > |<TensorType(float64, vector)> [id K] -> [id E]",
        " > |a_copy [id L] -> [id F]",
    ]

"""The IR: nodes, walks, Theano's toposort order, cloning and FunctionGraph."""

import pickle

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.gof import FunctionGraph
from symbolic.gof.graph import ancestors, inputs, io_toposort, is_same_graph
from symbolic.gof.utils import scratchpad


def test_variable_str_and_identity():
    x = T.dmatrix("x")
    y = x + 1
    assert str(x) == "x"
    assert str(y) == "Elemwise{add,no_inplace}.0"
    assert str(T.dmatrix()) == "<TensorType(float64, matrix)>"
    assert repr(y) == str(y)
    z = x + 1
    assert y != z and y == y
    assert {y: 1}[y] == 1
    assert [z, y].index(y) == 1


def test_tag_is_a_free_namespace():
    x = T.dvector()
    x.tag.anything = [1, 2]
    x.replacement_of = "attribute on the variable itself"
    pad = pickle.loads(pickle.dumps(x.tag))
    assert pad.anything == [1, 2]
    assert isinstance(x.tag, scratchpad)
    c = x.clone()
    assert c.tag.anything == [1, 2] and c.tag is not x.tag


def test_inputs_and_ancestors_order():
    x, y, z = T.dscalar("x"), T.dscalar("y"), T.dscalar("z")
    out = (x + y) * z
    assert [v.name for v in inputs([out])] == ["x", "y", "z"]
    assert out in ancestors([out])


def test_io_toposort_follows_theano_order():
    x = T.dmatrix("x")
    W1 = symbolic.shared(numpy.zeros((3, 3)), "W1")
    b1 = symbolic.shared(numpy.zeros(3), "b1")
    W2 = symbolic.shared(numpy.zeros((3, 3)), "W2")
    b2 = symbolic.shared(numpy.zeros(3), "b2")
    h = T.dot(x, W1) + b1
    out = T.dot(h, W2) + b2
    order = io_toposort([x], [out])
    # The last input's owner (b2's DimShuffle) is handled before the dot.
    shared_order = []
    for node in order:
        for var in node.inputs:
            if isinstance(var, symbolic.SharedVariable) and var not in shared_order:
                shared_order.append(var)
    assert [v.name for v in shared_order] == ["b2", "b1", "W1", "W2"]


def test_is_same_graph():
    x, y = T.dvector("x"), T.dvector("y")
    assert is_same_graph(x + y, x + y)
    assert not is_same_graph(x + y, y + x)
    assert is_same_graph(x + 2, x + 2)
    assert not is_same_graph(x + 2, x + 3)
    assert is_same_graph(x * 2, y * 2, givens={x: y})


def test_clone_replace():
    x, y = T.dscalar("x"), T.dscalar("y")
    out = x * 2 + 1
    out.tag.note = "kept"
    new = symbolic.clone(out, replace={x: y * 3})
    assert float(new.eval({y: 1.0})) == 7.0
    assert new.tag.note == "kept"
    self_ref = symbolic.clone(out, replace={x: x * 10})
    assert float(self_ref.eval({x: 1.0})) == 21.0
    with pytest.raises(TypeError):
        symbolic.clone(out, replace={x: T.fscalar()})
    m = T.dmatrix("m")
    r = T.drow("r")
    assert symbolic.clone(m * 2, replace={m: r}).broadcastable == (False, False)
    with pytest.raises(TypeError):
        symbolic.clone(r * 2, replace={r: m})


def test_function_graph_replace_and_clients():
    x = T.dvector("x")
    y = T.exp(x)
    z = y * 2
    fg = FunctionGraph([x], [z])
    (exp_node,) = [n for n in fg.apply_nodes if "exp" in str(n.op)]
    new = T.log(fg.inputs[0])
    fg.replace(exp_node.outputs[0], new)
    fg.check_integrity()
    assert not any("exp" in str(n.op) for n in fg.apply_nodes)
    with pytest.raises(TypeError):
        fg.replace(new, T.fvector())
    assert fg.clients[fg.inputs[0]]


def test_apply_clone_with_new_inputs():
    x, y = T.dvector("x"), T.dvector("y")
    node = (x + 1).owner
    new = node.clone_with_new_inputs([y, node.inputs[1]])
    assert new.inputs[0] is y and new.op == node.op
    f = T.fvector()
    remade = node.clone_with_new_inputs([f, node.inputs[1]], strict=False)
    assert remade.outputs[0].dtype == "float32"

"""The destroy handler accepts only in-place ops that overwrite dead values."""

import numpy
import pytest

import symbolic.tensor as T
from symbolic.graph.fgraph import FunctionGraph, InconsistencyError
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.scalar import basic as sb
from symbolic.ops.scalar import math as sm
from symbolic.rewriting.destroy import (
    DestroyHandler,
    destroy_conflict,
    view_family,
    view_root,
)

add_inplace = Elemwise(sb.Add(), {0: 0})
exp_inplace = Elemwise(sm.Exp(), {0: 0})


def _graph(inputs, outputs, destroyable=()):
    fgraph = FunctionGraph(inputs, outputs, clone=False)
    fgraph.destroyable_inputs = set(destroyable)
    fgraph.attach_feature(DestroyHandler())
    return fgraph


def test_a_dead_intermediate_may_be_overwritten():
    x = T.dvector("x")
    y = T.exp(x)
    out = exp_inplace(y)
    fgraph = _graph([x], [out])
    fgraph.validate()
    assert fgraph.destroy_handler is not None
    assert fgraph.orderings() == {}


def test_inputs_are_protected_unless_destroyable():
    x = T.dvector("x")
    out = exp_inplace(x)
    with pytest.raises(InconsistencyError, match="not mutable"):
        _graph([x], [out]).validate()
    _graph([x], [out], destroyable=[x]).validate()


def test_constants_and_outputs_are_protected():
    x = T.dvector("x")
    c = T.constant(numpy.ones(3))
    with pytest.raises(InconsistencyError, match="constant"):
        _graph([x], [add_inplace(c, x)]).validate()
    y = T.exp(x)
    with pytest.raises(InconsistencyError, match="output"):
        _graph([x], [y, exp_inplace(y)]).validate()
    # A view of the value that is returned counts too.
    with pytest.raises(InconsistencyError, match="output"):
        _graph([x], [y[1:], exp_inplace(y)]).validate()


def test_readers_are_ordered_before_the_destroyer():
    x = T.dvector("x")
    y = T.exp(x)
    view = y[::-1]
    reader = T.sin(view)
    fgraph = _graph([x], [exp_inplace(y) + reader])
    fgraph.validate()
    order = fgraph.toposort()
    writer = next(n for n in order if n.op == exp_inplace)
    assert set(fgraph.orderings()[writer]) == {view.owner, reader.owner}
    assert order.index(reader.owner) < order.index(writer)


def test_a_reader_after_the_destroyer_is_a_cycle():
    x = T.dvector("x")
    y = T.exp(x)
    z = exp_inplace(y)
    # Needs the old y, but only after z exists: no valid order.
    out = z + y
    with pytest.raises(InconsistencyError, match="no order"):
        _graph([x], [out]).validate()


def test_two_destroyers_of_one_value_and_aliased_inputs():
    x = T.dvector("x")
    y = T.exp(x)
    with pytest.raises(InconsistencyError, match="both overwrite"):
        _graph([x], [exp_inplace(y) + exp_inplace(y[::-1])]).validate()
    m = T.dmatrix("m")
    e = T.exp(m)
    with pytest.raises(InconsistencyError, match="same memory"):
        _graph([m], [add_inplace(e, e.T)]).validate()
    # The same variable twice is fine for an elementwise op.
    _graph([m], [add_inplace(e, e)]).validate()


def test_views_and_local_check():
    x = T.dmatrix("x")
    y = T.exp(x)
    v = y.T[0]
    assert view_root(v) is y
    fgraph = FunctionGraph([x], [T.sin(v) + 1], clone=False)
    family = view_family(fgraph, y)
    assert y in family and v in family and len(family) == 3
    node = T.exp(y).owner
    fgraph = FunctionGraph([x], [node.outputs[0], T.sin(v)], clone=False)
    problem, readers = destroy_conflict(fgraph, node, {0: [0]})
    assert problem is None
    assert node not in readers and len(readers) == 3

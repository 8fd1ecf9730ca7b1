"""gof.toolbox features and Theano's client introspection on a FunctionGraph."""

import logging

import pytest

from symbolic import tensor as T
from symbolic.gof import toolbox
from symbolic.graph.fgraph import FunctionGraph, InconsistencyError


def _graph():
    x = T.dvector("x")
    y = T.exp(x)
    return FunctionGraph([x], [y * 2, y + 1], clone=False), x, y


def test_clients_as_theano_offered_them():
    fgraph, x, y = _graph()
    assert fgraph.clients(y) == fgraph.clients[y] == y.clients
    assert len(y.clients) == 2
    assert x.clients == [(y.owner, 0)]
    out = fgraph.outputs[0]
    assert ("output", 0) in out.clients
    assert y.fgraph is fgraph and y.owner.fgraph is fgraph


def test_clients_outside_a_graph_raise():
    v = T.dvector("v") * 3
    with pytest.raises(AttributeError, match="FunctionGraph"):
        v.clients
    with pytest.raises(AttributeError, match="FunctionGraph"):
        v.owner.fgraph


def test_history_reverts_to_a_checkpoint():
    fgraph, x, y = _graph()
    fgraph.attach_feature(toolbox.History())
    mark = fgraph.checkpoint()
    fgraph.replace(y, T.log(x))
    assert y not in fgraph.variables
    fgraph.revert(mark)
    assert y in fgraph.variables and fgraph.outputs[0].owner.inputs[0] is y
    # A second History is refused quietly, as Theano did.
    fgraph.attach_feature(toolbox.History())
    assert sum(isinstance(f, toolbox.History) for f in fgraph._features) == 1


class _Refuse:
    """A feature refusing any graph whose output is computed by a log."""

    def validate(self, fgraph):
        for node in fgraph.apply_nodes:
            if "log" in str(node.op):
                raise InconsistencyError("no log allowed")


def test_replace_validate_rolls_back_a_refused_change():
    fgraph, x, y = _graph()
    fgraph.attach_feature(toolbox.ReplaceValidate())
    fgraph.attach_feature(_Refuse())
    assert fgraph.consistent()
    with pytest.raises(InconsistencyError):
        fgraph.replace_all_validate([(y, T.log(x))])
    assert y in fgraph.variables
    with pytest.raises(toolbox.ReplacementDidntRemovedError):
        fgraph.replace_all_validate_remove([(y, T.sqrt(x))], [fgraph.outputs[0].owner])
    assert y in fgraph.variables
    fgraph.replace_validate(y, T.sqrt(x))
    assert y not in fgraph.variables


def test_node_finder_preserve_names_and_printing(caplog):
    fgraph, x, y = _graph()
    finder = toolbox.NodeFinder()
    fgraph.attach_feature(finder)
    assert finder.query(fgraph, y.owner.op) == [y.owner]
    assert fgraph.get_nodes(y.owner.op) == [y.owner]
    fgraph.attach_feature(toolbox.PreserveNames())
    y.name = "expx"
    with caplog.at_level(logging.INFO, logger="symbolic.graph.features"):
        fgraph.attach_feature(toolbox.PrintListener())
        new = T.sqrt(x)
        fgraph.replace(y, new)
    assert new.name == "expx"
    assert "importing" in caplog.text
    assert finder.query(fgraph, y.owner.op) == []


def test_no_output_from_inplace():
    x = T.dvector("x")
    from symbolic.tensor import inplace

    fgraph = FunctionGraph([x], [inplace.exp_inplace(x)], clone=False)
    with pytest.raises(InconsistencyError, match="in place"):
        fgraph.attach_feature(toolbox.NoOutputFromInplace())
        fgraph.validate()

"""FunctionGraph.toposort reuses its order until the graph or orderings change."""

import numpy

import symbolic.tensor as T
from symbolic.graph.fgraph import Feature, FunctionGraph
from symbolic.graph.traversal import io_toposort
from symbolic.graph.utils import ValidatingScratchpad


def _graph():
    x, y = T.dvector("x"), T.dvector("y")
    a = x + y
    b = a * 2.0
    c = T.exp(a) - b
    return FunctionGraph([x, y], [c, b], clone=False)


def _fresh(fgraph):
    return io_toposort(fgraph.inputs, fgraph.outputs, fgraph.orderings())


def test_repeated_toposort_is_the_same_order_in_a_new_list():
    fgraph = _graph()
    first = fgraph.toposort()
    first.reverse()
    second = fgraph.toposort()
    assert second == _fresh(fgraph)
    assert second is not fgraph.toposort()


def test_replace_and_pruning_refresh_the_order():
    fgraph = _graph()
    before = fgraph.toposort()
    (c, b) = fgraph.outputs
    x, y = fgraph.inputs
    fgraph.replace(b, x * 3.0)
    after = fgraph.toposort()
    assert after == _fresh(fgraph)
    assert set(after) == fgraph.apply_nodes
    assert after != before
    fgraph.replace(c, T.log(y))
    assert fgraph.toposort() == _fresh(fgraph)
    assert set(fgraph.toposort()) == fgraph.apply_nodes


class _Order(Feature):
    """Orderings a test can change without touching the graph."""

    def __init__(self):
        self.pairs = {}

    def orderings(self, fgraph):
        return dict(self.pairs)


def test_changed_orderings_give_a_new_order():
    x = T.dvector("x")
    a, b = T.exp(x), T.log(x)
    fgraph = FunctionGraph([x], [a + b], clone=False)
    feature = _Order()
    fgraph.attach_feature(feature)
    plain = fgraph.toposort()
    first, second = plain[0], plain[1]
    feature.pairs = {first: [second]}
    ordered = fgraph.toposort()
    assert ordered.index(second) < ordered.index(first)
    feature.pairs = {}
    assert fgraph.toposort() == plain
    fgraph.remove_feature(feature)
    assert fgraph.toposort() == plain


def test_variables_hash_by_identity_and_tags_still_validate():
    x = T.dvector("x")
    assert hash(x) == object.__hash__(x)
    assert x == x and x != x.clone()
    assert isinstance(x.tag, ValidatingScratchpad)
    x.tag.test_value = [1.0, 2.0]
    assert isinstance(x.tag.test_value, numpy.ndarray)
    copied = x.tag.copy()
    assert copied.test_value is x.tag.test_value

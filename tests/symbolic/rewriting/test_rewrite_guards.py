"""Guards of the rewriter: cycles are reported, rewrite loops are bounded."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.graph.basic import Apply
from symbolic.graph.fgraph import FunctionGraph
from symbolic.graph.op import Op
from symbolic.graph.traversal import GraphCycleError, general_toposort, io_toposort
from symbolic.ops.basic import Shape_i
from symbolic.rewriting.core import WorklistRewriter, graph_rewriter, node_rewriter
from symbolic.rewriting.optimizers import EquilibriumOptimizer
from symbolic.rewriting.shape_feature import shape_feature
from symbolic.types.tensor import TensorType


def _cycle():
    """x -> a -> b, then a's input is made b: a and b depend on each other."""
    x = T.dvector("x")
    a = T.exp(x)
    b = T.tanh(a)
    return x, a, b


def test_io_toposort_reports_a_cycle_instead_of_looping():
    x, a, b = _cycle()
    a.owner.inputs[0] = b
    with pytest.raises(GraphCycleError, match="cycle") as info:
        io_toposort([x], [b])
    assert set(info.value.nodes) == {a.owner, b.owner}


def test_toposort_with_orderings_reports_a_cycle():
    x, a, b = _cycle()
    # An ordering that makes a run after b, which needs a.
    orderings = {a.owner: [b.owner]}
    with pytest.raises(GraphCycleError, match="cycle"):
        io_toposort([x], [b], orderings)
    deps = {1: [2], 2: [3], 3: [1]}
    with pytest.raises(GraphCycleError):
        general_toposort([1], lambda n: deps[n])


def test_fgraph_toposort_names_the_change_that_closed_the_cycle():
    x, a, b = _cycle()
    fg = FunctionGraph([x], [b], clone=False)
    fg.change_input(a.owner, 0, b, reason="my_bad_rewrite")
    with pytest.raises(GraphCycleError, match="my_bad_rewrite"):
        fg.toposort()


def test_a_dag_sharing_nodes_sorts_without_false_cycles():
    x = T.dvector("x")
    a = T.exp(x)
    b = a * a + T.tanh(a)
    c = b * a - T.sin(b)
    order = io_toposort([x], [c, b])
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for inp in node.inputs:
            if inp.owner is not None:
                assert position[inp.owner] < position[node]


def test_rules_that_undo_each_other_stop_with_a_warning_naming_them():
    @node_rewriter([T.Elemwise])
    def exp_to_tanh(fgraph, node):
        if node.op == T.exp(T.dvector()).owner.op:
            return [T.tanh(node.inputs[0])]
        return None

    @node_rewriter([T.Elemwise])
    def tanh_to_exp(fgraph, node):
        if node.op == T.tanh(T.dvector()).owner.op:
            return [T.exp(node.inputs[0])]
        return None

    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(x) * 2], clone=False)
    with pytest.warns(RuntimeWarning, match="exp_to_tanh|tanh_to_exp"):
        WorklistRewriter([exp_to_tanh, tanh_to_exp], max_passes=200)(fg)
    fg.check_integrity()
    inner = fg.outputs[0].owner.inputs[0].owner
    assert type(inner.op.scalar_op).__name__ in ("Exp", "Tanh")


def test_default_budget_stops_an_endless_rewrite():
    @node_rewriter([T.Elemwise])
    def grow(fgraph, node):
        # Each replacement is a fresh node the rule matches again.
        return [node.outputs[0] * 1.0]

    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(x)], clone=False)
    with pytest.warns(RuntimeWarning, match="grow"):
        WorklistRewriter([grow])(fg)
    fg.check_integrity()


def test_equilibrium_optimizer_warns_when_its_graph_passes_never_settle():
    @graph_rewriter()
    def always_changes(fgraph, profile):
        (out,) = fgraph.outputs
        fgraph.replace(out, out + 0.0, reason="always_changes")

    x = T.dvector("x")
    fg = FunctionGraph([x], [T.exp(x)], clone=False)
    with pytest.warns(RuntimeWarning, match="always_changes"):
        EquilibriumOptimizer([always_changes])(fg)
    fg.check_integrity()


class _SelfMeasuringOp(Op):
    """Copies a matrix; its infer_shape measures its own output (a bad habit)."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [TensorType(x.dtype, (False, False))()])

    def perform(self, node, inputs, outputs):
        outputs[0][0] = inputs[0].copy()

    def infer_shape(self, fgraph, node, shapes):
        out = node.outputs[0]
        return [(shapes[0][0], out.shape[1])]


def test_shape_feature_replaces_entries_that_measure_the_node_itself():
    x = T.dmatrix("x")
    y = _SelfMeasuringOp()(x)
    fg = FunctionGraph([x], [y.shape], clone=False)
    rows, cols = shape_feature(fg).shape_of(y)
    # The bad entry falls back to Shape_i of the output; the good one stays.
    assert isinstance(cols.owner.op, Shape_i) and cols.owner.inputs[0] is y
    assert isinstance(rows.owner.op, Shape_i) and rows.owner.inputs[0] is x


def test_shape_of_a_self_measuring_op_compiles_without_a_cycle():
    x = T.dmatrix("x")
    y = _SelfMeasuringOp()(x)
    f = symbolic.function([x], [y.shape, y * 2])
    shape, doubled = f(numpy.ones((2, 3)))
    assert list(shape) == [2, 3]
    numpy.testing.assert_array_equal(doubled, 2 * numpy.ones((2, 3)))


class _Pair(Op):
    """Two copies of a vector: a node with two outputs."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type(), x.type()])

    def perform(self, node, inputs, outputs):
        outputs[0][0] = inputs[0].copy()
        outputs[1][0] = inputs[0].copy()


def test_a_node_that_loses_a_client_is_visited_again():
    """A rule that needs an output to be unused fires once another rule took
    that output's last reader away, later in the walk (a loop's output no
    step reads any more, after its reader was rewritten)."""
    x = T.dvector("x")
    first, second = _Pair()(x)
    fg = FunctionGraph([x], [first + 1, T.tanh(second)], clone=False)
    seen_unused = []

    @node_rewriter([T.Elemwise])
    def read_x_instead(fgraph, node):
        if node.inputs[0] is second and node.outputs[0] in fgraph.outputs:
            return [T.tanh(x)]
        return None

    @node_rewriter([_Pair])
    def note_unused_second(fgraph, node):
        if not fgraph.clients.get(node.outputs[1]):
            seen_unused.append(node)
        return None

    WorklistRewriter([read_x_instead, note_unused_second])(fg)
    assert seen_unused == [first.owner]

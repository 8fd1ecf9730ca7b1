"""The first rewrites: merge (common subexpressions) and constant folding."""

import numpy

import symbolic
import symbolic.tensor as T
from symbolic.graph.basic import Apply, Constant
from symbolic.graph.fgraph import FunctionGraph
from symbolic.graph.op import Op
from symbolic.printing import Print
from symbolic.rewriting.merge import merge


def _ops(f):
    return [str(node.op) for node in f.maker.fgraph.toposort()]


def test_merge_removes_common_subexpressions():
    x = T.dvector("x")
    a = T.exp(x) + 1
    b = T.exp(x) + 1
    # Without fusion and in-place forms, which would rename the nodes.
    f = symbolic.function(
        [x], a * b, mode=symbolic.Mode().excluding("fusion", "inplace")
    )
    assert _ops(f).count("Elemwise{exp,no_inplace}") == 1
    assert _ops(f).count("Elemwise{add,no_inplace}") == 1
    raw = symbolic.function([x], a * b, mode=symbolic.Mode(optimizer=None))
    assert _ops(raw).count("Elemwise{exp,no_inplace}") == 2
    xv = numpy.array([0.5, -1.0])
    numpy.testing.assert_allclose(f(xv), raw(xv))


def test_merged_outputs_are_still_distinct_arrays():
    x = T.dvector("x")
    f = symbolic.function([x], [T.tanh(x), T.tanh(x)])
    first, second = f(numpy.ones(2))
    first[0] = 5
    assert second[0] != 5


def test_constant_folding():
    x = T.dvector("x")
    k = T.exp(T.constant(numpy.array([0.0, 1.0]))) * 2
    f = symbolic.function([x], x + k)
    assert not any("exp" in op for op in _ops(f))
    numpy.testing.assert_allclose(f(numpy.zeros(2)), [2.0, 2 * numpy.e])
    shape_only = symbolic.function([x], T.ones_like(x) * T.constant(3.0) ** 2)
    numpy.testing.assert_allclose(shape_only(numpy.zeros(3)), [9.0, 9.0, 9.0])


def test_fully_constant_output_is_a_fresh_array_each_call():
    x = T.dscalar("x")
    f = symbolic.function([x], [x, T.constant(numpy.arange(3.0)) * 2])
    out1 = f(1.0)[1]
    out1[0] = 100
    numpy.testing.assert_array_equal(f(1.0)[1], [0.0, 2.0, 4.0])
    assert isinstance(f.maker.fgraph.outputs[1], Constant)


def test_side_effects_are_not_merged_or_folded():
    seen = []
    x = T.dvector("x")
    hook = Print("p", global_fn=lambda op, v: seen.append(1))
    f = symbolic.function(
        [x],
        [
            hook(x),
            hook(x),
            Print("c", global_fn=lambda o, v: seen.append(2))(T.constant(1.0)),
        ],
    )
    f(numpy.ones(1))
    assert sorted(seen) == [1, 1, 2]


def test_excluding_a_rewrite_by_name():
    x = T.dvector("x")
    k = T.exp(T.constant(1.0))
    mode = symbolic.Mode(optimizer="fast_run").excluding("local_constant_folding")
    f = symbolic.function([x], x + k, mode=mode)
    assert any("exp" in op for op in _ops(f))


class _AddOneInPlace(Op):
    """x += 1, declared as destroying x."""

    __props__ = ()
    destroy_map = {0: [0]}

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        inputs[0] += 1
        output_storage[0][0] = inputs[0]


def test_merge_keeps_apart_buffers_each_written_in_place():
    # Merging the two zeros_like would leave one buffer written twice.
    x = T.dvector("x")
    first = _AddOneInPlace()(T.zeros_like(x))
    second = _AddOneInPlace()(T.zeros_like(x))
    fgraph = FunctionGraph([x], [first, second], clone=False)
    merge(fgraph)
    writers = [n for n in fgraph.apply_nodes if isinstance(n.op, _AddOneInPlace)]
    assert len(writers) == 2
    assert writers[0].inputs[0] is not writers[1].inputs[0]

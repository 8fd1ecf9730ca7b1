from collections import OrderedDict

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks import graph as blocks_graph
from blocks.bricks import MLP, Identity, Linear, Logistic, Tanh
from blocks.bricks.base import Brick, application
from blocks.bricks.cost import SquaredError
from blocks.filter import VariableFilter, get_brick
from blocks.graph import (
    ComputationGraph,
    apply_dropout,
    apply_noise,
    collect_parameters,
)
from blocks.initialization import Constant
from blocks.roles import COLLECTED, COLLECTOR, DROPOUT, INPUT, PARAMETER, add_role
from blocks.utils import shared_floatx
from symbolic import tensor
from symbolic.gof import Apply, Op
from symbolic.sandbox import rng_mrg

floatX = symbolic.config.floatX


def test_computation_graph():
    x = tensor.matrix("x")
    y = tensor.matrix("y")
    z = x + y
    z.name = "z"
    a = z.copy()
    a.name = "a"
    b = z.copy()
    b.name = "b"
    r = tensor.matrix("r")

    cg = ComputationGraph([a, b])
    assert set(cg.inputs) == {x, y}
    assert set(cg.outputs) == {a, b}
    assert set(cg.variables) == {x, y, z, a, b}
    assert cg.variables[2] is z
    assert ComputationGraph(a).inputs == cg.inputs
    assert list(cg) == cg.variables
    assert cg.intermediary_variables == [z]

    cg2 = cg.replace({z: r})
    assert set(cg2.inputs) == {r}
    assert {v.name for v in cg2.outputs} == {"a", "b"}

    W = symbolic.shared(numpy.zeros((3, 3), dtype=floatX))
    cg3 = ComputationGraph([z + W])
    assert set(cg3.shared_variables) == {W}

    cg4 = ComputationGraph([W])
    assert cg4.variables == [W]

    w1 = W**2
    cg5 = ComputationGraph([w1])
    assert W in cg5.variables
    assert w1 in cg5.variables


def test_inputs_exclude_constants_and_shared():
    x = tensor.vector("x")
    W = symbolic.shared(numpy.ones(2), name="W")
    cg = ComputationGraph(x * W + 1)
    assert cg.inputs == [x]
    assert cg.dict_of_inputs() == {"x": x}
    assert cg.shared_variables == [W]
    assert cg.parameters == []
    add_role(W, PARAMETER)
    assert ComputationGraph(x * W).parameters == [W]


def test_rng_state_is_not_a_shared_variable():
    x = tensor.vector("x")
    state = symbolic.shared(numpy.ones(2), name="state")
    state.tag.is_rng = True
    assert ComputationGraph(x + state).shared_variables == []


class Accumulator(Brick):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.total = shared_floatx(0.0, name="total")

    @application
    def apply(self, x, application_call):
        application_call.updates[self.total] = self.total + x.sum()
        application_call.add_auxiliary_variable(x.mean(), name="average")
        return x + 1


def test_auxiliary_variables_and_updates():
    x = tensor.vector("x")
    brick = Accumulator()
    y = brick.apply(x)
    cg = ComputationGraph(y)
    (aux,) = cg.auxiliary_variables
    assert aux.name == "accumulator_apply_average"
    assert aux.tag.name == "average"
    assert aux in cg.variables
    assert list(cg.updates) == [brick.total]
    function = cg.get_theano_function()
    assert function(numpy.ones(3, dtype=floatX))[0].tolist() == [2, 2, 2]
    assert brick.total.get_value() == 3
    extra = shared_floatx(0.0, name="extra")
    function = cg.get_theano_function([(extra, extra + 1)])
    function(numpy.ones(3, dtype=floatX))
    assert extra.get_value() == 1 and brick.total.get_value() == 6


def test_brick_auxiliary_variables_follow_their_host():
    x = tensor.matrix("x")
    linear = Linear(3, 2)
    cg = ComputationGraph(linear.apply(x))
    names = [v.name for v in cg.variables]
    b_index = names.index("b")
    assert names[b_index + 1 : b_index + 3] == ["W_norm", "b_norm"]
    assert [v.name for v in cg.auxiliary_variables] == ["W_norm", "b_norm"]


def test_replace():
    x = tensor.scalar("x")
    y = x + 2
    z = y + 3
    a = z + 5
    cg = ComputationGraph([a])
    cg_new = cg.replace({y: x * 2, z: y * 3})
    function = symbolic.function(cg_new.inputs, cg_new.outputs)
    assert float(function(3.0)[0]) == 23.0
    assert symbolic.pprint(cg_new.outputs[0]) == (
        "(((x * TensorConstant{2}) * TensorConstant{3}) + TensorConstant{5})"
    )
    # The original graph is left alone.
    assert cg.outputs[0] is a
    pairs = cg.replace([(y, x * 2)])
    assert float(symbolic.function(pairs.inputs, pairs.outputs)(3.0)[0]) == 14.0


def test_replace_keeps_tags():
    x = tensor.matrix("x")
    mlp = MLP([Tanh(), Tanh()], [2, 3, 4])
    cg = ComputationGraph(mlp.apply(x))
    (first_input,) = VariableFilter(roles=[INPUT], bricks=[mlp])(cg)
    new_cg = cg.replace({first_input: first_input * 2})
    assert set(new_cg.parameters) == set(cg.parameters)
    (output,) = new_cg.outputs
    assert output is not cg.outputs[0]
    assert output.name == "mlp_apply_output"
    assert output.tag.roles == cg.outputs[0].tag.roles
    assert get_brick(output) is mlp


def test_replace_variable_not_in_graph():
    x = tensor.matrix("x")
    y = x + 1
    cg = ComputationGraph(y)
    with pytest.warns(UserWarning, match="not a part of the computation graph"):
        cg.replace({tensor.matrix("other"): x})


def test_replace_auxiliary_variable():
    x = tensor.vector("x")
    y = Accumulator().apply(x)
    cg = ComputationGraph(y)
    (aux,) = cg.auxiliary_variables
    with pytest.warns(UserWarning, match="auxiliary"):
        cg.replace({aux: tensor.zeros_like(aux)})


def test_has_inputs():
    x = tensor.vector("x")
    W = symbolic.shared(numpy.ones(2))
    y = x * W
    w2 = W * 2
    cg = ComputationGraph([y, w2])
    assert cg.has_inputs(y)
    assert not cg.has_inputs(w2)
    assert not cg.has_inputs(W)


def test_snapshot():
    x = tensor.matrix("x")
    linear = Linear(10, 12, weights_init=Constant(1), biases_init=Constant(0))
    linear.initialize()
    y = linear.apply(x)
    cg = ComputationGraph(y)
    snapshot = cg.get_snapshot({"x": numpy.ones((1, 10), dtype=floatX)})
    assert isinstance(snapshot, OrderedDict)
    assert [var.name for var in snapshot] == [
        "W_norm",
        "b_norm",
        "linear_apply_input_",
        "linear_apply_output",
    ]
    assert_allclose(snapshot[y], 10 * numpy.ones((1, 12)))
    assert_allclose(snapshot[cg.auxiliary_variables[0]], numpy.sqrt(120))
    with pytest.raises(ValueError, match="no data"):
        cg.get_snapshot({})


def test_collect():
    x = tensor.matrix()
    mlp = MLP(
        activations=[Logistic(), Logistic()], dims=[784, 100, 784], use_bias=False
    )
    cost = SquaredError().apply(x, mlp.apply(x))
    cg = ComputationGraph(cost)
    var_filter = VariableFilter(roles=[PARAMETER])
    W1, W2 = var_filter(cg.variables)
    for i, W in enumerate([W1, W2]):
        W.set_value(numpy.ones_like(W.get_value()) * (i + 1))
    new_cg = collect_parameters(cg, cg.shared_variables)
    (collected_parameters,) = new_cg.shared_variables
    assert numpy.all(collected_parameters.get_value()[: 784 * 100] == 1.0)
    assert numpy.all(collected_parameters.get_value()[784 * 100 :] == 2.0)
    assert collected_parameters.ndim == 1
    assert collected_parameters.name == "collected_parameters"
    assert VariableFilter(roles=[COLLECTOR])(new_cg.variables) == [collected_parameters]
    W1_new, W2_new = VariableFilter(roles=[COLLECTED])(new_cg.variables)
    assert W1_new.tag.replacement_of is W1
    assert W2_new.tag.replacement_of is W2
    assert W1_new.ndim == 2
    x_val = numpy.random.RandomState(1).uniform(size=(2, 784)).astype(floatX)
    old = symbolic.function([x], cost)(x_val)
    new = symbolic.function([x], new_cg.outputs[0])(x_val)
    assert_allclose(old, new)


class FakeScan(Op):
    """Stands in for the engine's Scan op: an op with an inner graph."""

    def __init__(self, inputs, outputs):
        self.inputs = inputs
        self.outputs = outputs

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0]


def test_scans_are_collected(monkeypatch):
    monkeypatch.setattr(blocks_graph, "_scan_op_class", lambda: FakeScan)
    inner_x = tensor.vector("inner_x")
    step = Tanh().apply(inner_x)
    scan = FakeScan([inner_x], [step])
    x = tensor.vector("x")
    outer = scan(x) + scan(x * 2)
    other_scan = FakeScan([inner_x], [step])
    cg = ComputationGraph(outer + other_scan(x))
    assert cg.scans == [other_scan, scan] or cg.scans == [scan, other_scan]
    assert len(cg.scans) == 2
    assert all(v in cg.scan_variables for v in scan.inputs + scan.outputs)
    assert [v.tag.name for v in VariableFilter(roles=[INPUT])(cg.scan_variables)] == [
        "input_",
        "input_",
    ]


def test_scans_empty_without_engine_scan(monkeypatch):
    monkeypatch.setattr(blocks_graph, "_scan_op_class", lambda: None)
    cg = ComputationGraph(tensor.vector() + 1)
    assert cg.scans == [] and cg.scan_variables == []


def test_scan_with_engine():
    x = tensor.matrix("x")
    s, _ = symbolic.scan(
        lambda inp, accum: accum + inp,
        sequences=x,
        outputs_info=tensor.zeros_like(x[0]),
    )
    scan = s.owner.inputs[0].owner.op
    cg = ComputationGraph(s)
    assert cg.scans == [scan]
    assert all(v in cg.scan_variables for v in scan.inputs + scan.outputs)


def test_apply_noise():
    x = tensor.scalar()
    y = tensor.scalar()
    z = x + y
    cg = ComputationGraph([z])
    noised_cg = apply_noise(cg, [y], 1)
    assert_allclose(
        noised_cg.outputs[0].eval({x: 1.0, y: 1.0}),
        2 + rng_mrg.MRG_RandomStreams(1).normal(()).eval(),
    )


def test_apply_dropout():
    x = tensor.vector()
    y = tensor.vector()
    z = x * y
    cg = ComputationGraph([z])
    dropped_cg = apply_dropout(cg, [x], 0.4, seed=1)
    x_ = numpy.array([5.0, 6.0, 7.0], dtype=floatX)
    y_ = numpy.array([1.0, 2.0, 3.0], dtype=floatX)
    mask = rng_mrg.MRG_RandomStreams(1).binomial((3,), p=0.6).eval()
    assert_allclose(
        dropped_cg.outputs[0].eval({x: x_, y: y_}), mask * x_ * y_ / 0.6, rtol=1e-5
    )
    (dropped,) = VariableFilter(roles=[DROPOUT])(dropped_cg.variables)
    assert dropped.tag.replacement_of is x


def test_apply_dropout_custom_divisor():
    x = tensor.vector()
    cg = ComputationGraph([x * 1])
    dropped_cg = apply_dropout(cg, [x], 0.4, custom_divisor=2.5, seed=3)
    x_ = numpy.array([5.0, 6.0, 7.0], dtype=floatX)
    mask = rng_mrg.MRG_RandomStreams(3).binomial((3,), p=0.6).eval()
    assert_allclose(dropped_cg.outputs[0].eval({x: x_}), mask * x_ / 2.5, rtol=1e-5)


def test_dropout_mlp_example():
    mlp = MLP(
        [Identity(), Identity()],
        [2, 10, 2],
        weights_init=Constant(1),
        biases_init=Constant(2),
    )
    x = tensor.matrix("x")
    cg = ComputationGraph(mlp.apply(x))
    inputs = VariableFilter(roles=[INPUT])(cg.variables)
    cg_dropout = apply_dropout(cg, inputs, 0.5)
    dropped = VariableFilter(roles=[DROPOUT])(cg_dropout.variables)
    assert {var.tag.replacement_of for var in dropped} == set(inputs)

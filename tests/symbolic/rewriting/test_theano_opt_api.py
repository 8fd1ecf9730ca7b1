"""Rewrites written Theano-style plug into our pipeline and run in FAST_RUN."""

import numpy
import pytest

import symbolic
from symbolic import gof
from symbolic import tensor as T
from symbolic.compile import optdb
from symbolic.gof import Apply, Op
from symbolic.graph.fgraph import FunctionGraph
from symbolic.rewriting.pipeline import remove_rewrite
from symbolic.tensor.opt import (
    register_canonicalize,
    register_specialize,
    register_stabilize,
    register_uncanonicalize,
)


class Twice(Op):
    """A user op, ``2 * x``, that the rewrites below replace by ``x + x``."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = 2 * inputs[0]


twice = Twice()


def _op_types(f):
    return [type(node.op) for node in f.maker.fgraph.toposort()]


@pytest.fixture
def registered():
    names = []
    yield names
    for name in names:
        remove_rewrite(name)


def _fast_run():
    return symbolic.Mode(optimizer="fast_run")


def test_local_optimizer_registered_in_canonicalize_runs_in_fast_run(registered):
    @gof.local_optimizer([twice])
    def local_twice_to_add(node):
        if node.op == twice:
            (x,) = node.inputs
            return [x + x]
        return False

    register_canonicalize(local_twice_to_add)
    registered.append("local_twice_to_add")
    x = T.dvector("x")
    f = symbolic.function([x], twice(x), mode=_fast_run())
    assert Twice not in _op_types(f)
    assert numpy.allclose(f([1.0, 2.0]), [2.0, 4.0])
    # Not tagged fast_compile, so FAST_COMPILE keeps the op; excluding by name too.
    assert Twice in _op_types(symbolic.function([x], twice(x), mode="FAST_COMPILE"))
    mode = _fast_run().excluding("local_twice_to_add")
    assert Twice in _op_types(symbolic.function([x], twice(x), mode=mode))


def test_unregistered_op_stays():
    x = T.dvector("x")
    assert Twice in _op_types(symbolic.function([x], twice(x), mode=_fast_run()))


@pytest.mark.parametrize(
    "register", [register_stabilize, register_specialize, register_uncanonicalize]
)
def test_decorator_form_with_tags_and_fgraph_signature(registered, register):
    @register("fast_compile", name="local_twice_fast")
    @gof.local_optimizer([Twice])
    def local_twice(fgraph, node):
        assert node in fgraph.apply_nodes
        return {node.outputs[0]: node.inputs[0] * 2}

    registered.append("local_twice_fast")
    x = T.dmatrix("x")
    f = symbolic.function([x], twice(x), mode="FAST_COMPILE")
    assert Twice not in _op_types(f)
    assert numpy.allclose(f(numpy.ones((2, 2))), 2.0)


def test_local_optimizer_subclass(registered):
    class TwiceToMul(gof.LocalOptimizer):
        def transform(self, node):
            if isinstance(node.op, Twice):
                return [2 * node.inputs[0]]
            return None

    register_canonicalize(TwiceToMul([Twice]), name="twice_to_mul")
    registered.append("twice_to_mul")
    x = T.dscalar("x")
    f = symbolic.function([x], twice(x), mode=_fast_run())
    assert Twice not in _op_types(f)
    assert float(f(3.0)) == 6.0


def test_optdb_register_by_position(registered):
    sub = gof.TopoOptimizer(gof.OpSub(twice, T.sqr))
    optdb.register("twice_to_sqr", sub, 49.5, "fast_run")
    registered.append("twice_to_sqr")
    x = T.dvector("x")
    f = symbolic.function([x], twice(x), mode=_fast_run())
    assert Twice not in _op_types(f)


def test_opt_in_registration_runs_only_when_included(registered):
    optdb["specialize"].register("twice_opt_in", gof.OpSub(twice, T.sqr), "my_tag")
    registered.append("twice_opt_in")
    x = T.dvector("x")
    assert Twice in _op_types(symbolic.function([x], twice(x), mode=_fast_run()))
    mode = _fast_run().including("my_tag")
    assert Twice not in _op_types(symbolic.function([x], twice(x), mode=mode))


def test_pattern_sub_with_topo_optimizer():
    x = T.dvector("x")
    fgraph = FunctionGraph([x], [T.neg(T.neg(T.exp(x)))])
    gof.TopoOptimizer(gof.PatternSub((T.neg, (T.neg, "y")), "y")).optimize(fgraph)
    (node,) = fgraph.toposort()
    assert node.op == T.exp


def test_pattern_sub_constraint_and_constants():
    x = T.dvector("x")
    keep = {"pattern": "y", "constraint": lambda v: v.name == "keep"}
    sub = gof.PatternSub((T.mul, keep, 1.0), "y")
    fgraph = FunctionGraph([x], [T.mul(x, T.constant(1.0))])
    gof.TopoOptimizer(sub).optimize(fgraph)
    assert fgraph.toposort()[-1].op == T.mul  # the constraint refused x
    named = T.dvector("keep")
    fgraph = FunctionGraph([named], [T.mul(named, T.constant(1.0))])
    gof.TopoOptimizer(sub).optimize(fgraph)
    assert fgraph.outputs[0] is fgraph.inputs[0]


def test_equilibrium_optimizer_reaches_a_fixed_point():
    x = T.dvector("x")
    out = T.neg(T.neg(T.neg(T.neg(x))))
    fgraph = FunctionGraph([x], [out])
    eq = gof.EquilibriumOptimizer(
        [gof.PatternSub((T.neg, (T.neg, "y")), "y")], max_use_ratio=10
    )
    eq.optimize(fgraph)
    assert fgraph.toposort() == []


def test_topo_optimizer_failure_callback_and_order():
    @gof.local_optimizer(None)
    def local_broken(node):
        raise RuntimeError("broken rewrite")

    x = T.dvector("x")
    fgraph = FunctionGraph([x], [T.exp(x)])
    with pytest.raises(RuntimeError, match="broken"):
        gof.TopoOptimizer(local_broken).optimize(fgraph)
    seen = []
    topo = gof.TopoOptimizer(
        local_broken,
        order="out_to_in",
        failure_callback=lambda exc, opt, node: seen.append(node),
    )
    topo.optimize(fgraph)
    assert len(seen) == 1
    with pytest.raises(ValueError, match="order"):
        gof.TopoOptimizer(local_broken, order="sideways")


def test_bad_tracks_are_refused():
    with pytest.raises(TypeError, match="tracks"):
        gof.local_optimizer(["exp"])(lambda node: None)


def test_op_equals_the_user_function_that_applies_it():
    x = T.dvector("x")
    assert T.exp(x).owner.op == T.exp
    assert T.exp(x).owner.op != T.log


def test_global_optimizer_subclass_with_requirements(registered):
    class TwiceRemover(gof.Optimizer):
        def add_requirements(self, fgraph):
            fgraph.attach_feature(gof.toolbox.ReplaceValidate())

        def apply(self, fgraph):
            for node in fgraph.toposort():
                if node.op == twice:
                    x = node.inputs[0]
                    fgraph.replace_validate(node.outputs[0], x + x, reason="twice")

    optdb.register("twice_remover", TwiceRemover(), 1.2, "fast_run")
    registered.append("twice_remover")
    x = T.dvector("x")
    f = symbolic.function([x], twice(twice(x)), mode=_fast_run())
    assert Twice not in _op_types(f)
    assert numpy.allclose(f([1.0]), [4.0])


def test_copy_stack_trace():
    x = T.dvector("x")
    old, new, other = T.exp(x), T.log(x), T.sqrt(x)
    gof.opt.copy_stack_trace(old, new)  # no trace: nothing to copy
    assert not hasattr(new.tag, "trace")
    old.tag.trace = [("user.py", 3, "f", "y = exp(x)")]
    gof.opt.copy_stack_trace([old], [new, other])
    assert new.tag.trace == old.tag.trace == other.tag.trace


def test_subclass_declaring_tracks_by_method(registered):
    class TwiceToAdd(gof.LocalOptimizer):
        def tracks(self):
            return [Twice]

        def transform(self, node):
            return [node.inputs[0] + node.inputs[0]]

    opt = TwiceToAdd()
    assert opt.applies_to(twice(T.dvector("v")).owner)
    assert not opt.applies_to(T.exp(T.dvector("v")).owner)
    register_canonicalize(opt, name="twice_tracks_method")
    registered.append("twice_tracks_method")
    x = T.dvector("x")
    assert Twice not in _op_types(symbolic.function([x], twice(x), mode=_fast_run()))


def test_built_in_names_are_protected_and_user_names_replaced(registered):
    @gof.local_optimizer([Twice])
    def local_constant_folding(node):
        return False

    with pytest.raises(ValueError, match="built-in"):
        register_canonicalize(local_constant_folding)

    @gof.local_optimizer([Twice])
    def local_mine(node):
        return False

    register_canonicalize(local_mine)
    register_specialize(local_mine)  # the second registration replaces the first
    registered.append("local_mine")
    assert remove_rewrite("local_mine") == 1


def test_subclasses_that_skip_the_base_init(registered):
    class TwiceToAdd(gof.LocalOptimizer):
        def __init__(self, label):
            self.label = label

        def tracks(self):
            return [Twice]

        def transform(self, node):
            return [node.inputs[0] + node.inputs[0]]

    class Noop(gof.Optimizer):
        def __init__(self):
            self.calls = 0

        def apply(self, fgraph):
            self.calls += 1

    local = TwiceToAdd("mine")
    register_canonicalize(local, name="twice_no_init")
    registered.append("twice_no_init")
    noop = Noop()
    optdb.register("noop_no_init", noop, 2, "fast_run")
    registered.append("noop_no_init")
    x = T.dvector("x")
    f = symbolic.function([x], twice(x), mode=_fast_run())
    assert Twice not in _op_types(f)
    assert noop.name == "Noop"

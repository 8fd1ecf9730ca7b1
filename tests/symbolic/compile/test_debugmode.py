"""DebugMode: cross-checks of backend, perform, view/destroy maps and rewrites."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends import base
from symbolic.compile.debugmode import (
    BadDestroyMap,
    BadOptimization,
    BadThunkOutput,
    BadViewMap,
    DebugMode,
    DebugVM,
    InvalidValueError,
    values_match,
)
from symbolic.compile.linker import PerformLinker
from symbolic.graph.basic import Apply
from symbolic.graph.op import Op


class _Scale(Op):
    """x * 2, with switches that make it misbehave in one way each."""

    __props__ = ("writes_input", "returns_view")

    def __init__(self, writes_input=False, returns_view=False):
        self.writes_input = writes_input
        self.returns_view = returns_view

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        if self.writes_input:
            x *= 2
            output_storage[0][0] = x.copy()
        elif self.returns_view:
            output_storage[0][0] = x[...]
        else:
            output_storage[0][0] = x * 2


def test_a_correct_function_passes_and_matches():
    x = T.dvector("x")
    f = symbolic.function([x], [T.exp(x) * 2, T.log(1 + x)], mode="DebugMode")
    value = numpy.array([0.0, 1.0, 2.0])
    got = f(value)
    numpy.testing.assert_allclose(got[0], numpy.exp(value) * 2)
    numpy.testing.assert_allclose(got[1], numpy.log1p(value))


def test_perform_writing_an_undeclared_input_is_caught():
    x = T.dvector("x")
    f = symbolic.function([x], _Scale(writes_input=True)(x), mode=DebugMode())
    with pytest.raises(BadDestroyMap, match="destroy_map"):
        f(numpy.ones(3))


def test_an_undeclared_view_is_caught():
    x = T.dvector("x")
    f = symbolic.function([x], _Scale(returns_view=True)(x) + 1, mode=DebugMode())
    with pytest.raises(BadViewMap, match="aliases input 0"):
        f(numpy.ones(3))


def test_a_wrong_rewrite_is_caught():
    def exp_to_log(fgraph):
        for node in list(fgraph.toposort()):
            if getattr(node.op, "scalar_op", None) is not None and (
                type(node.op.scalar_op).__name__ == "Exp"
            ):
                fgraph.replace(node.outputs[0], T.log(node.inputs[0]))
        return fgraph

    x = T.dvector("x")
    f = symbolic.function([x], T.exp(x), mode=DebugMode(optimizer=exp_to_log))
    with pytest.raises(BadOptimization, match="differs from the original"):
        f(numpy.array([1.0, 2.0]))


def test_a_backend_that_disagrees_with_perform_is_caught():
    class CorruptingLinker(PerformLinker):
        def make_vm(self, fgraph, storage_map, profile=None):
            vm = super().make_vm(fgraph, storage_map, profile)
            first = fgraph.toposort()[0].outputs[0]

            def run():
                vm()
                storage_map[first][0] = storage_map[first][0] + 1

            return run

    base.register_linker("corrupting_for_test", CorruptingLinker)
    x = T.dvector("x")
    f = symbolic.function(
        [x], T.exp(x) * 3, mode=DebugMode(linker="corrupting_for_test")
    )
    with pytest.raises(BadThunkOutput, match="disagree"):
        f(numpy.array([1.0, 2.0]))


def test_check_isfinite():
    x = T.dvector("x")
    f = symbolic.function([x], T.log(x), mode=DebugMode(check_isfinite=True))
    with pytest.raises(InvalidValueError, match="nan or inf"):
        f(numpy.array([0.0, 1.0]))
    g = symbolic.function([x], T.log(x), mode=DebugMode(check_isfinite=False))
    assert numpy.isneginf(g(numpy.array([0.0, 1.0]))[0])


def test_updates_and_shared_variables_are_checked():
    w = symbolic.shared(numpy.arange(4.0), name="w")
    x = T.dvector("x")
    f = symbolic.function(
        [x], (w * x).sum(), updates=[(w, w - 0.1 * x)], mode=DebugMode()
    )
    assert f(numpy.ones(4)) == pytest.approx(6.0)
    numpy.testing.assert_allclose(w.get_value(), numpy.arange(4.0) - 0.1)


def test_values_match_tolerances():
    assert values_match(numpy.float32([1.0]), numpy.float32([1.00001]))
    assert not values_match(numpy.float32([1.0]), numpy.float32([1.01]))
    assert not values_match(numpy.array([1, 2]), numpy.array([1, 3]))
    assert not values_match(numpy.zeros(2), numpy.zeros(3))
    assert not values_match(numpy.zeros(2), numpy.zeros(2, "float32"))
    # A stabilized value (finite where the original overflowed) matches.
    assert values_match(numpy.array([-numpy.inf, 1.0]), numpy.array([-700.0, 1.0]))
    assert values_match(numpy.array([numpy.nan]), numpy.array([numpy.nan]))


def test_random_states_compare_by_state():
    first = numpy.random.RandomState(3)
    second = numpy.random.RandomState(3)
    assert values_match(first, second)
    second.uniform()
    assert not values_match(first, second)


def test_in_place_op_reading_its_destroyed_buffer_twice_passes():
    x = T.dvector("x")
    # x*x with x an intermediate: fusion/in-place may write into the buffer
    # that is read as both inputs.
    y = T.exp(x)
    f = symbolic.function([x], y * y + 1, mode=DebugMode())
    value = numpy.array([0.0, 1.0])
    numpy.testing.assert_allclose(f(value), numpy.exp(value) ** 2 + 1)


def test_check_isfinite_defaults_to_the_flag():
    from symbolic.config import change_flags

    with change_flags(DebugMode__check_finite=True):
        assert DebugMode().check_isfinite
    with change_flags(DebugMode__check_finite=False):
        assert not DebugMode().check_isfinite


def test_debugmode_checks_the_configured_linker():
    from symbolic.backends.llvm.linker import LLVMVM
    from symbolic.config import change_flags

    x = T.dvector("x")
    with change_flags(linker="llvm", cxx=""):
        mode = DebugMode()
        f = symbolic.function([x], T.exp(x) * 2 + x, mode=mode)
    assert mode.linker.backend == "llvm"
    assert isinstance(f.vm.backend_vm, LLVMVM)
    value = numpy.array([0.5, -1.0, 2.0])
    numpy.testing.assert_allclose(f(value), numpy.exp(value) * 2 + value)


def test_a_loop_restarts_the_backends_per_loop_state():
    """Each loop must pack its fixed operands again: the C runtime keeps a
    packed copy per loop, recognised by its address, and a scan starts each
    loop through its inner VM's ``start_loop``.  The checking VM did not pass
    that on: a new copy of the weights at the address of the last one (a
    freed buffer the allocator handed out again) reused the stale packing."""
    import importlib

    from symbolic.backends.c.runtime import runtime

    if not runtime.available() or runtime.load().packed_isa() is None:
        pytest.skip("no C runtime or no packed-product kernel on this CPU")
    scan_op = importlib.import_module("symbolic.scan.op")
    rng = numpy.random.RandomState(3)
    W = symbolic.shared((rng.randn(16, 16) * 0.3).astype("float32"), name="W")
    H0 = T.fmatrix("h0")
    out, _ = symbolic.scan(
        lambda h: T.tanh(T.dot(h, W)), outputs_info=[H0], n_steps=3, mode="DebugMode"
    )
    fn = symbolic.function([H0], out[-1], mode="DebugMode")
    h0 = rng.randn(4, 16).astype("float32")
    for _ in range(3):
        current = W.get_value(borrow=True)
        h = h0
        for _ in range(3):
            h = numpy.tanh(h @ current)
        numpy.testing.assert_allclose(fn(h0), h, rtol=1e-5, atol=1e-6)
        current *= 0.5  # in place: the same buffer, the same address
    (node,) = [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, scan_op.Scan)]
    inner = node.op._fn[0]
    assert isinstance(inner, DebugVM)
    # Under another backend (SYMBOLIC_FLAGS=linker=...) neither has one.
    assert getattr(inner, "start_loop", None) == getattr(
        inner.backend_vm, "start_loop", None
    )

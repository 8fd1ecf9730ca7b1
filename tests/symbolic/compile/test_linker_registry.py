"""One registry of linkers: config, Mode and get_linker agree on the names."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.base import Linker, UnknownLinkerError
from symbolic.compile.linker import PerformLinker, get_linker
from symbolic.compile.mode import Mode, predefined_linkers, predefined_optimizers
from symbolic.config import ConfigError, change_flags, config
from symbolic.ops.sum_of_elemwise import SumOfElemwise
from symbolic.rewriting.pipeline import LEVELS
from symbolic.rewriting.rules.c_backend import SUM_OF_ELEMWISE
from symbolic.utils import linkers as registry


@pytest.fixture
def extra_linker():
    """A Python linker registered for one test, then removed."""

    class Doubling(PerformLinker):
        name = "doubling_for_test"

    registry.register_linker("doubling_for_test", Doubling, "a test linker")
    yield Doubling
    registry.unregister_linker("doubling_for_test")


def test_config_mode_and_get_linker_read_the_same_names():
    names = registry.linker_names()
    assert {"auto", "c", "llvm", "py"} <= set(names)
    assert tuple(predefined_linkers) == names
    for name in names:
        with change_flags(linker=name):
            assert config.linker == name
        assert Mode(linker=name).linker == name


def test_a_registered_name_is_accepted_everywhere_at_once(extra_linker):
    with change_flags(linker="doubling_for_test"):
        assert Mode().linker == "doubling_for_test"
    assert isinstance(get_linker("doubling_for_test"), extra_linker)
    assert "doubling_for_test" in predefined_linkers


def test_an_unregistered_name_is_refused_everywhere(extra_linker):
    registry.unregister_linker("doubling_for_test")
    with pytest.raises(ConfigError, match="'c'"):
        config.linker = "doubling_for_test"
    with pytest.raises(ValueError, match=r"unknown linker 'doubling_for_test'.*'llvm'"):
        Mode(linker="doubling_for_test")
    with pytest.raises(UnknownLinkerError, match="'py'"):
        get_linker("doubling_for_test")


def test_bad_registrations_are_refused():
    with pytest.raises(TypeError, match="module:attr"):
        registry.register_linker("broken_for_test", "no_colon_here")
    with pytest.raises(TypeError, match="non-empty string"):
        registry.register_linker("", PerformLinker)
    assert "broken_for_test" not in registry.linker_names()


@pytest.mark.parametrize("name", registry.linker_names())
def test_every_registered_linker_follows_the_protocol(name):
    linker = get_linker(name)
    assert isinstance(linker, Linker)
    assert isinstance(tuple(linker.required_rewrites), tuple)
    assert isinstance(tuple(linker.incompatible_rewrites), tuple)


@pytest.mark.parametrize("name", registry.linker_names())
def test_mode_runs_with_every_linker(name):
    if name == "cuda":
        pytest.skip("needs a GPU; tests/symbolic/backends/cuda runs this linker")
    x = T.dmatrix("x")
    f = symbolic.function(
        [x], [T.tanh(x) * 2, abs(x - 1).sum()], mode=Mode(linker=name)
    )
    getattr(f.vm, "wait", lambda: None)()
    value = numpy.random.default_rng(0).standard_normal((5, 4))
    scaled, total = f(value)
    numpy.testing.assert_allclose(scaled, numpy.tanh(value) * 2, rtol=1e-12)
    numpy.testing.assert_allclose(total, numpy.abs(value - 1).sum(), rtol=1e-12)


def test_a_linker_object_without_make_vm_is_refused():
    class ThunksOnly:
        def make_thunks(self):
            raise AssertionError("never called")

    with pytest.raises(ValueError, match="make_vm"):
        Mode(linker=ThunksOnly())


class _Declaring(PerformLinker):
    def __init__(self, required=(), incompatible=()):
        self.required_rewrites = required
        self.incompatible_rewrites = incompatible


def _ops(f):
    return [node.op for node in f.maker.fgraph.apply_nodes]


def test_required_rewrites_run_for_the_linker_that_needs_them():
    x = T.dvector("x")
    paired = symbolic.function(
        [x], T.exp(x).sum(), mode=Mode(linker=_Declaring((SUM_OF_ELEMWISE,)))
    )
    plain = symbolic.function([x], T.exp(x).sum(), mode=Mode(linker=_Declaring()))
    assert any(isinstance(op, SumOfElemwise) for op in _ops(paired))
    assert not any(isinstance(op, SumOfElemwise) for op in _ops(plain))
    value = numpy.linspace(-1, 1, 7)
    numpy.testing.assert_allclose(paired(value), plain(value), rtol=1e-12)


def test_incompatible_rewrites_are_skipped():
    x = T.dvector("x")
    out = T.exp(x * 2) + 1
    fused = symbolic.function([x], out, mode=Mode(linker=_Declaring()))
    unfused = symbolic.function(
        [x], out, mode=Mode(linker=_Declaring(incompatible=("elemwise_fusion",)))
    )
    assert len(_ops(unfused)) > len(_ops(fused))
    value = numpy.linspace(-1, 1, 5)
    numpy.testing.assert_allclose(fused(value), unfused(value), rtol=1e-12)


def test_optimizer_names_are_the_pipeline_levels():
    assert set(predefined_optimizers) == set(LEVELS) | {None}
    assert Mode(optimizer="None").optimizer is None
    with pytest.raises(ValueError, match="fast_run"):
        Mode(optimizer="fastest")


def test_debugmode_refuses_an_unknown_backend_by_name():
    from symbolic.compile.debugmode import DebugMode

    with pytest.raises(ValueError, match=r"unknown linker 'nope'.*'c'"):
        DebugMode(linker="nope")


def test_theano_style_registration_of_a_linker_object():
    from symbolic.compile.mode import register_linker

    shared_linker = PerformLinker()
    register_linker("instance_for_test", shared_linker)
    try:
        assert predefined_linkers["instance_for_test"] is shared_linker
        x = T.dscalar("x")
        f = symbolic.function([x], x * 3, mode=Mode(linker="instance_for_test"))
        assert f(2.0) == 6.0
    finally:
        registry.unregister_linker("instance_for_test")
    assert isinstance(predefined_linkers["py"], PerformLinker)
    with pytest.raises(KeyError):
        predefined_linkers["instance_for_test"]


def test_theano_linker_objects_follow_the_protocol():
    from symbolic import gof

    linkers = [
        gof.PerformLinker(),
        gof.CLinker(),
        gof.OpWiseCLinker(),
        gof.vm.VM_Linker(),
        gof.WrapLinker([gof.PerformLinker()], lambda i, node, thunk: thunk()),
    ]
    for linker in linkers:
        assert isinstance(linker, Linker), linker
        assert Mode(linker=linker).linker is linker

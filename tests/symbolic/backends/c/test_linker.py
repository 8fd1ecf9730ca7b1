"""CLinker: which graphs it runs, how modes pick it, profiling and fallbacks."""

import logging
import warnings

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c import linker
from symbolic.backends.c.lowering import KINDS
from symbolic.backends.c.runtime import runtime
from symbolic.compile.linker import VM, PerformLinker, get_linker
from symbolic.compile.mode import Mode, get_mode
from symbolic.compile.profiling import ProfileStats
from symbolic.graph.basic import Apply
from symbolic.graph.op import Op

needs_runtime = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)


class Twice(Op):
    """An op with no C lowering."""

    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2


@pytest.mark.parametrize("name", ["auto", "cvm", "c", "c|py", "cvm_nogc"])
def test_c_linker_names_are_served_by_clinker(name):
    assert isinstance(get_linker(name), linker.CLinker)


@pytest.mark.parametrize("name", ["py", "vm"])
def test_python_linker_names_stay_python(name):
    assert isinstance(get_linker(name), PerformLinker)


def test_fast_run_uses_c_and_fast_compile_python():
    # FAST_RUN takes the configured linker: 'auto' by default, a C one here.
    assert isinstance(get_linker(get_mode("FAST_RUN").linker), linker.CLinker)
    assert get_mode("FAST_COMPILE").linker == "py"


@needs_runtime
def test_fast_run_function_runs_a_c_program():
    x = T.dmatrix("x")
    f = symbolic.function([x], T.dot(x, x.T).sum(axis=1), mode="FAST_RUN")
    value = numpy.arange(6.0).reshape(2, 3)
    numpy.testing.assert_allclose(f(value), (value @ value.T).sum(axis=1))
    assert type(f.vm).__name__ == "Program"
    assert KINDS["PYTHON"] not in f.vm.kinds


@needs_runtime
def test_ops_without_lowering_run_their_perform_with_a_note(caplog):
    x = T.dvector("x")
    linker._noted_fallbacks.discard("Twice")
    with caplog.at_level(logging.INFO, logger=linker.__name__):
        f = symbolic.function([x], Twice()(x).sum(), mode=Mode(linker="cvm"))
        symbolic.function([x], Twice()(x), mode=Mode(linker="cvm"))
    assert f(numpy.arange(3.0)) == 6.0
    notes = [r for r in caplog.records if "Twice" in r.getMessage()]
    assert len(notes) == 1
    assert KINDS["PYTHON"] in f.vm.kinds


class Counted(Op):
    """Adds one, counting its calls: shows which branch ran."""

    __props__ = ("tag",)

    def __init__(self, tag):
        self.tag = tag

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        counts = type(self).calls_by_tag
        counts[self.tag] = counts.get(self.tag, 0) + 1
        output_storage[0][0] = inputs[0] + 1


Counted.calls_by_tag = {}


def _ran(tag):
    return Counted.calls_by_tag.pop(tag, 0)


@needs_runtime
def test_lazy_graphs_run_in_the_c_program_and_only_their_chosen_branch():
    from symbolic.ifelse import ifelse

    x = T.dvector("x")
    c = T.lscalar("c")
    out = ifelse(c, Counted("then")(x) * 3, Counted("else")(x).sum() + x)
    f = symbolic.function([c, x], out, mode=Mode(linker="cvm"))
    assert KINDS["BRANCH"] in f.vm.kinds and KINDS["JUMP"] in f.vm.kinds
    numpy.testing.assert_array_equal(f(1, numpy.zeros(2)), [3.0, 3.0])
    assert (_ran("then"), _ran("else")) == (1, 0)
    numpy.testing.assert_array_equal(f(0, numpy.ones(2)), [5.0, 5.0])
    assert (_ran("then"), _ran("else")) == (0, 1)


@needs_runtime
@pytest.mark.parametrize("outer, inner", [(1, 1), (1, 0), (0, 1), (0, 0)])
def test_nested_lazy_nodes_in_the_c_program(outer, inner):
    from symbolic.ifelse import ifelse

    x = T.dvector("x")
    a, b = T.lscalar("a"), T.lscalar("b")
    nested = ifelse(b, Counted("inner then")(x), Counted("inner else")(x) * 10)
    out = ifelse(a, nested * 2, Counted("outer else")(x) - 5)
    f = symbolic.function([a, b, x], out, mode=Mode(linker="cvm"))
    assert f.vm.kinds.count(KINDS["BRANCH"]) == 2
    value = numpy.array([1.0, 2.0])
    got = f(outer, inner, value)
    if outer:
        want = (value + 1) * 2 if inner else (value + 1) * 10 * 2
    else:
        want = value + 1 - 5
    numpy.testing.assert_array_equal(got, want)
    ran = (_ran("inner then"), _ran("inner else"), _ran("outer else"))
    assert ran == (outer and inner, outer and not inner, int(not outer))


@needs_runtime
def test_an_untaken_branch_that_would_fail_is_not_run_by_the_c_program():
    from symbolic.ifelse import ifelse

    a, b = T.dmatrix("a"), T.dmatrix("b")
    c = T.lscalar("c")
    f = symbolic.function(
        [c, a, b], ifelse(c, (a * 2).sum(), (a + b).sum()), mode=Mode(linker="cvm")
    )
    assert f(1, numpy.ones((2, 2)), numpy.ones((3, 3))) == 8.0
    with pytest.raises(ValueError):
        f(0, numpy.ones((2, 2)), numpy.ones((3, 3)))


@needs_runtime
def test_lazy_shared_updates_in_the_c_program():
    """A monitoring accumulator: the first batch replaces, later ones add."""
    from symbolic.ifelse import ifelse

    x = T.dvector("x")
    started = symbolic.shared(0.0, name="started")
    total = symbolic.shared(numpy.zeros(0), name="total")
    previous = ifelse(T.gt(started, 0), total, T.zeros_like(x))
    f = symbolic.function(
        [x],
        [],
        updates=[(total, previous + x), (started, T.ones_like(started))],
        mode=Mode(linker="cvm"),
    )
    assert KINDS["BRANCH"] in f.vm.kinds
    for value in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0]):
        f(numpy.array(value))
    numpy.testing.assert_array_equal(total.get_value(), [9.0, 12.0])


def test_profiled_lazy_graphs_run_on_the_python_vm():
    from symbolic.ifelse import ifelse

    x = T.dvector("x")
    c = T.lscalar("c")
    profile = ProfileStats(atexit_print=False)
    f = symbolic.function(
        [c, x], ifelse(c, x + 1, x * 2), mode=Mode(linker="cvm"), profile=profile
    )
    assert isinstance(f.vm, VM)
    numpy.testing.assert_array_equal(f(1, numpy.zeros(2)), [1.0, 1.0])
    numpy.testing.assert_array_equal(f(0, numpy.ones(2)), [2.0, 2.0])


@needs_runtime
def test_profile_fills_per_node_times_and_counts():
    x = T.dmatrix("x")
    profile = ProfileStats(atexit_print=False)
    f = symbolic.function(
        [x], T.dot(x, x).sum(), mode=Mode(linker="cvm"), profile=profile
    )
    for _ in range(3):
        f(numpy.eye(3))
    nodes = f.maker.fgraph.toposort()
    assert all(profile.apply_callcount[node] == 3 for node in nodes)
    assert all(profile.apply_time[node] > 0 for node in nodes)


@needs_runtime
def test_errors_name_the_node_and_its_inputs():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = symbolic.function([x, y], T.dot(x, y), mode=Mode(linker="cvm"))
    with pytest.raises(ValueError) as info:
        f(numpy.ones((2, 3)), numpy.ones((2, 3)))
    message = str(info.value)
    assert "not aligned" in message
    assert "Apply node that caused the error" in message
    assert "shape=(2, 3)" in message


@needs_runtime
def test_updates_and_repeated_calls_match_the_python_vm():
    results = {}
    for name in ("cvm", "py"):
        w = symbolic.shared(numpy.ones((2, 2)), name="w")
        x = T.dmatrix("x")
        out = T.dot(x, w)
        f = symbolic.function(
            [x], out, updates=[(w, w + T.dot(x.T, out))], mode=Mode(linker=name)
        )
        calls = [f(numpy.eye(2) * k) for k in (1.0, 2.0, 3.0)]
        results[name] = calls + [w.get_value()]
    assert not numpy.shares_memory(results["cvm"][0], results["cvm"][1])
    for got, want in zip(results["cvm"], results["py"]):
        numpy.testing.assert_array_equal(got, want)


def test_without_a_runtime_functions_fall_back_with_one_warning(monkeypatch):
    def unavailable():
        raise runtime.RuntimeUnavailable("no compiler in this test")

    monkeypatch.setattr(runtime, "load", unavailable)
    monkeypatch.setattr(linker, "_warned_no_runtime", False)
    x = T.dvector("x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = symbolic.function([x], x * 2, mode=Mode(linker="cvm"))
        g = symbolic.function([x], x * 3, mode=Mode(linker="cvm"))
    numpy.testing.assert_array_equal(f(numpy.ones(2)), [2.0, 2.0])
    numpy.testing.assert_array_equal(g(numpy.ones(2)), [3.0, 3.0])
    messages = [str(w.message) for w in caught if "C runtime" in str(w.message)]
    assert len(messages) == 1
    assert "no compiler in this test" in messages[0]


def test_without_a_runtime_strict_linker_raises(monkeypatch):
    def unavailable():
        raise runtime.RuntimeUnavailable("no compiler")

    monkeypatch.setattr(runtime, "load", unavailable)
    x = T.dvector("x")
    fgraph = symbolic.function([x], x * 2, mode=Mode(linker="py")).maker.fgraph
    with pytest.raises(runtime.RuntimeUnavailable):
        linker.CLinker(allow_fallback=False).make_vm(fgraph, {}, None)

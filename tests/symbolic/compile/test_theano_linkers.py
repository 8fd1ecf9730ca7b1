"""Theano's linker classes (gof.PerformLinker, CLinker, OpWiseCLinker, WrapLinker,
WrapLinkerMany, vm.VM_Linker) and ProfileMode, over our linkers."""

import numpy
import pytest

import symbolic as theano
import symbolic.tensor as T
from symbolic import gof

X = numpy.array([[1.0, -2.0], [0.5, 3.0]])


def _graph():
    x = T.dmatrix("x")
    return x, T.tanh(T.dot(x, x) + 1).sum()


def _expected():
    return numpy.tanh(X @ X + 1).sum()


@pytest.mark.parametrize(
    "linker",
    [gof.PerformLinker, gof.CLinker, gof.OpWiseCLinker, gof.vm.VM_Linker],
)
def test_linker_objects_make_modes(linker):
    x, y = _graph()
    f = theano.function([x], y, mode=theano.Mode(linker(), "fast_run"))
    assert f(X) == pytest.approx(_expected())


@pytest.mark.parametrize("inner", [gof.PerformLinker, gof.OpWiseCLinker])
def test_wrap_linker_calls_its_wrapper_once_per_node(inner):
    seen = []

    def wrapper(i, node, fn):
        assert all(cell[0] is not None for cell in fn.inputs)
        fn()
        seen.append((i, node, [cell[0] for cell in fn.outputs]))

    x, y = _graph()
    mode = theano.Mode(gof.WrapLinker([inner()], wrapper), "fast_run")
    f = theano.function([x], y, mode=mode)
    assert f(X) == pytest.approx(_expected())
    nodes = f.maker.fgraph.toposort()
    assert [i for i, _, _ in seen] == list(range(len(nodes)))
    assert [node for _, node, _ in seen] == nodes
    assert seen[-1][2][0] == pytest.approx(_expected())


def test_wrap_linker_with_two_linkers_compares_them():
    diffs = []

    def compare(i, node, py, c):
        py()
        c()
        for a, b in zip(py.outputs, c.outputs):
            diffs.append(numpy.max(numpy.abs(numpy.asarray(a[0]) - b[0])))

    x, y = _graph()
    linker = gof.WrapLinker([gof.PerformLinker(), gof.OpWiseCLinker()], compare)
    f = theano.function([x], y, mode=theano.Mode(linker, "fast_run"))
    assert f(X) == pytest.approx(_expected())
    assert diffs and max(diffs) < 1e-12


def test_wrap_linker_many_calls_every_wrapper_in_order():
    calls = []

    def first(i, node, fn):
        calls.append(("first", i))
        fn()

    def second(i, node, fn):
        calls.append(("second", i))

    x, y = _graph()
    linker = gof.WrapLinkerMany([gof.PerformLinker()], [first, second])
    f = theano.function([x], y, mode=theano.Mode(linker, "fast_run"))
    f(X)
    n = len(f.maker.fgraph.toposort())
    assert calls == [(name, i) for i in range(n) for name in ("first", "second")]


def test_wrap_linker_needs_a_linker():
    with pytest.raises(ValueError, match="at least one linker"):
        gof.WrapLinker([], print)


def test_vm_linker_callback_sees_every_node():
    seen = []

    def callback(node, thunk, storage_map, compute_map):
        assert all(compute_map[v][0] for v in node.outputs)
        seen.append(node)

    x, y = _graph()
    mode = theano.Mode(gof.vm.VM_Linker(callback=callback), "fast_run")
    f = theano.function([x], y, mode=mode)
    assert f(X) == pytest.approx(_expected())
    assert seen == f.maker.fgraph.toposort()


def test_profile_mode_records_every_function():
    mode = theano.ProfileMode(optimizer="fast_run", linker=gof.OpWiseCLinker())
    x, y = _graph()
    f = theano.function([x], y, mode=mode, name="f")
    g = theano.function([x], 2 * x, mode=mode)
    f(X)
    f(X)
    g(X)
    assert [s.fct_callcount for s in mode.profile_stats] == [2, 1]
    assert sum(mode.profile_stats[0].apply_callcount.values()) == 2 * len(
        f.maker.fgraph.toposort()
    )
    assert theano.compile.ProfileMode is theano.ProfileMode
    assert isinstance(theano.compile.get_mode("ProfileMode"), theano.ProfileMode)
    assert isinstance(mode.excluding("inplace"), theano.ProfileMode)


def test_unknown_linker_names_the_choices():
    with pytest.raises(ValueError, match="linker object"):
        theano.Mode(linker=object())


def test_zero_is_a_floatx_constant():
    assert T.zero().dtype == theano.config.floatX
    assert T.zero().eval() == 0

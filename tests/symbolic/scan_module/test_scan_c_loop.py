"""Scan's loop in the C runtime: the same results and errors as the Python loop.

Each function runs once with ``scan__c_loop`` off (every step in Python) and
once with it on (step 0 in Python, the others in ``_runtime.scan_loop``); the
outputs must be equal bit for bit, and the C loop must really have run.
"""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.runtime import runtime
from symbolic.compile.mode import Mode, get_mode
from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.scan_module import scan, scan_perform, until
from symbolic.scan_module.scan_op import Scan

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)

rng = numpy.random.RandomState(11)
FAST_RUN = get_mode("FAST_RUN")


def scan_op(f):
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    return node.op


@pytest.fixture
def c_calls(monkeypatch):
    """(start, stop, steps done) of every scan_loop call; None when it raised."""
    calls = []
    real = scan_perform._c_loop

    def counted():
        loop = real()
        if loop is None:
            return None

        def run(*args):
            calls.append((args[5], args[6], None))
            done = loop(*args)
            calls[-1] = (args[5], args[6], done)
            return done

        return run

    monkeypatch.setattr(scan_perform, "_c_loop", counted)
    return calls


def run_both(f, values, c_calls):
    """Outputs of ``f(*values)`` with the Python loop, then with the C loop."""
    with symbolic.change_flags(scan__c_loop=False):
        expected = f(*values)
    assert c_calls == []
    got = f(*values)
    return expected, got


def assert_same(expected, got):
    if not isinstance(expected, list):
        expected, got = [expected], [got]
    for e, g in zip(expected, got):
        assert e.dtype == g.dtype
        numpy.testing.assert_array_equal(g, e)


def check(inputs, outputs, values, c_calls, n_steps, mode=None):
    f = symbolic.function(inputs, outputs, mode=mode)
    expected, got = run_both(f, values, c_calls)
    assert_same(expected, got)
    # DebugMode runs each scan more than once.
    assert set(c_calls) == {(1, n_steps, n_steps)}
    return f


def test_sequence_taps_and_sit_sot(c_calls):
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    hs, _ = scan(
        lambda a, b, c, h: T.tanh(h + a * b - c),
        sequences={"input": x, "taps": [-2, 0, 1]},
        outputs_info=h0,
    )
    check([x, h0], hs, [rng.randn(9, 3), rng.randn(3)], c_calls, 6)


def test_mit_sot_with_several_taps(c_calls):
    x = T.dvector("x")
    init = T.dmatrix("init")
    out, _ = scan(
        lambda v, a, b, c: a * 0.5 + b * c * 0.1 + v,
        sequences=x,
        outputs_info={"initial": init, "taps": [-4, -2, -1]},
    )
    check([x, init], out, [rng.randn(8), rng.randn(4, 2)], c_calls, 8)


def test_keep_last_circular_buffers(c_calls):
    x = T.dmatrix("x")
    init = T.dmatrix("init")
    h0 = T.dvector("h0")

    def step(v, a, b, h):
        return a - b * 0.5 + v, T.tanh(h + v), v * 2

    (fib, hs, ys), _ = scan(
        step,
        sequences=x,
        outputs_info=[{"initial": init, "taps": [-3, -1]}, h0, None],
    )
    f = check(
        [x, init, h0],
        [fib[-1], hs[-1], ys[-1]],
        [rng.randn(7, 2), rng.randn(3, 2), rng.randn(2)],
        c_calls,
        7,
        mode=FAST_RUN,
    )
    assert all(scan_op(f).keep_last)


def test_nit_sot_outputs(c_calls):
    x = T.dtensor3("x")
    h0 = T.dmatrix("h0")

    def step(v, h):
        h_new = T.tanh(T.dot(v, h))
        return h_new, h_new.sum(axis=0), v.T

    (hs, sums, flipped), _ = scan(step, sequences=x, outputs_info=[h0, None, None])
    values = [rng.randn(5, 3, 3), rng.randn(3, 3)]
    check([x, h0], [hs, sums, flipped], values, c_calls, 5)


def test_go_backwards(c_calls):
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    hs, _ = scan(
        lambda v, h: h * 0.9 + v, sequences=x, outputs_info=h0, go_backwards=True
    )
    check([x, h0], hs, [rng.randn(6, 4), rng.randn(4)], c_calls, 6)


@pytest.mark.parametrize("limit, steps", [(0.5, 1), (1.5, 2), (10.0, 5), (1e9, 20)])
def test_until_stops_early(c_calls, limit, steps):
    x0 = T.dscalar("x0")
    bound = T.dscalar("bound")
    out, _ = scan(
        lambda prev: (prev * 2, until(prev * 2 > bound)),
        outputs_info=x0,
        n_steps=20,
    )
    f = symbolic.function([x0, bound], out)
    expected, got = run_both(f, [0.5, limit], c_calls)
    assert_same(expected, got)
    assert len(got) == steps
    assert set(c_calls) == (set() if steps == 1 else {(1, 20, steps)})


@pytest.mark.parametrize("dtype", ["int8", "bool", "complex128", "float32"])
def test_other_dtypes(c_calls, dtype):
    x = T.matrix("x", dtype=dtype)
    h0 = T.vector("h0", dtype=dtype)
    hs, _ = scan(lambda v, h: v, sequences=x, outputs_info=h0)
    ys, _ = scan(lambda v: v[::-1], sequences=x)
    values = [rng.randn(5, 3).astype(dtype), rng.randn(3).astype(dtype)]
    check([x, h0], [hs, ys], values, c_calls, 5)


class AsNumpyScalar(Op):
    """Returns its 0-d input as a numpy scalar, which the C copy leaves to numpy."""

    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0][()] + 1


def test_values_the_c_copy_leaves_to_numpy(c_calls, monkeypatch):
    stored = []
    real_store = scan_perform._store

    def counted_store(buf, index, value, name):
        stored.append(index)
        real_store(buf, index, value, name)

    monkeypatch.setattr(scan_perform, "_store", counted_store)
    x = T.dvector("x")
    ys, _ = scan(lambda v: AsNumpyScalar()(v), sequences=x)
    zs, _ = scan(lambda v: v * 2, sequences=x)
    check([x], [ys, zs], [rng.randn(6)], c_calls, 6, mode=FAST_RUN)
    # The Python loop stores all 12 rows; then step 0 of each loop is stored in
    # Python, and the C loop hands numpy only the 5 later numpy scalars.
    assert len(stored) == 12 + 2 + 5


def test_step_output_of_another_shape_raises_the_python_message(c_calls):
    n = T.lvector("n")
    h0 = T.dvector("h0")
    hs, _ = scan(lambda k, h: h[:k] * 2, sequences=n, outputs_info=h0)
    ys, _ = scan(lambda k: T.ones((k,)), sequences=n)
    for out in (hs, ys):
        f = symbolic.function([n, h0], out, on_unused_input="ignore")
        # The wrong shape comes at the first step of the C loop, then later.
        for lengths in ([3, 2], [3, 3, 3, 2]):
            values = [numpy.array(lengths), numpy.ones(3)]
            with symbolic.change_flags(scan__c_loop=False):
                with pytest.raises(ValueError) as py_error:
                    f(*values)
            with pytest.raises(ValueError, match="does not fit the output") as c_error:
                f(*values)
            assert str(c_error.value) == str(py_error.value)
    assert set(c_calls) == {(1, 2, None), (1, 4, None)}


@pytest.mark.parametrize("n_steps", [0, 1])
def test_zero_and_one_steps_stay_in_python(c_calls, n_steps):
    n = T.lscalar("n")
    h0 = T.dvector("h0")
    (hs, ys), _ = scan(lambda h: (h * 2, h.sum()), outputs_info=[h0, None], n_steps=n)
    f = symbolic.function([n, h0], [hs, ys])
    expected, got = run_both(f, [n_steps, numpy.ones(3)], c_calls)
    assert_same(expected, got)
    assert len(got[0]) == n_steps
    assert c_calls == []


class FailsOnNegative(Op):
    """Raises at the first negative input."""

    __props__ = ()

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        if inputs[0] < 0:
            raise ArithmeticError(f"negative input {float(inputs[0])}")
        output_storage[0][0] = inputs[0].copy()


def test_errors_inside_the_inner_graph_propagate_unchanged(c_calls):
    x = T.dvector("x")
    ys, _ = scan(lambda v: FailsOnNegative()(v) + 1, sequences=x)
    f = symbolic.function([x], ys)
    values = numpy.array([1.0, 2.0, 3.0, -4.0, 5.0])
    with symbolic.change_flags(scan__c_loop=False):
        with pytest.raises(ArithmeticError) as py_error:
            f(values)
    with pytest.raises(ArithmeticError) as c_error:
        f(values)
    assert str(c_error.value) == str(py_error.value)
    assert "negative input -4.0" in str(c_error.value)
    assert set(c_calls) == {(1, 5, None)}


def test_python_inner_vm(c_calls):
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    hs, _ = scan(
        lambda v, h: T.tanh(h + v), sequences=x, outputs_info=h0, mode=Mode("py")
    )
    f = check([x, h0], hs, [rng.randn(4, 3), rng.randn(3)], c_calls, 4)
    assert not isinstance(scan_op(f)._fn[0], runtime.load().Program)


def test_shared_updates_keep_the_python_loop(c_calls):
    counter = symbolic.shared(numpy.float64(0), name="counter")
    x = T.dvector("x")
    out, updates = scan(lambda v: (v + counter, {counter: counter + 1}), sequences=x)
    f = symbolic.function([x], out, updates=updates)
    numpy.testing.assert_array_equal(f(numpy.zeros(4)), [0, 1, 2, 3])
    assert c_calls == []


def test_scalar_rows_reach_the_inner_program_as_arrays():
    # A numpy scalar would send every inner entry to its Python thunk.
    x = T.dvector("x")
    h0 = T.dscalar("h0")
    out, _ = scan(
        lambda v, h: T.tanh(h * v + 1), sequences=x, outputs_info=h0, mode=FAST_RUN
    )
    with symbolic.change_flags(compile__background=False):
        f = symbolic.function([x, h0], out, mode=FAST_RUN)
        f(numpy.ones(5), 0.5)  # the inner graph compiles at the first call
    vm = scan_op(f)._fn[0]
    assert isinstance(vm, runtime.load().Program)
    assert vm.slow_calls() == [0] * len(vm.slow_calls())

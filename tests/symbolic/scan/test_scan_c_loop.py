"""Scan's loop in the C runtime: the same results and errors as the Python loop.

Each function runs once with ``scan__c_loop`` off (every step in Python) and
once with it on (step 0 in Python, the others in ``_runtime.scan_loop``); the
outputs must be equal bit for bit, and the C loop must really have run.
"""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.lowering import scan as scan_lowering
from symbolic.backends.c.runtime import runtime
from symbolic.compile.mode import Mode, get_mode
from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.scan.op import Scan, _made_in
from symbolic.scan_module import scan, scan_perform, until

pytestmark = [
    pytest.mark.skipif(
        not runtime.available(), reason="the C runtime cannot be built here"
    ),
    pytest.mark.c_backend,
]

rng = numpy.random.RandomState(11)
FAST_RUN = get_mode("FAST_RUN")


def scan_op(f):
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    return node.op


@pytest.fixture
def c_calls(monkeypatch):
    """(start, stop, steps done) of every scan_loop call; None when it raised."""
    calls = []
    real = scan_lowering._c_loop

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

    monkeypatch.setattr(scan_lowering, "_c_loop", counted)
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


# Output rows computed in place ------------------------------------------------
# The C loop hands each step's output rows to the inner program, whose entries
# write their results there; ``rows_in_place`` counts the copies skipped.


@pytest.fixture
def every_row(monkeypatch):
    """Rows of any size are computed in place, not just large ones."""
    monkeypatch.setattr(scan_perform, "PLACE_MIN_BYTES", 0)


def check_in_place(inputs, outputs, values, c_calls, n_steps, mode=FAST_RUN):
    """Like ``check``, with a compiled inner program; the rows done in place."""
    module = runtime.load()
    # Compiled kernels at once: a program still compiling gets no rows; and
    # the inner graph compiled by the C linker whatever the suite's mode (a
    # scan without a mode compiles its step with the default mode).
    with symbolic.change_flags(compile__background=False, mode="FAST_RUN"):
        f = symbolic.function(inputs, outputs, mode=mode)
        with symbolic.change_flags(scan__c_loop=False):
            expected = f(*values)
        before = module.rows_in_place()
        got = f(*values)
        done = module.rows_in_place() - before
    assert_same(expected, got)
    assert (1, n_steps, n_steps) in c_calls
    return f, got, done


def made_in(f, k):
    """The inner variable whose cell gets inner output ``k``'s rows, or None."""
    return _made_in(scan_op(f)._fn[3].outputs[k])


@pytest.mark.usefixtures("every_row")
def test_rnn_state_rows_computed_in_place(c_calls):
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    W = T.dmatrix("W")
    hs, _ = scan(lambda v, h: T.tanh(T.dot(h, W) + v), sequences=x, outputs_info=h0)
    values = [rng.randn(6, 4), rng.randn(4), rng.randn(4, 4)]
    f, _, done = check_in_place([x, h0, W], hs, values, c_calls, 6)
    assert done == 5
    # The in-place tanh overwrites the product, so the product is made in the row.
    (out,) = scan_op(f).outputs
    assert made_in(f, 0) is not out
    # No inner cell keeps a view of the returned buffer: they are emptied.
    _, in_cells, out_cells = scan_op(f)._fn[:3]
    assert all(cell[0] is None for cell in (*in_cells, *out_cells))


@pytest.mark.usefixtures("every_row")
def test_lstm_outputs_and_nit_sots_computed_in_place(c_calls):
    X = T.dtensor3("X")
    h0 = T.dmatrix("h0")
    c0 = T.dmatrix("c0")
    W = T.dmatrix("W")
    U = T.dmatrix("U")

    def step(x_t, h, c):
        z = T.dot(x_t, W) + T.dot(h, U)
        i = T.nnet.sigmoid(z[:, :3])
        f = T.nnet.sigmoid(z[:, 3:6])
        o = T.nnet.sigmoid(z[:, 6:9])
        c_new = f * c + i * T.tanh(z[:, 9:])
        h_new = o * T.tanh(c_new)
        return h_new, c_new, i, z, h_new.sum(axis=1)

    outputs, _ = scan(step, sequences=X, outputs_info=[h0, c0, None, None, None])
    values = [rng.randn(7, 2, 5), rng.randn(2, 3), rng.randn(2, 3)]
    values += [rng.randn(5, 12), rng.randn(3, 12)]
    _, _, done = check_in_place([X, h0, c0, W, U], outputs, values, c_calls, 7)
    assert done == 5 * 6


@pytest.mark.usefixtures("every_row")
def test_keep_last_state_rows_are_copied(c_calls):
    # The oldest tap reads the row a circular buffer's step writes: no
    # placing there; the nit-sot's single row is placed on every step.
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
    values = [rng.randn(7, 2), rng.randn(3, 2), rng.randn(2)]
    f, _, done = check_in_place(
        [x, init, h0], [fib[-1], hs[-1], ys[-1]], values, c_calls, 7
    )
    assert all(scan_op(f).keep_last)
    assert done == 6


@pytest.mark.usefixtures("every_row")
def test_mit_sot_rows_computed_in_place(c_calls):
    x = T.dvector("x")
    init = T.dmatrix("init")
    out, _ = scan(
        lambda v, a, b, c: a * 0.5 + b * c * 0.1 + v,
        sequences=x,
        outputs_info={"initial": init, "taps": [-4, -2, -1]},
    )
    values = [rng.randn(8), rng.randn(4, 2)]
    _, _, done = check_in_place([x, init], out, values, c_calls, 8)
    assert done == 7


@pytest.mark.usefixtures("every_row")
def test_outputs_no_node_makes_are_copied(c_calls):
    # An inner input passed through, and a view of a computed value.
    x = T.dtensor3("x")
    h0 = T.dmatrix("h0")
    M = T.dmatrix("M")

    def step(v, h):
        h_new = T.tanh(T.dot(h, M) + v)
        return h_new, h_new.T, h

    outputs, _ = scan(step, sequences=x, outputs_info=[h0, None, None])
    values = [rng.randn(5, 3, 3), rng.randn(3, 3), rng.randn(3, 3)]
    f, _, done = check_in_place([x, h0, M], outputs, values, c_calls, 5)
    assert [made_in(f, k) for k in (1, 2)] == [None, None]
    assert done == 4


@pytest.mark.usefixtures("every_row")
def test_one_value_in_two_outputs_is_copied(c_calls):
    x = T.dmatrix("x")
    (a, b), _ = scan(lambda v: (T.exp(v), T.exp(v)), sequences=x)
    # Without the rewrite that collects one of two equal outputs only.
    two_outputs = FAST_RUN.excluding("scan_collected_copies")
    _, _, done = check_in_place(
        [x], [a, b], [rng.randn(5, 3)], c_calls, 5, mode=two_outputs
    )
    assert done == 0


@pytest.mark.usefixtures("every_row")
def test_nested_scans_compute_rows_in_place(c_calls):
    x = T.dtensor3("x")
    h0 = T.dvector("h0")

    def outer(rows, h):
        inner, _ = scan(lambda r, g: T.tanh(g + r), sequences=rows, outputs_info=h)
        return T.tanh(inner[-1]) * 2, inner

    outputs, _ = scan(outer, sequences=x, outputs_info=[h0, None])
    values = [rng.randn(4, 5, 3), rng.randn(3)]
    _, _, done = check_in_place([x, h0], outputs, values, c_calls, 4)
    # The outer loop's 3 state rows, and 4 rows of each of the 4 inner loops.
    assert done == 3 + 4 * 4


@pytest.mark.usefixtures("every_row")
def test_rows_stop_at_the_step_that_sets_the_condition(c_calls):
    x0 = T.dvector("x0")
    bound = T.dscalar("bound")
    out, _ = scan(
        lambda prev: (T.tanh(prev) * 2 + 1, until(prev.sum() > bound)),
        outputs_info=x0,
        n_steps=20,
    )
    values = [numpy.zeros(3), 7.5]
    module = runtime.load()
    with symbolic.change_flags(compile__background=False, mode="FAST_RUN"):
        f = symbolic.function([x0, bound], out, mode=FAST_RUN)
        with symbolic.change_flags(scan__c_loop=False):
            expected = f(*values)
        before = module.rows_in_place()
        got = f(*values)
    assert_same(expected, got)
    assert len(got) == 3
    assert c_calls == [(1, 20, 3)]
    assert module.rows_in_place() - before == 2


@pytest.mark.parametrize("size, rows", [(4, 0), (511, 0), (512, 5)])
def test_rows_from_4_kb_are_computed_in_place(c_calls, size, rows):
    # Below that, making a view of the row costs more than copying it.
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    hs, _ = scan(lambda v, h: T.tanh(h * 0.5 + v), sequences=x, outputs_info=h0)
    values = [rng.randn(6, size), rng.randn(size)]
    _, _, done = check_in_place([x, h0], hs, values, c_calls, 6)
    assert done == rows


def test_output_buffers_are_reused_only_when_nothing_holds_them():
    """A loop's output buffers are reused by the next call once no one holds
    them (no fresh pages every call); a returned output is never overwritten."""
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    hs, _ = scan(lambda v, h: T.tanh(h + v), sequences=x, outputs_info=h0)
    values = [rng.randn(6, 4), rng.randn(4)]
    # The states feed another op: the buffer is an intermediate the
    # function's program keeps in its cell between calls.
    f = symbolic.function([x, h0], (hs * 2).sum(axis=0))
    first = f(*values)
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    (cell,) = [f._storage_map[out] for out in node.outputs]
    address = cell[0].ctypes.data  # holding the array itself would pin it
    second = f(*values)
    assert cell[0].ctypes.data == address
    numpy.testing.assert_array_equal(first, second)
    # Returned to the caller, the states keep their values across calls.
    g = symbolic.function([x, h0], hs)
    kept = g(*values)
    copy = kept.copy()
    other = g(rng.randn(6, 4), rng.randn(4))
    assert not numpy.shares_memory(kept, other)
    numpy.testing.assert_array_equal(kept, copy)

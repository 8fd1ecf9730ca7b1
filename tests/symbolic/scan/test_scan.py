"""scan against numpy loops: sequences, taps, states, n_steps, until, updates."""

import pickle

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
import symbolic.tensor as T
from symbolic.scan.op import Scan
from symbolic.scan_module import foldl, foldr, map, reduce, scan, until

rng = numpy.random.RandomState(42)


def f64(*shape):
    return rng.randn(*shape)


def scan_node(var):
    """The Scan Apply behind a scan output (through its [1:] cut, if any)."""
    owner = var.owner
    while not isinstance(owner.op, Scan):
        owner = owner.inputs[0].owner
    return owner


def test_cumulative_sum_sit_sot():
    x = T.dvector("x")
    s, updates = scan(
        lambda v, acc: acc + v, sequences=x, outputs_info=T.constant(numpy.float64(0))
    )
    assert len(updates) == 0
    value = f64(7)
    assert_allclose(symbolic.function([x], s)(value), numpy.cumsum(value))


def test_rnn_matches_numpy_loop():
    X = T.dmatrix("X")
    h0 = T.dvector("h0")
    W = symbolic.shared(f64(3, 4), name="W")
    U = T.dmatrix("U")

    def step(x_t, h, U):
        return T.tanh(T.dot(x_t, W) + T.dot(h, U))

    hs, _ = scan(step, sequences=X, outputs_info=h0, non_sequences=U)
    xv, h0v, uv = f64(6, 3), f64(4), f64(4, 4) * 0.3
    got = symbolic.function([X, h0, U], hs)(xv, h0v, uv)
    h, expected = h0v, []
    for t in range(6):
        h = numpy.tanh(xv[t] @ W.get_value() + h @ uv)
        expected.append(h)
    assert got.shape == (6, 4)
    assert_allclose(got, numpy.array(expected))


def test_several_outputs_mixed_kinds():
    x = T.dvector("x")
    init = T.dscalar("init")

    def step(v, acc):
        return acc + v, v * 2, acc * v

    outs, _ = scan(step, sequences=x, outputs_info=[init, None, None])
    total, doubled, product = outs
    xv = f64(5)
    got = symbolic.function([x, init], [total, doubled, product])(xv, 1.5)
    acc, totals, prods = 1.5, [], []
    for v in xv:
        prods.append(acc * v)
        acc = acc + v
        totals.append(acc)
    assert_allclose(got[0], totals)
    assert_allclose(got[1], xv * 2)
    assert_allclose(got[2], prods)


def test_nit_sot_only_and_no_outputs_info():
    x = T.dmatrix("x")
    y, _ = scan(lambda row: row.sum(), sequences=x)
    xv = f64(4, 3)
    assert_allclose(symbolic.function([x], y)(xv), xv.sum(axis=1))


def test_mit_sot_multiple_negative_taps():
    init = T.dvector("init")
    n = T.iscalar("n")
    out, _ = scan(
        lambda a, b: a + b,
        outputs_info={"initial": init, "taps": [-2, -1]},
        n_steps=n,
    )
    got = symbolic.function([init, n], out)(numpy.array([0.0, 1.0]), 8)
    assert_allclose(got, [1, 2, 3, 5, 8, 13, 21, 34])


def test_mit_sot_uses_first_rows_of_initial():
    init = T.dmatrix("init")
    out, _ = scan(
        lambda a, c: a * 10 + c,
        outputs_info={"initial": init, "taps": [-3, -1]},
        n_steps=3,
    )
    iv = numpy.arange(8.0).reshape(4, 2)
    rows = list(iv[:3])
    for _ in range(3):
        rows.append(rows[-3] * 10 + rows[-1])
    got = symbolic.function([init], out)(iv)
    assert_allclose(got, numpy.array(rows[3:]))


def test_sequence_taps_negative_and_positive():
    x = T.dvector("x")
    out, _ = scan(
        lambda a, b, c: a * 100 + b * 10 + c,
        sequences={"input": x, "taps": [-2, 0, 1]},
    )
    xv = numpy.arange(1.0, 8.0)
    expected = [xv[t - 2] * 100 + xv[t] * 10 + xv[t + 1] for t in range(2, 6)]
    assert_allclose(symbolic.function([x], out)(xv), expected)


def test_go_backwards_iterates_from_the_end():
    x = T.dvector("x")
    s, _ = scan(
        lambda v, acc: acc * 2 + v,
        sequences=x,
        outputs_info=T.constant(numpy.float64(0)),
        go_backwards=True,
    )
    xv = f64(5)
    acc, expected = 0.0, []
    for v in xv[::-1]:
        acc = acc * 2 + v
        expected.append(acc)
    assert_allclose(symbolic.function([x], s)(xv), expected)


def test_n_steps_cuts_sequences_and_symbolic_n_steps():
    x = T.dvector("x")
    n = T.lscalar("n")
    s, _ = scan(lambda v: v + 1, sequences=x, n_steps=n)
    f = symbolic.function([x, n], s)
    assert_allclose(f(numpy.arange(6.0), 3), [1, 2, 3])
    with pytest.raises(ValueError, match="fewer than"):
        f(numpy.arange(2.0), 4)
    # The shortest sequence decides without n_steps.
    y = T.dvector("y")
    s2, _ = scan(lambda a, b: a + b, sequences=[x, y])
    assert_allclose(
        symbolic.function([x, y], s2)(numpy.ones(5), numpy.arange(3.0)), [1, 2, 3]
    )


def test_constant_n_steps_one_builds_no_scan():
    h0 = T.dvector("h0")
    out, _ = scan(lambda h: h * 3, outputs_info=h0, n_steps=1)
    assert out.broadcastable == (False, False)
    assert_allclose(symbolic.function([h0], out)(numpy.ones(2)), [[3.0, 3.0]])
    from symbolic.graph.traversal import ancestors

    assert not any(
        v.owner is not None and isinstance(v.owner.op, Scan) for v in ancestors([out])
    )


def test_until_stops_after_condition():
    out, _ = scan(
        lambda prev: (prev * 2, until(prev * 2 > 50)),
        outputs_info=T.constant(numpy.float64(1)),
        n_steps=100,
    )
    got = symbolic.function([], out)()
    assert_allclose(got, [2, 4, 8, 16, 32, 64])
    assert scan_node(out).op.as_while


def test_shared_updates_returned_from_step():
    counter = symbolic.shared(numpy.float64(0), name="counter")
    x = T.dvector("x")

    def step(v):
        return v + counter, {counter: counter + 1}

    out, updates = scan(step, sequences=x)
    assert list(updates) == [counter]
    f = symbolic.function([x], out, updates=updates)
    assert_allclose(f(numpy.zeros(4)), [0, 1, 2, 3])
    assert float(counter.get_value()) == 4.0
    assert_allclose(f(numpy.zeros(2)), [4, 5])


def test_updates_only_step():
    counter = symbolic.shared(numpy.float64(1), name="counter")
    out, updates = scan(lambda: {counter: counter * 3}, n_steps=4)
    assert out is None
    symbolic.function([], [], updates=updates)()
    assert float(counter.get_value()) == 81.0


def test_default_update_applied_per_step():
    state = symbolic.shared(numpy.float64(0), name="state")
    state.default_update = state + 1
    out, updates = scan(lambda: state * 10, n_steps=3)
    assert updates[state] is not None
    f = symbolic.function([], out, updates=updates)
    assert_allclose(f(), [0, 10, 20])
    assert float(state.get_value()) == 3.0


def test_free_variable_becomes_non_sequence():
    x = T.dvector("x")
    scale = T.dscalar("scale")
    out, _ = scan(lambda v: v * scale, sequences=x)
    op = scan_node(out).op
    assert op.n_non_seqs == 1
    assert_allclose(
        symbolic.function([x, scale], out)(numpy.arange(3.0), 2.0), [0, 2, 4]
    )


def test_strict_forbids_unlisted_variables():
    x = T.dvector("x")
    w = symbolic.shared(numpy.float64(2), name="w")
    with pytest.raises(ValueError, match="non_sequences"):
        scan(lambda v: v * w, sequences=x, strict=True)
    out, _ = scan(lambda v, w_: v * w_, sequences=x, non_sequences=[w], strict=True)
    assert_allclose(symbolic.function([x], out)(numpy.ones(2)), [2, 2])


def test_step_type_must_match_initial_state():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="initial value"):
        scan(lambda v, acc: acc + v, sequences=x, outputs_info=T.fscalar("a"))


def test_outputs_info_length_checked():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="outputs_info"):
        scan(lambda v: [v, v], sequences=x, outputs_info=[None])


def test_no_steps_information_raises():
    with pytest.raises(ValueError, match="number of steps"):
        scan(lambda h: h, outputs_info=T.dvector())


def test_return_list_and_single_output():
    x = T.dvector("x")
    out, _ = scan(lambda v: v, sequences=x, return_list=True)
    assert isinstance(out, list) and len(out) == 1


def test_views_map_reduce_foldl_foldr():
    x = T.dvector("x")
    zero = T.constant(numpy.float64(0))
    xv = numpy.array([1.0, 2.0, 3.0, 4.0])
    m, _ = map(lambda v: v**2, x)
    r, _ = reduce(lambda v, acc: acc + v, x, zero)
    left, _ = foldl(lambda v, acc: acc * 2 + v, x, zero)
    right, _ = foldr(lambda v, acc: acc * 2 + v, x, zero)
    got = symbolic.function([x], [m, r, left, right])(xv)
    assert_allclose(got[0], xv**2)
    assert float(got[1]) == 10.0
    assert float(got[2]) == ((1 * 2 + 2) * 2 + 3) * 2 + 4
    assert float(got[3]) == ((4 * 2 + 3) * 2 + 2) * 2 + 1


def test_top_level_exports():
    assert symbolic.scan is scan
    assert symbolic.map is map and symbolic.reduce is reduce
    assert symbolic.foldl is foldl and symbolic.foldr is foldr


def test_sit_sot_output_is_subtensor_of_raw_buffer():
    x = T.dvector("x")
    h0 = T.dscalar("h0")
    s, _ = scan(lambda v, h: h + v, sequences=x, outputs_info=h0)
    raw = s.owner.inputs[0]
    assert isinstance(raw.owner.op, Scan)
    got = symbolic.function([x, h0], raw)(numpy.ones(3), 5.0)
    assert_allclose(got, [5, 6, 7, 8])


def test_op_exposes_inner_graph_and_attributes():
    x = T.dmatrix("x")
    w = symbolic.shared(numpy.ones(3), name="w")
    h0 = T.dvector("h0")

    def step(x_t, h):
        out = h + x_t * w
        out.name = "h_new"
        out.tag.marker = "kept"
        return out

    s1, _ = scan(step, sequences=x, outputs_info=h0, name="loop")
    s2, _ = scan(step, sequences=x, outputs_info=h0, name="loop")
    op1, op2 = scan_node(s1).op, scan_node(s2).op
    assert op1 is not op2
    assert (op1.n_seqs, op1.n_sit_sot, op1.n_nit_sot, op1.n_mit_sot) == (1, 1, 0, 0)
    assert op1.n_mit_mot == 0 and op1.n_shared_outs == 0
    assert op1.tap_array == [[0], [-1]]
    assert op1.name == "loop" and op1.go_backwards is False
    assert op1.truncate_gradient == -1 and op1.as_while is False
    assert op1.info["n_non_seqs"] == 1
    assert op1.outputs[0].name == "h_new"
    assert op1.outputs[0].tag.marker == "kept"
    assert op1.inputs[-1].name == "w_copy"
    assert str(op1) == "for{cpu,loop}"


def test_shared_update_expression_is_an_inner_output():
    counter = symbolic.shared(numpy.float64(0), name="counter")
    _, updates = scan(lambda: {counter: counter + 1}, n_steps=2)
    op = updates[counter].owner.op
    assert op.n_shared_outs == 1
    assert op.inputs[0].name == "counter_copy"
    assert op.outputs[0].owner is not None


def test_function_with_scan_pickles():
    x = T.dvector("x")
    s, _ = scan(
        lambda v, acc: acc + v, sequences=x, outputs_info=T.constant(numpy.float64(0))
    )
    f = symbolic.function([x], s)
    f(numpy.ones(2))
    g = pickle.loads(pickle.dumps(f))
    assert_allclose(g(numpy.arange(4.0)), [0, 1, 3, 6])
    op = pickle.loads(pickle.dumps(scan_node(s).op))
    assert op == scan_node(s).op


def test_zero_steps_gives_initial_state_only():
    h0 = T.dvector("h0")
    n = T.lscalar("n")
    s, _ = scan(lambda h: h * 2, outputs_info=h0, n_steps=n)
    raw = s.owner.inputs[0]
    got = symbolic.function([h0, n], [s, raw])(numpy.ones(2), 0)
    assert got[0].shape == (0, 2)
    assert_allclose(got[1], [[1, 1]])


def test_float32_recurrence():
    x = T.fmatrix("x")
    h0 = T.fvector("h0")
    hs, _ = scan(lambda v, h: T.tanh(h + v), sequences=x, outputs_info=h0)
    xv = f64(4, 3).astype("float32")
    got = symbolic.function([x, h0], hs)(xv, numpy.zeros(3, "float32"))
    h, expected = numpy.zeros(3, "float32"), []
    for row in xv:
        h = numpy.tanh(h + row)
        expected.append(h)
    assert got.dtype == numpy.float32
    assert_allclose(got, expected, rtol=1e-5, atol=1e-6)

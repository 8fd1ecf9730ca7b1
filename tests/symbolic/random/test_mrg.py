import pathlib
import pickle

import numpy
import pytest

import symbolic
from symbolic import function, tensor
from symbolic.compile.mode import Mode
from symbolic.gradient import NullTypeGradError
from symbolic.random import mrg_kernel
from symbolic.sandbox import rng_mrg
from symbolic.sandbox.rng_mrg import MRG_RandomStreams, guess_n_streams, mrg_uniform
from tests.helpers.op_check import check_op_identity

# L'Ecuyer's reference (Java) implementation: seed 12345, 12 streams of 7
# substreams, 5 draws each (the file Theano's tests compare against).
JAVA_SAMPLES = numpy.loadtxt(
    pathlib.Path(__file__).with_name("samples_MRG31k3p_12_7_5.txt")
)


def test_streams_match_the_reference_implementation():
    rng = MRG_RandomStreams(seed=12345)
    samples = []
    for _ in range(12):
        f = function([], rng.uniform(size=(7,), nstreams=7, dtype="float64"))
        draws = numpy.array([f() for _ in range(5)])
        samples.append(draws.T.flatten())
    numpy.testing.assert_allclose(numpy.array(samples).flatten(), JAVA_SAMPLES)


def test_op_one_stream_at_a_time_matches_the_reference():
    samples = []
    stream = numpy.array([12345] * 6, dtype="int32")
    for _ in range(12):
        substream = stream.copy()
        for _ in range(7):
            rstate = symbolic.shared(numpy.array([substream]))
            new_rstate, sample = mrg_uniform.new(rstate, None, "float64", (1,))
            rstate.default_update = new_rstate
            f = function([], sample)
            samples.extend(f()[0] for _ in range(5))
            substream = rng_mrg.ff_2p72(substream)
        stream = rng_mrg.ff_2p134(stream)
    numpy.testing.assert_allclose(samples, JAVA_SAMPLES)


def test_kernel_matches_the_reference():
    stream = numpy.array([12345] * 6, dtype="int32")
    samples = []
    for _ in range(12):
        state = mrg_kernel.substream_states(stream, 7)
        draws = [mrg_kernel.uniform(state, 7, "float64") for _ in range(5)]
        samples.append(numpy.array(draws).T.flatten())
        stream = rng_mrg.ff_2p134(stream)
    assert numpy.array_equal(numpy.array(samples).flatten(), JAVA_SAMPLES)


def test_substream_states_equal_a_chain_of_jumps():
    start = numpy.array([7, 8, 9, 10, 11, 12], dtype="int32")
    chain = [start]
    for _ in range(99):
        chain.append(rng_mrg.ff_2p72(chain[-1]))
    assert numpy.array_equal(mrg_kernel.substream_states(start, 100), chain)


def test_multMatVect_is_exact_modular_arithmetic():
    rng = numpy.random.RandomState(0)
    imax = numpy.iinfo(numpy.int32).max
    A = rng.randint(0, imax, (3, 3)).astype("int64")
    B = rng.randint(0, imax, (3, 3)).astype("int64")
    v = rng.randint(0, imax, 6).astype("int32")
    m1, m2 = int(rng.randint(1, imax)), int(rng.randint(1, imax))
    got = rng_mrg.multMatVect(v, A, m1, B, m2)
    want_a = [sum(int(A[i, j]) * int(v[j]) for j in range(3)) % m1 for i in range(3)]
    want_b = [
        sum(int(B[i, j]) * int(v[3 + j]) for j in range(3)) % m2 for i in range(3)
    ]
    assert got.tolist() == want_a + want_b


def test_same_seed_same_numbers_and_successive_calls_differ():
    f = function([], MRG_RandomStreams(seed=234).uniform((10, 20)))
    g = function([], MRG_RandomStreams(seed=234).uniform((10, 20)))
    first, second = f(), f()
    assert not numpy.allclose(first, second)
    assert numpy.array_equal(first, g())
    assert numpy.array_equal(second, g())


@pytest.mark.parametrize(("new_seed", "same"), [(234, True), (None, True), (23, False)])
def test_seed_resets_every_stream(new_seed, same):
    rng = MRG_RandomStreams(234)
    fn1 = function([], rng.uniform((2, 2), dtype="float32"))
    fn2 = function([], rng.uniform((3, 3), nstreams=2, dtype="float32"))
    idx = tensor.ivector()
    fn3 = function([idx], rng.uniform(idx, nstreams=3, ndim=1, dtype="float32"))
    before = [fn1(), fn1(), fn2(), fn2(), fn3([4]), fn3([4])]
    rng.seed(new_seed)
    after = [fn1(), fn1(), fn2(), fn2(), fn3([4]), fn3([4])]
    for a, b in zip(before, after):
        assert numpy.array_equal(a, b) == same


def test_state_variables_carry_their_updates():
    rng = MRG_RandomStreams(3)
    u = rng.uniform((4,))
    raw = u.owner.inputs[0].owner.inputs[0]
    state = raw.rstate
    assert state.tag.is_rng
    assert state.default_update is raw.update[1]
    assert rng.updates() == [raw.update] == rng.state_updates
    assert state.get_value().shape == (guess_n_streams((4,)), 6)
    # An explicit function with no_default_updates draws the same values twice.
    frozen = function([], u, no_default_updates=True)
    assert numpy.array_equal(frozen(), frozen())
    # The updates can also be passed explicitly.
    g = function([], u, updates=rng.updates(), no_default_updates=True)
    assert not numpy.array_equal(g(), g())


def test_sizes_from_tuples_and_variables_give_the_same_first_values():
    x = tensor.vector()
    by_tuple = MRG_RandomStreams(1).binomial((3,), p=0.6).eval()
    ones = numpy.ones(3, dtype=x.dtype)
    by_shape = MRG_RandomStreams(1).binomial(x.shape, p=0.6).eval({x: ones})
    assert numpy.array_equal(by_tuple, by_shape)
    assert by_tuple.tolist() == [1, 0, 1]


def test_guess_n_streams():
    assert guess_n_streams((3,)) == 3
    assert guess_n_streams((10, 20)) == 33
    assert guess_n_streams((1000, 1000)) == 60 * 256
    assert guess_n_streams((numpy.int32(4),)) == 60 * 256
    assert guess_n_streams(tensor.lvector()) == 60 * 256


@pytest.mark.parametrize("size", [(0, 100), (-1, 100), (1, 0)])
def test_bad_sizes_raise_value_error(size):
    rng = MRG_RandomStreams(234)
    for draw in (rng.uniform, rng.binomial, rng.normal, rng.truncated_normal):
        with pytest.raises(ValueError, match="dimension"):
            draw(size)
    with pytest.raises(ValueError):
        rng.multinomial(size, 1, [[0.5, 0.5]])


def test_bad_size_types_and_seeds_raise_clearly():
    rng = MRG_RandomStreams(234)
    with pytest.raises(TypeError, match="size"):
        rng.uniform(tensor.matrix())
    with pytest.raises(TypeError, match="size"):
        rng.uniform((2.5,))
    with pytest.raises(ValueError, match="seed"):
        MRG_RandomStreams(0)
    with pytest.raises(ValueError, match="seed"):
        MRG_RandomStreams(int(rng_mrg.M2))
    with pytest.raises(ValueError, match="seed"):
        MRG_RandomStreams([0, 0, 0, 1, 1, 1])
    with pytest.raises(TypeError, match="seed"):
        MRG_RandomStreams([1, 2, 3])


def test_too_many_samples_raise_at_call_time():
    n = tensor.lscalar()
    f = function([n], MRG_RandomStreams(5).uniform((n, n), dtype="float32"))
    with pytest.raises(ValueError, match="2\\*\\*31"):
        f(2**16)
    assert f(32).shape == (32, 32)


def test_sampling_has_undefined_gradients():
    rng = MRG_RandomStreams(seed=1234)
    low, high, p, avg, std = (tensor.scalar() for _ in range(5))
    cases = [
        (rng.uniform((), low=low), low),
        (rng.uniform((), low=0, high=high), high),
        (rng.binomial((), p=p), p),
        (rng.normal((), avg=avg), avg),
        (rng.normal((), avg=0, std=std), std),
        (rng.truncated_normal((), avg=avg), avg),
    ]
    for out, wrt in cases:
        with pytest.raises(NullTypeGradError):
            symbolic.grad(tensor.sum(out), wrt)


def test_gradient_flows_past_the_sample_to_other_parameters():
    w = symbolic.shared(numpy.ones(3), name="w")
    out = MRG_RandomStreams(10).uniform((3,), dtype="float64") * w
    f = function([], [out, symbolic.grad(tensor.sum(out), w)], no_default_updates=True)
    value, gw = f()
    numpy.testing.assert_allclose(gw, value)


def test_op_identity_pickling_and_shape():
    op = mrg_uniform(tensor.TensorType("float32", (False, False)))
    check_op_identity(op)
    assert op != mrg_uniform(tensor.TensorType("float64", (False, False)))
    assert str(op) == "mrg_uniform{TensorType(float32, matrix),no_inplace}"
    rng = MRG_RandomStreams(2)
    assert rng.uniform((1, 3)).broadcastable == (True, False)
    n = tensor.lscalar()
    u = rng.uniform((n, 3))
    shape = function([n], u.shape, no_default_updates=True)
    assert tuple(shape(5)) == (5, 3)


def test_streams_and_compiled_functions_pickle():
    rng = MRG_RandomStreams(7)
    f = function([], rng.normal((5,)))
    clone_rng, clone_f = pickle.loads(pickle.dumps((rng, f)))
    assert numpy.array_equal(f(), clone_f())
    assert numpy.array_equal(rng.rstate, clone_rng.rstate)


def test_python_and_default_modes_agree():
    outs = {}
    for mode in (Mode(linker="py", optimizer=None), None):
        rng = MRG_RandomStreams(42)
        p = numpy.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
        draws = [
            rng.uniform((50, 3), dtype="float32"),
            rng.uniform((7,), dtype="float64"),
            rng.normal((9,)),
            rng.binomial((11,), p=0.3),
            rng.multinomial(pvals=p),
            rng.choice(size=2, p=p, replace=False),
        ]
        f = function([], draws, mode=mode)
        outs[mode] = [f(), f()]
    by_py, by_default = outs.values()
    for a, b in zip(by_py, by_default):
        for i, (x, y) in enumerate(zip(a, b)):
            if i == 2:
                # Box-Muller's float arithmetic may round differently when
                # fused; the uniforms under it are identical.
                numpy.testing.assert_allclose(x, y, rtol=1e-6)
            else:
                assert numpy.array_equal(x, y)


def test_uniform_statistics():
    f = function([], MRG_RandomStreams(123).uniform((1000, 100), low=-1.0, high=3.0))
    sample = f()
    assert sample.min() > -1 and sample.max() < 3
    assert abs(sample.mean() - 1.0) < 0.02
    assert abs(sample.var() - 16 / 12) < 0.02


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_statistics(dtype):
    rng = MRG_RandomStreams(123)
    f = function([], rng.normal((501, 201), avg=5.0, std=2.0, dtype=dtype))
    sample = f()
    assert sample.dtype == dtype and sample.shape == (501, 201)
    assert abs(sample.mean() - 5.0) < 0.02
    assert abs(sample.std() - 2.0) < 0.02
    assert abs(((sample - 5) / 2 > 1.96).mean() - 0.025) < 0.003


def test_normal_of_a_scalar_size_and_odd_counts():
    rng = MRG_RandomStreams(1)
    assert rng.normal(()).eval().shape == ()
    assert rng.normal(5).eval().shape == (5,)
    n = tensor.lscalar()
    assert rng.normal((n, 3)).eval({n: 3}).shape == (3, 3)


def test_truncated_normal_stays_within_two_stds():
    sample = MRG_RandomStreams(9).truncated_normal((20000,), avg=1.0, std=0.5).eval()
    bound = 2 * 0.5 / 0.87962566103423978
    assert sample.min() >= 1 - bound - 1e-6 and sample.max() <= 1 + bound + 1e-6
    assert abs(sample.mean() - 1.0) < 0.01
    assert abs(sample.std() - 0.5) < 0.01


def test_binomial_statistics():
    sample = MRG_RandomStreams(5).binomial((100000,), p=0.3, dtype="int8").eval()
    assert sample.dtype == "int8" and set(numpy.unique(sample)) <= {0, 1}
    assert abs(sample.mean() - 0.3) < 0.005


def test_multinomial_statistics():
    pvals = numpy.random.RandomState(0).uniform(size=(200, 6))
    pvals /= pvals.sum(axis=1, keepdims=True)
    rng = MRG_RandomStreams(234)
    f = function([], rng.multinomial(pvals=pvals, dtype="float64", nstreams=7680))
    counts = sum(f() for _ in range(400))
    assert (counts.sum(axis=1) == 400).all()
    assert numpy.abs(counts / 400 - pvals).mean() < 0.02
    several = rng.multinomial(pvals=pvals, n=5).eval()
    assert (several.sum(axis=1) == 5).all()


def test_choice_without_replacement_gives_distinct_indices():
    p = numpy.full((50, 10), 0.1)
    picks = MRG_RandomStreams(3).choice(size=4, p=p, replace=False).eval()
    assert picks.shape == (50, 4)
    assert all(len(set(row)) == 4 for row in picks.tolist())
    with pytest.raises(NotImplementedError):
        MRG_RandomStreams(3).choice(size=4, p=p)


def test_random_state_transfer_between_graphs():
    def graph(seed):
        rng = MRG_RandomStreams(seed)
        return rng, function([], rng.uniform(size=(1,)))

    rng1, f1 = graph(123)
    rng2, f2 = graph(987)
    rng2.rstate = rng1.rstate
    for (s1, _), (s2, _) in zip(rng1.state_updates, rng2.state_updates):
        s2.set_value(s1.get_value())
    assert numpy.array_equal(f1(), f2())


def _scan_module():
    return pytest.importorskip("symbolic.scan_module", reason="the engine has no scan")


def test_sampling_inside_scan_advances_the_state_every_step():
    scan_module = _scan_module()
    rng = MRG_RandomStreams(10)
    x0 = tensor.dvector("x0")
    values, updates = scan_module.scan(
        lambda x: x + rng.uniform((2,), dtype="float64"), outputs_info=x0, n_steps=4
    )
    f = function([x0], values, updates=updates)
    first, second = f(numpy.zeros(2)), f(numpy.zeros(2))
    steps = numpy.diff(numpy.vstack([numpy.zeros(2), first]), axis=0)
    assert first.shape == (4, 2) and not numpy.array_equal(first, second)
    assert ((steps > 0) & (steps < 1)).all()
    assert not numpy.array_equal(steps[0], steps[1])


def test_gradient_through_scan_with_sampling():
    scan_module = _scan_module()
    rng = MRG_RandomStreams(10)
    w = symbolic.shared(numpy.ones(1, dtype="float32"))
    x = tensor.vector(dtype="float32")
    values, updates = scan_module.scan(
        lambda h: h + rng.uniform((1,), dtype="float32") * w,
        outputs_info=x,
        n_steps=10,
    )
    gw = symbolic.grad(tensor.sum(values[-1]), w)
    f = function([x], [values[-1], gw], updates=updates)
    last, g = f(numpy.zeros(1, dtype="float32"))
    numpy.testing.assert_allclose(g, last, rtol=1e-5)


def test_updated_state_is_advanced_in_place_with_the_same_numbers():
    """FAST_RUN writes the new state over the old one when the state's
    default update replaces it; the draws match the unrewritten graph."""
    fast = MRG_RandomStreams(seed=42)
    plain = MRG_RandomStreams(seed=42)
    f = function([], fast.uniform((3, 4)))
    g = function([], plain.uniform((3, 4)), mode=Mode(linker="py", optimizer=None))
    ops = [n.op for n in f.maker.fgraph.toposort() if isinstance(n.op, mrg_uniform)]
    assert [op.inplace for op in ops] == [True]
    state = fast.state_updates[0][0]
    buffer = state.get_value(borrow=True)
    for _ in range(3):
        numpy.testing.assert_array_equal(f(), g())
    assert state.get_value(borrow=True) is buffer
    numpy.testing.assert_array_equal(
        state.get_value(), plain.state_updates[0][0].get_value()
    )


def test_state_without_update_or_read_elsewhere_is_not_overwritten():
    streams = MRG_RandomStreams(seed=3)
    sample = streams.uniform((2, 5))
    state = streams.state_updates[0][0]
    start = state.get_value().copy()
    frozen = function([], sample, no_default_updates=True)
    first = frozen()
    numpy.testing.assert_array_equal(frozen(), first)
    numpy.testing.assert_array_equal(state.get_value(), start)
    both = function([], [sample, state * 1])
    ops = [n.op for n in both.maker.fgraph.toposort() if isinstance(n.op, mrg_uniform)]
    assert [op.inplace for op in ops] == [False]
    _, old_state = both()
    numpy.testing.assert_array_equal(old_state, start)

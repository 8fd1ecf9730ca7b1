import pickle

import numpy
import pytest

import symbolic
from symbolic import function, tensor
from symbolic.compile.mode import Mode
from symbolic.gradient import NullTypeGradError
from symbolic.random import numpy_streams
from symbolic.tensor import raw_random
from symbolic.tensor.shared_randomstreams import (
    RandomStateSharedVariable,
    RandomStreams,
)
from tests.helpers.op_check import check_op_identity


def test_draws_have_the_requested_shapes_and_dtypes():
    srng = RandomStreams(seed=3)
    draws = {
        "uniform": srng.uniform((2, 3)),
        "normal": srng.normal((4,)),
        "binomial": srng.binomial((5,), n=3, p=0.5),
        "random_integers": srng.random_integers((6,), low=-2, high=2),
        "permutation": srng.permutation((2,), n=5),
        "multinomial": srng.multinomial((3,), n=10, pvals=[0.2, 0.3, 0.5]),
        "choice": srng.choice((4,), a=10, replace=False),
        "poisson": srng.poisson((7,), lam=3.0),
    }
    values = dict(zip(draws, function([], list(draws.values()))()))
    assert values["uniform"].shape == (2, 3)
    assert values["uniform"].dtype == symbolic.config.floatX
    assert values["binomial"].dtype == "int64"
    assert set(values["random_integers"]) <= {-2, -1, 0, 1, 2}
    assert sorted(values["permutation"][1]) == list(range(5))
    assert (values["multinomial"].sum(axis=1) == 10).all()
    assert len(set(values["choice"].tolist())) == 4
    assert values["poisson"].shape == (7,)


def test_each_draw_matches_numpy_with_its_own_seed():
    srng = RandomStreams(seed=123)
    f = function([], srng.uniform((3,), dtype="float64"))
    seed = numpy.random.RandomState(123).randint(2**30)
    expected = numpy.random.RandomState(int(seed))
    numpy.testing.assert_allclose(f(), expected.uniform(0.0, 1.0, (3,)))
    numpy.testing.assert_allclose(f(), expected.uniform(0.0, 1.0, (3,)))


def test_state_is_a_tagged_shared_variable_with_a_default_update():
    srng = RandomStreams(seed=1)
    out = srng.normal((2,))
    assert isinstance(out.rng, RandomStateSharedVariable)
    assert out.rng.tag.is_rng
    assert out.rng.default_update is out.update[1]
    assert srng.updates() == [out.update]
    frozen = function([], out, no_default_updates=True)
    assert numpy.array_equal(frozen(), frozen())
    assert isinstance(
        symbolic.shared(numpy.random.RandomState(0)), RandomStateSharedVariable
    )


def test_seed_restores_every_stream():
    srng = RandomStreams(seed=5)
    f = function([], [srng.uniform((3,)), srng.normal((2,))])
    first = f()
    srng.seed()
    again = f()
    for a, b in zip(first, again):
        assert numpy.array_equal(a, b)
    srng.seed(6)
    assert not numpy.array_equal(f()[0], first[0])


def test_same_numbers_in_python_and_default_modes():
    results = []
    for mode in (Mode(linker="py", optimizer=None), None):
        srng = RandomStreams(seed=11)
        f = function([], [srng.uniform((4,)), srng.binomial((4,), p=0.3)], mode=mode)
        results.append([f(), f()])
    for a, b in zip(*results):
        for x, y in zip(a, b):
            assert numpy.array_equal(x, y)


def test_statistics():
    srng = RandomStreams(seed=2)
    u, n, b = function(
        [],
        [
            srng.uniform((100000,), low=2.0, high=4.0, dtype="float64"),
            srng.normal((100000,), avg=-1.0, std=3.0, dtype="float64"),
            srng.binomial((100000,), n=5, p=0.2),
        ],
    )()
    assert abs(u.mean() - 3.0) < 0.01 and abs(u.var() - 4 / 12) < 0.01
    assert abs(n.mean() + 1.0) < 0.03 and abs(n.std() - 3.0) < 0.03
    assert abs(b.mean() - 1.0) < 0.02


def test_parameters_broadcast_and_shape_comes_from_them():
    srng = RandomStreams(seed=4)
    low = tensor.dvector("low")
    out = srng.uniform(low=low, high=low + 1)
    values = function([low], out)(numpy.array([0.0, 10.0, 20.0]))
    assert values.shape == (3,)
    assert ((values >= [0, 10, 20]) & (values < [1, 11, 21])).all()


def test_shuffle_row_elements_permutes_rows():
    x = tensor.dmatrix("x")
    f = function([x], RandomStreams(seed=8).shuffle_row_elements(x))
    data = numpy.arange(10.0).reshape(5, 2)
    out = f(data)
    assert sorted(map(tuple, out.tolist())) == sorted(map(tuple, data.tolist()))


def test_no_gradient_through_draws():
    low = tensor.dscalar("low")
    out = RandomStreams(seed=1).uniform((2,), low=low, high=low + 1)
    with pytest.raises(NullTypeGradError):
        symbolic.grad(out.sum(), low)


def test_ops_and_streams_pickle():
    op = raw_random.RandomFunction("uniform", tensor.TensorType("float64", (False,)))
    check_op_identity(op)
    helper_op = raw_random.RandomFunction(
        numpy_streams._random_integers,
        tensor.TensorType("int64", (False,)),
    )
    check_op_identity(helper_op)
    srng = RandomStreams(seed=9)
    f = function([], srng.permutation(n=4))
    _, g = pickle.loads(pickle.dumps((srng, f)))
    assert numpy.array_equal(f(), g())


def test_bad_inputs_raise_clearly():
    srng = RandomStreams(seed=1)
    with pytest.raises(ValueError, match="ndim"):
        srng.uniform((2, 3), ndim=1)
    with pytest.raises(TypeError, match="shape"):
        srng.uniform(tensor.dmatrix())
    with pytest.raises(TypeError, match="RandomStateType"):
        raw_random.uniform(tensor.dvector(), (2,))

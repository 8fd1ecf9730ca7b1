"""set_subtensor and inc_subtensor (IncSubtensor and the advanced increments)."""

import numpy
import pytest

import symbolic
from symbolic.gradient import Rop, grad, verify_grad
from symbolic.ops import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    IncSubtensor,
    inc_subtensor,
    set_subtensor,
)
from symbolic.ops.elemwise import DimShuffle
from symbolic.types.tensor import (
    TensorType,
    dmatrix,
    dtensor3,
    dvector,
    fmatrix,
    imatrix,
    lscalar,
    lvector,
)
from tests.helpers.op_check import check_op, check_op_identity

RNG = numpy.random.RandomState(3)
X = RNG.rand(4, 5)
IDX = numpy.array([0, 2, 2, 3, 0])


def _numpy_update(x, index, y, set_):
    out = x.copy()
    if set_:
        out[index] = y
    else:
        numpy.add.at(out, index, y)
    return out


UPDATE_CASES = [
    ("int", 1, RNG.rand(5)),
    ("negative int", -1, 2.0),
    ("slice", numpy.s_[1:3], RNG.rand(2, 5)),
    ("reverse", numpy.s_[::-1, 1], RNG.rand(4)),
    ("broadcast row", numpy.s_[1:], RNG.rand(5)),
    ("broadcast scalar", numpy.s_[:, 2:4], 3.0),
    ("scalar element", numpy.s_[2, 3], 7.0),
    ("vector repeated", IDX, RNG.rand(5, 5)),
    ("vector broadcast", IDX, RNG.rand(5)),
    ("axis 1", numpy.s_[:, IDX], RNG.rand(4, 5)),
    ("two arrays", (IDX[:3], numpy.array([1, 1, 4])), RNG.rand(3)),
    ("mask", X > 0.5, 1.0),
    ("matrix index", numpy.array([[0, 1], [1, 3]]), RNG.rand(2, 2, 5)),
]


@pytest.mark.parametrize("set_", [False, True], ids=["inc", "set"])
@pytest.mark.parametrize(
    ("name", "index", "y"), UPDATE_CASES, ids=[c[0] for c in UPDATE_CASES]
)
def test_update_matches_numpy(name, index, y, set_):
    fn = set_subtensor if set_ else inc_subtensor
    y = numpy.asarray(y)

    def build(x, y_var):
        return fn(x[index], y_var)

    check_op(
        build,
        [X, y],
        expected=lambda x, y: _numpy_update(x, index, y, set_),
        grad=False,
    )


# With ``set``, repeated indices keep only the last write, but the gradient (as
# in Theano) flows to every occurrence, so those cases are checked for inc only.
REPEATED = ("vector repeated", "vector broadcast", "axis 1", "matrix index")
GRAD_CASES = [
    (name, index, y, set_)
    for name, index, y in UPDATE_CASES
    for set_ in (False, True)
    if name != "mask" and not (set_ and name in REPEATED)
]


@pytest.mark.parametrize(
    ("name", "index", "y", "set_"),
    GRAD_CASES,
    ids=[f"{c[0]}-{'set' if c[3] else 'inc'}" for c in GRAD_CASES],
)
def test_update_grad(name, index, y, set_):
    fn = set_subtensor if set_ else inc_subtensor
    y = numpy.asarray(y, dtype="float64")
    verify_grad(
        lambda x, y_var: fn(x[index], y_var), [X, y], rng=numpy.random.RandomState(0)
    )


def test_inc_grad_with_repeated_indices():
    verify_grad(
        lambda x, y: inc_subtensor(x[IDX], y),
        [X, RNG.rand(5, 5)],
        rng=numpy.random.RandomState(0),
    )


def test_mask_update_grad():
    mask = X > 0.5

    def build(x, y):
        return set_subtensor(x[mask], y * 2)

    verify_grad(build, [X, RNG.rand(int(mask.sum()))], rng=numpy.random.RandomState(0))


def test_x_is_unchanged_and_result_is_new():
    x = dmatrix("x")
    out = set_subtensor(x[1:], 0.0)
    assert out is not x
    assert out.type == x.type
    f = symbolic.function([x], out)
    value = X.copy()
    result = f(value)
    numpy.testing.assert_array_equal(value, X)
    assert not numpy.shares_memory(result, value)


@pytest.mark.parametrize(
    "build",
    [lambda x: x[1:], lambda x: x[IDX], lambda x: x[:, IDX]],
    ids=["IncSubtensor", "AdvancedIncSubtensor1", "AdvancedIncSubtensor"],
)
def test_perform_copies_unless_inplace(build):
    x = dmatrix("x")
    for inplace in (False, True):
        out = inc_subtensor(build(x), 1.0, inplace=inplace)
        node = out.owner
        assert node.op.destroy_map == ({0: [0]} if inplace else {})
        value = X.copy()
        storage = [[None]]
        inputs = [value] + [getattr(v, "data", None) for v in node.inputs[1:]]
        inputs[1] = numpy.asarray(1.0)
        node.op.perform(node, inputs, storage)
        assert numpy.shares_memory(storage[0][0], value) == inplace
        if not inplace:
            numpy.testing.assert_array_equal(value, X)


def test_ops_and_strings():
    x = dmatrix("x")
    i = lscalar("i")
    assert str(set_subtensor(x[i:], 0.0).owner.op) == "IncSubtensor{Set;int64::}"
    assert str(inc_subtensor(x[1], 1.0).owner.op) == "IncSubtensor{Inc;int64}"
    inplace = inc_subtensor(x[1], 1.0, inplace=True).owner.op
    assert str(inplace) == "IncSubtensor{InplaceInc;int64}"
    adv1 = inc_subtensor(x[IDX], 1.0).owner.op
    assert isinstance(adv1, AdvancedIncSubtensor1)
    assert str(adv1) == "AdvancedIncSubtensor1{no_inplace,inc}"
    adv = set_subtensor(x[:, IDX], 1.0).owner.op
    assert isinstance(adv, AdvancedIncSubtensor)
    assert str(adv) == "AdvancedIncSubtensor{no_inplace,set}"
    aliased = set_subtensor(x[1], 0.0, tolerate_inplace_aliasing=True).owner.op
    assert aliased.destroyhandler_tolerate_aliased == ((0, 1),)


def test_symbolic_index():
    x = dmatrix("x")
    i = lscalar("i")
    idx = lvector("idx")
    out = inc_subtensor(x[i:, idx], 1.0)
    f = symbolic.function([x, i, idx], out)
    numpy.testing.assert_array_equal(
        f(X, 2, IDX), _numpy_update(X, numpy.s_[2:, IDX], 1.0, False)
    )


def test_eq_hash_pickle():
    ops = [
        IncSubtensor([slice(1, None)], set_instead_of_inc=True),
        IncSubtensor(
            [TensorType("int64", ())],
            inplace=True,
            destroyhandler_tolerate_aliased=[[0, 1]],
        ),
        AdvancedIncSubtensor1(inplace=True),
        AdvancedIncSubtensor([slice(None), TensorType("int64", (False,))]),
    ]
    for op in ops:
        check_op_identity(op)
    assert IncSubtensor([1]) != IncSubtensor([1], set_instead_of_inc=True)
    assert AdvancedIncSubtensor1() == AdvancedIncSubtensor1()


def test_through_none_dimshuffle():
    x = dvector("x")
    y = dvector("y")
    out = set_subtensor(x[1:][None], y[None])
    assert isinstance(out.owner.op, DimShuffle)
    value = numpy.arange(4.0)
    got = out.eval({x: value, y: numpy.array([9.0, 8.0, 7.0])})
    numpy.testing.assert_array_equal(got, [[0.0, 9.0, 8.0, 7.0]])


def test_through_a_transpose():
    x = dmatrix("x")
    y = dmatrix("y")
    out = inc_subtensor(x[1:].T, y)
    assert out.type == TensorType("float64", (False, False))
    y_value = RNG.rand(5, 3)
    got = out.eval({x: X, y: y_value})
    want = X.copy().T
    want[:, 1:] += y_value
    numpy.testing.assert_allclose(got, want)


def test_broadcastable_region_gets_runtime_check():
    x = TensorType("float64", (True, False))("x")
    y = dmatrix("y")
    out = set_subtensor(x[:, 1:], y)
    f = symbolic.function([x, y], out)
    numpy.testing.assert_array_equal(
        f(numpy.zeros((1, 3)), numpy.ones((1, 2))), [[0.0, 1.0, 1.0]]
    )
    with pytest.raises(ValueError, match="broadcastable"):
        f(numpy.zeros((1, 3)), numpy.ones((2, 2)))


def test_integer_tensor():
    x = imatrix("x")
    value = numpy.arange(6, dtype="int32").reshape(2, 3)
    out = inc_subtensor(x[:, 1], numpy.int32(10))
    numpy.testing.assert_array_equal(out.eval({x: value}), [[0, 11, 2], [3, 14, 5]])
    gx = grad(out.sum().astype("float64"), x, disconnected_inputs="ignore")
    assert numpy.all(gx.eval({x: value}) == 0)


def test_float32_value_into_float64():
    x = dmatrix("x")
    y = fmatrix("y")
    out = inc_subtensor(x[:2], y)
    gy = grad(out.sum(), y)
    assert gy.dtype == "float32"


def test_rop():
    x = dmatrix("x")
    y = dvector("y")
    vx = dmatrix("vx")
    vy = dvector("vy")
    out = set_subtensor(x[1], y)
    r = Rop(out, [x, y], [vx, vy])
    out1 = inc_subtensor(x[IDX], y)
    r1 = Rop(out1, [x, y], [vx, vy])
    f = symbolic.function([x, y, vx, vy], [r, r1], on_unused_input="ignore")
    vx_value, vy_value = RNG.rand(4, 5), RNG.rand(5)
    got, got1 = f(X, RNG.rand(5), vx_value, vy_value)
    want = vx_value.copy()
    want[1] = vy_value
    numpy.testing.assert_allclose(got, want)
    numpy.testing.assert_allclose(got1, _numpy_update(vx_value, IDX, vy_value, False))


# Errors ---------------------------------------------------------------------------
def test_not_an_indexing_expression():
    x = dmatrix("x")
    with pytest.raises(
        TypeError,
        match="x_sub must be an indexing expression.*x "
        r"\(a graph input\)",
    ):
        set_subtensor(x, 0.0)
    with pytest.raises(TypeError, match="computed by Elemwise"):
        inc_subtensor(x * 2, 1.0)


def test_value_with_too_many_dims():
    x = dmatrix("x")
    with pytest.raises(TypeError, match="cannot write the 2-d y into the 1-d"):
        set_subtensor(x[0], dmatrix("y"))
    with pytest.raises(TypeError, match="cannot write"):
        IncSubtensor([1])(x, dmatrix("y"))


def test_value_with_wrong_dtype():
    with pytest.raises(TypeError, match="dtype float64 into a tensor of dtype int32"):
        inc_subtensor(imatrix("x")[0], dvector("y"))


def test_value_that_does_not_broadcast():
    x = dmatrix("x")
    y = dvector("y")
    f = symbolic.function([x, y], set_subtensor(x[1:3], y))
    with pytest.raises(
        ValueError,
        match=r"cannot broadcast y of shape \(3,\) into "
        r"the indexed region of x, of shape \(2, 5\)",
    ):
        f(X, numpy.ones(3))
    g = symbolic.function([x, y], inc_subtensor(x[IDX], y))
    with pytest.raises(ValueError, match="cannot broadcast y"):
        g(X, numpy.ones(3))


def test_nested_indexing_updates_the_inner_expression():
    # As in Theano, inc_subtensor(x[a][b], y) returns x[a] updated at b.
    x = dtensor3("x")
    value = RNG.rand(2, 3, 4)
    y = RNG.rand(2)
    out = inc_subtensor(x[:, 1:, ::-1][..., 0], y)
    want = value[:, 1:, ::-1].copy()
    want[..., 0] += y
    numpy.testing.assert_allclose(out.eval({x: value}), want)

"""Basic indexing: x[int], x[slice], None, Ellipsis, symbolic bounds (Subtensor)."""

import pickle

import numpy
import pytest

import symbolic
from symbolic.gradient import Rop, grad, verify_grad
from symbolic.graph.fgraph import FunctionGraph
from symbolic.ops import Subtensor, getitem
from symbolic.ops.elemwise import DimShuffle
from symbolic.types.tensor import (
    TensorType,
    as_tensor_variable,
    dmatrix,
    dscalar,
    dtensor3,
    fscalar,
    iscalar,
    lscalar,
)
from tests.helpers.op_check import check_op, check_op_identity

X3 = numpy.arange(60.0).reshape(3, 4, 5)

BASIC_CASES = [
    ("int", lambda a: a[1]),
    ("negative int", lambda a: a[-1]),
    ("two ints", lambda a: a[2, -3]),
    ("all ints", lambda a: a[0, 1, 2]),
    ("start", lambda a: a[1:]),
    ("stop", lambda a: a[:-1]),
    ("step", lambda a: a[::2]),
    ("reverse", lambda a: a[::-1]),
    ("reverse inner", lambda a: a[:, ::-2, 1:4]),
    ("negative step bounds", lambda a: a[-2:-5:-1]),
    ("reverse from stop", lambda a: a[:0:-1]),
    ("out of range start", lambda a: a[10:]),
    ("empty", lambda a: a[:, 3:1]),
    ("int and slice", lambda a: a[1:, 0]),
    ("ellipsis", lambda a: a[..., 2]),
    ("ellipsis middle", lambda a: a[1, ..., 1:3]),
    ("full ellipsis", lambda a: a[...]),
    ("none front", lambda a: a[None]),
    ("none both ends", lambda a: a[None, ..., None]),
    ("none mixed", lambda a: a[1, None, :, -1]),
    ("none and step", lambda a: a[:, None, ::-1]),
    ("empty tuple", lambda a: a[()]),
]


@pytest.mark.parametrize(
    ("name", "index"), BASIC_CASES, ids=[c[0] for c in BASIC_CASES]
)
def test_basic_index_matches_numpy(name, index):
    check_op(index, [X3], expected=index)


@pytest.mark.parametrize("dtype", ["float32", "int32", "bool", "int8"])
def test_dtypes_are_kept(dtype):
    value = (numpy.arange(12).reshape(3, 4) % 3).astype(dtype)
    x = TensorType(dtype, (False, False))("x")
    out = x[1:, ::-1]
    assert out.dtype == dtype
    numpy.testing.assert_array_equal(out.eval({x: value}), value[1:, ::-1])


@pytest.mark.parametrize("make_index", [lscalar, iscalar])
def test_symbolic_int_index(make_index):
    x = dtensor3("x")
    i = make_index("i")
    f = symbolic.function([x, i], x[i, ::-1])
    for value in (0, 2, -1, -3):
        numpy.testing.assert_array_equal(f(X3, value), X3[value, ::-1])
    with pytest.raises(IndexError, match="out of bounds"):
        f(X3, 3)


@pytest.mark.parametrize(
    "bounds",
    [
        (1, 4, 1),
        (0, -1, 1),
        (-1, -5, -1),
        (0, 4, 2),
        (3, 0, -2),
        (-10, 10, 3),
        (2, 2, 1),
        (10, -10, -3),
        (3, -5, -1),
    ],
)
def test_symbolic_slice_bounds(bounds):
    x = dtensor3("x")
    start, stop, step = (lscalar(n) for n in ("start", "stop", "step"))
    out = x[:, start:stop:step]
    f = symbolic.function([x, start, stop, step], [out, out.shape])
    got, got_shape = f(X3, *bounds)
    want = X3[:, slice(*bounds)]
    numpy.testing.assert_array_equal(got, want)
    numpy.testing.assert_array_equal(got_shape, want.shape)
    check_shape_graph([x, start, stop, step], out, [X3, *bounds])


@pytest.mark.parametrize("step", [1, 2, -1, -3])
def test_symbolic_step_with_default_bounds(step):
    x = dtensor3("x")
    s = lscalar("s")
    out = x[:, ::s]
    f = symbolic.function([x, s], [out, out.shape])
    got, got_shape = f(X3, step)
    numpy.testing.assert_array_equal(got, X3[:, ::step])
    numpy.testing.assert_array_equal(got_shape, X3[:, ::step].shape)
    check_shape_graph([x, s], out, [X3, step])


def test_mixed_constant_and_symbolic_bounds_infer_shape():
    x = dtensor3("x")
    i = iscalar("i")
    out = x[i:, :i:-1, 1:-1]
    check_shape_graph([x, i], out, [X3, numpy.int32(1)])
    check_shape_graph([x, i], out, [X3, numpy.int32(-2)])


def check_shape_graph(inputs, out, values):
    """infer_shape computes the shape without running the op itself."""
    node = out.owner
    fgraph = FunctionGraph(inputs, [out], clone=False)
    in_shapes = [tuple(v.shape[k] for k in range(v.ndim)) for v in node.inputs]
    (shape,) = node.op.infer_shape(fgraph, node, in_shapes)
    f = symbolic.function(inputs, [out, *map(as_tensor_variable, shape)])
    value, *dims = f(*values)
    assert tuple(int(d) for d in dims) == value.shape


def test_str_follows_theano():
    x = dtensor3("x")
    i = iscalar("i")
    assert str(x[1].owner.op) == "Subtensor{int64}"
    assert str(x[i].owner.op) == "Subtensor{int32}"
    assert str(x[1:].owner.op) == "Subtensor{int64::}"
    assert str(x[::-1].owner.op) == "Subtensor{::int64}"
    assert str(x[:i, 2].owner.op) == "Subtensor{:int32:, int64}"
    assert str(Subtensor([slice(None, None, -1)])) == "Subtensor{::-1}"
    assert str(Subtensor([slice(1, None)])) == "Subtensor{1::}"


def test_idx_list_and_inputs():
    x = dtensor3("x")
    i = lscalar("i")
    out = x[1:i, 0]
    assert isinstance(out.owner.op, Subtensor)
    assert out.owner.inputs[0] is x
    assert out.owner.inputs[2] is i
    assert out.owner.op.idx_list == (
        slice(TensorType("int64", ()), TensorType("int64", ()), None),
        TensorType("int64", ()),
    )


def test_subtensor_is_a_view():
    x = dmatrix("x")
    out = x[1:]
    assert out.owner.op.view_map == {0: [0]}
    assert out.owner.op.destroy_map == {}
    value = numpy.arange(6.0).reshape(3, 2)
    storage = [[None]]
    out.owner.op.perform(out.owner, [value, numpy.asarray(1)], storage)
    assert numpy.shares_memory(storage[0][0], value)
    scalar = x[1, 1]
    storage = [[None]]
    scalar.owner.op.perform(
        scalar.owner, [value, numpy.asarray(1), numpy.asarray(1)], storage
    )
    assert isinstance(storage[0][0], numpy.ndarray)
    assert storage[0][0].shape == ()
    assert numpy.shares_memory(storage[0][0], value)


BCAST_CASES = [
    ((False, False), lambda a: a[1:], (False, False)),
    ((False, False), lambda a: a[0:1], (False, False)),
    ((True, False), lambda a: a[:, 1], (True,)),
    ((True, False), lambda a: a[0:], (True, False)),
    ((True, False), lambda a: a[::-1], (True, False)),
    ((True, False), lambda a: a[-1:], (True, False)),
    ((True, False), lambda a: a[1:], (False, False)),
    ((True, False), lambda a: a[:0], (False, False)),
    ((True, False), lambda a: a[: iscalar()], (False, False)),
    ((False, True), lambda a: a[None], (True, False, True)),
    ((False, False), lambda a: a[:, None, 1], (False, True)),
    ((True, True), lambda a: a[0, 0], ()),
]


@pytest.mark.parametrize(("bcast", "index", "expected"), BCAST_CASES)
def test_output_broadcastable(bcast, index, expected):
    x = TensorType("float64", bcast)("x")
    assert index(x).broadcastable == expected


def test_none_indexing_is_a_dimshuffle():
    x = dmatrix("x")
    out = x[:, None]
    assert isinstance(out.owner.op, DimShuffle)
    assert out.owner.op.new_order == (0, "x", 1)
    assert out.broadcastable == (False, True, False)


def test_shape_indexing_is_int64():
    x = dtensor3("x")
    first = x.shape[0]
    assert isinstance(first.owner.op, Subtensor)
    assert first.type == TensorType("int64", ())
    assert x.shape[1:].type == TensorType("int64", (False,))
    assert int(first.eval({x: X3})) == 3
    numpy.testing.assert_array_equal(x.shape[:-1].eval({x: X3}), [3, 4])


def test_shape_unpacking():
    x = TensorType("float32", (False,) * 4)("x")
    B, C, H, W = x.shape
    value = numpy.zeros((2, 3, 4, 5), dtype="float32")
    f = symbolic.function([x], [B, C, H, W])
    assert [int(v) for v in f(value)] == [2, 3, 4, 5]
    rest = list(x.shape[1:])
    assert len(rest) == 3
    assert len(list(x.shape[:-1])) == 3
    assert len(list(x.shape[::2])) == 2


def test_unpacking_an_unknown_length_raises():
    x = dtensor3("x")
    with pytest.raises(TypeError, match="length is not known"):
        iter(x.shape[: iscalar("i")]).__next__()


def test_eq_hash_pickle():
    op = Subtensor([slice(1, None, -1), TensorType("int32", ())])
    same = Subtensor([slice(1, None, -1), iscalar()])
    assert op == same
    assert hash(op) == hash(same)
    assert op != Subtensor([slice(1, None, -1), TensorType("int64", ())])
    check_op_identity(op)
    x = dtensor3("x")
    out = x[1:, lscalar("i")]
    clone = pickle.loads(pickle.dumps(out))
    assert str(clone.owner.op) == str(out.owner.op)


@pytest.mark.parametrize(
    "index",
    [
        lambda a: a[1],
        lambda a: a[1:, ::-1],
        lambda a: a[:, -1, 1:3],
        lambda a: a[None, 0],
        lambda a: a[0, 1, 2],
    ],
)
def test_grad(index):
    rng = numpy.random.RandomState(1)
    verify_grad(index, [rng.rand(3, 4, 5)], rng=rng)


def test_grad_with_symbolic_index():
    x = dmatrix("x")
    i = lscalar("i")
    g = grad(x[i, 1:].sum(), x)
    value = numpy.ones((3, 4))
    expected = numpy.zeros((3, 4))
    expected[2, 1:] = 1
    numpy.testing.assert_array_equal(g.eval({x: value, i: -1}), expected)


def test_grad_of_integer_input_is_zero():
    x = TensorType("int64", (False,))("x")
    op = x[1:].owner.op
    gx, _ = op.L_op(x[1:].owner.inputs, [x[1:]], [dmatrix()[0]])
    assert gx.dtype == symbolic.config.floatX
    assert numpy.all(gx.eval({x: numpy.arange(3)}) == 0)


def test_connection_pattern():
    x = dmatrix("x")
    out = x[lscalar() :]
    assert out.owner.op.connection_pattern(out.owner) == [[True], [False]]


def test_rop():
    x = dmatrix("x")
    v = dmatrix("v")
    out = x[1:, ::-1] * 2
    r = Rop(out, x, v)
    value = numpy.arange(6.0).reshape(3, 2)
    numpy.testing.assert_allclose(
        r.eval({x: value, v: value + 1}), (value + 1)[1:, ::-1] * 2
    )


def test_index_too_many():
    x = dmatrix("x")
    with pytest.raises(IndexError, match="too many indices for x"):
        x[1, 2, 3]
    with pytest.raises(IndexError, match="too many indices"):
        x[..., 1, 2, 3]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]
    with pytest.raises(IndexError, match="too many indices"):
        Subtensor([1, 1, 1])(x)


@pytest.mark.parametrize(
    ("index", "message"),
    [
        (1.5, "must be an integer|valid indices"),
        (slice(0.5, None), "slice bound must be an integer"),
        (True, "boolean"),
        ("a", "valid indices"),
    ],
)
def test_bad_index_kinds(index, message):
    with pytest.raises(TypeError, match=message):
        getitem(dmatrix("x"), index)


def test_bad_symbolic_index_dtypes():
    x = dmatrix("x")
    with pytest.raises(TypeError, match="integer or boolean dtype"):
        x[dscalar("d")]
    with pytest.raises(TypeError, match="slice bound must be an integer scalar"):
        x[: fscalar("f")]
    with pytest.raises(TypeError, match="scalar boolean"):
        x[dscalar() > 0]


def test_zero_step_is_rejected():
    with pytest.raises(ValueError, match="step cannot be zero"):
        dmatrix("x")[::0]


def test_wrong_index_input_type():
    op = Subtensor([TensorType("int32", ())])
    with pytest.raises(TypeError, match="expected TensorType\\(int32, scalar\\)"):
        op(dmatrix("x"), lscalar("i"))
    with pytest.raises(TypeError, match="expects 1 index inputs, got 0"):
        op(dmatrix("x"))


def test_constant_ints_in_idx_list():
    x = dmatrix("x")
    out = Subtensor([slice(None, None, -1), 1])(x)
    value = numpy.arange(6.0).reshape(3, 2)
    numpy.testing.assert_array_equal(out.eval({x: value}), value[::-1, 1])
    assert out.broadcastable == (False,)


def test_compiled_views_do_not_alias_inputs():
    x = dmatrix("x")
    f = symbolic.function([x], [x[1:], x[0, 0], x[::-1]])
    value = numpy.ones((3, 2))
    for result in f(value):
        assert not numpy.shares_memory(result, value)

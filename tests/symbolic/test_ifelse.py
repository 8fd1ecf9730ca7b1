import pickle

import numpy
import pytest

import symbolic
from symbolic import function, tensor
from symbolic.compile.mode import Mode
from symbolic.gradient import verify_grad
from symbolic.ifelse import IfElse, ifelse
from symbolic.printing import Print
from tests.helpers.op_check import check_op_identity

MODES = [Mode(linker="py", optimizer=None), Mode(linker="py"), None]


class Counter:
    """A picklable Print hook that records which messages ran."""

    def __init__(self):
        self.seen = []

    def __call__(self, op, value):
        self.seen.append(op.message)


def counted(message, counter, x):
    return Print(message, global_fn=counter)(x)


@pytest.mark.parametrize("mode", MODES)
def test_values_follow_the_condition(mode):
    a, b = tensor.dvector("a"), tensor.dvector("b")
    c = tensor.iscalar("c")
    f = function([c, a, b], ifelse(c, a * 2, b + 1), mode=mode)
    x, y = numpy.arange(3.0), numpy.ones(3)
    numpy.testing.assert_allclose(f(1, x, y), x * 2)
    numpy.testing.assert_allclose(f(0, x, y), y + 1)
    numpy.testing.assert_allclose(f(-3, x, y), x * 2)


@pytest.mark.parametrize("mode", MODES)
def test_only_the_taken_branch_runs(mode):
    counter = Counter()
    a, b, c = tensor.dscalar("a"), tensor.dscalar("b"), tensor.dscalar("c")
    out = ifelse(
        tensor.gt(c, 0),
        counted("then", counter, a * 2) + 1,
        counted("else", counter, b * 3),
    )
    f = function([a, b, c], out, mode=mode)
    assert f(1.0, 2.0, 1.0) == 3.0
    assert counter.seen == ["then"]
    assert f(1.0, 2.0, -1.0) == 6.0
    assert counter.seen == ["then", "else"]


def test_untaken_branch_may_hold_shape_errors():
    # The aggregation case: an accumulator of shape (0,) in the untaken branch.
    x = tensor.dvector("x")
    storage = symbolic.shared(numpy.zeros(0), name="storage")
    initialized = symbolic.shared(0.0, name="initialized")
    out = ifelse(initialized, tensor.minimum(storage, x), x)
    f = function([x], out, updates=[(storage, out), (initialized, 1.0)])
    numpy.testing.assert_allclose(f(numpy.array([3.0, 1.0])), [3.0, 1.0])
    numpy.testing.assert_allclose(f(numpy.array([2.0, 5.0])), [2.0, 1.0])


def test_nested_ifelse_runs_only_the_chosen_leaf():
    counter = Counter()
    a, b, c = tensor.dscalar("a"), tensor.dscalar("b"), tensor.dscalar("c")
    inner = ifelse(
        tensor.gt(a, 0),
        counted("inner_t", counter, a + 1),
        counted("inner_e", counter, a - 1),
    )
    out = ifelse(tensor.gt(c, 0), inner, counted("outer_e", counter, b * 1))
    f = function([a, b, c], out)
    assert f(1.0, 2.0, 1.0) == 2.0 and counter.seen == ["inner_t"]
    counter.seen.clear()
    assert f(-1.0, 2.0, 1.0) == -2.0 and counter.seen == ["inner_e"]
    counter.seen.clear()
    assert f(1.0, 2.0, -1.0) == 2.0 and counter.seen == ["outer_e"]


def test_work_shared_with_the_condition_or_outputs_still_runs():
    counter = Counter()
    a = tensor.dscalar("a")
    shared_term = counted("shared", counter, a * 2)
    out = ifelse(tensor.gt(shared_term, 0), shared_term + 1, a)
    f = function([a], [out, shared_term])
    assert [float(v) for v in f(-1.0)] == [-1.0, -2.0]
    assert counter.seen == ["shared"]
    both = ifelse(tensor.gt(a, 0), shared_term, -shared_term)
    g = function([a], both)
    counter.seen.clear()
    assert g(-2.0) == 4.0 and counter.seen == ["shared"]


def test_errors_inside_a_branch_name_the_failing_node():
    a = tensor.dvector("a")
    b = tensor.dvector("b")
    out = ifelse(tensor.constant(1), a + b, a)
    f = function([a, b], out)
    with pytest.raises(ValueError, match="Apply node that caused the error"):
        f(numpy.ones(2), numpy.ones(3))


def test_profiled_functions_run_lazily_too():
    counter = Counter()
    a = tensor.dscalar("a")
    out = ifelse(tensor.gt(a, 0), a, counted("else", counter, -a))
    f = function([a], out, profile=True)
    assert f(2.0) == 2.0 and counter.seen == []


def test_lists_and_tuples_are_mirrored():
    a, b = tensor.dscalar("a"), tensor.dscalar("b")
    c = tensor.iscalar("c")
    as_list = ifelse(c, [a, b], [b, a])
    as_tuple = ifelse(c, (a, b), (b, a))
    assert isinstance(as_list, list) and isinstance(as_tuple, tuple)
    f = function([c, a, b], as_list)
    assert [float(v) for v in f(0, 1.0, 2.0)] == [2.0, 1.0]
    single = ifelse(c, a, 0.5)
    assert single.type == a.type


def test_mismatched_branches_raise():
    c = tensor.iscalar("c")
    with pytest.raises(TypeError, match="identical types"):
        ifelse(c, tensor.dvector(), tensor.fvector())
    with pytest.raises(TypeError, match="identical types"):
        ifelse(c, tensor.row(), tensor.matrix())
    with pytest.raises(ValueError, match="must match"):
        ifelse(c, [tensor.dscalar()], [tensor.dscalar(), tensor.dscalar()])
    with pytest.raises(TypeError, match="scalar"):
        ifelse(tensor.ivector(), tensor.dscalar(), tensor.dscalar())


def test_gradient_goes_to_the_taken_branch():
    a, b = tensor.dvector("a"), tensor.dvector("b")
    c = tensor.iscalar("c")
    cost = tensor.sum(ifelse(c, a**2, b * 3))
    ga, gb = symbolic.grad(cost, [a, b])
    f = function([c, a, b], [ga, gb])
    x, y = numpy.array([1.0, 2.0]), numpy.array([3.0, 4.0])
    grad_a, grad_b = f(1, x, y)
    numpy.testing.assert_allclose(grad_a, 2 * x)
    numpy.testing.assert_allclose(grad_b, 0)
    grad_a, grad_b = f(0, x, y)
    numpy.testing.assert_allclose(grad_a, 0)
    numpy.testing.assert_allclose(grad_b, 3)


@pytest.mark.parametrize("condition", [0, 1])
def test_verify_grad(condition):
    rng = numpy.random.RandomState(0)

    def fn(x, y):
        return ifelse(tensor.constant(condition), tensor.tanh(x) * y, x - y * y)

    verify_grad(fn, [rng.randn(3, 2), rng.randn(3, 2)], rng=rng)


def test_gradient_of_several_outputs_with_one_unused():
    a, b = tensor.dscalar("a"), tensor.dscalar("b")
    c = tensor.iscalar("c")
    first, _second = ifelse(c, [a * 2, b], [b, a])
    ga, gb = symbolic.grad(first, [a, b])
    f = function([c, a, b], [ga, gb])
    assert [float(v) for v in f(1, 1.0, 1.0)] == [2.0, 0.0]
    assert [float(v) for v in f(0, 1.0, 1.0)] == [0.0, 1.0]


def test_infer_shape_picks_the_branch_shape():
    a, b = tensor.dmatrix("a"), tensor.dmatrix("b")
    c = tensor.iscalar("c")
    out = ifelse(c, a, b)
    node = out.owner
    shape_a = (a.shape[0], a.shape[1])
    shape_b = (b.shape[0], b.shape[1])
    (shape,) = node.op.infer_shape(None, node, [(), shape_a, shape_b])
    f = function([c, a, b], list(shape))
    x, y = numpy.ones((2, 3)), numpy.ones((4, 5))
    assert [int(v) for v in f(1, x, y)] == [2, 3]
    assert [int(v) for v in f(0, x, y)] == [4, 5]
    same = node.op.infer_shape(None, node, [(), shape_a, shape_a])
    assert same == [shape_a]


def test_op_identity_and_printing():
    op = IfElse(2, name="choose")
    check_op_identity(op)
    assert op == IfElse(2) and op != IfElse(2, as_view=True) and op != IfElse(3)
    assert str(op) == "if{choose}"
    assert str(IfElse(1, as_view=True)) == "if{inplace}"
    assert IfElse(1, as_view=True).view_map == {0: [1]}
    assert op.lazy


def test_graphs_and_functions_pickle():
    a = tensor.dvector("a")
    out = ifelse(tensor.gt(a.sum(), 0), a * 2, -a)
    f = function([a], out)
    g = pickle.loads(pickle.dumps(f))
    numpy.testing.assert_allclose(g(numpy.ones(2)), [2.0, 2.0])
    numpy.testing.assert_allclose(g(-numpy.ones(2)), [1.0, 1.0])


def test_outputs_are_copies_unless_as_view():
    a = tensor.dvector("a")
    c = tensor.iscalar("c")
    f = function([c, a], ifelse(c, a, a + 1))
    x = numpy.zeros(2)
    out = f(1, x)
    out[0] = 5
    assert x[0] == 0

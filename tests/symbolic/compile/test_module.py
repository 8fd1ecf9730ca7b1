"""The legacy Module API: the examples of Theano's compile.module documentation."""

import pickle

import numpy
import pytest

import symbolic
from symbolic import tensor as T
from symbolic.compile import module as M
from symbolic.tensor import nnet as NN


# Basic example -------------------------------------------------------------------
def make_accumulator():
    m = M.Module()
    n = T.scalar("n")
    m.c = T.scalar()  # state variables
    m.inc = M.Method(n, [], updates={m.c: m.c + n})  # m.c <= m.c + n
    m.dec = M.Method(n, [], updates={m.c: m.c - n})  # m.c <= m.c - n
    m.plus10 = M.Method([], m.c + 10)  # does not update the state
    return m


def test_basic_example_with_function():
    n, c = T.scalars("nc")
    inc = symbolic.function([n, ((c, c + n), 0)], [])
    dec = symbolic.function([n, ((c, c - n), inc.container[c])], [])
    plus10 = symbolic.function([(c, inc.container[c])], c + 10)
    assert inc[c] == 0
    inc(2)
    assert inc[c] == 2 and dec[c] == inc[c]
    dec(3)
    assert inc[c] == -1 and dec[c] == inc[c]
    assert plus10() == 9


def test_basic_example():
    inst = make_accumulator().make(c=0)
    assert inst.c == 0
    inst.inc(2)
    assert inst.c == 2
    inst.dec(3)
    assert inst.c == -1
    assert inst.plus10() == 9
    assert inst.c == -1


def test_member_classification_and_naming():
    m = make_accumulator()
    assert isinstance(m.resolve("c"), M.Member)
    assert m.c.name == "c"
    assert isinstance(m.c, symbolic.Variable)
    assert isinstance(m.inc, M.Method)
    m.expr = m.c * 2
    assert isinstance(m.resolve("expr"), M.External)
    m.shared_w = symbolic.shared(1.0)
    assert isinstance(m.resolve("shared_w"), M.External)
    m.flag = True
    assert m.flag is True and "flag" not in m._components


def test_instances_are_independent():
    m = make_accumulator()
    a, b = m.make(c=0), m.make(c=100)
    a.inc(5)
    b.dec(1)
    assert a.c == 5 and b.c == 99
    assert a.plus10() == 15 and b.plus10() == 109


def test_member_set_on_instance_is_filtered():
    inst = make_accumulator().make(c=0)
    inst.c = 7
    assert isinstance(inst.c, numpy.ndarray) and inst.c.dtype == T.scalar().dtype
    assert inst.plus10() == 17
    with pytest.raises(TypeError, match="c"):
        inst.c = numpy.zeros(3)


def test_keyword_updates_and_make_mode():
    m = M.Module()
    n = T.scalar("n")
    m.c = T.scalar()
    m.inc = M.Method(n, m.c, c=m.c + n)
    inst = m.make(mode="FAST_COMPILE", c=1)
    assert inst.inc(3) == 1  # outputs are computed from the old state
    assert inst.c == 4


# Nesting example -----------------------------------------------------------------
def make_incdec_module():
    m = M.Module()
    n = T.scalar("n")
    m.c = T.scalar()
    m.inc = M.Method(n, [], updates={m.c: m.c + n})
    m.dec = M.Method(n, [], updates={m.c: m.c - n})
    return m


def test_nesting_example_with_function():
    def make_incdec_function():
        n, c = T.scalars("nc")
        inc = symbolic.function([n, ((c, c + n), 0)], [])
        dec = symbolic.function([n, ((c, c - n), inc.container[c])], [])
        return inc, dec

    inc1, dec1 = make_incdec_function()
    inc2, _ = make_incdec_function()
    a, b = T.scalars("ab")
    total = symbolic.function(
        [(a, inc1.container["c"]), (b, inc2.container["c"])], a + b
    )
    inc1(2)
    dec1(4)
    inc2(6)
    assert inc1["c"] == -2 and inc2["c"] == 6
    assert total() == 4


def make_nested():
    m = M.Module()
    m.incdec1 = make_incdec_module()
    m.incdec2 = make_incdec_module()
    m.sum = M.Method([], m.incdec1.c + m.incdec2.c)
    return m


def test_nesting_example():
    inst = make_nested().make(incdec1={"c": 0}, incdec2={"c": 0})
    inst.incdec1.inc(2)
    inst.incdec1.dec(4)
    inst.incdec2.inc(6)
    assert inst.incdec1.c == -2 and inst.incdec2.c == 6
    assert inst.sum() == 4  # -2 + 6


def test_inner_module_assigned_twice_shares_state():
    counter = make_incdec_module()
    m = M.Module()
    m.left = counter
    m.right = counter
    m.both = M.Method([], m.left.c + m.right.c)
    inst = m.make(left={"c": 1})
    assert inst.left is inst.right
    inst.right.inc(2)
    assert inst.left.c == 3 and inst.both() == 6


def test_outer_method_updates_inner_member():
    m = make_nested()
    m.reset = M.Method([], [], updates={"incdec1.c": m.incdec2.c})
    inst = m.make(incdec1={"c": 5}, incdec2={"c": 9})
    inst.reset()
    assert inst.incdec1.c == 9


def test_resolve():
    m = make_nested()
    assert m.resolve("incdec1.c").r is m.incdec1.c
    assert isinstance(m.resolve("incdec2.inc", M.Method), M.Method)
    assert isinstance(m.resolve("incdec1"), M.Module)
    assert m.resolve(m.incdec2.c).r is m.incdec2.c
    with pytest.raises(LookupError, match=r"'incdec1'.*'incdec2'.*'sum'"):
        m.resolve("incdec3")
    with pytest.raises(LookupError, match=r"incdec1 has no component 'x'.*'c'"):
        m.resolve("incdec1.x")
    with pytest.raises(LookupError, match="expected a Member"):
        m.resolve("sum", M.Member)
    with pytest.raises(LookupError, match="not a Member or External"):
        m.resolve(T.scalar("stray"))


# Advanced example ----------------------------------------------------------------
class RegressionLayer(M.Module):
    def __init__(self, input=None, target=None, regularize=True):
        super().__init__()
        self.regularize = regularize
        if not input:
            input = T.matrix("input")
        if not target:
            target = T.matrix("target")
        self.stepsize = T.scalar()  # a stepsize for gradient descent
        self.w = T.matrix()  # the linear transform applied to the inputs
        self.b = T.vector()  # biases
        self.activation = T.dot(input, self.w) + self.b
        self.prediction = self.build_prediction()
        self.classification_cost = self.build_classification_cost(target)
        self.regularization = self.build_regularization()
        self.cost = self.classification_cost
        if self.regularize:
            self.cost = self.cost + self.regularization
        self.grad_w, self.grad_b, grad_act = T.grad(
            self.cost, [self.w, self.b, self.prediction]
        )
        self.update = M.Method(
            [input, target],
            [self.cost, self.grad_w, self.grad_b, grad_act],
            updates={
                self.w: self.w - self.stepsize * self.grad_w,
                self.b: self.b - self.stepsize * self.grad_b,
            },
        )
        self.apply = M.Method(input, self.prediction)

    def params(self):
        return self.w, self.b

    def _instance_initialize(
        self, obj, input_size=None, target_size=None, seed=1827, **init
    ):
        if input_size and target_size:
            sz = (input_size, target_size)
            rng = numpy.random.RandomState(seed)
            obj.w = rng.uniform(size=sz, low=-0.5, high=0.5)
            obj.b = numpy.zeros(target_size)
            obj.stepsize = 0.01
        M.default_initialize(obj, **init)

    def build_regularization(self):
        return T.constant(0.0)  # no regularization


class SpecifiedRegressionLayer(RegressionLayer):
    """XE mean cross entropy."""

    def build_prediction(self):
        return NN.sigmoid(self.activation)

    def build_classification_cost(self, target):
        self.classification_cost_matrix = (target - self.prediction) ** 2
        self.classification_costs = T.sum(self.classification_cost_matrix, axis=1)
        return T.sum(self.classification_costs)

    def build_regularization(self):
        self.l2_coef = T.scalar()  # a hyper-parameter
        return self.l2_coef * T.sum(self.w * self.w)


def numpy_regression_step(w, b, stepsize, x, y):
    """One step of the seed's model in numpy: (cost, grad_w, grad_b, new w, b)."""
    pred = 1 / (1 + numpy.exp(-(x @ w + b)))
    cost = ((y - pred) ** 2).sum()
    grad_act = -2 * (y - pred) * pred * (1 - pred)
    grad_w, grad_b = x.T @ grad_act, grad_act.sum(axis=0)
    return cost, grad_w, grad_b, w - stepsize * grad_w, b - stepsize * grad_b


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_advanced_example_trains(mode):
    rng = numpy.random.RandomState(0)
    data_x = rng.randn(4, 10)
    data_y = [[int(x)] for x in (rng.randn(4) > 0)]
    model = SpecifiedRegressionLayer(regularize=False).make(
        input_size=10, target_size=1, stepsize=0.1, mode=mode
    )
    assert model.stepsize == 0.1  # init supersedes the default of 0.01
    w0 = numpy.random.RandomState(1827).uniform(size=(10, 1), low=-0.5, high=0.5)
    numpy.testing.assert_allclose(model.w, w0)
    w, b, y = w0, numpy.zeros(1), numpy.asarray(data_y, dtype=float)
    costs = []
    for _ in range(200):
        xe, gw, gb, _ga = model.update(data_x, data_y)
        cost, ref_gw, ref_gb, w, b = numpy_regression_step(w, b, 0.1, data_x, y)
        costs.append(float(xe))
        numpy.testing.assert_allclose(xe, cost, rtol=1e-10)
        numpy.testing.assert_allclose(gw, ref_gw, rtol=1e-8, atol=1e-12)
        numpy.testing.assert_allclose(gb, ref_gb, rtol=1e-8, atol=1e-12)
    numpy.testing.assert_allclose(model.w, w, rtol=1e-8)
    numpy.testing.assert_allclose(model.b, b, rtol=1e-8)
    assert costs[-1] < costs[0] / 2
    prediction = model.apply(data_x)
    assert ((prediction > 0.5) == (y > 0.5)).all()


def test_advanced_example_regularized_needs_l2_coef():
    layer = SpecifiedRegressionLayer(regularize=True)
    model = layer.make(input_size=3, target_size=2)
    x, y = numpy.ones((1, 3)), numpy.zeros((1, 2))
    with pytest.raises(ValueError, match="Member 'l2_coef' has no value"):
        model.update(x, y)
    model.l2_coef = 0.5
    xe = model.update(x, y)[0]
    w0 = numpy.random.RandomState(1827).uniform(size=(3, 2), low=-0.5, high=0.5)
    pred = 1 / (1 + numpy.exp(-(x @ w0)))
    numpy.testing.assert_allclose(xe, (pred**2).sum() + 0.5 * (w0**2).sum())


# Extending methods ---------------------------------------------------------------
def test_extending_methods():
    model_module = SpecifiedRegressionLayer(regularize=False)
    model_module.sum = T.scalar()  # a member holding the sum of costs
    model_module.update.updates.update(sum=model_module.sum + model_module.cost)
    model = model_module.make(input_size=4, target_size=2, stepsize=0.1, sum=0)
    # The update Method returns [cost, grad_w, grad_b, grad_act]: add the costs.
    test = (
        model.update([[0, 0, 1, 0]], [[0, 1]])[0]
        + model.update([[0, 1, 0, 0]], [[1, 0]])[0]
    )
    assert model.sum == test
    assert test > 0


# Errors ----------------------------------------------------------------------------
def test_method_using_undeclared_variable_names_it():
    m = M.Module()
    n = T.scalar("n")
    stray = T.scalar("stray")
    m.c = T.scalar()
    m.bad = M.Method(n, m.c + n + stray)
    with pytest.raises(ValueError, match=r"'bad'.*stray.*neither.*\['c'\]"):
        m.make(c=0)


def test_update_of_non_member_is_rejected():
    m = M.Module()
    m.c = T.scalar()
    m.expr = m.c * 2
    m.bad = M.Method([], [], updates={m.expr: m.c})
    with pytest.raises(ValueError, match="not a Member"):
        m.make(c=0)
    m.bad = M.Method([], [], updates={"nothing": m.c})
    with pytest.raises(LookupError, match="no component 'nothing'"):
        m.make(c=0)


def test_update_of_wrong_type_is_rejected():
    m = M.Module()
    m.c = T.scalar()
    m.bad = M.Method([], [], updates={m.c: T.vector("v")})
    with pytest.raises(TypeError, match="update of 'c'"):
        m.make(c=0)


def test_unknown_init_key_lists_members():
    with pytest.raises(AttributeError, match=r"'cc'.*\['c'\]"):
        make_accumulator().make(cc=0)


def test_reserved_names_and_instance_errors():
    m = make_accumulator()
    with pytest.raises(AttributeError, match="make"):
        m.make = M.Method([], m.c)
    inst = m.make(c=0)
    with pytest.raises(AttributeError, match="cannot assign to the method"):
        inst.inc = 3
    m2 = make_nested()
    inst2 = m2.make()
    with pytest.raises(TypeError, match="dict"):
        inst2.incdec1 = 3
    m.expr = m.c + 1
    with pytest.raises(AttributeError, match="External"):
        _ = m.make(c=0).expr


def test_method_details():
    m = M.Module()
    x = T.scalar("x")
    m.c = T.scalar()
    m.total = T.scalar()
    m.scale = 3.0  # a plain value: kept on the module and copied to instances
    m.set_total = M.Method([symbolic.In(x, value=1.0)], [], total=x * m.scale)
    m.read = M.Method([], m.total + m.c, mode="FAST_COMPILE")
    m.via_member = M.Method([], [], updates={m.resolve("c"): m.total})
    inst = m.make(c=2)
    assert inst.scale == 3.0
    inst.set_total()  # writes a member that had no value: nothing to check
    assert inst.total == 3
    inst.set_total(2)
    assert inst.read() == 8
    inst.via_member()
    assert inst.c == 6
    assert inst.read.maker is inst.read.function.maker


def test_subclass_assigning_before_init_and_shared_variables():
    class Early(M.Module):
        def __init__(self):
            self.c = T.scalar()  # before super().__init__()
            super().__init__()
            self.w = symbolic.shared(numpy.float64(1.0), name="w")
            self.bump = M.Method([], self.c * self.w, updates={self.c: self.c + 1})

    m = Early()
    a, b = m.make(c=0), m.make(c=10)
    m.w.set_value(
        2.0
    )  # a shared variable's state is the variable's, not the instance's
    assert a.bump() == 0 and b.bump() == 20
    assert a.c == 1 and b.c == 11


# Pickling ----------------------------------------------------------------------------
def test_pickled_instance_keeps_state_shared_between_methods():
    inst = make_accumulator().make(c=0)
    inst.inc(4)
    clone = pickle.loads(pickle.dumps(inst))
    assert clone.c == 4
    clone.inc(1)
    clone.dec(3)
    assert clone.c == 2 and clone.plus10() == 12
    assert inst.c == 4  # the original is untouched


def test_pickled_nested_instance_keeps_sharing_with_inner_modules():
    inst = make_nested().make(incdec1={"c": 1}, incdec2={"c": 2})
    clone = pickle.loads(pickle.dumps(inst))
    clone.incdec1.inc(10)
    assert clone.sum() == 13 and inst.sum() == 3

import logging
from collections import OrderedDict

import numpy
import pytest
from numpy.testing import assert_allclose

import symbolic
from blocks.algorithms import (
    AdaDelta,
    AdaGrad,
    Adam,
    BasicMomentum,
    BasicRMSProp,
    CompositeRule,
    GradientDescent,
    Momentum,
    RemoveNotFinite,
    Restrict,
    RMSProp,
    Scale,
    StepClipping,
    StepRule,
    UpdatesAlgorithm,
    VariableClipping,
)
from blocks.roles import ALGORITHM_BUFFER, ALGORITHM_HYPERPARAMETER, has_roles
from blocks.utils import shared_floatx
from symbolic import tensor
from symbolic.compile.profiling import ProfileStats

floatX = symbolic.config.floatX
RTOL = 1e-5 if floatX == "float32" else 1e-10


def _floatx(value):
    return numpy.asarray(value, dtype=floatX)


GRADIENTS = [
    _floatx([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]),
    _floatx([[-0.25, 0.5, 1.0], [0.125, -2.0, 3.0]]),
    _floatx([[1.0, 1.0, -1.0], [0.25, 0.5, 0.5]]),
    _floatx([[3.0, -0.5, 0.0], [-1.0, 0.75, 2.5]]),
]
PARAMETER = _floatx([[1.0, 2.0, -3.0], [0.5, -0.5, 4.0]])


def run_rule(rule, gradients=GRADIENTS, value=PARAMETER):
    """Steps the rule computes on a sequence of gradients, one per call."""
    parameter = shared_floatx(value, name="W")
    gradient = tensor.matrix("gradient", dtype=floatX)
    steps, updates = rule.compute_steps(OrderedDict([(parameter, gradient)]))
    step_function = symbolic.function([gradient], steps[parameter], updates=updates)
    return [step_function(g) for g in gradients]


def check_rule(rule, reference, gradients=GRADIENTS, value=PARAMETER):
    actual = run_rule(rule, gradients, value)
    expected = reference(gradients, value)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert_allclose(a, e, rtol=RTOL, atol=RTOL)


# numpy references, written from the formulas of the docstrings


def scale_reference(learning_rate):
    return lambda gs, p: [learning_rate * g for g in gs]


def momentum_reference(learning_rate, momentum):
    def reference(gs, p):
        velocity = numpy.zeros_like(p)
        steps = []
        for g in gs:
            velocity = momentum * velocity + learning_rate * g
            steps.append(velocity)
        return steps

    return reference


def adadelta_reference(rho, eps):
    def reference(gs, p):
        msg = numpy.zeros_like(p)
        msdx = numpy.zeros_like(p)
        steps = []
        for g in gs:
            msg = rho * msg + (1 - rho) * g**2
            dx = numpy.sqrt(msdx + eps) / numpy.sqrt(msg + eps) * g
            msdx = rho * msdx + (1 - rho) * dx**2
            steps.append(dx)
        return steps

    return reference


def rmsprop_reference(learning_rate, rho, max_scaling):
    def reference(gs, p):
        msg = numpy.zeros_like(p)
        steps = []
        for g in gs:
            msg = rho * msg + (1 - rho) * g**2
            steps.append(
                learning_rate * g / numpy.maximum(numpy.sqrt(msg), 1.0 / max_scaling)
            )
        return steps

    return reference


def adagrad_reference(learning_rate, eps):
    def reference(gs, p):
        ssq = numpy.zeros_like(p)
        steps = []
        for g in gs:
            ssq = ssq + g**2
            steps.append(learning_rate * g / (numpy.sqrt(ssq) + eps))
        return steps

    return reference


def adam_reference(learning_rate, beta1, beta2, eps, decay_factor):
    def reference(gs, p):
        m = numpy.zeros_like(p)
        v = numpy.zeros_like(p)
        steps = []
        for t, g in enumerate(gs, start=1):
            beta1_t = beta1 * decay_factor ** (t - 1)
            m = beta1_t * m + (1 - beta1_t) * g
            v = beta2 * v + (1 - beta2) * g**2
            lr_t = learning_rate * numpy.sqrt(1 - beta2**t) / (1 - beta1**t)
            steps.append(lr_t * m / (numpy.sqrt(v) + eps))
        return steps

    return reference


def test_scale():
    check_rule(Scale(learning_rate=0.1), scale_reference(0.1))


def test_basic_momentum():
    check_rule(BasicMomentum(momentum=0.5), momentum_reference(1.0, 0.5))


def test_momentum():
    rule = Momentum(learning_rate=0.1, momentum=0.9)
    check_rule(rule, momentum_reference(0.1, 0.9))
    assert_allclose(rule.learning_rate.get_value(), 0.1, rtol=RTOL)
    assert_allclose(rule.momentum.get_value(), 0.9, rtol=RTOL)


def test_adadelta():
    check_rule(AdaDelta(decay_rate=0.9, epsilon=1e-4), adadelta_reference(0.9, 1e-4))


def test_adadelta_rejects_decay_rate_outside_unit_interval():
    with pytest.raises(ValueError, match="decay_rate"):
        AdaDelta(decay_rate=1.5)
    with pytest.raises(ValueError, match="decay_rate"):
        AdaDelta(decay_rate=-0.1)


def test_basic_rmsprop():
    check_rule(
        BasicRMSProp(decay_rate=0.5, max_scaling=3.0), rmsprop_reference(1, 0.5, 3)
    )


def test_basic_rmsprop_max_scaling_bounds_the_step():
    gradients = [_floatx(numpy.full((2, 3), 1e-6))]
    steps = run_rule(BasicRMSProp(decay_rate=0.0, max_scaling=10.0), gradients)
    assert_allclose(steps[0], 1e-5, rtol=1e-4)


def test_basic_rmsprop_checks_arguments():
    with pytest.raises(ValueError, match="max_scaling"):
        BasicRMSProp(max_scaling=0)
    with pytest.raises(ValueError, match="decay_rate"):
        BasicRMSProp(decay_rate=2)


def test_rmsprop():
    rule = RMSProp(learning_rate=0.1, decay_rate=0.9, max_scaling=1e5)
    check_rule(rule, rmsprop_reference(0.1, 0.9, 1e5))
    assert_allclose(rule.learning_rate.get_value(), 0.1, rtol=RTOL)
    assert_allclose(rule.decay_rate.get_value(), 0.9, rtol=RTOL)


def test_adagrad():
    check_rule(AdaGrad(learning_rate=0.01, epsilon=1e-3), adagrad_reference(0.01, 1e-3))


def test_adam():
    check_rule(Adam(), adam_reference(0.002, 0.9, 0.999, 1e-8, 1))


def test_adam_with_decay_factor():
    rule = Adam(learning_rate=0.1, beta1=0.8, beta2=0.9, epsilon=1e-4, decay_factor=0.5)
    check_rule(rule, adam_reference(0.1, 0.8, 0.9, 1e-4, 0.5))


def test_composite_rule_applies_rules_in_order():
    rule = CompositeRule([Scale(0.5), BasicMomentum(0.5), Scale(2.0)])
    check_rule(rule, lambda gs, p: [2 * s for s in momentum_reference(0.5, 0.5)(gs, p)])


def test_step_clipping_rescales_all_steps_together():
    a = shared_floatx([3.0, 0.0], name="a")
    b = shared_floatx([0.0, 4.0], name="b")
    ga, gb = tensor.vector("ga", dtype=floatX), tensor.vector("gb", dtype=floatX)
    rule = StepClipping(threshold=1.0)
    steps, updates = rule.compute_steps(OrderedDict([(a, ga), (b, gb)]))
    f = symbolic.function([ga, gb], [steps[a], steps[b]], updates=updates)
    step_a, step_b = f(_floatx([3.0, 0.0]), _floatx([0.0, 4.0]))
    assert_allclose(step_a, [0.6, 0.0], rtol=RTOL)
    assert_allclose(step_b, [0.0, 0.8], rtol=RTOL)
    # Below the threshold the steps are untouched.
    step_a, step_b = f(_floatx([0.3, 0.0]), _floatx([0.0, 0.4]))
    assert_allclose(step_a, [0.3, 0.0], rtol=RTOL)
    assert_allclose(step_b, [0.0, 0.4], rtol=RTOL)


def test_step_clipping_without_threshold_is_identity():
    check_rule(StepClipping(), scale_reference(1.0))


def variable_clipping_reference(threshold, axis):
    def reference(gs, p):
        steps = []
        for g in gs:
            after = p - g
            norms = numpy.sqrt((after**2).sum(axis=axis, keepdims=axis is not None))
            clipped = p - threshold / norms * after
            steps.append(numpy.where(norms > threshold, clipped, g))
        return steps

    return reference


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_variable_clipping(axis):
    check_rule(VariableClipping(2.0, axis=axis), variable_clipping_reference(2.0, axis))


def test_variable_clipping_caps_the_norm_after_the_step():
    steps = run_rule(VariableClipping(1.0, axis=0), GRADIENTS[:1])
    after = PARAMETER - steps[0]
    assert numpy.all(numpy.sqrt((after**2).sum(axis=0)) <= 1.0 + 1e-5)


def test_variable_clipping_checks_axes():
    with pytest.raises(ValueError, match="repeated"):
        VariableClipping(1.0, axis=(0, 0))
    with pytest.raises(ValueError, match="out of range"):
        run_rule(VariableClipping(1.0, axis=2))


def test_remove_not_finite():
    gradients = [GRADIENTS[0], _floatx(numpy.full((2, 3), numpy.nan)), GRADIENTS[1]]
    gradients[2] = gradients[2].copy()
    gradients[2][0, 0] = numpy.inf
    steps = run_rule(RemoveNotFinite(), gradients)
    assert_allclose(steps[0], GRADIENTS[0])
    assert_allclose(steps[1], 0)
    assert_allclose(steps[2], 0)


def test_remove_not_finite_shrinks_the_parameter():
    gradients = [_floatx(numpy.full((2, 3), numpy.nan))]
    steps = run_rule(RemoveNotFinite(scaler=0.1), gradients)
    assert_allclose(steps[0], 0.9 * PARAMETER, rtol=RTOL)


def test_restrict_applies_the_rule_to_the_chosen_variables_only():
    a = shared_floatx([1.0, 2.0], name="a")
    b = shared_floatx([3.0, 4.0], name="b")
    ga, gb = tensor.vector("ga", dtype=floatX), tensor.vector("gb", dtype=floatX)
    rule = Restrict(Scale(0.1), [b])
    steps, _updates = rule.compute_steps(OrderedDict([(a, ga), (b, gb)]))
    assert list(steps) == [a, b]
    assert steps[a] is ga
    f = symbolic.function([gb], steps[b])
    assert_allclose(f(_floatx([1.0, 2.0])), [0.1, 0.2], rtol=RTOL)


@pytest.mark.parametrize(
    "rule",
    [
        Scale(0.1),
        BasicMomentum(0.5),
        Momentum(0.1, 0.5),
        AdaDelta(),
        BasicRMSProp(),
        RMSProp(),
        AdaGrad(),
        Adam(),
        StepClipping(1.0),
        VariableClipping(1.0, axis=0),
        RemoveNotFinite(),
    ],
    ids=lambda rule: type(rule).__name__,
)
def test_steps_keep_the_broadcastable_pattern(rule):
    parameter = shared_floatx(numpy.ones((3, 1)), name="W", broadcastable=(False, True))
    gradient = tensor.col("gradient", dtype=floatX)
    steps, updates = rule.compute_steps(OrderedDict([(parameter, gradient)]))
    assert steps[parameter].broadcastable == gradient.broadcastable
    for variable, new_value in updates:
        assert variable.broadcastable == new_value.broadcastable


def test_step_rules_mark_their_state_with_roles():
    rule = Adam()
    parameter = shared_floatx(PARAMETER, name="W")
    _, updates = rule.compute_steps(OrderedDict([(parameter, parameter * 1)]))
    assert all(has_roles(variable, [ALGORITHM_BUFFER]) for variable, _ in updates)
    assert has_roles(rule.learning_rate, [ALGORITHM_HYPERPARAMETER])


def test_step_rule_without_compute_step_says_so():
    parameter = shared_floatx(PARAMETER, name="W")
    with pytest.raises(NotImplementedError, match="StepRule"):
        StepRule().compute_steps(OrderedDict([(parameter, parameter)]))


# GradientDescent and UpdatesAlgorithm


def quadratic_problem():
    W = shared_floatx([1.0, 2.0], name="W")
    x = tensor.vector("x", dtype=floatX)
    cost = ((W - x) ** 2).sum()
    cost.name = "cost"
    return W, x, cost


def test_gradient_descent():
    W, _x, cost = quadratic_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W], step_rule=Scale(0.25))
    algorithm.initialize()
    algorithm.process_batch({"x": _floatx([1.0, 0.0])})
    assert_allclose(W.get_value(), [1.0, 1.0], rtol=RTOL)
    assert algorithm.step_rule_updates == []


def test_gradient_descent_default_step_rule_is_scale_one():
    W, _x, cost = quadratic_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W])
    assert isinstance(algorithm.step_rule, Scale)
    algorithm.initialize()
    algorithm.process_batch({"x": _floatx([0.0, 0.0])})
    assert_allclose(W.get_value(), [-1.0, -2.0], rtol=RTOL)


def test_gradient_descent_norms():
    W, x, cost = quadratic_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W], step_rule=Scale(0.5))
    f = symbolic.function(
        [x], [algorithm.total_gradient_norm, algorithm.total_step_norm]
    )
    gradient_norm, step_norm = f(_floatx([0.0, 0.0]))
    assert_allclose(gradient_norm, numpy.sqrt(4 + 16), rtol=RTOL)
    assert_allclose(step_norm, 0.5 * numpy.sqrt(4 + 16), rtol=RTOL)
    assert algorithm.total_gradient_norm.name == "total_gradient_norm"
    assert algorithm.total_step_norm.name == "total_step_norm"


def test_gradient_descent_with_gradients():
    W, _x, cost = quadratic_problem()
    gradient = symbolic.grad(cost, W)
    for gradients in (OrderedDict([(W, gradient)]), [(W, gradient)]):
        algorithm = GradientDescent(gradients=gradients)
        assert algorithm.parameters == [W]
        assert algorithm.gradients[W] is gradient
    with pytest.raises(ValueError, match="order"):
        GradientDescent(gradients={W: gradient})
    # A plain dict is fine when the parameters give the order.
    algorithm = GradientDescent(gradients={W: gradient}, parameters=[W])
    assert algorithm.parameters == [W]


def test_gradient_descent_parameters_not_matching_gradients(caplog):
    W, _x, cost = quadratic_problem()
    V = shared_floatx([0.0], name="V")
    gradients = OrderedDict([(W, symbolic.grad(cost, W))])
    with caplog.at_level(logging.WARNING):
        algorithm = GradientDescent(gradients=gradients, parameters=[V])
    assert algorithm.parameters == [W]
    assert "do not match" in caplog.text
    with pytest.raises(ValueError, match="order"):
        GradientDescent(gradients=dict(gradients), parameters=[V])


def test_gradient_descent_argument_errors():
    W, x, cost = quadratic_problem()
    with pytest.raises(ValueError, match="no cost"):
        GradientDescent(parameters=[W])
    with pytest.raises(ValueError, match="no parameters"):
        GradientDescent(cost=cost)
    gradients = OrderedDict([(W, symbolic.grad(cost, W))])
    with pytest.raises(ValueError, match="known_grads"):
        GradientDescent(gradients=gradients, known_grads={cost: W})
    with pytest.raises(ValueError, match="consider_constant"):
        GradientDescent(gradients=gradients, consider_constant=[x])


def test_gradient_descent_consider_constant():
    W, _x, _ = quadratic_problem()
    hidden = W * 2
    cost = (hidden * W).sum()
    algorithm = GradientDescent(
        cost=cost, parameters=[W], consider_constant=[hidden], step_rule=Scale(1.0)
    )
    algorithm.initialize()
    algorithm.process_batch({})
    # d(cost)/dW with hidden constant is hidden = 2 W.
    assert_allclose(W.get_value(), [-1.0, -2.0], rtol=RTOL)


def test_gradient_descent_known_grads():
    W, _x, _ = quadratic_problem()
    hidden = W * 3
    cost = hidden.sum()
    known = tensor.as_tensor_variable(_floatx([1.0, 1.0]))
    algorithm = GradientDescent(
        cost=cost, parameters=[W], known_grads={hidden: known}, step_rule=Scale(0.1)
    )
    algorithm.initialize()
    algorithm.process_batch({})
    assert_allclose(W.get_value(), [0.7, 1.7], rtol=RTOL)


def test_gradient_descent_keeps_parameter_broadcastable():
    W = shared_floatx(numpy.ones((3, 1)), name="W", broadcastable=(False, True))
    x = tensor.matrix("x", dtype=floatX)
    cost = ((tensor.dot(x, W)) ** 2).sum()
    algorithm = GradientDescent(cost=cost, parameters=[W], step_rule=Adam())
    assert algorithm.steps[W].broadcastable == (False, True)
    algorithm.initialize()
    algorithm.process_batch({"x": _floatx(numpy.ones((2, 3)))})
    assert W.get_value().shape == (3, 1)


def test_gradient_descent_stateful_step_rule_updates():
    W, _x, cost = quadratic_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W], step_rule=Momentum(0.1, 0.5))
    assert len(algorithm.step_rule_updates) == 1
    algorithm.initialize()
    for _ in range(3):
        algorithm.process_batch({"x": _floatx([0.0, 0.0])})
    # Reference: plain numpy momentum on the gradient 2 W.
    w, v = numpy.array([1.0, 2.0]), numpy.zeros(2)
    for _ in range(3):
        v = 0.5 * v + 0.1 * 2 * w
        w = w - v
    assert_allclose(W.get_value(), w, rtol=RTOL)


def test_gradient_descent_theano_func_kwargs_profile():
    W, _x, cost = quadratic_problem()
    algorithm = GradientDescent(
        cost=cost, parameters=[W], theano_func_kwargs={"profile": True}
    )
    algorithm.initialize()
    assert isinstance(algorithm._function.profile, ProfileStats)


def test_gradient_descent_with_extra_updates():
    W, _x, cost = quadratic_problem()
    counter = shared_floatx(0.0, name="counter")
    algorithm = GradientDescent(
        cost=cost, parameters=[W], updates=[(counter, counter + 1)]
    )
    algorithm.initialize()
    algorithm.process_batch({"x": _floatx([0.0, 0.0])})
    assert counter.get_value() == 1


def test_updates_algorithm_takes_inputs_by_name():
    a = tensor.scalar("a", dtype=floatX)
    b = tensor.scalar("b", dtype=floatX)
    total = shared_floatx(0.0, name="total")
    algorithm = UpdatesAlgorithm(updates=[(total, total + a - b)])
    algorithm.initialize()
    algorithm.process_batch({"b": _floatx(1.0), "a": _floatx(5.0)})
    assert total.get_value() == 4.0
    assert algorithm.updates[0][0] is total


def test_updates_algorithm_add_updates():
    total = shared_floatx(0.0, name="total")
    other = shared_floatx(0.0, name="other")
    algorithm = UpdatesAlgorithm()
    algorithm.add_updates([(total, total + 1)])
    algorithm.add_updates(OrderedDict([(other, other + 2)]))
    with pytest.raises(ValueError, match="OrderedDict"):
        algorithm.add_updates({total: total + 1})
    with pytest.raises(ValueError, match="OrderedDict"):
        UpdatesAlgorithm(updates={total: total + 1})
    algorithm.initialize()
    algorithm.process_batch({})
    assert (total.get_value(), other.get_value()) == (1.0, 2.0)


def test_updates_algorithm_values_are_computed_before_the_update():
    a = shared_floatx(1.0, name="a")
    b = shared_floatx(10.0, name="b")
    algorithm = UpdatesAlgorithm(updates=[(a, a + 1), (b, b + a)])
    algorithm.initialize()
    algorithm.process_batch({})
    assert (a.get_value(), b.get_value()) == (2.0, 11.0)


def test_updates_algorithm_rejects_unknown_on_unused_sources():
    with pytest.raises(ValueError, match="on_unused_sources"):
        UpdatesAlgorithm(on_unused_sources="maybe")


def make_algorithm(**kwargs):
    W, _x, cost = quadratic_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W], **kwargs)
    algorithm.initialize()
    return W, algorithm


def test_missing_source_lists_inputs_and_sources():
    _W, algorithm = make_algorithm()
    with pytest.raises(ValueError) as error:
        algorithm.process_batch({"features": _floatx([0.0, 0.0])})
    message = str(error.value)
    assert "['x']" in message and "['features']" in message


def test_sources_are_checked_again_when_a_batch_brings_other_ones():
    # Batches with the sources already checked skip the check; others
    # still get it.
    _W, algorithm = make_algorithm()
    for _ in range(2):
        algorithm.process_batch({"x": _floatx([0.0, 0.0])})
    with pytest.raises(ValueError, match="extra"):
        algorithm.process_batch({"x": _floatx([0.0, 0.0]), "extra": _floatx([1.0])})
    with pytest.raises(ValueError, match=r"\['x'\]"):
        algorithm.process_batch({"features": _floatx([0.0, 0.0])})
    algorithm.process_batch({"x": _floatx([0.0, 0.0])})


def test_nonfinite_scalar_costs_of_any_float_dtype_are_reported():
    for dtype in ("float32", "float64"):
        x = tensor.vector("x", dtype=dtype)
        W = symbolic.shared(numpy.ones(2, dtype), name="W")
        cost = tensor.log(tensor.dot(x, W))
        algorithm = GradientDescent(cost=cost, parameters=[W])
        algorithm.initialize()
        algorithm.process_batch({"x": numpy.array([1.0, 1.0], dtype)})
        assert algorithm.nonfinite_cost is None
        algorithm.process_batch({"x": numpy.array([-1.0, 0.0], dtype)})
        assert numpy.isnan(algorithm.nonfinite_cost)
        W.set_value(numpy.ones(2, dtype))
        algorithm.process_batch({"x": numpy.array([0.0, 0.0], dtype)})
        assert algorithm.nonfinite_cost == -numpy.inf


def test_unused_sources_raise_warn_or_ignore(caplog):
    batch = {"x": _floatx([0.0, 0.0]), "extra": _floatx([1.0])}
    _W, algorithm = make_algorithm()
    with pytest.raises(ValueError, match="extra"):
        algorithm.process_batch(batch)
    _W, algorithm = make_algorithm(on_unused_sources="warn")
    with caplog.at_level(logging.WARNING):
        algorithm.process_batch(batch)
    assert "extra" in caplog.text
    _W, algorithm = make_algorithm(on_unused_sources="ignore")
    algorithm.process_batch(batch)


def test_wrong_ndim_names_the_source():
    _W, algorithm = make_algorithm()
    with pytest.raises(TypeError, match=r"'x'.*2 dimensions"):
        algorithm.process_batch({"x": _floatx([[0.0, 0.0]])})


def test_wrong_dtype_names_the_source():
    _W, algorithm = make_algorithm()
    with pytest.raises(TypeError, match="source 'x'"):
        algorithm.process_batch({"x": numpy.array(["a", "b"])})


def test_batches_of_different_lengths_name_the_sources():
    features = tensor.matrix("features", dtype=floatX)
    targets = tensor.lvector("targets")
    W = shared_floatx(numpy.zeros((2, 3)), name="W")
    probabilities = tensor.nnet.softmax(tensor.dot(features, W))
    cost = tensor.nnet.categorical_crossentropy(probabilities, targets).mean()
    algorithm = GradientDescent(cost=cost, parameters=[W])
    algorithm.initialize()
    batch = {
        "features": numpy.zeros((5, 2), dtype=floatX),
        "targets": numpy.zeros(4, dtype="int64"),
    }
    with pytest.raises(ValueError, match="different lengths") as error:
        algorithm.process_batch(batch)
    assert "'features' 5" in str(error.value)
    assert "'targets' 4" in str(error.value)


def test_the_cost_is_checked_after_each_batch():
    _W, algorithm = make_algorithm()
    algorithm.process_batch({"x": _floatx([0.0, 0.0])})
    assert algorithm.nonfinite_cost is None
    algorithm.process_batch({"x": _floatx([numpy.inf, 0.0])})
    assert algorithm.nonfinite_cost == numpy.inf


def test_unnamed_graph_input_is_reported():
    W = shared_floatx([1.0], name="W")
    x = tensor.vector(dtype=floatX)
    algorithm = GradientDescent(cost=((W - x) ** 2).sum(), parameters=[W])
    with pytest.raises(ValueError, match="no name"):
        algorithm.initialize()


def test_process_batch_before_initialize():
    W, _x, cost = quadratic_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W])
    with pytest.raises(RuntimeError, match="initialize"):
        algorithm.process_batch({"x": _floatx([0.0, 0.0])})


def test_nan_cost_with_remove_not_finite_skips_the_step():
    W, _x, cost = quadratic_problem()
    algorithm = GradientDescent(
        cost=cost,
        parameters=[W],
        step_rule=CompositeRule([Scale(0.1), RemoveNotFinite()]),
    )
    algorithm.initialize()
    algorithm.process_batch({"x": _floatx([numpy.nan, 0.0])})
    assert_allclose(W.get_value(), [1.0, 2.0])
    algorithm.process_batch({"x": _floatx([0.0, 0.0])})
    assert_allclose(W.get_value(), [0.8, 1.6], rtol=RTOL)


def test_nan_cost_without_remove_not_finite_propagates():
    W, _x, cost = quadratic_problem()
    algorithm = GradientDescent(cost=cost, parameters=[W])
    algorithm.initialize()
    algorithm.process_batch({"x": _floatx([numpy.nan, 0.0])})
    assert numpy.isnan(W.get_value()[0])


def test_module_doctests():
    import doctest
    import importlib

    failures, attempted = doctest.testmod(
        importlib.import_module("blocks.algorithms"), optionflags=doctest.ELLIPSIS
    )
    assert attempted > 0
    assert failures == 0

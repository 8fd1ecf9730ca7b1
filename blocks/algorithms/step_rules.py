"""Step rules: how gradients become parameter steps.

A step rule turns, for every parameter, a "previous step" (at first the
gradient) into the step that :class:`.GradientDescent` subtracts from the
parameter. Rules chain: :class:`CompositeRule` feeds the steps of one rule
into the next. A stateful rule (momentum, running averages) also returns
the updates of its buffers.

"""

import logging
from collections import OrderedDict
from functools import reduce

from blocks.roles import ALGORITHM_BUFFER, ALGORITHM_HYPERPARAMETER, add_role
from blocks.utils import pack, shared_floatx, shared_floatx_zeros_matching
from symbolic import tensor

logger = logging.getLogger(__name__)


def _hyperparameter(value, name):
    """Return a floatX shared scalar with the hyperparameter role."""
    variable = shared_floatx(value, name)
    add_role(variable, ALGORITHM_HYPERPARAMETER)
    return variable


def _buffer_for(parameter, name):
    """Return a zero buffer shaped like `parameter`, with the buffer role."""
    buffer_name = name if parameter.name is None else f"{parameter.name}_{name}"
    variable = shared_floatx_zeros_matching(parameter, buffer_name)
    add_role(variable, ALGORITHM_BUFFER)
    return variable


def _check_unit_interval(value, name, rule):
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{rule}: {name} must lie in [0, 1], got {value}")


def _l2_norm(tensors):
    """The L2 norm of all the elements of several tensors together."""
    squares = [tensor.sqr(t).sum() for t in tensors]
    return tensor.sqrt(reduce(lambda a, b: a + b, squares))


class StepRule:
    """A rule to compute steps for a gradient descent algorithm."""

    def compute_step(self, parameter, previous_step):
        """Build a symbolic expression for the step of one parameter.

        :meth:`compute_steps` calls it for every parameter by default, so a
        rule that treats the parameters independently only implements this.

        Parameters
        ----------
        parameter : :class:`~tensor.TensorSharedVariable`
            The parameter.
        previous_step : :class:`~tensor.TensorVariable`
            The gradient of the cost with respect to `parameter`, or a step
            that an earlier rule derived from it.

        Returns
        -------
        step : :class:`~symbolic.Variable`
            The step to take.
        updates : list
            ``(shared variable, new value)`` pairs, for rules with a state.

        """
        raise NotImplementedError(
            f"{type(self).__name__} implements neither compute_step nor compute_steps"
        )

    def compute_steps(self, previous_steps):
        """Build symbolic expressions for the steps of all parameters.

        Override this method to treat the parameters together rather than
        one by one.

        Parameters
        ----------
        previous_steps : OrderedDict
            Maps each parameter to its gradient, or to a step an earlier
            rule derived from it.

        Returns
        -------
        steps : OrderedDict
            The new steps, keyed like `previous_steps`.
        updates : list
            ``(shared variable, new value)`` pairs.

        """
        steps = OrderedDict()
        updates = []
        for parameter, previous_step in previous_steps.items():
            step, step_updates = self.compute_step(parameter, previous_step)
            steps[parameter] = step
            updates.extend(step_updates)
        return steps, updates


class CompositeRule(StepRule):
    """Chains several step rules.

    Parameters
    ----------
    components : list of :class:`StepRule`
        The rules, applied in the order given: each one receives the steps
        the previous one produced.

    """

    def __init__(self, components):
        self.components = list(components)

    def compute_steps(self, previous_steps):
        steps = previous_steps
        updates = []
        for rule in self.components:
            steps, rule_updates = rule.compute_steps(steps)
            updates.extend(rule_updates)
        return steps, updates


class Scale(StepRule):
    """Multiplies the step by a learning rate.

    Used alone in :class:`.GradientDescent`, it gives steepest descent.

    Parameters
    ----------
    learning_rate : float
        The factor applied to the previous step. Defaults to 1.

    Attributes
    ----------
    learning_rate : :class:`~tensor.TensorSharedVariable`
        The learning rate, shared so that extensions can change it.

    """

    def __init__(self, learning_rate=1.0):
        self.learning_rate = _hyperparameter(learning_rate, "learning_rate")

    def compute_step(self, parameter, previous_step):
        return self.learning_rate * previous_step, []


class BasicMomentum(StepRule):
    """Accumulates the steps with an exponential discount.

    The velocity ``v`` of each parameter becomes ``momentum * v + step``,
    and the velocity is the step taken.

    Parameters
    ----------
    momentum : float, optional
        The momentum coefficient. Defaults to 0.

    Notes
    -----
    Meant to follow another rule such as :class:`Scale`; :class:`Momentum`
    combines the two.

    """

    def __init__(self, momentum=0.0):
        self.momentum = _hyperparameter(momentum, "momentum")

    def compute_step(self, parameter, previous_step):
        velocity = _buffer_for(parameter, "velocity")
        step = self.momentum * velocity + previous_step
        return step, [(velocity, step)]


class Momentum(CompositeRule):
    """The usual momentum rule: :class:`Scale`, then :class:`BasicMomentum`.

    Parameters
    ----------
    learning_rate : float, optional
        The factor applied to the gradient. Defaults to 1.
    momentum : float, optional
        The momentum coefficient. Defaults to 0.

    Attributes
    ----------
    learning_rate : :class:`~tensor.TensorSharedVariable`
    momentum : :class:`~tensor.TensorSharedVariable`

    """

    def __init__(self, learning_rate=1.0, momentum=0.0):
        scale = Scale(learning_rate=learning_rate)
        basic_momentum = BasicMomentum(momentum=momentum)
        self.learning_rate = scale.learning_rate
        self.momentum = basic_momentum.momentum
        super().__init__([scale, basic_momentum])


class AdaDelta(StepRule):
    """Adapts the step size using only first order information (AdaDelta).

    With ``g`` the previous step, ``E[g^2]`` and ``E[dx^2]`` running
    averages decaying at `decay_rate`::

        E[g^2] = rho * E[g^2] + (1 - rho) * g^2
        dx = sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g
        E[dx^2] = rho * E[dx^2] + (1 - rho) * dx^2

    and ``dx`` is the step.

    Parameters
    ----------
    decay_rate : float, optional
        The decay rate ``rho``, in [0, 1]. Defaults to 0.95.
    epsilon : float, optional
        Keeps the square roots away from zero. Defaults to 1e-6.

    Notes
    -----
    See Zeiler, *ADADELTA: An Adaptive Learning Rate Method* (2012).

    """

    def __init__(self, decay_rate=0.95, epsilon=1e-6):
        _check_unit_interval(decay_rate, "decay_rate", "AdaDelta")
        self.decay_rate = _hyperparameter(decay_rate, "decay_rate")
        self.epsilon = _hyperparameter(epsilon, "epsilon")

    def compute_step(self, parameter, previous_step):
        mean_square_step = _buffer_for(parameter, "mean_square_step")
        mean_square_delta = _buffer_for(parameter, "mean_square_delta_x")
        rho = self.decay_rate
        new_mean_square_step = rho * mean_square_step + (1 - rho) * tensor.sqr(
            previous_step
        )
        step = (
            tensor.sqrt(mean_square_delta + self.epsilon)
            / tensor.sqrt(new_mean_square_step + self.epsilon)
            * previous_step
        )
        new_mean_square_delta = rho * mean_square_delta + (1 - rho) * tensor.sqr(step)
        updates = [
            (mean_square_step, new_mean_square_step),
            (mean_square_delta, new_mean_square_delta),
        ]
        return step, updates


class BasicRMSProp(StepRule):
    """Divides the step by a running average of its recent magnitude.

    ``E[g^2] = rho * E[g^2] + (1 - rho) * g^2`` and the step is
    ``g / max(sqrt(E[g^2]), 1 / max_scaling)``.

    Parameters
    ----------
    decay_rate : float, optional
        How fast the running average decays, in [0, 1] (lower is faster).
        Defaults to 0.9.
    max_scaling : float, optional
        The largest factor by which a step may grow when the running
        average is tiny. Must be positive. Defaults to 1e5.

    Notes
    -----
    Because it normalizes, apply it before other rules such as
    :class:`Scale`; :class:`RMSProp` does that. See Tieleman and Hinton,
    lecture 6.5 of *Neural Networks for Machine Learning* (2012).

    """

    def __init__(self, decay_rate=0.9, max_scaling=1e5):
        _check_unit_interval(decay_rate, "decay_rate", "BasicRMSProp")
        if max_scaling <= 0:
            raise ValueError(
                f"BasicRMSProp: max_scaling must be positive, got {max_scaling}"
            )
        self.decay_rate = _hyperparameter(decay_rate, "decay_rate")
        self.epsilon = 1.0 / max_scaling

    def compute_step(self, parameter, previous_step):
        mean_square_step = _buffer_for(parameter, "mean_square_step")
        rho = self.decay_rate
        new_mean_square_step = rho * mean_square_step + (1 - rho) * tensor.sqr(
            previous_step
        )
        rms_step = tensor.maximum(tensor.sqrt(new_mean_square_step), self.epsilon)
        step = previous_step / rms_step
        return step, [(mean_square_step, new_mean_square_step)]


class RMSProp(CompositeRule):
    """RMSProp: :class:`BasicRMSProp`, then :class:`Scale`.

    Parameters
    ----------
    learning_rate : float, optional
        Defaults to 1.
    decay_rate : float, optional
        Defaults to 0.9.
    max_scaling : float, optional
        Defaults to 1e5.

    Attributes
    ----------
    learning_rate : :class:`~tensor.TensorSharedVariable`
    decay_rate : :class:`~tensor.TensorSharedVariable`

    """

    def __init__(self, learning_rate=1.0, decay_rate=0.9, max_scaling=1e5):
        basic_rms_prop = BasicRMSProp(decay_rate=decay_rate, max_scaling=max_scaling)
        scale = Scale(learning_rate=learning_rate)
        self.learning_rate = scale.learning_rate
        self.decay_rate = basic_rms_prop.decay_rate
        super().__init__([basic_rms_prop, scale])


class StepClipping(StepRule):
    """Rescales all the steps together when their L2 norm is too large.

    Applied to gradients, this is gradient clipping: when the norm of all
    the steps taken together exceeds `threshold`, every step is multiplied
    by ``threshold / norm``.

    Parameters
    ----------
    threshold : float, optional
        The largest allowed norm. None disables the rule.

    Attributes
    ----------
    threshold : :class:`~tensor.TensorSharedVariable` or None

    """

    def __init__(self, threshold=None):
        self.threshold = None
        if threshold is not None:
            self.threshold = _hyperparameter(threshold, "threshold")

    def compute_steps(self, previous_steps):
        if self.threshold is None:
            return previous_steps, []
        norm = _l2_norm(list(previous_steps.values()))
        multiplier = tensor.switch(norm < self.threshold, 1.0, self.threshold / norm)
        steps = OrderedDict(
            (parameter, step * tensor.cast(multiplier, step.dtype))
            for parameter, step in previous_steps.items()
        )
        return steps, []


class VariableClipping(StepRule):
    """Caps the norm of each parameter after the step, along some axes.

    The rule computes the parameter as it would be after the step,
    ``parameter - previous_step``, rescales it so that its norm (over
    `axis`, or over all elements) is at most `threshold`, and returns the
    step that leads there. This assumes plain (stochastic) gradient descent
    follows, so apply it last.

    Parameters
    ----------
    threshold : float
        The largest allowed norm.
    axis : int or iterable of int, optional
        The axes summed over to compute the norms: one norm per remaining
        index (for example ``axis=0`` caps the norm of each column of a
        weight matrix, the incoming weights of each unit). None, the
        default, takes one norm over the whole tensor.

    Notes
    -----
    Max-norm constraints go back to Srebro and Shraibman (2005) and were
    applied to hidden units by Hinton et al. (2012).

    """

    def __init__(self, threshold, axis=None):
        axes = pack(axis) if axis is not None else []
        if len(set(axes)) != len(axes):
            raise ValueError(f"VariableClipping: axis has repeated entries: {axis}")
        self.axis = frozenset(axes)
        self.threshold = _hyperparameter(threshold, "threshold")

    def compute_step(self, parameter, previous_step):
        bad_axes = sorted(a for a in self.axis if not 0 <= a < previous_step.ndim)
        if bad_axes:
            raise ValueError(
                f"VariableClipping: axis {bad_axes} out of range for "
                f"{parameter} with {previous_step.ndim} dimensions"
            )
        after_step = parameter - previous_step
        squares = tensor.sqr(after_step)
        if self.axis:
            summed = squares
            for axis in sorted(self.axis):
                summed = summed.sum(axis=axis, keepdims=True)
        else:
            summed = squares.sum()
        norms = tensor.sqrt(summed)
        clipped_step = parameter - (self.threshold / norms) * after_step
        step = tensor.switch(norms > self.threshold, clipped_step, previous_step)
        return step, []


class AdaGrad(StepRule):
    """AdaGrad: divides by the root of the sum of all past squared steps.

    The step is ``learning_rate * g / (sqrt(sum of g^2 so far) + epsilon)``.

    Parameters
    ----------
    learning_rate : float, optional
        Defaults to 0.002.
    epsilon : float, optional
        Keeps the division finite. Defaults to 1e-6.

    Notes
    -----
    See Duchi, Hazan and Singer, *Adaptive Subgradient Methods for Online
    Learning and Stochastic Optimization* (2011).

    """

    def __init__(self, learning_rate=0.002, epsilon=1e-6):
        self.learning_rate = _hyperparameter(learning_rate, "learning_rate")
        self.epsilon = _hyperparameter(epsilon, "epsilon")

    def compute_step(self, parameter, previous_step):
        sum_squares = _buffer_for(parameter, "sum_squares")
        new_sum_squares = sum_squares + tensor.sqr(previous_step)
        step = (
            self.learning_rate
            * previous_step
            / (tensor.sqrt(new_sum_squares) + self.epsilon)
        )
        return step, [(sum_squares, new_sum_squares)]


class Adam(StepRule):
    """Adam, as described by Kingma and Ba (2014).

    With ``t`` the number of steps taken so far plus one::

        beta1_t = beta1 * decay_factor ** (t - 1)
        m = beta1_t * m + (1 - beta1_t) * g
        v = beta2 * v + (1 - beta2) * g^2
        lr_t = learning_rate * sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        step = lr_t * m / (sqrt(v) + epsilon)

    Parameters
    ----------
    learning_rate : float, optional
        Defaults to 0.002.
    beta1 : float, optional
        Decay of the first moment estimate. Defaults to 0.9.
    beta2 : float, optional
        Decay of the second moment estimate. Defaults to 0.999.
    epsilon : float, optional
        Defaults to 1e-8.
    decay_factor : float, optional
        Shrinks ``beta1`` over time. Defaults to 1.

    """

    def __init__(
        self, learning_rate=0.002, beta1=0.9, beta2=0.999, epsilon=1e-8, decay_factor=1
    ):
        self.learning_rate = _hyperparameter(learning_rate, "learning_rate")
        self.beta1 = _hyperparameter(beta1, "beta1")
        self.beta2 = _hyperparameter(beta2, "beta2")
        self.epsilon = _hyperparameter(epsilon, "epsilon")
        self.decay_factor = _hyperparameter(decay_factor, "decay_factor")

    def compute_step(self, parameter, previous_step):
        mean = _buffer_for(parameter, "mean")
        variance = _buffer_for(parameter, "variance")
        time = shared_floatx(0.0, "time")
        add_role(time, ALGORITHM_BUFFER)

        t = time + 1
        beta1_t = self.beta1 * self.decay_factor ** (t - 1)
        learning_rate = (
            self.learning_rate
            * tensor.sqrt(1.0 - self.beta2**t)
            / (1.0 - self.beta1**t)
        )
        new_mean = beta1_t * mean + (1.0 - beta1_t) * previous_step
        new_variance = self.beta2 * variance + (1.0 - self.beta2) * tensor.sqr(
            previous_step
        )
        step = learning_rate * new_mean / (tensor.sqrt(new_variance) + self.epsilon)
        updates = [(mean, new_mean), (variance, new_variance), (time, t)]
        return step, updates


class RemoveNotFinite(StepRule):
    """Skips steps that contain NaN or infinite values.

    When the sum of a parameter's step is not finite, the step becomes
    ``(1 - scaler) * parameter``, so gradient descent sets the parameter
    to ``scaler * parameter``.

    Parameters
    ----------
    scaler : float, optional
        What the parameter is multiplied by when its step is not finite.
        Defaults to 1, which leaves the parameter unchanged.

    Notes
    -----
    Apply this rule last. The trick comes from the GroundHog framework.

    """

    def __init__(self, scaler=1):
        self.scaler = scaler

    def compute_step(self, parameter, previous_step):
        step_sum = tensor.sum(previous_step)
        not_finite = tensor.or_(tensor.isnan(step_sum), tensor.isinf(step_sum))
        step = tensor.switch(not_finite, (1 - self.scaler) * parameter, previous_step)
        return step, []


class Restrict(StepRule):
    """Applies a step rule to some of the parameters only.

    The other parameters keep their previous steps. Use it, for example, to
    clip the steps of some parameters or to scale those of convolutional
    filters.

    Parameters
    ----------
    step_rule : :class:`StepRule`
        The rule to apply.
    variables : iterable
        The parameters it applies to.

    """

    def __init__(self, step_rule, variables):
        self.step_rule = step_rule
        self.variables = frozenset(variables)

    def compute_steps(self, previous_steps):
        chosen = OrderedDict(
            (parameter, step)
            for parameter, step in previous_steps.items()
            if parameter in self.variables
        )
        chosen_steps, updates = self.step_rule.compute_steps(chosen)
        steps = OrderedDict(
            (parameter, chosen_steps.get(parameter, step))
            for parameter, step in previous_steps.items()
        )
        return steps, updates

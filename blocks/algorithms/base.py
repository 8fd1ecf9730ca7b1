"""Training algorithms: what the main loop does with each batch."""

import logging
import math
from collections import OrderedDict
from collections.abc import Mapping

import numpy

import symbolic
from blocks.algorithms.step_rules import Scale, _l2_norm
from blocks.utils.theano_utils import is_graph_input
from symbolic import tensor

logger = logging.getLogger(__name__)

determinism_error = """Cannot tell the order of the parameters.

GradientDescent needs the parameters in a fixed order, because the order in
which floating point terms are added changes the results. Pass `parameters`
as a list, or `gradients` as an OrderedDict or a list of (parameter,
gradient) pairs; a plain dict has no order that can be relied upon."""

variable_mismatch_error = """

The training algorithm takes its data from the sources whose names match the
names of the graph inputs, and every source must feed one (the graph inputs
are {variables}, the data sources {sources}). To train on a subset of the
sources of a dataset, pass `sources` to its constructor or use Fuel's
FilterSources transformer, or pass on_unused_sources='warn' or
on_unused_sources='ignore' to the training algorithm."""

source_missing_error = """

Not all data sources that match the names of the graph inputs ({variables})
are in the batch, whose sources are {sources}. Name each input variable after
the data source that should feed it, e.g. tensor.matrix('features'), or
rename the sources of the stream (fuel.transformers.Rename)."""

source_mismatch_error = """
The training algorithm takes its data from the sources whose names match the
names of the graph inputs. Name each input variable after the data source
that should feed it, e.g. tensor.matrix('features'), or rename the sources
of the stream (fuel.transformers.Rename)."""


def _graph_inputs(outputs):
    """The inputs a user feeds to compute `outputs`, in a fixed order.

    These are the graph inputs that are neither shared variables nor
    constants, each listed once, in the order of a depth-first walk.

    """
    inputs = []
    for variable in symbolic.gof.graph.inputs(list(outputs)):
        if is_graph_input(variable) and variable not in inputs:
            inputs.append(variable)
    return inputs


def _named_graph_inputs(outputs):
    """The graph inputs of `outputs`, checked to have distinct names.

    Each is fed by the data source of the same name.

    """
    inputs = _graph_inputs(outputs)
    nameless = [v for v in inputs if v.name is None]
    if nameless:
        raise ValueError(
            f"the graph inputs {nameless} have no name, so no data source "
            f"can feed them" + source_mismatch_error
        )
    names = [v.name for v in inputs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            f"several graph inputs are named {repeated}; each data source "
            f"can feed only one of them" + source_mismatch_error
        )
    return inputs


class TrainingAlgorithm:
    """Base class for training algorithms.

    A training algorithm is first initialized by :meth:`initialize`, where
    for instance functions are compiled. Then :meth:`process_batch` is
    called for every batch of training data.

    """

    def initialize(self, **kwargs):
        """Initialize the training algorithm."""
        raise NotImplementedError(f"{type(self).__name__} must implement initialize")

    def process_batch(self, batch):
        """Process a batch of training data.

        Parameters
        ----------
        batch : dict
            Maps each source name to its data.

        """
        raise NotImplementedError(f"{type(self).__name__} must implement process_batch")


def _as_update_list(updates, what):
    if isinstance(updates, OrderedDict):
        return list(updates.items())
    if isinstance(updates, Mapping):
        raise ValueError(
            f"{what} must be a list of (shared variable, new value) pairs or "
            f"an OrderedDict, got a {type(updates).__name__}, whose order "
            f"cannot be relied upon"
        )
    return list(updates)


class UpdatesAlgorithm(TrainingAlgorithm):
    """An algorithm that runs a compiled function with updates on each batch.

    Parameters
    ----------
    updates : list of tuples or OrderedDict, optional
        The ``(shared variable, new value)`` updates made on every batch.
    theano_func_kwargs : dict, optional
        Passed on to :func:`symbolic.function`, e.g. ``{'profile': True}``
        or a ``mode``.
    on_unused_sources : {'raise', 'warn', 'ignore'}, optional
        What to do when the batch has a source that no graph input is named
        after. Raises by default.

    Attributes
    ----------
    updates : list of tuples
        The updates made on every batch. All new values are computed from
        the values the variables had before the batch.

    nonfinite_cost : float or None
        After a batch, the cost if it was NaN or infinite, else None. Only
        an algorithm that knows a cost (:class:`GradientDescent`) sets it;
        the main loop logs it as the ``cost_not_finite`` record.

    Notes
    -----
    Changing :attr:`updates` or calling :meth:`add_updates` after
    :meth:`initialize` has no effect.

    """

    # A scalar computed along with the updates and checked to be finite.
    _watched_cost = None

    def __init__(
        self, updates=None, theano_func_kwargs=None, on_unused_sources="raise", **kwargs
    ):
        if on_unused_sources not in ("raise", "warn", "ignore"):
            raise ValueError(
                f"on_unused_sources must be 'raise', 'warn' or 'ignore', got "
                f"{on_unused_sources!r}"
            )
        super().__init__(**kwargs)
        self.updates = [] if updates is None else _as_update_list(updates, "updates")
        self.theano_func_kwargs = dict(theano_func_kwargs or {})
        self.on_unused_sources = on_unused_sources
        self._function = None
        self.inputs = None
        self.nonfinite_cost = None

    def add_updates(self, updates):
        """Add updates to be made on every batch.

        Like the others, the new values are computed from the values before
        the batch, and so before the parameters change.

        Parameters
        ----------
        updates : list of tuples or OrderedDict
            The updates to add.

        """
        self.updates.extend(_as_update_list(updates, "the updates to add"))

    def initialize(self):
        logger.info("Initializing the training algorithm")
        self.inputs = _named_graph_inputs(new_value for _, new_value in self.updates)
        self._valid_sources = None
        logger.debug("Compiling the training function")
        self._function = symbolic.function(
            self.inputs,
            self._checked_outputs(),
            updates=self.updates,
            **self.theano_func_kwargs,
        )
        logger.info("The training algorithm is initialized")

    def _checked_outputs(self):
        """The cost to check after each batch, if it needs no other input."""
        cost = self._watched_cost
        if cost is None or any(v not in self.inputs for v in _graph_inputs([cost])):
            return []
        return [cost]

    def _check_outputs(self, outputs):
        self.nonfinite_cost = None
        if outputs:
            value = outputs[0]
            if getattr(value, "ndim", None) == 0 and value.dtype.kind == "f":
                # A scalar cost, every batch: no array reduction for one value.
                if not math.isfinite(value):
                    self.nonfinite_cost = float(value)
                return
            value = numpy.asarray(value)
            if not numpy.isfinite(value).all():
                self.nonfinite_cost = float(value) if value.ndim == 0 else value

    def _validate_source_names(self, batch):
        sources = tuple(batch)
        if sources == self.__dict__.get("_valid_sources"):
            # The same sources as a batch already checked (every batch of a
            # stream, usually).
            return
        names = [v.name for v in self.inputs]
        missing = [n for n in names if n not in batch]
        if missing:
            raise ValueError(
                f"the batch has no data for the graph inputs {missing}; its "
                f"sources are {list(batch)}"
                + source_missing_error.format(sources=list(batch), variables=names)
            )
        unused = [s for s in batch if s not in names]
        if unused and self.on_unused_sources != "ignore":
            message = (
                f"the data sources {unused} feed no graph input"
                + variable_mismatch_error.format(sources=list(batch), variables=names)
            )
            if self.on_unused_sources == "raise":
                raise ValueError(message)
            logger.warning(message)
        self._valid_sources = sources

    def _explain_bad_data(self, batch):
        """Raise an error naming the source whose data do not fit its input."""
        for variable in self.inputs:
            data = batch[variable.name]
            ndim = numpy.ndim(data)
            if ndim != variable.ndim:
                raise TypeError(
                    f"the data of source {variable.name!r} have {ndim} "
                    f"dimensions (shape {numpy.shape(data)}), but the graph "
                    f"input {variable.name!r} ({variable.type}) expects "
                    f"{variable.ndim}"
                )
            try:
                variable.type.filter(data)
            except (TypeError, ValueError) as error:
                dtype = getattr(data, "dtype", type(data).__name__)
                raise TypeError(
                    f"the data of source {variable.name!r} (dtype {dtype}) do "
                    f"not fit the graph input {variable.name!r} "
                    f"({variable.type}): {error}"
                ) from error

    def _explain_batch_lengths(self, batch, error):
        """Raise an error naming the sources, when their lengths differ."""
        lengths = {
            variable.name: numpy.shape(batch[variable.name])[0]
            for variable in self.inputs
            if numpy.ndim(batch[variable.name]) > 0
        }
        if len(set(lengths.values())) > 1:
            described = ", ".join(f"{n!r} {k}" for n, k in lengths.items())
            raise ValueError(
                f"the training function failed on a batch whose sources have "
                f"different lengths (first dimensions): {described}. If they "
                f"should hold the same examples, check the data stream. The "
                f"error was: {error}"
            ) from error

    def process_batch(self, batch):
        if self._function is None:
            raise RuntimeError(
                f"{type(self).__name__}.process_batch was called before initialize()"
            )
        self._validate_source_names(batch)
        ordered_batch = [batch[v.name] for v in self.inputs]
        try:
            outputs = self._function(*ordered_batch)
        except (TypeError, ValueError) as error:
            self._explain_bad_data(batch)
            self._explain_batch_lengths(batch, error)
            raise
        self._check_outputs(outputs)


class GradientDescent(UpdatesAlgorithm):
    r"""Gradient descent with a pluggable step rule.

    On every batch it does::

        steps = step_rule.compute_steps(gradients)
        for parameter in parameters:
            parameter -= steps[parameter]

    The step is *subtracted*, so that step rules chain.

    Parameters
    ----------
    cost : :class:`~tensor.TensorVariable`, optional
        The objective to minimize. Unused if `gradients` is given.
    parameters : list of :class:`~tensor.TensorSharedVariable`, optional
        The parameters to train. If not given, the keys of `gradients`,
        which must then be ordered.
    step_rule : :class:`.StepRule`, optional
        Turns gradients into steps; it may keep a state, such as a momentum.
        Defaults to :class:`.Scale`.
    gradients : OrderedDict or list of 2-tuples, optional
        Maps each parameter to the gradient of the cost with respect to it.
        Taken with :func:`symbolic.grad` if not given.
    known_grads : dict, optional
        Passed on to :func:`symbolic.grad`; only with a cost.
    consider_constant : list, optional
        Passed on to :func:`symbolic.grad`; only with a cost.
    \*\*kwargs
        Passed on to :class:`UpdatesAlgorithm`.

    Attributes
    ----------
    gradients : OrderedDict
        The gradient of each parameter.
    steps : OrderedDict
        The step of each parameter.
    step_rule_updates : list
        The updates of the step rule's state.
    total_gradient_norm : :class:`~tensor.TensorVariable`
        The L2 norm of all the gradients together.
    total_step_norm : :class:`~tensor.TensorVariable`
        The L2 norm of all the steps together.

    Notes
    -----
    With a cost and parameters, the gradients are taken in the constructor:
    changing these attributes later has no effect.

    `gradients` must be ordered when `parameters` is not given, since the
    order of a plain dict cannot be relied upon, and the order of the terms
    changes floating point results.

    """

    def __init__(
        self,
        cost=None,
        parameters=None,
        step_rule=None,
        gradients=None,
        known_grads=None,
        consider_constant=None,
        **kwargs,
    ):
        self.cost = cost
        self.parameters = list(parameters) if parameters is not None else None
        if gradients is not None and not isinstance(gradients, Mapping):
            gradients = OrderedDict(gradients)
        if gradients:
            self.gradients = gradients
            self._check_given_gradients(known_grads, consider_constant)
        else:
            self.gradients = self._compute_gradients(known_grads, consider_constant)
            # Checked after every batch, so a NaN or inf is noticed.
            self._watched_cost = cost

        gradient_values = [self.gradients[p] for p in self.parameters]
        self.total_gradient_norm = _l2_norm(gradient_values).copy(
            name="total_gradient_norm"
        )

        self.step_rule = step_rule if step_rule is not None else Scale()
        logger.debug("Computing the parameter steps")
        ordered_gradients = OrderedDict((p, self.gradients[p]) for p in self.parameters)
        self.steps, self.step_rule_updates = self.step_rule.compute_steps(
            ordered_gradients
        )
        for parameter in self.parameters:
            self.steps[parameter] = self._matched_step(parameter)
        step_values = [self.steps[p] for p in self.parameters]
        self.total_step_norm = _l2_norm(step_values).copy(name="total_step_norm")

        updates = kwargs.pop("updates", None)
        updates = [] if updates is None else _as_update_list(updates, "updates")
        updates.extend((p, p - self.steps[p]) for p in self.parameters)
        updates.extend(self.step_rule_updates)
        super().__init__(updates=updates, **kwargs)

    def _check_given_gradients(self, known_grads, consider_constant):
        name = type(self).__name__
        if self.cost is not None:
            logger.warning(f"{name}: gradients were given, so the cost is unused")
        if known_grads:
            raise ValueError(
                f"{name}: known_grads has no effect when gradients are given"
            )
        if consider_constant is not None:
            raise ValueError(
                f"{name}: consider_constant has no effect when gradients are given"
            )
        ordered = isinstance(self.gradients, OrderedDict)
        if self.parameters is None:
            if not ordered:
                raise ValueError(determinism_error)
            self.parameters = list(self.gradients)
        elif set(self.parameters) != set(self.gradients):
            if not ordered:
                raise ValueError(determinism_error)
            logger.warning(
                f"{name}: the parameters given do not match the keys of the "
                f"gradients; training the keys of the gradients instead"
            )
            self.parameters = list(self.gradients)

    def _compute_gradients(self, known_grads, consider_constant):
        name = type(self).__name__
        if self.cost is None:
            raise ValueError(
                f"{name}: cannot take gradients, no cost specified (pass a cost "
                f"or the gradients)"
            )
        if not self.parameters:
            raise ValueError(
                f"{name}: cannot take gradients, no parameters specified (pass "
                f"the parameters, or the gradients as an OrderedDict)"
            )
        logger.info("Taking the cost gradient")
        gradients = symbolic.grad(
            self.cost,
            self.parameters,
            known_grads=known_grads,
            consider_constant=consider_constant,
        )
        logger.info("The cost gradient computation graph is built")
        return OrderedDict(zip(self.parameters, gradients, strict=True))

    def _matched_step(self, parameter):
        """The step of `parameter`, with the parameter's type if possible.

        A step rule may lose a broadcastable flag or upcast; the update of
        the parameter must keep its type, so flags are restored and a
        step of a wider float type is cast back.

        """
        step = self.steps[parameter]
        if step.broadcastable != parameter.broadcastable:
            if step.ndim != parameter.ndim:
                raise ValueError(
                    f"the step of {parameter} has {step.ndim} dimensions, but "
                    f"the parameter has {parameter.ndim}"
                )
            step = tensor.patternbroadcast(step, parameter.broadcastable)
        if step.dtype != parameter.dtype:
            step = tensor.cast(step, parameter.dtype)
        return step

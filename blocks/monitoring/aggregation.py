"""How monitored values are combined over the batches of an epoch.

A variable monitored over several batches (say, the cost over a validation
set) needs an :class:`AggregationScheme`: the mean over examples, the last
value, the minimum... A scheme builds an :class:`Aggregator`, a set of
shared accumulators with the updates that reset and accumulate them and an
expression that reads the result out. Attach a scheme to a variable with
the helper functions (:func:`mean`, :func:`take_last`, ...), which set
``variable.tag.aggregation_scheme``.

"""

import logging
from abc import ABC, abstractmethod

from blocks.utils.theano_utils import shared_like
from symbolic import tensor
from symbolic.ifelse import ifelse

logger = logging.getLogger(__name__)


def _if_else(condition, then_branch, else_branch):
    """``then_branch`` if ``condition`` else ``else_branch``, computed lazily.

    The untaken branch is never evaluated, so an accumulator that still has
    shape ``(0, ...)`` can stand in it. The else branch takes the then
    branch's broadcastable pattern, as ``ifelse`` needs identical types.

    """
    else_branch = tensor.patternbroadcast(else_branch, then_branch.broadcastable)
    return ifelse(condition, then_branch, else_branch)


class AggregationScheme(ABC):
    """How to aggregate a variable over several batches.

    Parameters
    ----------
    variable : :class:`~tensor.TensorVariable`
        The variable to aggregate.

    """

    def __init__(self, variable):
        self.variable = variable

    @abstractmethod
    def get_aggregator(self):
        """Return a new :class:`Aggregator` for this scheme.

        Each call creates new shared accumulators.

        """


class Aggregator:
    """The accumulators of one aggregated variable and how to use them.

    Parameters
    ----------
    aggregation_scheme : :class:`AggregationScheme`
        The scheme that made this aggregator.
    initialization_updates : list of tuples, optional
        Updates that reset the accumulators, before the first batch.
    accumulation_updates : list of tuples, optional
        Updates that fold one batch into the accumulators.
    readout_variable : :class:`~tensor.TensorVariable`
        The aggregated value, computed from the accumulators only.
    reductions : list of tuples, optional
        ``(accumulator, op)`` pairs, op being ``'sum'``, ``'min'`` or
        ``'max'``: how the accumulators of several data-parallel workers
        combine into those of all their data. Accumulators not listed stay
        each worker's own.

    """

    def __init__(
        self,
        aggregation_scheme,
        initialization_updates=None,
        accumulation_updates=None,
        readout_variable=None,
        reductions=None,
    ):
        self.aggregation_scheme = aggregation_scheme
        self.readout_variable = readout_variable
        self.initialization_updates = list(initialization_updates or [])
        self.accumulation_updates = list(accumulation_updates or [])
        self.reductions = list(reductions or [])


class Mean(AggregationScheme):
    """The sum of the numerators divided by the sum of the denominators.

    Parameters
    ----------
    numerator : :class:`~tensor.TensorVariable`
        Summed over the batches.
    denominator : :class:`~tensor.TensorVariable` or float
        Summed over the batches; for instance the number of examples in
        the batch, or 1 for a mean over batches.

    """

    def __init__(self, numerator, denominator):
        self.numerator = tensor.as_tensor_variable(numerator)
        self.denominator = tensor.as_tensor_variable(denominator)
        super().__init__(self.numerator / self.denominator)

    def get_aggregator(self):
        numerator_acc = shared_like(self.numerator)
        denominator_acc = shared_like(self.denominator)
        if self.numerator.ndim == 0 and self.denominator.ndim == 0:
            return self._scalar_aggregator(numerator_acc, denominator_acc)
        initialized = shared_like(0.0, name="initialized")
        # Before the first batch the accumulators hold (0, ...) arrays, so
        # the previous total is taken to be zero of the right shape.
        previous_numerator = _if_else(
            initialized, numerator_acc, tensor.zeros_like(self.numerator)
        )
        previous_denominator = _if_else(
            initialized, denominator_acc, tensor.zeros_like(self.denominator)
        )
        initialization_updates = [
            (numerator_acc, tensor.zeros_like(numerator_acc)),
            (denominator_acc, tensor.zeros_like(denominator_acc)),
            (initialized, tensor.zeros_like(initialized)),
        ]
        accumulation_updates = [
            (numerator_acc, previous_numerator + self.numerator),
            (denominator_acc, previous_denominator + self.denominator),
            (initialized, tensor.ones_like(initialized)),
        ]
        return Aggregator(
            aggregation_scheme=self,
            initialization_updates=initialization_updates,
            accumulation_updates=accumulation_updates,
            readout_variable=self._readout(numerator_acc / denominator_acc),
            reductions=[(numerator_acc, "sum"), (denominator_acc, "sum")],
        )

    def _scalar_aggregator(self, numerator_acc, denominator_acc):
        """The aggregator of a scalar mean: plain running sums.

        A scalar accumulator holds a zero from the start, so it needs no
        ``initialized`` flag nor a lazy ``ifelse`` to stand in for an empty
        array: the accumulation stays elementwise, which the training
        function runs compiled, fused with the other accumulations.

        """
        return Aggregator(
            aggregation_scheme=self,
            initialization_updates=[
                (numerator_acc, tensor.zeros_like(numerator_acc)),
                (denominator_acc, tensor.zeros_like(denominator_acc)),
            ],
            accumulation_updates=[
                (numerator_acc, numerator_acc + self.numerator),
                (denominator_acc, denominator_acc + self.denominator),
            ],
            readout_variable=self._readout(numerator_acc / denominator_acc),
            reductions=[(numerator_acc, "sum"), (denominator_acc, "sum")],
        )

    def _readout(self, mean_value):
        return mean_value


class Perplexity(Mean):
    """The perplexity, ``exp(-mean log-likelihood)``.

    Parameters
    ----------
    log_likelihood : :class:`~tensor.TensorVariable`
        The total log-likelihood of a batch.
    n_examples : :class:`~tensor.TensorVariable` or int
        The number of examples (or tokens) in the batch.

    """

    def __init__(self, log_likelihood, n_examples):
        super().__init__(log_likelihood, n_examples)
        self.variable = tensor.exp(-self.variable)

    def _readout(self, mean_value):
        return tensor.exp(-mean_value)


class _DataIndependent(AggregationScheme):
    """For variables that do not depend on the data: read them directly."""

    def get_aggregator(self):
        return Aggregator(aggregation_scheme=self, readout_variable=self.variable)


class TakeLast(AggregationScheme):
    """Keeps the value of the last batch."""

    def get_aggregator(self):
        storage = shared_like(self.variable)
        return Aggregator(
            aggregation_scheme=self,
            initialization_updates=[(storage, tensor.zeros_like(storage))],
            accumulation_updates=[(storage, self.variable)],
            readout_variable=storage,
        )


class _Extremum(AggregationScheme):
    _combine = None
    _reduction = None

    def get_aggregator(self):
        initialized = shared_like(0.0, name="initialized")
        storage = shared_like(self.variable)
        # Before the first batch ``storage`` has shape (0, ...): the lazy
        # ifelse never combines it with the batch value.
        combined = _if_else(
            initialized, type(self)._combine(storage, self.variable), self.variable
        )
        return Aggregator(
            aggregation_scheme=self,
            initialization_updates=[
                (storage, tensor.zeros_like(storage)),
                (initialized, tensor.zeros_like(initialized)),
            ],
            accumulation_updates=[
                (storage, combined),
                (initialized, tensor.ones_like(initialized)),
            ],
            readout_variable=storage,
            reductions=[(storage, self._reduction)],
        )


class Minimum(_Extremum):
    """The elementwise minimum over the batches."""

    _combine = staticmethod(tensor.minimum)
    _reduction = "min"


class Maximum(_Extremum):
    """The elementwise maximum over the batches."""

    _combine = staticmethod(tensor.maximum)
    _reduction = "max"


class Concatenate(AggregationScheme):
    """The batch values concatenated along their first axis.

    As in Blocks, a vector per batch gives one long vector, a matrix per
    batch the matrix of all the rows. A scalar per batch, which has no axis
    to concatenate along, gives the vector of the batch values.

    """

    def get_aggregator(self):
        value = self.variable
        if value.ndim == 0:
            value = tensor.shape_padleft(value)
        initialized = shared_like(0.0, name="initialized")
        storage = shared_like(value, name=f"shared_{self.variable.name}")
        # The storage starts empty with every axis of length 0, which cannot
        # be concatenated to; the first batch replaces it instead (the
        # lazy ifelse does not evaluate the concatenation then).
        combined = _if_else(initialized, tensor.concatenate([storage, value]), value)
        return Aggregator(
            aggregation_scheme=self,
            initialization_updates=[
                (storage, tensor.zeros_like(storage)),
                (initialized, tensor.zeros_like(initialized)),
            ],
            accumulation_updates=[
                (storage, combined),
                (initialized, tensor.ones_like(initialized)),
            ],
            readout_variable=storage,
        )


def mean(numerator, denominator=1.0):
    """A variable averaged as ``sum(numerator) / sum(denominator)``.

    Parameters
    ----------
    numerator : :class:`~tensor.TensorVariable`
    denominator : :class:`~tensor.TensorVariable` or float, optional
        1 by default, which averages over batches.

    Returns
    -------
    :class:`~tensor.TensorVariable`
        ``numerator / denominator``, named like `numerator`, with a
        :class:`Mean` aggregation scheme.

    """
    variable = numerator / denominator
    variable.name = numerator.name
    variable.tag.aggregation_scheme = Mean(numerator, denominator)
    return variable


def perplexity(log_likelihood, n_examples):
    """A perplexity, aggregated over batches; see :class:`Perplexity`."""
    scheme = Perplexity(log_likelihood, n_examples)
    variable = scheme.variable
    variable.name = log_likelihood.name
    variable.tag.aggregation_scheme = scheme
    return variable


def take_last(variable):
    """A copy of `variable` whose aggregate is its last value."""
    copy = variable.copy(name=variable.name)
    copy.tag.aggregation_scheme = TakeLast(copy)
    return copy


def minimum(variable):
    """A copy of `variable` aggregated by its elementwise minimum."""
    copy = variable.copy(name=variable.name)
    copy.tag.aggregation_scheme = Minimum(copy)
    return copy


def maximum(variable):
    """A copy of `variable` aggregated by its elementwise maximum."""
    copy = variable.copy(name=variable.name)
    copy.tag.aggregation_scheme = Maximum(copy)
    return copy


def concatenate(variable):
    """A copy of `variable` aggregated by concatenating its batch values."""
    copy = variable.copy(name=variable.name)
    copy.tag.aggregation_scheme = Concatenate(copy)
    return copy


class MonitoredQuantity(ABC):
    """A quantity computed in Python from the values of some variables.

    Use it for what has no symbolic expression, such as a BLEU score. For
    every batch, :meth:`aggregate` receives the values of the required
    variables; :meth:`get_aggregated_value` gives the result.

    Parameters
    ----------
    requires : list of :class:`~tensor.TensorVariable`
        The variables whose values :meth:`aggregate` receives, in order.
    name : str
        The name of the quantity, used as its record name.

    """

    def __init__(self, requires=None, name=None):
        self.requires = list(requires or [])
        self.name = name

    @abstractmethod
    def initialize(self):
        """Reset the quantity before the first batch."""

    @abstractmethod
    def aggregate(self, *args):
        """Fold in the values of the required variables for one batch."""

    @abstractmethod
    def get_aggregated_value(self):
        """Return the value aggregated over the batches so far."""

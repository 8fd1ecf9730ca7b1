"""Extensions that monitor variables on training or other data."""

import logging

from blocks.algorithms import UpdatesAlgorithm
from blocks.algorithms.data_parallel import _Wrapper
from blocks.extensions import SimpleExtension, TrainingExtension
from blocks.monitoring.aggregation import MonitoredQuantity, take_last
from blocks.monitoring.evaluators import (
    AggregationBuffer,
    DatasetEvaluator,
    MonitoredQuantityBuffer,
)
from symbolic.gof import Variable

logger = logging.getLogger(__name__)

SEPARATOR = "_"


class MonitoringExtension(TrainingExtension):
    """A mixin with what monitoring extensions share: naming records.

    Parameters
    ----------
    prefix : str, optional
        Prepended to the variable names, with an underscore, to make the
        record names.
    suffix : str, optional
        Appended to the variable names, with an underscore.

    """

    # Between prefix, name and suffix; a subclass may override it.
    SEPARATOR = SEPARATOR

    def __init__(self, prefix=None, suffix=None, **kwargs):
        super().__init__(**kwargs)
        self.prefix = prefix
        self.suffix = suffix

    def _record_name(self, name):
        if not isinstance(name, str):
            raise ValueError(
                f"{self.name}: a record name must be a string, got {name!r}"
            )
        parts = [self.prefix, name, self.suffix]
        return self.SEPARATOR.join(part for part in parts if part is not None)

    def record_name(self, variable):
        """The record name for a variable."""
        return self._record_name(variable.name)

    def add_records(self, log, record_tuples):
        """Write ``(name, value)`` pairs into the current row of the log."""
        for name, value in record_tuples:
            if not name:
                raise ValueError(f"{self.name}: a monitored value has no name")
            log.current_row[self._record_name(name)] = value


class DataStreamMonitoring(SimpleExtension, MonitoringExtension):
    r"""Monitors variables and quantities on a data stream.

    Each time it runs it evaluates the variables over one epoch of the
    stream and logs the results, by default before the first epoch and
    after every epoch.

    Parameters
    ----------
    variables : list of :class:`~tensor.TensorVariable` and :class:`.MonitoredQuantity`
        What to monitor; the names (with the prefix and suffix) are the
        record names.
    data_stream : :class:`fuel.streams.AbstractDataStream`
        The data to monitor on.
    updates : list of tuples or OrderedDict, optional
        Shared variable updates to make during evaluation, such as the
        ones a ``scan`` returns. Never update model parameters here.
    \*\*kwargs
        Triggers, ``prefix``, ``suffix`` and ``name``.

    """

    def __init__(self, variables, data_stream, updates=None, **kwargs):
        kwargs.setdefault("after_epoch", True)
        kwargs.setdefault("before_first_epoch", True)
        super().__init__(**kwargs)
        self._evaluator = DatasetEvaluator(variables, updates)
        self.data_stream = data_stream

    def do(self, callback_name, *args):
        """Evaluate the variables and write their values to the log."""
        logger.info("Monitoring on auxiliary data started")
        values = self._evaluator.evaluate(self.data_stream)
        self.add_records(self.main_loop.log, values.items())
        logger.info("Monitoring on auxiliary data finished")


class TrainingDataMonitoring(SimpleExtension, MonitoringExtension):
    r"""Monitors variables on the training batches, at little cost.

    The accumulation of the monitored variables is added to the training
    algorithm's function, so nothing is computed twice: monitoring the
    gradient norm, for example, costs no second backward pass. How often
    the extension runs decides over how many batches the values are
    aggregated (by default the mean over batches, see
    :mod:`blocks.monitoring.aggregation`).

    Parameters
    ----------
    variables : list of :class:`~tensor.TensorVariable` and :class:`.MonitoredQuantity`
        What to monitor; the names (with the prefix and suffix) are the
        record names.
    \*\*kwargs
        Triggers, ``prefix``, ``suffix`` and ``name``.

    Notes
    -----
    The values are taken *before* the parameters are updated.

    The training algorithm must be an :class:`.UpdatesAlgorithm`.

    """

    def __init__(self, variables, **kwargs):
        kwargs.setdefault("before_training", True)
        super().__init__(**kwargs)
        theano_variables = []
        quantities = []
        for variable in variables:
            if isinstance(variable, Variable):
                theano_variables.append(variable)
            elif isinstance(variable, MonitoredQuantity):
                quantities.append(variable)
            else:
                raise ValueError(
                    f"{self.name} can monitor variables and MonitoredQuantity "
                    f"objects, not {variable!r}"
                )
        self._non_variables = MonitoredQuantityBuffer(quantities)
        self._required_for_non_variables = AggregationBuffer(
            [take_last(v) for v in self._non_variables.requires]
        )
        self._variables = AggregationBuffer(theano_variables, use_take_last=True)
        self._last_time_called = -1
        if quantities:
            # Monitored quantities fold each batch in after it. Variables
            # need nothing then: the training function's updates aggregate
            # them, so without quantities no call is made after every batch.
            self.add_condition(["after_batch"], arguments=("just_aggregate",))

    def do(self, callback_name, *args):
        """Set up the accumulation, or write the aggregated values.

        Called before training, it adds the accumulation updates to the
        training algorithm. After a batch with the ``just_aggregate``
        argument it only folds the batch into the monitored quantities.
        Otherwise it writes the aggregated values to the log and starts a
        new aggregation.

        """
        _, args = self.parse_args(callback_name, args)
        if callback_name == "before_training":
            self._set_up()
            return
        iterations_done = self.main_loop.status["iterations_done"]
        if iterations_done > self._last_time_called:
            # Without monitored quantities there is nothing to read back
            # from the batch: no readout call on every batch.
            if self._non_variables.quantities:
                required = self._required_for_non_variables.get_aggregated_values()
                self._non_variables.aggregate_quantities(list(required.values()))
                self._required_for_non_variables.initialize_aggregators()
            self._last_time_called = iterations_done
        if args == ("just_aggregate",):
            return
        log = self.main_loop.log
        self.add_records(log, self._variables.get_aggregated_values().items())
        self._variables.initialize_aggregators()
        self.add_records(log, self._non_variables.get_aggregated_values().items())
        self._non_variables.initialize_quantities()

    def _set_up(self):
        algorithm = self.main_loop.algorithm
        if not isinstance(algorithm, (UpdatesAlgorithm, _Wrapper)):
            raise ValueError(
                f"{self.name} needs an UpdatesAlgorithm (such as "
                f"GradientDescent) to add its updates to, got "
                f"{type(algorithm).__name__}"
            )
        algorithm.add_updates(self._variables.accumulation_updates)
        algorithm.add_updates(self._required_for_non_variables.accumulation_updates)
        # A data-parallel algorithm tells the buffers the size of each shard.
        for buffer in (self._variables, self._required_for_non_variables):
            if buffer.examples is not None and hasattr(algorithm, "example_counts"):
                algorithm.example_counts.append(buffer.examples)
        self._variables.initialize_aggregators()
        self._required_for_non_variables.initialize_aggregators()
        self._non_variables.initialize_quantities()

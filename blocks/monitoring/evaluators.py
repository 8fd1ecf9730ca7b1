"""Evaluating monitored variables and quantities over data."""

import contextlib
import logging
from collections import OrderedDict

import numpy

import symbolic
from blocks import distributed
from blocks.algorithms.base import _graph_inputs
from blocks.monitoring.aggregation import (
    Mean,
    MonitoredQuantity,
    TakeLast,
    _DataIndependent,
)
from fuel.streams import DataStream
from fuel.utils import borrowed_batches

logger = logging.getLogger(__name__)


def _validate_variable_names(variables):
    """Check that every variable has a name and that names are unique.

    Raises
    ------
    ValueError
        Naming the nameless variables or the repeated names.

    """
    nameless = [v for v in variables if v.name is None]
    if nameless:
        raise ValueError(
            f"the monitored variables {nameless} have no name, but aggregated "
            f"variables must have names: give each one a name "
            f"(variable.name = ...), which becomes its log record"
        )
    names = [v.name for v in variables]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            f"several monitored variables are named {repeated}; names must be "
            f"unique, since they become log records"
        )


def _unique(variables):
    unique = []
    for variable in variables:
        if not any(variable is other for other in unique):
            unique.append(variable)
    return unique


class MonitoredQuantityBuffer:
    """Aggregates :class:`.MonitoredQuantity` objects batch by batch.

    Parameters
    ----------
    quantities : list of :class:`.MonitoredQuantity`
        Their names become log records, so they must be unique.

    Attributes
    ----------
    requires : list of :class:`~tensor.TensorVariable`
        All the variables the quantities need.
    quantity_names : list of str
    inputs : list of :class:`~tensor.TensorVariable`
        The graph inputs needed to compute :attr:`requires`.

    """

    def __init__(self, quantities):
        _validate_variable_names(quantities)
        self.quantities = list(quantities)
        self.requires = _unique(v for q in self.quantities for v in q.requires)
        self.quantity_names = [q.name for q in self.quantities]
        self.inputs = _graph_inputs(self.requires)
        self._initialized = False

    def initialize_quantities(self):
        """Reset every quantity."""
        for quantity in self.quantities:
            quantity.initialize()
        self._initialized = True

    def _check_initialized(self):
        if not self._initialized:
            raise RuntimeError(
                "initialize the monitored quantities before aggregating or reading them"
            )

    def aggregate_quantities(self, numerical_values):
        """Fold one batch into the quantities.

        Parameters
        ----------
        numerical_values : list
            The values of :attr:`requires`, in order.

        """
        self._check_initialized()
        for quantity in self.quantities:
            values = [
                numerical_values[self._index(requirement)]
                for requirement in quantity.requires
            ]
            quantity.aggregate(*values)

    def _index(self, requirement):
        for i, variable in enumerate(self.requires):
            if variable is requirement:
                return i
        raise AssertionError(f"{requirement} is not required")

    def get_aggregated_values(self):
        """Return an OrderedDict of quantity names to aggregated values."""
        self._check_initialized()
        return OrderedDict((q.name, q.get_aggregated_value()) for q in self.quantities)


class AggregationBuffer:
    """The accumulators that aggregate symbolic variables over batches.

    Parameters
    ----------
    variables : list of :class:`~tensor.TensorVariable`
        Their names become log records, so they must be unique. A variable
        with no ``tag.aggregation_scheme`` is averaged over batches, unless
        it does not depend on the data: then it is read directly (or its
        last value kept, with `use_take_last`).
    use_take_last : bool, optional
        Keep the last value of the variables that do not depend on data,
        rather than compute them when read. The training data monitoring
        uses it, since it reads them after the parameters have changed.

    Attributes
    ----------
    initialization_updates : list of tuples
    accumulation_updates : list of tuples
    readout_variables : OrderedDict
        Record name to aggregated value.
    inputs : list of :class:`~tensor.TensorVariable`
        The graph inputs the accumulation needs.
    examples : shared variable or None
        In a data-parallel run (see :mod:`blocks.distributed`), the number
        of examples in this worker's shard of the current batch; whoever
        runs the accumulation sets it. None in a single process.

    Notes
    -----
    In a data-parallel run the accumulators of all the workers are combined
    before they are read (see :class:`.Aggregator`), so the values are
    those of all the data. A variable with no aggregation scheme is then
    averaged over the examples (its value on each shard weighted by the
    shard's number of examples) rather than over the batches: the two agree
    when the batches have the same size, and for a single batch. The
    :class:`DatasetEvaluator` counts the examples of a batch along the
    first axis of its first input; in training, :class:`.DataParallel`
    counts them along its ``example_axis``.

    """

    def __init__(self, variables, use_take_last=False):
        _validate_variable_names(variables)
        self.variables = list(variables)
        self.variable_names = [v.name for v in self.variables]
        self.use_take_last = use_take_last
        self.inputs = _graph_inputs(self.variables)
        self._initialized = False
        self.examples = None
        if distributed.world() is not None:
            self.examples = symbolic.shared(
                numpy.asarray(1.0, dtype=symbolic.config.floatX),
                name="examples_in_shard",
            )
        self._create_aggregators()
        self._compile()

    def _scheme(self, variable):
        scheme = getattr(variable.tag, "aggregation_scheme", None)
        if scheme is not None:
            return scheme
        if not _graph_inputs([variable]):
            if self.use_take_last:
                return TakeLast(variable)
            return _DataIndependent(variable)
        if self.examples is not None:
            return Mean(variable * self.examples, self.examples)
        return Mean(variable, 1.0)

    def _create_aggregators(self):
        self.initialization_updates = []
        self.accumulation_updates = []
        self.readout_variables = OrderedDict()
        self.reductions = []
        for variable in self.variables:
            aggregator = self._scheme(variable).get_aggregator()
            self.initialization_updates.extend(aggregator.initialization_updates)
            self.accumulation_updates.extend(aggregator.accumulation_updates)
            self.readout_variables[variable.name] = aggregator.readout_variable
            self.reductions.extend(aggregator.reductions)

    def _compile(self):
        self._initialize_fun = None
        if self.initialization_updates:
            self._initialize_fun = symbolic.function(
                [], [], updates=self.initialization_updates
            )
        self._readout_fun = symbolic.function([], list(self.readout_variables.values()))

    def initialize_aggregators(self):
        """Reset the accumulators."""
        if self._initialize_fun is not None:
            self._initialize_fun()
        self._initialized = True

    def get_aggregated_values(self):
        """Return an OrderedDict of record names to aggregated values."""
        if not self._initialized:
            raise RuntimeError(
                "initialize the aggregators, then process batches, before "
                "reading the aggregated values"
            )
        world = distributed.world()
        if world is None or not self.reductions:
            values = self._readout_fun()
        else:
            values = self._readout_combined(world)
        return OrderedDict(zip(self.variable_names, values, strict=True))

    def _readout_combined(self, world):
        """Read out from the accumulators combined over the workers.

        Each worker's own accumulators are put back afterwards, so that
        reading twice does not combine twice.

        """
        own = [variable.get_value() for variable, _ in self.reductions]
        for op in ("sum", "min", "max"):
            variables = [v for v, o in self.reductions if o == op]
            if not variables:
                continue
            values = [numpy.asarray(v.get_value()) for v in variables]
            packer = distributed.Packer(values)
            packer.pack(values)
            world.allreduce(packer.buffer, op=op, what="monitoring allreduce")
            for variable, value in zip(variables, packer.unpack(), strict=True):
                variable.set_value(value.astype(variable.dtype))
        try:
            return self._readout_fun()
        finally:
            for (variable, _), value in zip(self.reductions, own, strict=True):
                variable.set_value(value)


class DatasetEvaluator:
    """Evaluates variables and monitored quantities over a data stream.

    :meth:`evaluate` does it all. For a loop of your own, call
    :meth:`initialize_aggregators`, then :meth:`process_batch` for each
    batch, then :meth:`get_aggregated_values`.

    Each variable is aggregated over the batches by its
    ``tag.aggregation_scheme``; by default it is averaged over batches.
    Variables that do not depend on the data are computed once, without
    reading any data.

    Parameters
    ----------
    variables : list of :class:`~tensor.TensorVariable` and :class:`.MonitoredQuantity`
        Their names become record names, so they must be unique.
    updates : list of tuples or OrderedDict, optional
        Updates of shared variables to make on every batch, for instance
        those a ``scan`` returns. Never update model parameters here.

    """

    def __init__(self, variables, updates=None):
        _validate_variable_names(variables)
        self.theano_variables = [
            v for v in variables if not isinstance(v, MonitoredQuantity)
        ]
        self.monitored_quantities = [
            v for v in variables if isinstance(v, MonitoredQuantity)
        ]
        self.theano_buffer = AggregationBuffer(self.theano_variables)
        self.monitored_quantities_buffer = MonitoredQuantityBuffer(
            self.monitored_quantities
        )
        self.updates = list(
            updates.items() if hasattr(updates, "items") else updates or []
        )
        self._compile()

    def _compile(self):
        updates = list(self.theano_buffer.accumulation_updates) + self.updates
        inputs = []
        if self.theano_buffer.accumulation_updates:
            inputs += self.theano_buffer.inputs
        inputs += self.monitored_quantities_buffer.inputs
        self.unique_inputs = _unique(inputs)
        self._accumulate_fun = None
        if self.unique_inputs:
            self._accumulate_fun = symbolic.function(
                self.unique_inputs,
                self.monitored_quantities_buffer.requires,
                updates=updates,
            )

    def initialize_aggregators(self):
        """Reset the aggregators and the monitored quantities."""
        self.theano_buffer.initialize_aggregators()
        self.monitored_quantities_buffer.initialize_quantities()

    def process_batch(self, batch):
        """Fold one batch into the aggregates.

        Parameters
        ----------
        batch : dict
            Source name to data; it needs a source for every input.

        """
        if self._accumulate_fun is None:
            return
        names = [v.name for v in self.unique_inputs]
        missing = [n for n in names if n not in batch]
        if missing:
            raise ValueError(
                f"Not all data sources required for monitoring were provided: "
                f"the batch has no data for the monitored graph inputs "
                f"{missing}; monitoring needs the sources {names} and the "
                f"stream provides {list(batch)}"
            )
        examples = self.theano_buffer.examples
        if examples is not None and names:
            count = (numpy.shape(batch[names[0]]) or (1,))[0]
            if count == 0:
                # An empty shard of a data-parallel worker adds nothing.
                return
            examples.set_value(numpy.asarray(count, dtype=examples.dtype))
        values = self._accumulate_fun(*[batch[name] for name in names])
        self.monitored_quantities_buffer.aggregate_quantities(values)

    def get_aggregated_values(self):
        """Return an OrderedDict of record names to aggregated values."""
        values = self.theano_buffer.get_aggregated_values()
        values.update(self.monitored_quantities_buffer.get_aggregated_values())
        return values

    def evaluate(self, data_stream):
        """Compute the variables over one epoch of a data stream.

        Parameters
        ----------
        data_stream : :class:`fuel.streams.AbstractDataStream`

        Returns
        -------
        OrderedDict
            Record names to values aggregated over the epoch.

        """
        self.initialize_aggregators()
        if self._accumulate_fun is not None:
            # Straight from a dataset, the batches reach no code but the
            # accumulating function, which only reads them: they can be
            # views of the dataset's arrays instead of copies.
            borrow = (
                type(data_stream) is DataStream
                and not self.monitored_quantities_buffer.quantities
            )
            with borrowed_batches() if borrow else contextlib.nullcontext():
                for batch in data_stream.get_epoch_iterator(as_dict=True):
                    self.process_batch(batch)
        else:
            logger.debug(
                "only data-independent variables to evaluate; not reading data"
            )
        return self.get_aggregated_values()

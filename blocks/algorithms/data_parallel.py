"""Data-parallel training over MPI: every worker trains on its shard of the data.

Run the training script as ``mpirun -n N python train.py``: each of the N
workers reads its own shard of every batch (see
:class:`fuel.schemes.ShardedScheme`) and the workers combine their work
with MPI collectives (:mod:`blocks.distributed`). Run without ``mpirun``,
these algorithms are exactly the algorithm they wrap.

"""

import logging

import numpy

import symbolic
from blocks import distributed
from blocks.algorithms.base import (
    GradientDescent,
    TrainingAlgorithm,
    _named_graph_inputs,
)

logger = logging.getLogger(__name__)


def _examples_in(batch, name, axis):
    data = batch[name]
    shape = numpy.shape(data)
    if len(shape) <= axis:
        raise ValueError(
            f"the data of source {name!r} have shape {shape}, which has no "
            f"example axis {axis}: pass the axis along which the examples of "
            f"a batch lie as example_axis"
        )
    return shape[axis]


class _Wrapper(TrainingAlgorithm):
    """What both data-parallel algorithms share: the wrapped algorithm."""

    _wrapped_type = TrainingAlgorithm

    def __init__(self, algorithm):
        if not isinstance(algorithm, self._wrapped_type):
            raise TypeError(
                f"{type(self).__name__} wraps a {self._wrapped_type.__name__}, "
                f"got {type(algorithm).__name__}"
            )
        self.algorithm = algorithm
        self._world = None
        self.example_counts = []

    def __getattr__(self, name):
        # Read-only access to the wrapped algorithm's attributes (parameters,
        # gradients, total_gradient_norm, ...), as if it were not wrapped.
        if name.startswith("_") or name == "algorithm":
            raise AttributeError(name)
        return getattr(self.algorithm, name)

    def __getstate__(self):
        # The communicator lives in one process; a loaded algorithm finds
        # the world it runs in.
        state = dict(self.__dict__)
        state["_world"] = None
        return state

    def add_updates(self, updates):
        """Add updates to the wrapped algorithm (see :class:`.UpdatesAlgorithm`)."""
        self.algorithm.add_updates(updates)

    def _count_examples(self, batch):
        count = _examples_in(batch, self._first_input_name, self.example_axis)
        for variable in self.example_counts:
            variable.set_value(numpy.asarray(count, dtype=variable.dtype))
        return count


class DataParallel(_Wrapper):
    """Synchronous data-parallel gradient descent.

    Each worker computes the gradients on its shard of the batch; one fused
    allreduce (all the gradients packed in one buffer) averages them, and
    every worker then applies the same step, so the parameters stay the
    same on all workers. The parameters are broadcast from worker 0 when
    training starts.

    Parameters
    ----------
    algorithm : :class:`.GradientDescent`
        The algorithm each worker runs; its step rule sees the averaged
        gradients.
    example_axis : int, optional
        The axis of the data along which the examples of a batch lie (0
        by default; 1 for time-major sequences).

    Notes
    -----
    The average is weighted by the number of examples in each shard, so
    that the step equals the one of a single process on the whole batch,
    also when the batch does not split evenly. This holds when the cost is
    a mean over the examples of the batch (as costs usually are); a cost
    summed over the batch would be scaled by the number of workers.

    The updates that do not belong to the step (those of monitoring, of
    batch normalization statistics) are made by each worker from its own
    shard. A worker whose shard is empty contributes nothing. Monitored
    expressions of the gradients, such as ``total_gradient_norm``, are
    those of each worker's own gradients, before the averaging.

    Without an MPI launcher (a single process), this is the wrapped
    algorithm: same compiled function, same results, same speed.

    """

    _wrapped_type = GradientDescent

    def __init__(self, algorithm, example_axis=0):
        super().__init__(algorithm)
        self.example_axis = example_axis
        self._gradient_function = None

    def initialize(self, **kwargs):
        """Compile the functions and broadcast worker 0's parameters."""
        self._world = distributed.world()
        if self._world is None:
            self.algorithm.initialize(**kwargs)
            return
        self._compile()
        self._broadcast_state()

    def _broadcast_state(self):
        algorithm = self.algorithm
        state = [variable for variable, _ in algorithm.step_rule_updates]
        distributed.broadcast_shared_values(list(algorithm.parameters) + state)

    def _ready(self):
        """Find the world of a loaded algorithm, compiling what it needs."""
        if self._world is None:
            self._world = distributed.world()
            if self._world is not None:
                if self._gradient_function is None:
                    self._compile()
                self._broadcast_state()
        return self._world

    def _compile(self):
        algorithm = self.algorithm
        parameters = list(algorithm.parameters)
        step_variables = set(parameters)
        step_variables.update(v for v, _ in algorithm.step_rule_updates)
        step_updates = [(v, e) for v, e in algorithm.updates if v in step_variables]
        local_updates = [
            (v, e) for v, e in algorithm.updates if v not in step_variables
        ]
        gradients = [algorithm.gradients[p] for p in parameters]
        algorithm.inputs = _named_graph_inputs(
            gradients + [e for _, e in local_updates]
        )
        self._first_input_name = algorithm.inputs[0].name
        kwargs = algorithm.theano_func_kwargs
        logger.debug("Compiling the gradient function of the data-parallel step")
        self._gradient_function = symbolic.function(
            algorithm.inputs, gradients, updates=local_updates, **kwargs
        )
        averaged = [g.type(name=f"averaged_{g.name or 'gradient'}") for g in gradients]
        try:
            self._step_function = symbolic.function(
                averaged,
                [],
                updates=step_updates,
                givens=list(zip(gradients, averaged, strict=True)),
                **kwargs,
            )
        except Exception as error:
            raise ValueError(
                f"{type(self).__name__}: the steps of the step rule "
                f"{type(algorithm.step_rule).__name__} must depend on the "
                f"data only through the gradients, so that they can be "
                f"computed from the averaged gradients ({error})"
            ) from error
        self._packer = distributed.Packer(
            [p.get_value(borrow=True) for p in parameters], extra=1
        )

    def process_batch(self, batch):
        world = self._ready()
        if world is None:
            self.algorithm.process_batch(batch)
            return
        algorithm = self.algorithm
        algorithm._validate_source_names(batch)
        count = self._count_examples(batch)
        packer = self._packer
        if count:
            ordered_batch = [batch[v.name] for v in algorithm.inputs]
            try:
                gradients = self._gradient_function(*ordered_batch)
            except (TypeError, ValueError):
                algorithm._explain_bad_data(batch)
                raise
            packer.pack(gradients, scales=count)
        else:
            packer.buffer[...] = 0
        packer.extra[0] = count
        world.allreduce(packer.buffer, what="gradient allreduce")
        total = packer.extra[0]
        if total == 0:
            raise ValueError(
                f"{type(self).__name__}: the batch is empty on every worker"
            )
        packer.buffer /= total
        self._step_function(*packer.unpack())


class ParameterAveraging(_Wrapper):
    """Local training with the parameters averaged every few batches.

    Each worker trains the parameters on its own shards with the wrapped
    algorithm, with no communication, and every `every_n_batches` batches
    the workers replace their parameters with the mean over workers (one
    fused allreduce). With ``every_n_batches=1`` and plain SGD this equals
    synchronous data parallelism; larger values trade the exactness of the
    step for less communication, as elastic averaging does.

    Parameters
    ----------
    algorithm : :class:`.GradientDescent`
        The algorithm each worker runs on its shards.
    every_n_batches : int
        How many batches between two averagings.
    example_axis : int, optional
        The axis of the data along which the examples lie; a worker whose
        shard is empty skips the batch.

    Notes
    -----
    The state of the step rule (a momentum, say) stays local to each
    worker. Without an MPI launcher this is the wrapped algorithm.

    """

    _wrapped_type = GradientDescent

    def __init__(self, algorithm, every_n_batches, example_axis=0):
        super().__init__(algorithm)
        if isinstance(every_n_batches, bool) or not isinstance(every_n_batches, int):
            raise TypeError(
                f"every_n_batches must be an integer, got {every_n_batches!r}"
            )
        if every_n_batches < 1:
            raise ValueError(f"every_n_batches must be positive, got {every_n_batches}")
        self.every_n_batches = every_n_batches
        self.example_axis = example_axis
        self.batches_done = 0

    def initialize(self, **kwargs):
        """Initialize the wrapped algorithm and broadcast worker 0's parameters."""
        self.algorithm.initialize(**kwargs)
        self._world = distributed.world()
        distributed.broadcast_shared_values(list(self.algorithm.parameters))

    @property
    def _first_input_name(self):
        return self.algorithm.inputs[0].name

    def process_batch(self, batch):
        if self._world is None:
            self._world = distributed.world()
        if self._world is None:
            self.algorithm.process_batch(batch)
            return
        if self._count_examples(batch):
            self.algorithm.process_batch(batch)
        self.batches_done += 1
        if self.batches_done % self.every_n_batches == 0:
            self.average_parameters()

    def average_parameters(self):
        """Replace the parameters of every worker with their mean."""
        world = self._world or distributed.world()
        if world is None:
            return
        parameters = list(self.algorithm.parameters)
        values = [p.get_value(borrow=True) for p in parameters]
        packer = distributed.Packer(values)
        packer.pack(values)
        world.allreduce(packer.buffer, what="parameter averaging")
        packer.buffer /= world.size
        for parameter, value in zip(parameters, packer.unpack(), strict=True):
            parameter.set_value(value.copy())

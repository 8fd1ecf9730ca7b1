"""Graph transformations for batch normalization.

A graph built from :class:`~blocks.bricks.BatchNormalization` bricks in
their default (inference) mode normalizes with population statistics. These
functions switch bricks or graphs to training mode, where minibatch
statistics are used, and collect the pairs needed to update the population
statistics.

"""

from contextlib import ExitStack, contextmanager

from blocks.roles import INPUT, OUTPUT
from blocks.utils import find_bricks

__all__ = [
    "apply_batch_normalization",
    "batch_normalization",
    "get_batch_normalization_updates",
]


@contextmanager
def batch_normalization(*bricks):
    r"""Put every batch normalization brick under `bricks` in training mode.

    Applications made inside the block use minibatch statistics.

    Parameters
    ----------
    \*bricks
        The bricks to search, with their descendants, for
        :class:`~blocks.bricks.BatchNormalization` bricks.

    Examples
    --------
    >>> from symbolic import tensor
    >>> from blocks.bricks import BatchNormalizedMLP, Tanh
    >>> from blocks.filter import VariableFilter, get_application_call
    >>> from blocks.roles import OUTPUT
    >>> mlp = BatchNormalizedMLP([Tanh(), Tanh()], [5, 7, 9])
    >>> x = tensor.matrix('x')
    >>> y = mlp.apply(x)
    >>> with batch_normalization(mlp):
    ...     y_training = mlp.apply(x)
    >>> from blocks.bricks import BatchNormalization
    >>> def training_modes(cg):
    ...     outputs = VariableFilter(bricks=[BatchNormalization],
    ...                              roles=[OUTPUT])(cg)
    ...     return [get_application_call(var).metadata['training_mode']
    ...             for var in outputs]
    >>> from blocks.graph import ComputationGraph
    >>> training_modes(ComputationGraph([y]))
    [False, False]
    >>> training_modes(ComputationGraph([y_training]))
    [True, True]

    """
    from blocks.bricks.bn import BatchNormalization

    bn_bricks = find_bricks(bricks, lambda b: isinstance(b, BatchNormalization))
    with ExitStack() as stack:
        for brick in bn_bricks:
            stack.enter_context(brick)
        yield


def _batch_norm_calls(variables, role):
    """Map each BatchNormalization application call to its `role` variable."""
    from blocks.bricks.bn import BatchNormalization
    from blocks.filter import VariableFilter, get_application_call

    found = {}
    for var in VariableFilter(bricks=[BatchNormalization], roles=[role])(variables):
        call = get_application_call(var)
        if call.application.application is BatchNormalization.apply:
            found.setdefault(call, var)
    return found


def apply_batch_normalization(computation_graph):
    """Transform a graph into its batch normalization training version.

    Every inference-mode application of a
    :class:`~blocks.bricks.BatchNormalization` brick is applied again, in
    training mode, to the same input, and its output replaced.

    Parameters
    ----------
    computation_graph : ComputationGraph
        A graph with batch normalization applications in inference mode.

    Returns
    -------
    ComputationGraph
        The graph with minibatch statistics in place of the population
        ones. Use :func:`get_batch_normalization_updates` on it to update
        the population statistics.

    Raises
    ------
    ValueError
        If the graph already has applications in training mode.

    """
    variables = computation_graph.variables
    outputs = _batch_norm_calls(variables, OUTPUT)
    if any(call.metadata.get("training_mode") for call in outputs):
        raise ValueError(
            "the graph already has BatchNormalization applications in training mode"
        )
    inputs = _batch_norm_calls(variables, INPUT)
    replacements = []
    for call, output in outputs.items():
        brick = call.application.brick
        with brick:
            replacement = call.application(inputs[call])
        replacements.append((output, replacement))
    return computation_graph.replace(replacements)


def get_batch_normalization_updates(training_graph, allow_duplicates=False):
    """Pair the population statistics with their minibatch estimates.

    Parameters
    ----------
    training_graph : ComputationGraph
        A graph with batch normalization applications in training mode.
    allow_duplicates : bool, optional
        Whether a brick may be applied more than once in the graph; if so,
        its population statistics appear in several pairs. False by
        default.

    Returns
    -------
    list of tuples
        ``(population_mean, minibatch_mean)`` pairs for every training-mode
        application, then ``(population_stdev, minibatch_stdev)`` pairs for
        those that are not mean-only. Typically turned into moving-average
        updates.

    Raises
    ------
    ValueError
        If there is no training-mode application, or a brick is applied
        twice and `allow_duplicates` is False.

    Examples
    --------
    >>> from symbolic import tensor
    >>> from blocks.bricks import BatchNormalizedMLP, Tanh
    >>> from blocks.graph import ComputationGraph
    >>> mlp = BatchNormalizedMLP([Tanh(), Tanh()], [5, 7, 9])
    >>> y = mlp.apply(tensor.matrix('x'))
    >>> cg = apply_batch_normalization(ComputationGraph([y]))
    >>> pairs = get_batch_normalization_updates(cg)
    >>> [population.name for population, _ in pairs]
    ['population_mean', 'population_mean', 'population_stdev', 'population_stdev']

    """
    calls = [
        call
        for call in _batch_norm_calls(training_graph.variables, OUTPUT)
        if call.metadata.get("training_mode")
    ]
    if not calls:
        raise ValueError(
            "no BatchNormalization applications in training mode found in the graph"
        )
    bricks = [call.application.brick for call in calls]
    if not allow_duplicates and len({id(b) for b in bricks}) != len(bricks):
        names = sorted({b.name for b in bricks if bricks.count(b) > 1})
        raise ValueError(
            f"BatchNormalization bricks {names} are applied more than once; pass "
            f"allow_duplicates=True to accept this"
        )
    means = [
        (call.application.brick.population_mean, call.metadata["offset"])
        for call in calls
    ]
    stdevs = [
        (call.application.brick.population_stdev, call.metadata["divisor"])
        for call in calls
        if not call.application.brick.mean_only
    ]
    return means + stdevs

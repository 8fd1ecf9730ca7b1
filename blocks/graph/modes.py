"""Training and inference graphs of the same bricks.

Some bricks compute differently while training:
:class:`~blocks.bricks.BatchNormalization` uses minibatch statistics and
:class:`~blocks.bricks.dropout.Dropout` drops values. Both build their
inference graph by default and their training graph in training mode.
Per-example normalization (:class:`~blocks.bricks.normalization.GroupNormalization`
and its special cases) computes the same in both modes.

"""

from contextlib import ExitStack, contextmanager

from blocks.utils import find_bricks

__all__ = ["training_and_inference", "training_mode"]


def _has_training_mode(brick):
    from blocks.bricks.bn import BatchNormalization
    from blocks.bricks.dropout import Dropout

    return isinstance(brick, BatchNormalization | Dropout)


@contextmanager
def training_mode(*bricks):
    r"""Put every dropout and batch normalization brick under `bricks` in training mode.

    Parameters
    ----------
    \*bricks
        The bricks to search, with their descendants.

    """
    with ExitStack() as stack:
        for brick in find_bricks(bricks, _has_training_mode):
            stack.enter_context(brick)
        yield


def training_and_inference(build, *bricks):
    r"""Build the graph of `build` twice: in training mode and in inference mode.

    Parameters
    ----------
    build : callable
        Called without arguments; applies the bricks and returns the
        outputs (a variable or a list of variables).
    \*bricks
        The bricks whose mode is switched, with their descendants.

    Returns
    -------
    training, inference
        What `build` returned in training mode and in inference mode. Both
        share the bricks' parameters, so a model trained on the first is
        evaluated with the second.

    Examples
    --------
    >>> from symbolic import tensor
    >>> from blocks.bricks import MLP, Rectifier, Softmax
    >>> from blocks.bricks.dropout import Dropout
    >>> from blocks.bricks.sequences import Sequence
    >>> mlp = MLP([Rectifier(), Softmax()], [4, 8, 3])
    >>> dropout = Dropout(drop_prob=0.3)
    >>> x = tensor.matrix('x')
    >>> train_y, test_y = training_and_inference(
    ...     lambda: mlp.apply(dropout.apply(x)), mlp, dropout)
    >>> from blocks.filter import VariableFilter, get_application_call
    >>> from blocks.graph import ComputationGraph
    >>> from blocks.roles import OUTPUT
    >>> def modes(y):
    ...     outputs = VariableFilter(bricks=[Dropout], roles=[OUTPUT])(
    ...         ComputationGraph(y))
    ...     return [get_application_call(v).metadata['training_mode']
    ...             for v in outputs]
    >>> modes(train_y), modes(test_y)
    ([True], [False])

    """
    with training_mode(*bricks):
        training = build()
    inference = build()
    return training, inference

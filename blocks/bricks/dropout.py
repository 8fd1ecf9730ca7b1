"""A dropout brick with a training switch."""

import symbolic
from blocks.bricks.base import application
from blocks.bricks.interfaces import Feedforward, Random
from symbolic import tensor

__all__ = ["Dropout"]


class Dropout(Random, Feedforward):
    """Zero each input value with probability `drop_prob` while training.

    The brick follows :class:`~blocks.bricks.BatchNormalization`: it builds
    the *inference* graph (the input unchanged) unless it is in training
    mode. Training mode is on inside ``with brick:``, or for every dropout
    and batch normalization brick of a model inside
    :func:`blocks.graph.modes.training_mode`;
    :func:`blocks.graph.modes.training_and_inference` builds both graphs
    at once.

    Parameters
    ----------
    drop_prob : float, optional
        The probability of zeroing a value; 0.5 by default.
    shared_axes : tuple of int, optional
        Axes along which one mask value is shared: ``(0,)`` drops the same
        units for the whole batch, ``(2, 3)`` whole feature maps of images.
        Empty (every value drawn alone) by default.
    rescale : bool, optional
        Divide the kept values by ``1 - drop_prob`` in training mode, so
        the expected output equals the input; True by default. Without it
        the inference output is scaled by ``1 - drop_prob`` instead.
    theano_seed : int, optional
        Seeds the :class:`~symbolic.sandbox.rng_mrg.MRG_RandomStreams` that
        draws the masks (see :class:`~blocks.bricks.Random`).

    Notes
    -----
    The masks come from MRG streams whose state advances through the
    default updates of their shared variables; a
    :class:`~blocks.algorithms.GradientDescent` or a
    :class:`~blocks.graph.ComputationGraph` function applies them.

    Examples
    --------
    >>> import numpy
    >>> from symbolic import tensor, function
    >>> dropout = Dropout(drop_prob=0.5, theano_seed=1)
    >>> x = tensor.matrix('x')
    >>> inference = dropout.apply(x)
    >>> with dropout:
    ...     training = dropout.apply(x)
    >>> ones = numpy.ones((2, 4), dtype=x.dtype)
    >>> function([x], inference)(ones).tolist()
    [[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]
    >>> sorted(set(function([x], training)(ones).ravel().tolist()))
    [0.0, 2.0]

    """

    def __init__(self, drop_prob=0.5, shared_axes=(), rescale=True, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= drop_prob < 1:
            raise ValueError(
                f"Dropout: drop_prob must lie in [0, 1), got {drop_prob!r}"
            )
        self.drop_prob = drop_prob
        self.shared_axes = tuple(shared_axes)
        self.rescale = rescale
        self._training_mode = []

    def __enter__(self):
        self._training_mode.append(True)

    def __exit__(self, *exc_info):
        self._training_mode.pop()

    @property
    def training(self):
        """Whether applications made now build the training graph."""
        return bool(self._training_mode)

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_, application_call):
        """Drop values of `input_` in training mode, else pass it through.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            Any shape; `shared_axes` must be axes of it.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            Of the shape of `input_`.

        """
        bad_axes = [a for a in self.shared_axes if not -input_.ndim <= a < input_.ndim]
        if bad_axes:
            raise ValueError(
                f"brick {self.name!r}: shared_axes {self.shared_axes} name axes "
                f"that an input of {input_.ndim} dimensions does not have"
            )
        application_call.metadata["training_mode"] = self.training
        keep_prob = 1.0 - self.drop_prob
        if not self.training:
            return input_ if self.rescale else input_ * keep_prob
        shared = {a % input_.ndim for a in self.shared_axes}
        mask_shape = [
            1 if axis in shared else input_.shape[axis] for axis in range(input_.ndim)
        ]
        mask = self.theano_rng.binomial(
            size=mask_shape, p=keep_prob, dtype=symbolic.config.floatX
        )
        if shared:
            mask = tensor.patternbroadcast(
                mask, [axis in shared for axis in range(input_.ndim)]
            )
        output = input_ * mask
        if self.rescale:
            output = output / keep_prob
        return output

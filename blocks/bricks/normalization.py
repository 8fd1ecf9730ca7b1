"""Per-example normalization: group, layer and instance normalization.

Unlike :class:`~blocks.bricks.BatchNormalization`, these bricks compute
their statistics from each example alone, so they behave the same in
training and in inference and keep no population statistics.

"""

import numpy

import symbolic
from blocks.bricks.base import application, lazy
from blocks.bricks.interfaces import Feedforward, RNGMixin
from blocks.initialization import Constant
from blocks.roles import (
    BATCH_NORM_SCALE_PARAMETER,
    BATCH_NORM_SHIFT_PARAMETER,
    add_role,
)
from blocks.utils.theano_utils import shared_floatx_nans
from symbolic import tensor

__all__ = ["GroupNormalization", "InstanceNormalization", "LayerNormalization"]


class GroupNormalization(RNGMixin, Feedforward):
    r"""Normalize each example over groups of channels, then scale and shift.

    The channels (axis 1 of the input) are split into `num_groups`
    consecutive groups of equal size. For each example and each group,
    the mean and variance are taken over the group's channels and every
    axis after the channels; the values are standardized with them and
    then multiplied by a per-channel scale :math:`\gamma` and shifted by a
    per-channel shift :math:`\beta` [WH18]_.

    Parameters
    ----------
    num_channels : int
        The size of axis 1 of the input. Required by
        :meth:`~.Brick.allocate`.
    num_groups : int
        How many groups the channels are split into; must divide
        `num_channels`. 1 gives layer normalization, `num_channels`
        instance normalization.
    epsilon : float, optional
        Added to the variance before the square root; 1e-5 by default.
    scale_init, shift_init : NdarrayInitialization, optional
        Initialize the scale and the shift; ``Constant(1)`` and
        ``Constant(0)`` by default.
    learn_scale, learn_shift : bool, optional
        Whether to learn a scale and a shift; True by default. Without
        them the output is the standardized input.

    Notes
    -----
    The input has at least 2 axes: ``(batch, channels, ...)``; dense
    features ``(batch, features)`` and images ``(batch, channels, height,
    width)`` both work.

    The scale ``group_norm_scale`` and the shift ``group_norm_shift``,
    both of shape ``(num_channels,)``, carry the roles
    :data:`~blocks.roles.BATCH_NORM_SCALE_PARAMETER` and
    :data:`~blocks.roles.BATCH_NORM_SHIFT_PARAMETER`, as those of
    :class:`~blocks.bricks.BatchNormalization` do: they are
    :data:`~blocks.roles.PARAMETER`\ s (the shift also a
    :data:`~blocks.roles.BIAS`) but not :data:`~blocks.roles.WEIGHT`\ s,
    so a weight-decay filter on ``WEIGHT`` leaves them alone, and one
    filter finds the scales and shifts of all normalization bricks.

    As :class:`~blocks.bricks.BatchNormalization`, the brick is not
    :class:`~blocks.bricks.Initializable`; it ignores the
    ``weights_init`` a parent pushes.

    References
    ----------
    .. [WH18] Yuxin Wu and Kaiming He, *Group normalization*, ECCV (2018).

    Examples
    --------
    >>> import numpy
    >>> from symbolic import tensor, function
    >>> norm = GroupNormalization(num_channels=4, num_groups=2)
    >>> norm.initialize()
    >>> x = tensor.tensor4('x')
    >>> f = function([x], norm.apply(x))
    >>> y = f(numpy.arange(32, dtype=x.dtype).reshape((1, 4, 2, 4)))
    >>> bool(abs(y[0, :2].mean()) < 1e-6)
    True

    """

    min_input_ndim = 2

    @lazy(allocation=["num_channels", "num_groups"])
    def __init__(
        self,
        num_channels,
        num_groups,
        epsilon=1e-5,
        scale_init=None,
        shift_init=None,
        learn_scale=True,
        learn_shift=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_channels = num_channels
        self.num_groups = num_groups
        self.epsilon = epsilon
        self.scale_init = Constant(1) if scale_init is None else scale_init
        self.shift_init = Constant(0) if shift_init is None else shift_init
        self.learn_scale = learn_scale
        self.learn_shift = learn_shift

    def _allocate(self):
        if self.num_groups < 1 or self.num_channels % self.num_groups:
            raise ValueError(
                f"brick {self.name!r}: num_groups must be a positive divisor of "
                f"num_channels={self.num_channels}, got {self.num_groups}"
            )
        if self.learn_scale:
            self.scale = shared_floatx_nans(
                (self.num_channels,), name="group_norm_scale"
            )
            add_role(self.scale, BATCH_NORM_SCALE_PARAMETER)
            self.parameters.append(self.scale)
        if self.learn_shift:
            self.shift = shared_floatx_nans(
                (self.num_channels,), name="group_norm_shift"
            )
            add_role(self.shift, BATCH_NORM_SHIFT_PARAMETER)
            self.parameters.append(self.shift)

    def _initialize(self):
        if self.learn_scale:
            self.scale_init.initialize(self.scale, self.rng)
        if self.learn_shift:
            self.shift_init.initialize(self.shift, self.rng)

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        """Normalize `input_`, ``(batch, num_channels, ...)``.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            At least 2 axes, the channels on axis 1.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            Of the shape of `input_`.

        """
        if input_.ndim < self.min_input_ndim:
            raise ValueError(
                f"brick {self.name!r}: the input needs at least "
                f"{self.min_input_ndim} axes (batch, channels, ...), got "
                f"{input_.ndim}"
            )
        ndim = input_.ndim
        spatial = [input_.shape[i] for i in range(2, ndim)]
        grouped = input_.reshape(
            [input_.shape[0], self.num_groups, self.num_channels // self.num_groups]
            + spatial,
            ndim=ndim + 1,
        )
        axes = tuple(range(2, ndim + 1))
        mean = grouped.mean(axis=axes, keepdims=True)
        centred = grouped - mean
        variance = tensor.sqr(centred).mean(axis=axes, keepdims=True)
        epsilon = numpy.asarray(self.epsilon, dtype=symbolic.config.floatX)
        normalized = (centred / tensor.sqrt(variance + epsilon)).reshape(
            input_.shape, ndim=ndim
        )
        # Per-channel parameters broadcast over the batch and the positions.
        pattern = ["x", 0] + ["x"] * (ndim - 2)
        if self.learn_scale:
            normalized = normalized * self.scale.dimshuffle(*pattern)
        if self.learn_shift:
            normalized = normalized + self.shift.dimshuffle(*pattern)
        return normalized

    def get_dim(self, name):
        if name in ("input_", "output"):
            return self.num_channels
        return super().get_dim(name)


class LayerNormalization(GroupNormalization):
    """Group normalization with a single group: statistics over all channels.

    Parameters
    ----------
    num_channels : int
        The size of axis 1 of the input.
    **kwargs
        The other arguments of :class:`GroupNormalization`.

    """

    @lazy(allocation=["num_channels"])
    def __init__(self, num_channels, **kwargs):
        super().__init__(num_channels=num_channels, num_groups=1, **kwargs)


class InstanceNormalization(GroupNormalization):
    """Group normalization with one group per channel.

    Each channel of each example is standardized over the axes after the
    channels, so the input needs at least 3 axes.

    Parameters
    ----------
    num_channels : int
        The size of axis 1 of the input.
    **kwargs
        The other arguments of :class:`GroupNormalization`.

    """

    min_input_ndim = 3

    @lazy(allocation=["num_channels"])
    def __init__(self, num_channels, **kwargs):
        super().__init__(num_channels=num_channels, num_groups=0, **kwargs)

    @property
    def num_groups(self):
        return self.num_channels

    @num_groups.setter
    def num_groups(self, value):
        # Always one group per channel; the value given is ignored.
        pass

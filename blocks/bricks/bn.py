"""Batch normalization bricks."""

import collections.abc

import numpy

import symbolic
from blocks.bricks.base import application, lazy
from blocks.bricks.interfaces import Feedforward, RNGMixin
from blocks.bricks.sequences import MLP, Sequence
from blocks.graph.annotations import add_annotation
from blocks.initialization import Constant
from blocks.roles import (
    BATCH_NORM_DIVISOR,
    BATCH_NORM_MINIBATCH_ESTIMATE,
    BATCH_NORM_OFFSET,
    BATCH_NORM_POPULATION_MEAN,
    BATCH_NORM_POPULATION_STDEV,
    BATCH_NORM_SCALE_PARAMETER,
    BATCH_NORM_SHIFT_PARAMETER,
    add_role,
)
from blocks.utils.theano_utils import (
    is_shared_variable,
    shared_floatx,
    shared_floatx_nans,
)
from symbolic import tensor

__all__ = ["BatchNormalization", "BatchNormalizedMLP", "SpatialBatchNormalization"]


def _add_batch_axis(var):
    """Prepend a broadcastable axis to a variable and name the result."""
    new_var = tensor.shape_padleft(var)
    new_var.name = f"shape_padleft({var.name})"
    return new_var


def _add_role_and_annotate(var, role, annotations=()):
    add_role(var, role)
    for annotation in annotations:
        add_annotation(var, annotation)


def _normalize(input_, scale, shift, mean, stdev):
    """``(input_ - mean) * (scale / stdev) + shift``, by the engine if it can."""
    try:
        from symbolic.tensor.nnet.bn import batch_normalization
    except ImportError:
        return (input_ - mean) * (scale / stdev) + shift
    return batch_normalization(input_, scale, shift, mean, stdev, mode="high_mem")


class BatchNormalization(RNGMixin, Feedforward):
    r"""Normalizes activations, parameterizes a scale and shift.

    Parameters
    ----------
    input_dim : int or tuple
        The shape of one example; a batch axis is prepended to it.
    broadcastable : tuple, optional
        As long as `input_dim`: which per-example axes are averaged over to
        compute the statistics. E.g. ``(False, True, True)`` normalizes a
        ``(channels, height, width)`` image over all spatial locations. The
        batch axis is always averaged out.
    conserve_memory : bool, optional
        Use an implementation that stores less intermediate state, at some
        cost in speed. True by default.
    epsilon : float, optional
        Added to the minibatch variance inside the square root (in training
        mode), as in [BN]_.
    scale_init : object, optional
        Initializes the learned scale (:math:`\gamma` in [BN]_);
        ``Constant(1)`` by default.
    shift_init : object, optional
        Initializes the learned shift (:math:`\beta` in [BN]_);
        ``Constant(0)`` by default.
    mean_only : bool, optional
        Perform "mean-only" batch normalization as described in [SK2016]_.
    learn_scale : bool, optional
        Whether to learn a scale; True by default. Has no effect in
        mean-only mode, which never learns one.
    learn_shift : bool, optional
        Whether to learn a shift; True by default.

    Notes
    -----
    By default the brick runs in *inference* mode: it normalizes with a
    population mean and standard deviation (``population_mean`` and
    ``population_stdev``, shared variables initialized to zeros and ones)
    that the user is expected to adapt during training, e.g. with moving
    averages of the minibatch statistics.

    To *train* with batch normalization, transform the inference graph with
    :func:`~blocks.graph.apply_batch_normalization`, or build the graph
    inside the :func:`~blocks.graph.batch_normalization` context manager;
    every instance is itself a context manager that turns training mode on.

    The scale and shift have the :data:`~blocks.roles.PARAMETER` role.
    Without batch normalization they usually make training unstable;
    training in inference mode should therefore be avoided, or the
    :data:`~blocks.roles.BATCH_NORM_SCALE_PARAMETER` and
    :data:`~blocks.roles.BATCH_NORM_SHIFT_PARAMETER` variables removed from
    the parameters trained.

    The brick is not :class:`~blocks.bricks.Initializable`: it receives no
    initialization config from its parents. Pass `scale_init` and
    `shift_init` to change the defaults.

    It can be put in a :class:`~blocks.bricks.conv.ConvolutionalSequence` as
    it is, with `input_dim` left out to be inferred from the layer below.

    References
    ----------
    .. [BN] Sergey Ioffe and Christian Szegedy. *Batch normalization:
       accelerating deep network training by reducing internal covariate
       shift*. ICML (2015), pp. 448-456.
    .. [SK2016] Tim Salimans and Diederik P. Kingma. *Weight
       normalization: a simple reparameterization to accelerate training
       of deep neural networks*. arXiv 1602.07868.

    """

    @lazy(allocation=["input_dim"])
    def __init__(
        self,
        input_dim,
        broadcastable=None,
        conserve_memory=True,
        epsilon=1e-4,
        scale_init=None,
        shift_init=None,
        mean_only=False,
        learn_scale=True,
        learn_shift=True,
        **kwargs,
    ):
        self.input_dim = input_dim
        self.broadcastable = broadcastable
        self.conserve_memory = conserve_memory
        self.epsilon = epsilon
        self.scale_init = Constant(1) if scale_init is None else scale_init
        self.shift_init = Constant(0) if shift_init is None else shift_init
        self.mean_only = mean_only
        self.learn_scale = learn_scale
        self.learn_shift = learn_shift
        self._training_mode = []
        super().__init__(**kwargs)

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_, application_call):
        if self._training_mode:
            mean, stdev = self._compute_training_statistics(input_)
        else:
            mean, stdev = self._prepare_population_statistics()
        # A plain bool: the list itself changes as contexts are entered.
        application_call.metadata["training_mode"] = bool(self._training_mode)
        # Without the batch axis, shaped like the population statistics.
        application_call.metadata["offset"] = mean[0]
        application_call.metadata["divisor"] = stdev[0]
        _add_role_and_annotate(mean, BATCH_NORM_OFFSET, [self, application_call])
        if self.mean_only:
            scale = tensor.ones_like(self.shift)
            stdev = tensor.ones_like(mean)
        else:
            scale = self.scale
            _add_role_and_annotate(stdev, BATCH_NORM_DIVISOR, [self, application_call])
        shift = _add_batch_axis(self.shift)
        scale = _add_batch_axis(scale)
        return _normalize(input_, scale, shift, mean, stdev)

    def __enter__(self):
        self._training_mode.append(True)

    def __exit__(self, *exc_info):
        self._training_mode.pop()

    @property
    def normalization_axes(self):
        """The axes of the input the statistics are computed over."""
        return (0,) + tuple(
            i + 1 for i, b in enumerate(self.population_mean.broadcastable) if b
        )

    def _compute_training_statistics(self, input_):
        axes = self.normalization_axes
        mean = input_.mean(axis=axes, keepdims=True)
        add_role(mean, BATCH_NORM_MINIBATCH_ESTIMATE)
        if self.mean_only:
            stdev = tensor.ones_like(mean)
        else:
            epsilon = numpy.asarray(self.epsilon, dtype=symbolic.config.floatX)
            stdev = tensor.sqrt(tensor.var(input_, axis=axes, keepdims=True) + epsilon)
            add_role(stdev, BATCH_NORM_MINIBATCH_ESTIMATE)
        return mean, stdev

    def _prepare_population_statistics(self):
        mean = _add_batch_axis(self.population_mean)
        if self.mean_only:
            stdev = tensor.ones_like(self.population_mean)
        else:
            stdev = self.population_stdev
        return mean, _add_batch_axis(stdev)

    def _allocate(self):
        if isinstance(self.input_dim, collections.abc.Sequence):
            input_dim = tuple(self.input_dim)
        else:
            input_dim = (self.input_dim,)
        if self.broadcastable is None:
            broadcastable = tuple(False for _ in input_dim)
        else:
            broadcastable = tuple(self.broadcastable)
        if len(input_dim) != len(broadcastable):
            raise ValueError(
                f"brick {self.name!r}: input_dim {input_dim} and broadcastable "
                f"{broadcastable} must have the same length"
            )
        var_dim = tuple(
            1 if broadcast else dim
            for dim, broadcast in zip(input_dim, broadcastable, strict=True)
        )
        if self.learn_shift:
            self.shift = shared_floatx_nans(
                var_dim, name="batch_norm_shift", broadcastable=broadcastable
            )
            add_role(self.shift, BATCH_NORM_SHIFT_PARAMETER)
            self.parameters.append(self.shift)
        else:
            self.shift = tensor.constant(0, dtype=symbolic.config.floatX)
        if self.learn_scale and not self.mean_only:
            self.scale = shared_floatx_nans(
                var_dim, name="batch_norm_scale", broadcastable=broadcastable
            )
            add_role(self.scale, BATCH_NORM_SCALE_PARAMETER)
            self.parameters.append(self.scale)
        else:
            self.scale = tensor.constant(1.0, dtype=symbolic.config.floatX)
        self._allocate_population_statistics(var_dim, broadcastable)

    def _allocate_population_statistics(self, var_dim, broadcastable):
        def allocate_buffer(name, role, value):
            # Not parameters: they are not learned from the cost.
            buffer = shared_floatx(
                value * numpy.ones(var_dim), broadcastable=broadcastable, name=name
            )
            add_role(buffer, role)
            add_annotation(buffer, self)
            return buffer

        self.population_mean = allocate_buffer(
            "population_mean", BATCH_NORM_POPULATION_MEAN, 0.0
        )
        self.population_stdev = allocate_buffer(
            "population_stdev", BATCH_NORM_POPULATION_STDEV, 1.0
        )

    def _initialize(self):
        # Whether the scale and shift were allocated as shared variables,
        # not the flags, which may have changed since allocation.
        if is_shared_variable(self.shift):
            self.shift_init.initialize(self.shift, self.rng)
        if is_shared_variable(self.scale):
            self.scale_init.initialize(self.scale, self.rng)

    @property
    def output_dim(self):
        return self.input_dim

    @property
    def image_size(self):
        return self.input_dim[-2:]

    @image_size.setter
    def image_size(self, value):
        if not isinstance(self.input_dim, collections.abc.Sequence):
            self.input_dim = (None, *value)
        else:
            self.input_dim = (self.input_dim[0], *value)

    @property
    def num_channels(self):
        return self.input_dim[0]

    @num_channels.setter
    def num_channels(self, value):
        if not isinstance(self.input_dim, collections.abc.Sequence):
            self.input_dim = (value, None, None)
        else:
            self.input_dim = (value, *self.input_dim[-2:])

    @property
    def num_output_channels(self):
        return self.num_channels

    def get_dim(self, name):
        if name in ("input_", "input", "output"):
            return self.input_dim
        return super().get_dim(name)


class SpatialBatchNormalization(BatchNormalization):
    """Batch normalization with per-channel statistics over spatial inputs.

    Parameters
    ----------
    input_dim : tuple
        The shape of one example, of length at least 2. The first axis is
        the channels axis, which is not averaged over; all the others are
        spatial and are.

    Notes
    -----
    See :class:`BatchNormalization` for the other arguments.

    """

    def _allocate(self):
        if (
            not isinstance(self.input_dim, collections.abc.Sequence)
            or len(self.input_dim) < 2
        ):
            raise ValueError(
                f"brick {self.name!r}: SpatialBatchNormalization needs an "
                f"input_dim of length >= 2, e.g. (channels, height, width); got "
                f"{self.input_dim!r}"
            )
        self.broadcastable = (False,) + (True,) * (len(self.input_dim) - 1)
        super()._allocate()


class BatchNormalizedMLP(MLP):
    """An MLP with batch normalization before each activation.

    Parameters
    ----------
    conserve_memory : bool, optional, by keyword only
        See :class:`BatchNormalization`.
    mean_only : bool, optional, by keyword only
        See :class:`BatchNormalization`.
    learn_scale : bool, optional, by keyword only
        See :class:`BatchNormalization`.
    learn_shift : bool, optional, by keyword only
        See :class:`BatchNormalization`.

    Notes
    -----
    The other parameters are those of :class:`~blocks.bricks.MLP`. Each
    activation is wrapped in a :class:`~blocks.bricks.Sequence` of a
    :class:`BatchNormalization` brick and the activation.

    The linear layers have no biases by default, since the batch
    normalization shift makes them redundant; pass ``use_bias=True`` to
    have them anyway. The four keyword-only options are pushed to every
    batch normalization brick.

    """

    @lazy(allocation=["dims"])
    def __init__(self, activations, dims, *args, **kwargs):
        self._conserve_memory = kwargs.pop("conserve_memory", True)
        self._mean_only = kwargs.pop("mean_only", False)
        self._learn_scale = kwargs.pop("learn_scale", True)
        self._learn_shift = kwargs.pop("learn_shift", True)
        activations = [
            Sequence(
                [
                    BatchNormalization(
                        conserve_memory=self._conserve_memory,
                        mean_only=self._mean_only,
                        learn_scale=self._learn_scale,
                        learn_shift=self._learn_shift,
                    ).apply,
                    activation.apply,
                ],
                name=f"batch_norm_activation_{i}",
            )
            for i, activation in enumerate(activations)
        ]
        kwargs.setdefault("use_bias", False)
        super().__init__(activations, dims, *args, **kwargs)

    def _batch_norm_bricks(self):
        return [activation.children[0] for activation in self.activations]

    def _nested_property(name):
        def getter(self):
            return getattr(self, "_" + name)

        def setter(self, value):
            setattr(self, "_" + name, value)
            for brick in self._batch_norm_bricks():
                setattr(brick, name, value)

        return property(getter, setter, doc=f"The {name} of every child brick.")

    conserve_memory = _nested_property("conserve_memory")
    mean_only = _nested_property("mean_only")
    learn_scale = _nested_property("learn_scale")
    learn_shift = _nested_property("learn_shift")
    del _nested_property

    def _push_allocation_config(self):
        super()._push_allocation_config()
        # Each batch normalization follows a linear layer: its input
        # dimension is that layer's output dimension.
        for brick, dim in zip(self._batch_norm_bricks(), self.dims[1:], strict=True):
            brick.input_dim = dim

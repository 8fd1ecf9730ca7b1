"""Convolution, pooling and flattening bricks for image-shaped inputs.

Images travel as 4-d tensors ordered (batch, channels, height, width).
Every spatial brick describes one example by the tuple ``(channels,
height, width)`` returned by ``get_dim``; an entry it cannot know is None.
:class:`ConvolutionalSequence` uses these shapes to configure each layer
from the one below it.

"""

from blocks.bricks.base import Brick, application, lazy
from blocks.bricks.interfaces import Feedforward, Initializable, LinearLike
from blocks.bricks.lazy import LazyNone
from blocks.bricks.pooling import AveragePooling, MaxPooling, Pooling
from blocks.bricks.sequences import Sequence
from blocks.roles import BIAS, FILTER, add_role
from blocks.utils.theano_utils import shared_floatx_nans
from symbolic.tensor.nnet import conv2d
from symbolic.tensor.nnet.abstract_conv import (
    AbstractConv2d_gradInputs,
    get_conv_output_shape,
)

__all__ = [
    "AveragePooling",
    "Convolutional",
    "ConvolutionalSequence",
    "ConvolutionalTranspose",
    "Flattener",
    "MaxPooling",
    "Pooling",
]


class Convolutional(LinearLike):
    """A 2-d convolution of multi-channel images with a bank of filters.

    Parameters
    ----------
    filter_size : tuple of int
        The (height, width) of every filter. Required by
        :meth:`~.Brick.allocate`.
    num_filters : int
        How many filters the bank holds, which is the number of channels of
        the output. Required by :meth:`~.Brick.allocate`.
    num_channels : int
        How many channels the input has (1 for grey, 3 for colour images,
        the previous layer's `num_filters` inside a network). Each filter
        spans all of them. Required by :meth:`~.Brick.allocate`.
    batch_size : int, optional
        The number of images per batch, handed to the convolution as a
        shape hint.
    image_size : tuple, optional
        The (height, width) of the input, handed to the convolution as a
        shape hint. Untied biases need it, since they have one value per
        output position. ``(None, None)`` (unknown) by default.
    step : tuple of int, optional
        The vertical and horizontal stride of the filters; ``(1, 1)`` by
        default.
    border_mode : str, int or tuple, optional
        ``'valid'`` (the default) keeps only the positions where the filter
        lies inside the image, ``'full'`` every position where the two
        overlap, ``'half'`` pads by half the filter size; an int or a pair
        of ints pads that many zeros on each side.
    tied_biases : bool, optional
        True (the default) gives each filter one bias shared by all output
        positions; False gives every filter and output position its own.
    filter_dilation : tuple of int, optional
        The spacing between the taps of a filter along each axis; ``(1,
        1)`` (contiguous filters) by default. A filter of size ``k`` and
        dilation ``d`` spans ``d * (k - 1) + 1`` pixels.
    num_groups : int, optional
        Split the input channels and the filters into this many groups,
        each group of filters seeing only its group of channels; 1 by
        default. Must divide `num_channels` and `num_filters`. The filters
        then have shape ``(num_filters, num_channels // num_groups) +
        filter_size``.

    A `border_mode` of ``'same'`` pads so that, with unit steps, the output
    has the size of the input; it needs odd (dilated) filter sizes.

    Attributes
    ----------
    conv2d_impl : callable
        The function that builds the convolution, a class attribute;
        :func:`~symbolic.tensor.nnet.conv2d` by default. A replacement takes
        the input and the filters as positional arguments and the keywords
        `input_shape`, `filter_shape`, `subsample` and `border_mode`.
    get_output_shape : callable
        Computes the output shape that `conv2d_impl` gives, a class
        attribute; :func:`~symbolic.tensor.nnet.abstract_conv.get_conv_output_shape`
        by default. It is called with the 4-d shapes of the input and of
        the filters, the border mode and the step.

    Notes
    -----
    See :class:`~blocks.bricks.Initializable` for initialization
    parameters.

    The filters ``W`` have shape ``(num_filters, num_channels) +
    filter_size`` and the role :data:`~blocks.roles.FILTER`. The biases
    ``b`` have the role :data:`~blocks.roles.BIAS` and shape
    ``(num_filters,)`` when tied, ``get_dim('output')`` when untied.

    Examples
    --------
    >>> conv = Convolutional(filter_size=(3, 3), num_filters=4,
    ...                      num_channels=2, image_size=(8, 6))
    >>> conv.get_dim('output')
    (4, 6, 4)

    """

    conv2d_impl = staticmethod(conv2d)
    get_output_shape = staticmethod(get_conv_output_shape)

    @lazy(allocation=["filter_size", "num_filters", "num_channels"])
    def __init__(
        self,
        filter_size,
        num_filters,
        num_channels,
        batch_size=None,
        image_size=(None, None),
        step=(1, 1),
        border_mode="valid",
        tied_biases=True,
        filter_dilation=(1, 1),
        num_groups=1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filter_dilation = tuple(filter_dilation)
        self.num_groups = num_groups
        self.filter_size = filter_size
        self.num_filters = num_filters
        self.num_channels = num_channels
        self.batch_size = batch_size
        self.image_size = image_size
        self.step = step
        self.border_mode = border_mode
        self.tied_biases = tied_biases

    @property
    def image_size(self):
        return self._image_size

    @image_size.setter
    def image_size(self, value):
        self._image_size = (None, None) if value is None else tuple(value)

    def _filter_shape(self):
        for name in ("num_channels", "num_filters"):
            if getattr(self, name) % self.num_groups:
                raise ValueError(
                    f"brick {self.name!r}: num_groups={self.num_groups} must divide "
                    f"{name}={getattr(self, name)}"
                )
        channels = self.num_channels // self.num_groups
        return (self.num_filters, channels, *self.filter_size)

    def _conv_border_mode(self):
        """`border_mode`, with ``'same'`` turned into the padding it means."""
        if self.border_mode != "same":
            return self.border_mode
        spans = [
            dilation * (size - 1) + 1
            for size, dilation in zip(
                self.filter_size, self.filter_dilation, strict=True
            )
        ]
        if any(span % 2 == 0 for span in spans):
            raise ValueError(
                f"brick {self.name!r}: border_mode 'same' needs odd filter spans, "
                f"but filter_size {tuple(self.filter_size)} with dilation "
                f"{self.filter_dilation} spans {tuple(spans)} pixels"
            )
        return tuple(span // 2 for span in spans)

    def _extra_conv_options(self):
        """Dilation and groups, passed to the convolution only when used."""
        options = {}
        if self.filter_dilation != (1, 1):
            options["filter_dilation"] = self.filter_dilation
        if self.num_groups != 1:
            options["num_groups"] = self.num_groups
        return options

    def _allocate(self):
        W = shared_floatx_nans(self._filter_shape(), name="W")
        add_role(W, FILTER)
        self.parameters.append(W)
        self.add_auxiliary_variable(W.norm(2), name="W_norm")
        if self.use_bias:
            if self.tied_biases:
                bias_shape = (self.num_filters,)
            else:
                # Checked here, not in the constructor: a parent such as
                # ConvolutionalSequence may set image_size in between.
                bias_shape = self.get_dim("output")
                if None in bias_shape:
                    raise ValueError(
                        f"Cannot infer bias size of brick {self.name!r}: "
                        f"untied biases need a known "
                        f"output size, but the output shape is {bias_shape} "
                        f"(image_size is {self.image_size}); set image_size or "
                        f"use tied_biases=True for images of varying size"
                    )
            b = shared_floatx_nans(bias_shape, name="b")
            add_role(b, BIAS)
            self.parameters.append(b)
            self.add_auxiliary_variable(b.norm(2), name="b_norm")

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        """Convolve a batch of images with the filters and add the biases.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            A 4-d batch of images, (batch, channels, height, width).

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            A 4-d batch of feature maps, (batch, num_filters, height,
            width), whose height and width follow from the border mode and
            the step: with unit steps, ``image_size - filter_size + 1`` for
            ``'valid'`` and ``image_size + filter_size - 1`` for ``'full'``.

        """
        if self.image_size == (None, None):
            input_shape = None
        else:
            input_shape = (self.batch_size, self.num_channels, *self.image_size)
        output = self.conv2d_impl(
            input_,
            self.W,
            input_shape=input_shape,
            subsample=self.step,
            border_mode=self._conv_border_mode(),
            filter_shape=self._filter_shape(),
            **self._extra_conv_options(),
        )
        if self.use_bias:
            if self.tied_biases:
                output += self.b.dimshuffle("x", 0, "x", "x")
            else:
                output += self.b.dimshuffle("x", 0, 1, 2)
        return output

    def get_dim(self, name):
        if name == "input_":
            return (self.num_channels, *self.image_size)
        if name == "output":
            unset = [
                attr
                for attr in ("filter_size", "num_filters", "step", "border_mode")
                if isinstance(getattr(self, attr), LazyNone)
            ]
            if unset:
                raise ValueError(
                    f"brick {self.name!r}: the output size is unknown until "
                    f"{', '.join(unset)} {'is' if len(unset) == 1 else 'are'} set"
                )
            shape = self.get_output_shape(
                (None, self.num_channels, *self.image_size),
                self._filter_shape(),
                self._conv_border_mode(),
                self.step,
                # Groups do not change the output shape; dilation does.
                **{
                    key: value
                    for key, value in self._extra_conv_options().items()
                    if key == "filter_dilation"
                },
            )
            return tuple(shape[1:])
        return super().get_dim(name)

    @property
    def num_output_channels(self):
        """The number of channels of the output: `num_filters`."""
        return self.num_filters


class ConvolutionalTranspose(Convolutional):
    """The transpose (adjoint) of a 2-d convolution.

    It maps the output space of a :class:`Convolutional` brick back to its
    input space, as the gradient of that convolution with respect to its
    input does: every input pixel is spread over the window of the output
    that the forward filter would have read. It is what decoders and
    "deconvolution" layers use to upsample.

    Parameters
    ----------
    filter_size : tuple of int
        As in :class:`Convolutional`.
    num_filters : int
        The number of channels of the output, i.e. the number of input
        channels of the forward convolution.
    num_channels : int
        The number of channels of the input, i.e. the number of filters of
        the forward convolution.
    original_image_size : tuple of int, optional
        The (height, width) of the output, the input size of the forward
        convolution. Inferred when not set (see Notes).
    unused_edge : tuple of int, optional
        Rows and columns added to the inferred `original_image_size`: a
        border the forward convolution would have skipped. Each entry must
        lie between 0 and the step along its axis. Not used when
        `original_image_size` is set. ``(0, 0)`` by default.

    Notes
    -----
    `step`, `border_mode`, `batch_size` and `tied_biases` are as in
    :class:`Convolutional`, and describe the forward convolution. Here
    `image_size` is the size of the *input*, the output of the forward
    convolution; it is needed to infer `original_image_size`.

    The inferred `original_image_size` is the smallest image that the
    forward convolution maps to `image_size`: along each axis, ``step *
    (image_size - 1) + filter_size - 2 * padding + unused_edge``, where
    ``padding`` is the zero padding of the border mode. A larger size can
    be set by hand as long as the forward convolution leaves fewer than
    `filter_size` pixels uncovered at the far edge; the transposed
    convolution writes nothing there, so those pixels hold only the bias.

    The filters ``W`` have the forward convolution's layout turned around,
    ``(num_filters, num_channels) + filter_size`` from this brick's point
    of view, with the role :data:`~blocks.roles.FILTER`.

    Examples
    --------
    >>> deconv = ConvolutionalTranspose(filter_size=(4, 4), num_filters=3,
    ...                                 num_channels=8, step=(2, 2),
    ...                                 image_size=(5, 5))
    >>> deconv.get_dim('output')
    (3, 12, 12)

    """

    @lazy(allocation=["filter_size", "num_filters", "num_channels"])
    def __init__(
        self,
        filter_size,
        num_filters,
        num_channels,
        original_image_size=None,
        unused_edge=(0, 0),
        **kwargs,
    ):
        super().__init__(filter_size, num_filters, num_channels, **kwargs)
        self.original_image_size = original_image_size
        self.unused_edge = unused_edge

    @property
    def original_image_size(self):
        """The (height, width) of the output, inferred unless set."""
        if self._original_image_size is not None:
            return self._original_image_size
        if any(size is None for size in self.image_size):
            raise ValueError(
                f"brick {self.name!r}: original_image_size cannot be inferred "
                f"without image_size (got {self.image_size}); set one of them"
            )
        return tuple(
            step * (size - 1) + dilation * (width - 1) + 1 - 2 * pad + unused
            for size, step, width, dilation, pad, unused in zip(
                self.image_size,
                self.step,
                self.filter_size,
                self.filter_dilation,
                self._padding(),
                self.unused_edge,
                strict=True,
            )
        )

    @original_image_size.setter
    def original_image_size(self, value):
        self._original_image_size = None if value is None else tuple(value)

    def _padding(self):
        """The zero padding of the forward convolution along each axis."""
        mode = self._conv_border_mode()
        if isinstance(mode, int):
            return (mode, mode)
        if isinstance(mode, tuple | list):
            return tuple(mode)
        if mode == "full":
            return tuple(width - 1 for width in self.filter_size)
        if mode == "half":
            return tuple(width // 2 for width in self.filter_size)
        if mode == "valid":
            return (0, 0)
        raise ValueError(f"brick {self.name!r}: unknown border_mode {mode!r}")

    def _filter_shape(self):
        # The forward convolution's filters, (num_channels, num_filters //
        # num_groups, ...), with the channel axes turned around.
        forward = Convolutional._filter_shape(self)
        return (self.num_filters // self.num_groups, self.num_channels, *forward[2:])

    def conv2d_impl(
        self, input_, W, input_shape, subsample, border_mode, filter_shape, **options
    ):
        """Build the transposed convolution of `input_` with `W`.

        `options` (dilation and groups) are read from the brick.

        The gradient-with-respect-to-inputs op expects the filters of the
        forward convolution, whose channel axes are the reverse of this
        brick's, hence the transposition of `W`.

        """
        forward_filters = W.transpose(1, 0, 2, 3)
        forward_shape = (filter_shape[1], filter_shape[0], *filter_shape[2:])
        output_size = self.get_dim("output")
        op = AbstractConv2d_gradInputs(
            imshp=(self.batch_size, *output_size),
            kshp=forward_shape,
            border_mode=border_mode,
            subsample=subsample,
            **self._extra_conv_options(),
        )
        return op(forward_filters, input_, output_size[1:])

    def get_dim(self, name):
        if name == "output":
            return (self.num_filters, *self.original_image_size)
        return super().get_dim(name)


def _is_spatial(layer):
    """Whether `layer` takes part in the shape bookkeeping of a sequence.

    Convolutions, poolings, batch normalizations and nested sequences say
    how many channels they output; elementwise activations do not, and
    pass their input shape through.

    """
    return hasattr(type(layer), "num_output_channels")


class ConvolutionalSequence(Sequence, Initializable, Feedforward):
    """A chain of convolution, pooling and elementwise layers.

    Parameters
    ----------
    layers : list of Brick or BoundApplication
        The layers, applied in order: :class:`Convolutional` and
        :class:`Pooling` bricks, other bricks with the same shape
        attributes (such as
        :class:`~blocks.bricks.SpatialBatchNormalization`), elementwise
        activations, or application methods of any of these.
    num_channels : int
        The number of channels of the input images. Required by
        :meth:`~.Brick.allocate`.
    batch_size : int, optional
        The number of images per batch, pushed to the layers as a shape
        hint.
    image_size : tuple, optional
        The (height, width) of the input images; ``(None, None)``
        (unknown) by default.
    border_mode : str, int or tuple, optional
        When set, the border mode given to every convolution. None (the
        default) leaves each convolution's own.
    tied_biases : bool, optional
        When set, pushed to every convolution. None (the default) leaves
        each convolution's own.

    Notes
    -----
    See :class:`~blocks.bricks.Initializable` for initialization
    parameters.

    The layers are best built without `num_channels`, `image_size` and
    `batch_size`: when the allocation configuration is pushed, the sequence
    gives the first layer its own input shape and every following layer
    the output shape of the layer before.

    Only a `border_mode` or `tied_biases` that was set is pushed, like
    ``use_bias`` and the initialization schemes. A default would overwrite
    what the layers were given, and a border mode changed after the push
    would leave the sizes already pushed to the later layers wrong.

    Examples
    --------
    >>> from blocks.bricks import Rectifier
    >>> seq = ConvolutionalSequence(
    ...     [Convolutional(filter_size=(3, 3), num_filters=8), Rectifier(),
    ...      MaxPooling(pooling_size=(2, 2))],
    ...     num_channels=3, image_size=(12, 10))
    >>> seq.push_allocation_config()
    >>> seq.get_dim('output')
    (8, 5, 4)

    """

    @lazy(allocation=["num_channels"])
    def __init__(
        self,
        layers,
        num_channels,
        batch_size=None,
        image_size=(None, None),
        border_mode=None,
        tied_biases=None,
        **kwargs,
    ):
        self.layers = [
            layer if isinstance(layer, Brick) else layer.brick for layer in layers
        ]
        self.num_channels = num_channels
        self.batch_size = batch_size
        self.image_size = image_size
        self.border_mode = border_mode
        self.tied_biases = tied_biases
        super().__init__(application_methods=layers, **kwargs)

    @property
    def image_size(self):
        return self._image_size

    @image_size.setter
    def image_size(self, value):
        self._image_size = (None, None) if value is None else tuple(value)

    @property
    def num_output_channels(self):
        """The number of channels of the last layer that changes them."""
        return self.get_dim("output")[0]

    def get_dim(self, name):
        if name == "input_":
            return (self.num_channels, *self.image_size)
        if name == "output":
            for layer in reversed(self.layers):
                try:
                    return layer.get_dim("output")
                except ValueError:
                    continue
            # No layer changes the shape (or none knows it).
            return self.get_dim("input_")
        return super().get_dim(name)

    def _push_allocation_config(self):
        super()._push_allocation_config()
        num_channels = self.num_channels
        image_size = self.image_size
        for layer in self.layers:
            if not _is_spatial(layer):
                continue
            if self.border_mode is not None and hasattr(layer, "border_mode"):
                layer.border_mode = self.border_mode
            if self.tied_biases is not None and hasattr(layer, "tied_biases"):
                layer.tied_biases = self.tied_biases
            if hasattr(layer, "batch_size"):
                layer.batch_size = self.batch_size
            layer.num_channels = num_channels
            layer.image_size = image_size
            # A nested sequence must configure its own layers before it can
            # tell its output shape.
            layer.push_allocation_config()
            num_channels = layer.num_output_channels
            try:
                image_size = tuple(layer.get_dim("output")[1:])
            except ValueError:
                image_size = (None, None)


class Flattener(Brick):
    """Flattens every example into a vector.

    Turns a batch of images or feature maps into a matrix, one row per
    example, so that bricks expecting (batch, features), such as an
    :class:`~blocks.bricks.MLP`, can read the output of convolutions.

    """

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        """Merge all the axes after the first one.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            A tensor of two or more dimensions, the first one indexing the
            examples.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            A matrix with as many rows as `input_` has examples.

        """
        return input_.flatten(ndim=2)

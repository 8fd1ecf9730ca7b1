"""Pooling bricks: max and average pooling over image windows.

They live beside the convolutions they usually follow and are reached,
as in Blocks, through :mod:`blocks.bricks.conv`.
"""

from blocks.bricks.base import application, lazy
from blocks.bricks.interfaces import Feedforward, Initializable
from blocks.bricks.lazy import LazyNone
from symbolic.tensor.signal.pool import Pool, pool_2d

__all__ = ["AveragePooling", "MaxPooling", "Pooling"]


def _whole_numbers(brick, what, values):
    """`values` as a tuple of ints; floats must be whole numbers.

    None and lazy placeholders pass through, to be checked when set.

    """
    if values is None or isinstance(values, LazyNone):
        return values
    result = []
    for value in values:
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(
                    f"brick {brick.name!r}: {what} must be whole numbers, got "
                    f"{tuple(values)}"
                )
            value = int(value)
        result.append(value)
    return tuple(result)


class Pooling(Initializable, Feedforward):
    """The base brick of pooling, which summarizes windows of an image.

    Use :class:`MaxPooling` or :class:`AveragePooling` rather than this
    class.

    Parameters
    ----------
    mode : str
        The pooling mode of :func:`~symbolic.tensor.signal.pool.pool_2d`:
        ``'max'``, ``'sum'``, ``'average_inc_pad'`` or ``'average_exc_pad'``.
        Required by :meth:`~.Brick.allocate`.
    pooling_size : tuple of int
        The (height, width) of the windows. Required by
        :meth:`~.Brick.allocate`.
    step : tuple of int or None
        The vertical and horizontal stride between windows; None means
        `pooling_size` (windows that do not overlap).
    input_dim : tuple or None
        The shape of one example, such as (channels, height, width); only
        the last two entries matter to the output size. Unknown when None.
    ignore_border : bool
        Whether to drop the windows that would run past the bottom or the
        right edge, rather than pool the part that lies inside the image.
    padding : tuple of int
        The zeros added above and below, and left and right, of the image.

    """

    # Blocks' path: pickles and reprs name the class there.
    __module__ = "blocks.bricks.conv"

    @lazy(allocation=["mode", "pooling_size"])
    def __init__(
        self, mode, pooling_size, step, input_dim, ignore_border, padding, **kwargs
    ):
        super().__init__(**kwargs)
        self.mode = mode
        self.pooling_size = pooling_size
        self.step = step
        self.input_dim = (None, None, None) if input_dim is None else input_dim
        self.ignore_border = ignore_border
        self.padding = padding

    def __setstate__(self, state):
        # Pickles of Blocks (and of older versions of this brick) keep these
        # three as plain attributes.
        state = dict(state)
        for name in ("pooling_size", "step", "padding"):
            if name in state:
                state["_" + name] = state.pop(name)
        self.__dict__.update(state)

    # Blocks scripts compute sizes and steps with true division, so whole
    # floats such as 2.0 are taken as ints; 1.5 is an error, not a floor.
    @property
    def pooling_size(self):
        return self._pooling_size

    @pooling_size.setter
    def pooling_size(self, value):
        self._pooling_size = _whole_numbers(self, "pooling_size", value)

    @property
    def step(self):
        return self._step

    @step.setter
    def step(self, value):
        self._step = _whole_numbers(self, "step", value)

    @property
    def padding(self):
        return self._padding

    @padding.setter
    def padding(self, value):
        self._padding = _whole_numbers(self, "padding", value)

    @property
    def image_size(self):
        """The (height, width) of the input: the end of `input_dim`."""
        return tuple(self.input_dim[-2:])

    @image_size.setter
    def image_size(self, value):
        self.input_dim = (*self.input_dim[:-2], *value)

    @property
    def num_channels(self):
        """The number of channels of the input: the start of `input_dim`."""
        return self.input_dim[0]

    @num_channels.setter
    def num_channels(self, value):
        self.input_dim = (value, *self.input_dim[1:])

    @property
    def num_output_channels(self):
        """Pooling keeps the channels: the same as `num_channels`."""
        return self.input_dim[0]

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        """Pool the windows of the last two axes.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            A tensor of two or more dimensions whose last two are the
            height and width of images.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            A tensor of the same number of dimensions, with the last two
            reduced to one entry per window.

        """
        if self.mode == "average_inc_pad" and not self.ignore_border:
            raise ValueError(
                f"brick {self.name!r}: averages that include the padding need "
                f"ignore_border=True"
            )
        return pool_2d(
            input_,
            ws=self.pooling_size,
            stride=self.step,
            pad=self.padding,
            mode=self.mode,
            ignore_border=self.ignore_border,
        )

    def get_dim(self, name):
        if name == "input_":
            return self.input_dim
        if name == "output":
            return tuple(
                Pool.out_shape(
                    self.input_dim,
                    self.pooling_size,
                    ignore_border=self.ignore_border,
                    stride=self.step,
                    pad=self.padding,
                )
            )
        return super().get_dim(name)


class MaxPooling(Pooling):
    """Pooling that keeps the largest value of each window.

    Parameters
    ----------
    pooling_size : tuple of int
        The (height, width) of the windows, by which the image shrinks when
        `step` is left to its default. Required by :meth:`~.Brick.allocate`.
    step : tuple of int, optional
        The vertical and horizontal stride between windows; `pooling_size`
        by default. A smaller step makes the windows overlap.
    input_dim : tuple, optional
        The shape of one example, (channels, height, width); its last two
        entries give the output size.
    ignore_border : bool, optional
        True (the default) drops the windows that reach past the bottom or
        right edge: a 5 by 5 image pooled 2 by 2 gives 2 by 2. False pools
        what lies inside the image there too, giving 3 by 3.
    padding : tuple of int, optional
        The number of zero rows added at the top and at the bottom, and of
        zero columns at the left and at the right; ``(0, 0)`` by default.
        It needs ``ignore_border=True``; it is the way to make the windows
        cover the whole image with the border dropped.

    """

    # Blocks' path: pickles and reprs name the class there.
    __module__ = "blocks.bricks.conv"

    @lazy(allocation=["pooling_size"])
    def __init__(
        self,
        pooling_size,
        step=None,
        input_dim=None,
        ignore_border=True,
        padding=(0, 0),
        **kwargs,
    ):
        super().__init__(
            "max",
            pooling_size,
            step=step,
            input_dim=input_dim,
            ignore_border=ignore_border,
            padding=padding,
            **kwargs,
        )

    def __setstate__(self, state):
        super().__setstate__(state)
        # Bricks pickled before Pooling had a mode, padding and
        # ignore_border (Blocks pull request #899) get the values that the
        # MaxPooling of that time implied.
        self.__dict__.setdefault("mode", "max")
        self.__dict__.setdefault("_padding", (0, 0))
        self.__dict__.setdefault("ignore_border", False)


class AveragePooling(Pooling):
    """Pooling that keeps the mean of each window.

    Parameters
    ----------
    include_padding : bool, optional
        Whether the padding zeros count in the mean (mode
        ``'average_inc_pad'``) or not (mode ``'average_exc_pad'``, the
        default). True needs ``ignore_border=True``.

    Notes
    -----
    The other parameters are those of :class:`MaxPooling`.

    """

    # Blocks' path: pickles and reprs name the class there.
    __module__ = "blocks.bricks.conv"

    @lazy(allocation=["pooling_size"])
    def __init__(
        self,
        pooling_size,
        step=None,
        input_dim=None,
        ignore_border=True,
        padding=(0, 0),
        include_padding=False,
        **kwargs,
    ):
        if include_padding and not ignore_border:
            raise ValueError(
                "AveragePooling: include_padding=True needs ignore_border=True"
            )
        mode = "average_inc_pad" if include_padding else "average_exc_pad"
        super().__init__(
            mode,
            pooling_size,
            step=step,
            input_dim=input_dim,
            ignore_border=ignore_border,
            padding=padding,
            **kwargs,
        )

"""Schemes that fill the parameters of bricks with initial values.

Each scheme draws from the :class:`numpy.random.RandomState` it is given (a
brick's ``rng``, whose seed comes from ``RNGMixin.seed_rng``, itself seeded
with ``blocks.config.default_seed``) and returns arrays of dtype
``symbolic.config.floatX``, so runs repeat exactly.

"""

import numbers
from abc import ABC, abstractmethod

import numpy

import symbolic
from blocks.utils import repr_attrs

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IsotropicGaussian",
    "NdarrayInitialization",
    "Orthogonal",
    "Sparse",
    "SparseND",
    "Uniform",
]


def _floatx(array):
    return numpy.asarray(array, dtype=symbolic.config.floatX)


class NdarrayInitialization(ABC):
    """Base class specifying the interface for ndarray initialization."""

    @abstractmethod
    def generate(self, rng, shape):
        """Generate an array of initial values.

        Parameters
        ----------
        rng : :class:`numpy.random.RandomState`
            The generator to draw from.
        shape : tuple of int
            The shape of the array.

        Returns
        -------
        ndarray
            Of shape `shape` and dtype ``symbolic.config.floatX``.

        """

    def initialize(self, var, rng, shape=None):
        """Set the value of a shared variable to generated values.

        Parameters
        ----------
        var : :class:`~tensor.TensorSharedVariable`
            The variable to set.
        rng : :class:`numpy.random.RandomState`
            The generator to draw from.
        shape : tuple of int, optional
            The shape to generate; the current shape of `var` by default.

        Raises
        ------
        ValueError
            If the generated array does not have the requested shape.

        """
        if not shape:
            shape = var.get_value(borrow=True, return_internal_type=True).shape
        value = self.generate(rng, shape)
        if value.shape != tuple(shape):
            raise ValueError(
                f"{type(self).__name__} generated an array of shape {value.shape} "
                f"for {var}, which needs shape {tuple(shape)}"
            )
        var.set_value(value)

    def __repr__(self):
        return repr_attrs(self, *sorted(vars(self)))


class Constant(NdarrayInitialization):
    """Initialize parameters to a constant.

    Parameters
    ----------
    constant : ndarray or scalar
        The value to use: a scalar, or an array (or nested list) that
        broadcasts to every shape requested.

    Examples
    --------
    >>> import numpy
    >>> Constant(0.5).generate(numpy.random.RandomState(1), (2,)).tolist()
    [0.5, 0.5]

    """

    def __init__(self, constant):
        self.constant = numpy.asarray(constant)

    def generate(self, rng, shape):
        dest = numpy.empty(shape, dtype=symbolic.config.floatX)
        try:
            dest[...] = self.constant
        except ValueError as error:
            raise ValueError(
                f"the constant of shape {self.constant.shape} does not broadcast "
                f"to the requested shape {tuple(shape)}"
            ) from error
        return dest


class IsotropicGaussian(NdarrayInitialization):
    """Initialize parameters from an isotropic Gaussian distribution.

    Parameters
    ----------
    std : float, optional
        The standard deviation; 1 by default.
    mean : float, optional
        The mean; 0 by default.

    Notes
    -----
    The standard deviation comes first and the mean second.

    """

    def __init__(self, std=1, mean=0):
        self.mean = mean
        self.std = std

    def generate(self, rng, shape):
        return _floatx(rng.normal(self.mean, self.std, size=shape))


class Uniform(NdarrayInitialization):
    """Initialize parameters from a uniform distribution.

    Parameters
    ----------
    mean : float, optional
        The center of the distribution; 0 by default.
    width : float, optional
        The width of the support ``[mean - width/2, mean + width/2]``.
    std : float, optional
        The standard deviation, from which the width is computed.

    Exactly one of `width` and `std` must be given.

    """

    def __init__(self, mean=0.0, width=None, std=None):
        if (width is None) == (std is None):
            raise ValueError("Uniform needs exactly one of width and std")
        # The variance of a uniform distribution is width ** 2 / 12.
        self.width = numpy.sqrt(12) * std if std is not None else width
        self.mean = mean

    def generate(self, rng, shape):
        half_width = self.width / 2
        return _floatx(
            rng.uniform(self.mean - half_width, self.mean + half_width, size=shape)
        )


class Identity(NdarrayInitialization):
    """Initialize to the identity matrix times a scalar.

    Only for 2-D arrays; a non-square matrix is the identity truncated or
    padded with zeros.

    Parameters
    ----------
    mult : float, optional
        The scalar; 1 by default.

    """

    def __init__(self, mult=1):
        self.mult = mult

    def generate(self, rng, shape):
        if len(shape) != 2:
            raise ValueError(f"Identity initializes 2-D arrays only, got shape {shape}")
        rows, cols = shape
        return _floatx(self.mult * numpy.eye(rows, cols))


class Orthogonal(NdarrayInitialization):
    """Initialize a random orthogonal matrix.

    A square matrix is orthogonal; a rectangular one has orthonormal rows
    or columns, whichever are fewer. Only for 2-D arrays.

    Parameters
    ----------
    scale : float, optional
        Multiplies the matrix; 1 by default. See [Saxe2013]_ for how the
        scale affects training.

    References
    ----------
    .. [Saxe2013] Saxe, A.M., McClelland, J.L., Ganguli, S., 2013.,
       *Exact solutions to the nonlinear dynamics of learning in deep
       linear neural networks*, arXiv:1312.6120 [cond-mat, q-bio, stat].

    """

    def __init__(self, scale=1):
        self.scale = scale

    def generate(self, rng, shape):
        if len(shape) != 2:
            raise ValueError(
                f"Orthogonal initializes 2-D arrays only, got shape {shape}"
            )
        gaussian = rng.normal(0.0, 1.0, size=shape)
        u, _, v = numpy.linalg.svd(gaussian, full_matrices=False)
        orthogonal = u if u.shape == tuple(shape) else v
        return _floatx(self.scale * orthogonal)


class Sparse(NdarrayInitialization):
    """Initialize only some of the weights of each row.

    Parameters
    ----------
    num_init : int or float
        An int is the number of weights to initialize per row, a float the
        fraction of them.
    weights_init : NdarrayInitialization
        Initializes the chosen weights.
    sparse_init : NdarrayInitialization, optional
        Initializes the others; ``Constant(0.)`` by default.

    """

    def __init__(self, num_init, weights_init, sparse_init=None):
        self.num_init = num_init
        self.weights_init = weights_init
        self.sparse_init = sparse_init if sparse_init is not None else Constant(0.0)

    def generate(self, rng, shape):
        if len(shape) != 2:
            raise ValueError(
                f"{type(self).__name__} initializes 2-D arrays only, got shape {shape}"
            )
        weights = self.sparse_init.generate(rng, shape)
        if isinstance(self.num_init, numbers.Integral):
            if not 0 < self.num_init <= shape[1]:
                raise ValueError(
                    f"num_init must lie in [1, {shape[1]}], got {self.num_init}"
                )
            num_init = self.num_init
        else:
            if not 0 < self.num_init <= 1:
                raise ValueError(
                    f"a fractional num_init must lie in (0, 1], got {self.num_init}"
                )
            num_init = int(self.num_init * shape[1])
        values = self.weights_init.generate(rng, (shape[0], num_init))
        for row in range(shape[0]):
            columns = rng.choice(shape[1], num_init, replace=False)
            weights[row, columns] = values[row]
        return weights


class SparseND(Sparse):
    """Initialize only some of the weights, grouped along chosen axes.

    Parameters
    ----------
    axis : int or sequence of int
        The axes that form a "unit": every combination of their indices
        gets `num_init` initialized weights. An axis of ``(0, 1)`` for a
        4-D filter bank initializes `num_init` entries of ``W[0, 0]``,
        `num_init` of ``W[0, 1]``, and so on.
    **kwargs
        The arguments of :class:`Sparse`.

    """

    def __init__(self, axis, **kwargs):
        self.axis = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
        super().__init__(**kwargs)

    def generate(self, rng, shape):
        axes = list(self.axis)
        others = [i for i in range(len(shape)) if i not in axes]
        axis_shape = [shape[i] for i in axes]
        other_shape = [shape[i] for i in others]
        matrix = super().generate(
            rng, (int(numpy.prod(axis_shape)), int(numpy.prod(other_shape)))
        )
        unflattened = matrix.reshape((*axis_shape, *other_shape))
        order = axes + others
        return unflattened.transpose([order.index(i) for i in range(len(shape))])


def _fans(shape):
    """The fan-in and fan-out of a weight array of `shape`.

    A matrix ``(input_dim, output_dim)`` (the layout of
    :class:`~blocks.bricks.Linear`) has fans ``input_dim`` and
    ``output_dim``. A filter bank ``(num_filters, num_channels, *window)``
    (the layout of :class:`~blocks.bricks.conv.Convolutional`) has fans
    ``num_channels * window`` and ``num_filters * window``.
    """
    if len(shape) < 2:
        raise ValueError(
            f"fan-based initialization needs an array of at least 2 dimensions, "
            f"got shape {tuple(shape)}"
        )
    if len(shape) == 2:
        return shape[0], shape[1]
    window = int(numpy.prod(shape[2:]))
    return shape[1] * window, shape[0] * window


class _FanScaled(NdarrayInitialization):
    """Draws with a variance of ``gain ** 2 * scale / fan``; see subclasses."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def _std(self, shape):
        raise NotImplementedError

    def generate(self, rng, shape):
        std = self._std(shape)
        if self.uniform:
            # A uniform law on [-a, a] has variance a ** 2 / 3.
            bound = numpy.sqrt(3.0) * std
            return _floatx(rng.uniform(-bound, bound, size=shape))
        return _floatx(rng.normal(0.0, std, size=shape))


class _Glorot(_FanScaled):
    def _std(self, shape):
        fan_in, fan_out = _fans(shape)
        return self.gain * numpy.sqrt(2.0 / (fan_in + fan_out))


class _He(_FanScaled):
    def _std(self, shape):
        fan_in, _ = _fans(shape)
        return self.gain * numpy.sqrt(2.0 / fan_in)


class GlorotUniform(_Glorot):
    """Uniform weights with variance ``gain ** 2 * 2 / (fan_in + fan_out)``.

    The scheme of Glorot and Bengio (2010). Fans are read from the shape:
    ``(input_dim, output_dim)`` for matrices, ``(num_filters,
    num_channels, *window)`` for filter banks.

    Parameters
    ----------
    gain : float, optional
        Multiplies the standard deviation; 1 by default.

    Examples
    --------
    >>> import numpy
    >>> w = GlorotUniform().generate(numpy.random.RandomState(0), (300, 200))
    >>> bool(abs(w).max() <= numpy.sqrt(6.0 / 500))
    True

    """

    uniform = True


class GlorotNormal(_Glorot):
    """Gaussian weights with variance ``gain ** 2 * 2 / (fan_in + fan_out)``.

    See :class:`GlorotUniform` for the fans and `gain`.

    """

    uniform = False


class HeUniform(_He):
    """Uniform weights with variance ``gain ** 2 * 2 / fan_in``.

    The scheme of He et al. (2015) for rectifier networks. See
    :class:`GlorotUniform` for the fans and `gain`.

    """

    uniform = True


class HeNormal(_He):
    """Gaussian weights with variance ``gain ** 2 * 2 / fan_in``.

    See :class:`HeUniform`.

    """

    uniform = False

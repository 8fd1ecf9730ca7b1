"""Simple bricks: linear maps, biases, maxout and activations."""

import logging

from blocks.bricks.base import Brick, application, lazy
from blocks.bricks.interfaces import Activation, Feedforward, Initializable, LinearLike
from blocks.bricks.wrappers import WithExtraDims
from blocks.roles import BIAS, WEIGHT, add_role
from blocks.utils.theano_utils import shared_floatx_nans
from symbolic import tensor

logger = logging.getLogger(__name__)

__all__ = [
    "Bias",
    "Identity",
    "LeakyRectifier",
    "Linear",
    "LinearMaxout",
    "Logistic",
    "Maxout",
    "NDimensionalSoftmax",
    "Rectifier",
    "Softmax",
    "Softplus",
    "Tanh",
]


class Linear(LinearLike, Feedforward):
    r"""A linear transformation with optional bias.

    Multiplies the input by a weight matrix and, unless ``use_bias`` is
    False (see :class:`~blocks.bricks.Initializable`), adds a bias vector.
    The product is taken on the last axis, so inputs of any rank work.

    Parameters
    ----------
    input_dim : int
        The dimension of the input. Required by :meth:`~.Brick.allocate`.
    output_dim : int
        The dimension of the output. Required by :meth:`~.Brick.allocate`.

    Notes
    -----
    See :class:`~blocks.bricks.Initializable` for initialization
    parameters.

    .. math:: f(\mathbf{x}) = \mathbf{W}\mathbf{x} + \mathbf{b}

    The parameters are ``W`` of shape ``(input_dim, output_dim)`` (role
    :data:`~blocks.roles.WEIGHT`) and ``b`` of shape ``(output_dim,)`` (role
    :data:`~blocks.roles.BIAS`); their norms are auxiliary variables
    ``W_norm`` and ``b_norm``.

    """

    @lazy(allocation=["input_dim", "output_dim"])
    def __init__(self, input_dim, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim

    def _allocate(self):
        W = shared_floatx_nans((self.input_dim, self.output_dim), name="W")
        add_role(W, WEIGHT)
        self.parameters.append(W)
        self.add_auxiliary_variable(W.norm(2), name="W_norm")
        if self.use_bias:
            b = shared_floatx_nans((self.output_dim,), name="b")
            add_role(b, BIAS)
            self.parameters.append(b)
            self.add_auxiliary_variable(b.norm(2), name="b_norm")

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        """Apply the linear transformation.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            The input on which to apply the transformation.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            The transformed input plus optional bias.

        """
        output = tensor.dot(input_, self.W)
        if self.use_bias:
            output += self.b
        return output

    def get_dim(self, name):
        if name == "input_":
            return self.input_dim
        if name == "output":
            return self.output_dim
        return super().get_dim(name)


class Bias(Feedforward, Initializable):
    """Add a bias (i.e. sum with a vector).

    Parameters
    ----------
    dim : int
        The dimension of the input, the bias and the output;
        ``input_dim`` and ``output_dim`` are aliases.

    """

    @lazy(allocation=["dim"])
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim

    def _allocate(self):
        b = shared_floatx_nans((self.output_dim,), name="b")
        add_role(b, BIAS)
        self.parameters.append(b)

    def _initialize(self):
        (b,) = self.parameters
        self._require_init("biases_init").initialize(b, self.rng)

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        """Add the bias.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            The input to add the bias to.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            The input plus the bias.

        """
        (b,) = self.parameters
        return input_ + b

    def get_dim(self, name):
        if name in ("input_", "output"):
            return self.dim
        return super().get_dim(name)

    def _get_dim(self):
        return self.dim

    def _set_dim(self, value):
        self.dim = value

    input_dim = output_dim = property(_get_dim, _set_dim)


class Maxout(Brick):
    """Maxout pooling: the maximum over groups of input units.

    The last axis is split into groups of `num_pieces` consecutive units
    and each group is replaced by its maximum. See [GWFM13]_.

    Parameters
    ----------
    num_pieces : int
        The size of the groups the maximum is taken over.

    References
    ----------
    .. [GWFM13] Ian J. Goodfellow, David Warde-Farley, Mehdi Mirza, Aaron
       Courville, and Yoshua Bengio, *Maxout networks*, ICML (2013),
       pp. 1319-1327.

    """

    @lazy(allocation=["num_pieces"])
    def __init__(self, num_pieces, **kwargs):
        super().__init__(**kwargs)
        self.num_pieces = num_pieces

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        """Apply the maxout transformation.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            The input; its last dimension must be a multiple of
            `num_pieces`.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            The transformed input.

        """
        last_dim = input_.shape[-1]
        output_dim = last_dim // self.num_pieces
        new_shape = [input_.shape[i] for i in range(input_.ndim - 1)]
        new_shape += [output_dim, self.num_pieces]
        grouped = input_.reshape(new_shape, ndim=input_.ndim + 1)
        return tensor.max(grouped, axis=input_.ndim)


class LinearMaxout(Initializable, Feedforward):
    """Maxout pooling following a linear transformation.

    Parameters
    ----------
    input_dim : int
        The dimension of the input. Required by :meth:`~.Brick.allocate`.
    output_dim : int
        The dimension of the output. Required by :meth:`~.Brick.allocate`.
    num_pieces : int
        The number of linear functions. Required by
        :meth:`~.Brick.allocate`.

    Notes
    -----
    See :class:`~blocks.bricks.Initializable` for initialization
    parameters.

    """

    @lazy(allocation=["input_dim", "output_dim", "num_pieces"])
    def __init__(self, input_dim, output_dim, num_pieces, **kwargs):
        self.linear = Linear()
        self.maxout = Maxout()
        kwargs.setdefault("children", []).extend([self.linear, self.maxout])
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.num_pieces = num_pieces

    @property
    def input_dim(self):
        return self.linear.input_dim

    @input_dim.setter
    def input_dim(self, value):
        self.linear.input_dim = value

    def _push_allocation_config(self):
        super()._push_allocation_config()
        self.linear.output_dim = self.output_dim * self.num_pieces
        self.maxout.num_pieces = self.num_pieces

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        """Apply the linear transformation followed by maxout.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            The input on which to apply the transformations.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            The transformed input.

        """
        return self.maxout.apply(self.linear.apply(input_))


class Identity(Activation):
    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        return input_


class Tanh(Activation):
    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        return tensor.tanh(input_)


class Logistic(Activation):
    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        return tensor.nnet.sigmoid(input_)


class Softplus(Activation):
    r"""Softplus brick.

    The softplus is defined as :math:`\zeta(x) = \log(1+e^x)`.

    .. Dugas, C., Bengio, Y., Belisle, F., Nadeau, C., and Garcia,
       R. (2001). Incorporating second-order functional knowledge
       for better option pricing. In NIPS 13 . MIT Press.

    """

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        return tensor.nnet.softplus(input_)


class Rectifier(Activation):
    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        return tensor.nnet.relu(input_)


class LeakyRectifier(Activation):
    r"""Leaky ReLU.

    Like a rectifier, but with a small slope below zero [LeakyReLU]_:

    .. math:: f(x) = \max(x, \alpha x)

    Parameters
    ----------
    leak : float, optional
        The slope :math:`\alpha` for negative inputs; 0.01 by default.

    References
    ----------
    .. [LeakyReLU] Andrew L. Maas, Awni Y. Hannun, Andrew Y. Ng,
       *Rectifier Nonlinearities Improve Neural Network Acoustic Models*,
       ICML (2013).

    """

    def __init__(self, leak=0.01, **kwargs):
        super().__init__(**kwargs)
        self._leak = leak

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        return tensor.switch(input_ > 0, input_, self._leak * input_)


class Softmax(Brick):
    """A softmax brick.

    Works with 2-dimensional inputs only; see :class:`NDimensionalSoftmax`
    for more.

    """

    @application(inputs=["input_"], outputs=["output"])
    def apply(self, input_):
        """Standard softmax.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            A matrix; each row holds the unnormalized log-probabilities of
            a distribution.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            A matrix with a probability distribution in each row.

        """
        return tensor.nnet.softmax(input_)

    @application(inputs=["input_"], outputs=["output"])
    def log_probabilities(self, input_):
        """Normalize log-probabilities.

        Turns unnormalized log-probabilities (whose exponents do not sum to
        one) into log-probabilities, in a numerically stable way.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            A matrix; each row holds the unnormalized log-probabilities of
            a distribution.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            A matrix with normalized log-probabilities in each row.

        """
        shifted = input_ - input_.max(axis=1, keepdims=True)
        return shifted - tensor.log(tensor.exp(shifted).sum(axis=1, keepdims=True))

    @application(inputs=["y", "x"], outputs=["output"])
    def categorical_cross_entropy(self, application_call, y, x):
        """Computationally stable cross-entropy for pre-softmax values.

        Parameters
        ----------
        y : :class:`~tensor.TensorVariable`
            The targets: a matrix whose rows are probability distributions,
            or a vector of integer class indices (the positions of the ones
            of one-hot rows).
        x : :class:`~tensor.TensorVariable`
            A matrix; each row holds the unnormalized log-probabilities of
            a distribution.

        Returns
        -------
        cost : :class:`~tensor.TensorVariable`
            A vector of the cross-entropies between the rows of `y` and
            `x`.

        """
        x = self.log_probabilities(x)
        application_call.add_auxiliary_variable(x.copy(name="log_probabilities"))
        if y.ndim == x.ndim - 1:
            indices = tensor.arange(y.shape[0]) * x.shape[1] + y
            return -x.flatten()[indices]
        if y.ndim == x.ndim:
            if y.dtype.startswith(("int", "uint")):
                logger.debug(
                    "%s: the integer targets %s have as many dimensions as the "
                    "inputs, so they are taken as rows of distributions (one-hot)",
                    self.name,
                    y,
                )
            return -(x * y).sum(axis=1)
        raise TypeError(
            f"brick {self.name!r}: y must have one dimension less than x (class "
            f"indices) or as many (distributions); got y.ndim={y.ndim}, "
            f"x.ndim={x.ndim}"
        )


class NDimensionalSoftmax(Softmax):
    """A softmax whose applications accept inputs with extra dimensions.

    This brick was constructed by wrapping :class:`Softmax` with
    :class:`~blocks.bricks.wrappers.WithExtraDims`: its applications take an
    ``extra_ndim`` keyword.

    """

    decorators = [WithExtraDims()]

"""Lookup tables: embeddings of integer indices."""

from blocks.bricks.base import application, lazy
from blocks.bricks.interfaces import Feedforward, Initializable
from blocks.roles import WEIGHT, add_role
from blocks.utils.theano_utils import check_theano_variable, shared_floatx_nans

__all__ = ["LookupTable"]


class LookupTable(Initializable, Feedforward):
    """Encapsulates representations of a range of integers.

    Embeds integers, e.g. word indices, into a vector space.

    Parameters
    ----------
    length : int
        The size of the table: one plus the largest index it represents.
    dim : int
        The dimension of the representations.

    Notes
    -----
    See :class:`~blocks.bricks.Initializable` for initialization
    parameters. ``input_dim`` aliases `length` and ``output_dim`` aliases
    `dim`.

    """

    has_bias = False

    @lazy(allocation=["length", "dim"])
    def __init__(self, length, dim, **kwargs):
        super().__init__(**kwargs)
        self.length = length
        self.dim = dim

    @property
    def W(self):
        return self.parameters[0]

    def _allocate(self):
        W = shared_floatx_nans((self.length, self.dim), name="W")
        add_role(W, WEIGHT)
        self.parameters.append(W)

    def _initialize(self):
        self._require_init("weights_init").initialize(self.W, self.rng)

    @application(inputs=["indices"], outputs=["output"])
    def apply(self, indices):
        """Perform lookup.

        Parameters
        ----------
        indices : :class:`~tensor.TensorVariable`
            The indices of interest; their dtype must be an integer one.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            The representations of the indices, with one more dimension
            than `indices`: the last one is the representation.

        """
        check_theano_variable(indices, None, ("int", "uint"))
        output_shape = [indices.shape[i] for i in range(indices.ndim)] + [self.dim]
        return self.W[indices.flatten()].reshape(output_shape, ndim=indices.ndim + 1)

    def get_dim(self, name):
        if name == "output":
            return self.dim
        if name == "indices":
            return 0
        return super().get_dim(name)

    @property
    def input_dim(self):
        return self.length

    @input_dim.setter
    def input_dim(self, value):
        self.length = value

    @property
    def output_dim(self):
        return self.dim

    @output_dim.setter
    def output_dim(self, value):
        self.dim = value

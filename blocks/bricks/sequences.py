"""Bricks that chain other bricks: Sequence, FeedforwardSequence and MLP."""

import copy
import itertools

from blocks.bricks.base import Brick, NoneAllocation, application, lazy
from blocks.bricks.interfaces import Feedforward, Initializable
from blocks.bricks.simple import Linear
from blocks.utils import pack

__all__ = ["MLP", "FeedforwardSequence", "Sequence"]


def _unique(items):
    seen = set()
    result = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            result.append(item)
    return result


def _known_dim(brick, name):
    """The dimension `name` of `brick` when it is set to an int, else None."""
    try:
        value = getattr(brick, name)
    except AttributeError:
        return None
    return value if isinstance(value, int) else None


class Sequence(Brick):
    """A sequence of bricks.

    Applies a chain of application methods, feeding the outputs of each one
    to the next; their inputs and outputs must be compatible.

    Parameters
    ----------
    application_methods : list of BoundApplication or Brick
        The applications to chain. For a brick, its ``apply`` is used.

    Raises
    ------
    ValueError
        At allocation, when two consecutive feedforward bricks have known
        dimensions that differ; the message names both bricks.

    """

    def __init__(self, application_methods, **kwargs):
        methods = []
        bricks = []
        for method in application_methods:
            if isinstance(method, Brick):
                methods.append(method.apply)
                bricks.append(method)
            else:
                methods.append(method)
                bricks.append(method.brick)
        self.application_methods = methods
        kwargs.setdefault("children", []).extend(_unique(bricks))
        super().__init__(**kwargs)

    @application
    def apply(self, *args):
        child_input = args
        output = None
        for application_method in self.application_methods:
            output = application_method(*pack(child_input))
            child_input = output
        return output

    @apply.property("inputs")
    def apply_inputs(self):
        return self.application_methods[0].inputs

    @apply.property("outputs")
    def apply_outputs(self):
        return self.application_methods[-1].outputs

    def _allocate(self):
        bricks = [method.brick for method in self.application_methods]
        feedforward = [brick for brick in bricks if isinstance(brick, Feedforward)]
        for previous, following in itertools.pairwise(feedforward):
            out_dim = _known_dim(previous, "output_dim")
            in_dim = _known_dim(following, "input_dim")
            if out_dim is not None and in_dim is not None and out_dim != in_dim:
                raise ValueError(
                    f"dimension mismatch in sequence {self.name!r}: brick "
                    f"{previous.name!r} outputs dimension {out_dim} but brick "
                    f"{following.name!r}, applied next, expects input dimension "
                    f"{in_dim}"
                )


class FeedforwardSequence(Sequence, Feedforward):
    """A sequence whose first and last bricks are feedforward.

    ``input_dim`` is the first brick's and ``output_dim`` the last one's.

    Parameters
    ----------
    application_methods : list of BoundApplication or Brick
        The applications to chain; the first and the last must belong to
        :class:`~blocks.bricks.Feedforward` bricks.

    """

    @property
    def input_dim(self):
        return self.application_methods[0].brick.input_dim

    @input_dim.setter
    def input_dim(self, value):
        self.application_methods[0].brick.input_dim = value

    @property
    def output_dim(self):
        return self.application_methods[-1].brick.output_dim

    @output_dim.setter
    def output_dim(self, value):
        self.application_methods[-1].brick.output_dim = value


class MLP(FeedforwardSequence, Initializable):
    """A simple multi-layer perceptron.

    Parameters
    ----------
    activations : list of Brick, BoundApplication or None
        The activation to apply after each linear transformation; None
        applies none. A brick's ``apply`` is used. Required by
        ``__init__``.
    dims : list of int
        The input dimension followed by the output dimension of every layer,
        so one more entry than `activations`. Required by
        :meth:`~.Brick.allocate`.
    prototype : Brick, optional
        The transformation to copy for every layer; ``Linear()`` by default.
        The copies are named ``<prototype class lowercased>_<i>``.

    Attributes
    ----------
    linear_transformations : list of Brick
        The copies of the prototype, one per layer.

    Notes
    -----
    See :class:`~blocks.bricks.Initializable` for initialization
    parameters.

    The ``weights_init`` and ``biases_init`` of the MLP (and ``use_bias``
    when it is set) overwrite those of its layers whenever the
    configuration is pushed. For finer control, push the configuration
    and then change the layers:

    >>> from blocks.bricks import Tanh
    >>> from blocks.initialization import IsotropicGaussian, Constant
    >>> mlp = MLP(activations=[Tanh(), None], dims=[30, 20, 10],
    ...           weights_init=IsotropicGaussian(),
    ...           biases_init=Constant(1))
    >>> mlp.push_initialization_config()  # Configure children
    >>> mlp.children[0].weights_init = IsotropicGaussian(0.1)
    >>> mlp.initialize()

    """

    @lazy(allocation=["dims"])
    def __init__(self, activations, dims, prototype=None, **kwargs):
        self.activations = activations
        self.prototype = Linear() if prototype is None else prototype
        self.linear_transformations = []
        prefix = self.prototype.__class__.__name__.lower()
        for i in range(len(activations)):
            layer = copy.deepcopy(self.prototype)
            layer.name = f"{prefix}_{i}"
            self.linear_transformations.append(layer)
        if dims is NoneAllocation or dims is None:
            dims = [NoneAllocation] * (len(activations) + 1)
        self.dims = list(dims)
        applications = []
        for layer, activation in zip(
            self.linear_transformations, activations, strict=True
        ):
            applications.append(layer)
            if activation is not None:
                applications.append(activation)
        super().__init__(applications, **kwargs)

    @property
    def input_dim(self):
        return self.dims[0]

    @input_dim.setter
    def input_dim(self, value):
        self.dims[0] = value

    @property
    def output_dim(self):
        return self.dims[-1]

    @output_dim.setter
    def output_dim(self, value):
        self.dims[-1] = value

    def _push_allocation_config(self):
        super()._push_allocation_config()
        if len(self.dims) != len(self.linear_transformations) + 1:
            raise ValueError(
                f"MLP {self.name!r} has {len(self.linear_transformations)} layers "
                f"and needs {len(self.linear_transformations) + 1} dims, got "
                f"{len(self.dims)}: {self.dims}"
            )
        for input_dim, output_dim, layer in zip(
            self.dims[:-1], self.dims[1:], self.linear_transformations, strict=True
        ):
            layer.input_dim = input_dim
            layer.output_dim = output_dim

    def allocate(self):
        missing = [
            i for i, dim in enumerate(self.dims) if dim in (None, NoneAllocation)
        ]
        if missing:
            raise ValueError(
                f"allocation config not set: dims (MLP {self.name!r} needs every "
                f"entry of MLP.dims; entries {missing} of {self.dims} are unset)"
            )
        super().allocate()

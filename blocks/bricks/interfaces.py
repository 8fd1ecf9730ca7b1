"""Interfaces and mixins that bricks share."""

import numpy

from blocks.bricks.base import Brick, _Brick, lazy
from blocks.config import config

__all__ = [
    "Activation",
    "ActivationDocumentation",
    "Feedforward",
    "Initializable",
    "LinearLike",
    "RNGMixin",
    "Random",
]

_MAX_SEED = numpy.iinfo(numpy.int32).max


class ActivationDocumentation(_Brick):
    """Metaclass that writes the docstrings of activation bricks."""

    def __new__(mcs, name, bases, namespace, **kwargs):
        function = name.lower()
        if not namespace.get("__doc__"):
            namespace["__doc__"] = f"Elementwise application of {function} function."
        apply = namespace.get("apply")
        if apply is not None and not apply.__doc__:
            apply.__doc__ = f"""Apply the {function} function element-wise.

        Parameters
        ----------
        input_ : :class:`~tensor.TensorVariable`
            The variable to apply {function} to, element-wise.

        Returns
        -------
        output : :class:`~tensor.TensorVariable`
            The input with the activation function applied.

        """
        return super().__new__(mcs, name, bases, namespace, **kwargs)


class Activation(Brick, metaclass=ActivationDocumentation):
    """Base class for parameter-free element-wise bricks with one ``apply``."""


class Feedforward(Brick):
    """Declares an interface for bricks with one input and one output.

    Activations, :class:`~blocks.bricks.Linear` and
    :class:`~blocks.bricks.MLP` all have one input and one output; sharing
    the names of their dimensions makes them interchangeable.

    Attributes
    ----------
    input_dim : int
        The input dimension of the brick.
    output_dim : int
        The output dimension of the brick.

    """

    def __getattr__(self, name):
        descriptor = getattr(type(self), name, None)
        if isinstance(descriptor, property) and descriptor.fget is not None:
            # The property itself raised; let its own message through.
            return descriptor.fget(self)
        message = f"'{self.__class__.__name__}' object has no attribute '{name}'"
        if name in ("input_dim", "output_dim"):
            message += (
                f" (brick {self.__dict__.get('name')!r} claims the Feedforward "
                f"interface, which includes {name})"
            )
        raise AttributeError(message)


class RNGMixin:
    """Mixin that gives a brick a numpy random number generator.

    Attributes
    ----------
    seed_rng : :class:`numpy.random.RandomState`
        Class-wide generator, seeded once with ``blocks.config.default_seed``,
        that draws the seeds of bricks which were given none.
    seed : int
        The seed of :attr:`rng`: drawn from :attr:`seed_rng` on first use
        unless set. It can be set once.
    rng : :class:`numpy.random.RandomState`
        The generator used to initialize parameters; by default a new
        ``RandomState(seed)``. Parents push theirs to their children.

    Notes
    -----
    As in Blocks, two bricks left unseeded get different seeds, and the
    seeds a script's bricks get depend on the order in which the process
    first uses them. A run is reproducible as a whole (the same script
    builds the same parameters), but the values of one brick are not fixed
    on their own: seed it, or push an ``rng`` from its parent, when they
    must be.

    """

    seed_rng = numpy.random.RandomState(config.default_seed)

    @property
    def seed(self):
        if self.__dict__.get("_seed") is None:
            self._seed = self.seed_rng.randint(_MAX_SEED)
        return self._seed

    @seed.setter
    def seed(self, value):
        if self.__dict__.get("_seed") is not None:
            raise AttributeError(
                f"the seed of brick {self.__dict__.get('name')!r} is already set "
                f"to {self._seed}"
            )
        self._seed = value

    @property
    def rng(self):
        if self.__dict__.get("_rng") is None:
            self._rng = numpy.random.RandomState(self.seed)
        return self._rng

    @rng.setter
    def rng(self, rng):
        self._rng = rng


class Initializable(RNGMixin, Brick):
    """Base class for bricks that push parameter initialization down.

    The initialization schemes of a parent are pushed to its initializable
    children, so that a whole hierarchy can be configured at the top.

    Parameters
    ----------
    weights_init : :class:`~blocks.initialization.NdarrayInitialization`
        Initializes the weights. Required by :meth:`initialize`.
    biases_init : :class:`~blocks.initialization.NdarrayInitialization`, optional
        Initializes the biases. Required by :meth:`initialize` when
        :attr:`use_bias` is True. Only for bricks with :attr:`has_biases`.
    use_bias : bool, optional
        Whether to use a bias; True by default. Only for bricks with
        :attr:`has_biases`. Pushed to the children only when set.
    seed : int, optional
        The seed of :attr:`rng`; drawn from :attr:`RNGMixin.seed_rng` if
        not given.
    rng : :class:`numpy.random.RandomState`, optional
        The generator to initialize the parameters with, instead of one
        built from `seed`.

    Attributes
    ----------
    has_biases : bool
        False for bricks that have no biases (they then accept neither
        `biases_init` nor `use_bias`).

    """

    has_biases = True

    @lazy()
    def __init__(
        self,
        weights_init=None,
        biases_init=None,
        use_bias=None,
        seed=None,
        rng=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.weights_init = weights_init
        if self.has_biases:
            self.biases_init = biases_init
        elif biases_init is not None or use_bias:
            raise ValueError(
                f"brick {self.name!r} ({self.__class__.__name__}) has no biases; "
                f"it accepts neither biases_init nor use_bias"
            )
        self.use_bias = use_bias
        self.seed = seed
        if rng is not None:
            self.rng = rng

    @property
    def use_bias(self):
        if not self.has_biases:
            return False
        value = self.__dict__.get("_use_bias")
        return True if value is None else value

    @use_bias.setter
    def use_bias(self, value):
        self._use_bias = value

    @property
    def _use_bias_set(self):
        return self.__dict__.get("_use_bias") is not None

    def _push_allocation_config(self):
        if self._use_bias_set:
            for child in self.children:
                if isinstance(child, Initializable) and child.has_biases:
                    child.use_bias = self.use_bias

    def _push_initialization_config(self):
        for child in self.children:
            if not isinstance(child, Initializable):
                continue
            child.rng = self.rng
            if self.weights_init is not None:
                child.weights_init = self.weights_init
            biases_init = self.__dict__.get("biases_init")
            if biases_init is not None and child.has_biases:
                child.biases_init = biases_init

    def _require_init(self, attr):
        scheme = getattr(self, attr, None)
        if scheme is None:
            raise ValueError(
                f"brick {self.name!r} ({self.__class__.__name__}) cannot be "
                f"initialized: {attr} is not set (pass it to the constructor, "
                f"set {self.__class__.__name__}.{attr} or have a parent push it)"
            )
        return scheme


class LinearLike(Initializable):
    """Initializable with the logic of :class:`~blocks.bricks.Linear`-like bricks.

    The weights come first in :attr:`parameters`, then the biases when
    :attr:`use_bias` is True. Application methods should use :attr:`W` and
    :attr:`b`, which subclasses may override to transform the parameters
    before use.

    """

    @property
    def W(self):
        return self.parameters[0]

    @property
    def b(self):
        if not self.use_bias:
            raise AttributeError(f"brick {self.name!r} has use_bias=False and no b")
        return self.parameters[1]

    def _initialize(self):
        # The parameters list, not W and b, which subclasses may override
        # to return expressions rather than shared variables.
        if self.use_bias:
            self._require_init("biases_init").initialize(self.parameters[1], self.rng)
        self._require_init("weights_init").initialize(self.parameters[0], self.rng)


class Random(Brick):
    """A mixin for bricks that need symbolic random streams.

    Parameters
    ----------
    theano_seed : int or list, optional
        The seed of the :class:`~symbolic.sandbox.rng_mrg.MRG_RandomStreams`.

    Attributes
    ----------
    seed_rng : :class:`numpy.random.RandomState`
        Class-wide generator, seeded with ``blocks.config.default_seed``,
        that draws the seeds of bricks which were given none.
    theano_seed : int
        Drawn from :attr:`seed_rng` on first use unless set; can be set
        once.
    theano_rng : :class:`~symbolic.sandbox.rng_mrg.MRG_RandomStreams`
        Built from :attr:`theano_seed` on first use, unless set.

    """

    seed_rng = numpy.random.RandomState(config.default_seed)

    def __init__(self, theano_seed=None, **kwargs):
        super().__init__(**kwargs)
        self.theano_seed = theano_seed

    @property
    def theano_seed(self):
        if self.__dict__.get("_theano_seed") is None:
            self._theano_seed = self.seed_rng.randint(_MAX_SEED)
        return self._theano_seed

    @theano_seed.setter
    def theano_seed(self, value):
        if self.__dict__.get("_theano_seed") is not None:
            raise AttributeError(
                f"the theano_seed of brick {self.__dict__.get('name')!r} is already "
                f"set to {self._theano_seed}"
            )
        self._theano_seed = value

    @property
    def theano_rng(self):
        if self.__dict__.get("_theano_rng") is None:
            from symbolic.sandbox.rng_mrg import MRG_RandomStreams

            self._theano_rng = MRG_RandomStreams(self.theano_seed)
        return self._theano_rng

    @theano_rng.setter
    def theano_rng(self, theano_rng):
        self._theano_rng = theano_rng

"""Routing bricks: several transformations side by side.

These bricks apply copies of a prototype brick to several inputs, or to one
input for several outputs, and combine the results.

"""

import copy
from functools import reduce

from blocks.bricks.base import application, lazy
from blocks.bricks.interfaces import Initializable
from blocks.bricks.simple import Linear
from blocks.utils import extract_args, pack

__all__ = ["Distribute", "Fork", "Merge", "Parallel"]


class Parallel(Initializable):
    """Apply similar transformations to several inputs.

    Given a prototype brick, makes a copy of it (with its own parameters)
    for every input. At application time each copy transforms its input.

    Parameters
    ----------
    input_names : list of str
        The names of the inputs.
    input_dims : list of int
        The dimensions of the inputs, in the order of `input_names`.
        Required by :meth:`~.Brick.allocate`.
    output_dims : list of int
        The dimensions of the outputs, in the same order. Required by
        :meth:`~.Brick.allocate`.
    prototype : :class:`~blocks.bricks.Feedforward`, optional
        The transformation to copy; ``Linear()`` by default.
    child_prefix : str, optional
        The children are named ``<child_prefix>_<input name>``;
        ``transform`` by default.

    Notes
    -----
    See :class:`~blocks.bricks.Initializable` for initialization
    parameters.

    """

    @lazy(allocation=["input_dims", "output_dims"])
    def __init__(
        self,
        input_names,
        input_dims,
        output_dims,
        prototype=None,
        child_prefix=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_names = input_names
        self.input_dims = input_dims
        self.output_dims = output_dims
        self.prototype = Linear() if prototype is None else prototype
        child_prefix = child_prefix or "transform"
        for name in input_names:
            child = copy.deepcopy(self.prototype)
            child.name = f"{child_prefix}_{name}"
            self.children.append(child)

    def _push_allocation_config(self):
        super()._push_allocation_config()
        for dims, what in (
            (self.input_dims, "input_dims"),
            (self.output_dims, "output_dims"),
        ):
            if len(dims) != len(self.children):
                raise ValueError(
                    f"brick {self.name!r} has {len(self.children)} inputs "
                    f"{self.input_names} but {len(dims)} {what}: {dims}"
                )
        for input_dim, output_dim, child in zip(
            self.input_dims, self.output_dims, self.children, strict=True
        ):
            child.input_dim = input_dim
            child.output_dim = output_dim

    @application
    def apply(self, *args, **kwargs):
        routed_args = extract_args(self.input_names, *args, **kwargs)
        return [
            child.apply(routed_args[name])
            for name, child in zip(self.input_names, self.children, strict=True)
        ]

    @apply.property("inputs")
    def apply_inputs(self):
        return self.input_names

    @apply.property("outputs")
    def apply_outputs(self):
        return self.input_names


class Fork(Parallel):
    """Several outputs from one input by applying similar transformations.

    Given a prototype brick, makes a copy of it (with its own parameters)
    for every output; each copy transforms the input. A typical use is to
    compute the gate inputs of a gated recurrent brick.

    Parameters
    ----------
    output_names : list of str
        The names of the outputs.
    input_dim : int
        The input dimension. Required by :meth:`~.Brick.allocate`.
    prototype : :class:`~blocks.bricks.Feedforward`, optional
        The transformation to copy; an affine ``Linear()`` by default.
    output_dims : list of int
        The output dimensions, in the order of `output_names`. Required by
        :meth:`~.Brick.allocate`.

    Examples
    --------
    >>> from symbolic import tensor
    >>> from blocks.initialization import Constant
    >>> x = tensor.matrix('x')
    >>> fork = Fork(output_names=['y', 'z'],
    ...             input_dim=2, output_dims=[3, 4],
    ...             weights_init=Constant(2), biases_init=Constant(1))
    >>> fork.initialize()
    >>> y, z = fork.apply(x)
    >>> y.eval({x: [[1, 1]]}).tolist()
    [[5.0, 5.0, 5.0]]
    >>> z.eval({x: [[1, 1]]}).tolist()
    [[5.0, 5.0, 5.0, 5.0]]

    """

    @lazy(allocation=["input_dim"])
    def __init__(self, output_names, input_dim, prototype=None, **kwargs):
        self.output_names = output_names
        self.input_dim = input_dim
        kwargs.setdefault("child_prefix", "fork")
        super().__init__(output_names, prototype=prototype, **kwargs)
        self.input_dims = None

    def _push_allocation_config(self):
        self.input_dims = [self.input_dim for _ in self.output_names]
        super()._push_allocation_config()

    @application(inputs=["input_"])
    def apply(self, input_):
        return Parallel.apply(self, **dict.fromkeys(self.input_names, input_))

    @apply.property("outputs")
    def apply_outputs(self):
        return self.output_names


class Distribute(Fork):
    """Transform an input and add it to other inputs.

    One separate variable, "the source", is transformed by a copy of the
    prototype for each variable of a group, "the targets", and the result
    is added to that target.

    Parameters
    ----------
    target_names : list of str
        The names of the targets.
    source_name : str
        The name of the source.
    target_dims : list of int
        The dimensions of the targets, in the order of `target_names`.
        Required by :meth:`~.Brick.allocate`.
    source_dim : int
        The dimension of the source. Required by :meth:`~.Brick.allocate`.
    prototype : :class:`~blocks.bricks.Feedforward`, optional
        The transformation to copy; ``Linear(use_bias=False)`` by default.

    Notes
    -----
    See :class:`~blocks.bricks.Initializable` for initialization
    parameters.

    Examples
    --------
    >>> from symbolic import tensor
    >>> from blocks.initialization import Constant
    >>> x = tensor.matrix('x')
    >>> y = tensor.matrix('y')
    >>> z = tensor.matrix('z')
    >>> distribute = Distribute(target_names=['x', 'y'], source_name='z',
    ...                         target_dims=[2, 3], source_dim=3,
    ...                         weights_init=Constant(2))
    >>> distribute.initialize()
    >>> new_x, new_y = distribute.apply(x=x, y=y, z=z)
    >>> new_x.eval({x: [[2, 2]], z: [[1, 1, 1]]}).tolist()
    [[8.0, 8.0]]
    >>> new_y.eval({y: [[1, 1, 1]], z: [[1, 1, 1]]}).tolist()
    [[7.0, 7.0, 7.0]]

    """

    @lazy(allocation=["source_name", "target_dims", "source_dim"])
    def __init__(
        self,
        target_names,
        source_name,
        target_dims,
        source_dim,
        prototype=None,
        **kwargs,
    ):
        if prototype is None:
            prototype = Linear(use_bias=False)
        self.target_names = target_names
        self.source_name = source_name
        self.target_dims = target_dims
        self.source_dim = source_dim
        super().__init__(
            output_names=target_names,
            output_dims=target_dims,
            input_dim=source_dim,
            prototype=prototype,
            **kwargs,
        )

    def _push_allocation_config(self):
        self.input_dim = self.source_dim
        self.output_dims = self.target_dims
        super()._push_allocation_config()

    @application
    def apply(self, **kwargs):
        r"""Distribute the source across the targets.

        Parameters
        ----------
        \*\*kwargs : dict
            The source and the target variables, by name.

        Returns
        -------
        output : list
            The new target variables.

        """
        result = Fork.apply(self, kwargs.pop(self.source_name), as_list=True)
        for i, name in enumerate(self.target_names):
            result[i] += kwargs.pop(name)
        if kwargs:
            raise ValueError(
                f"brick {self.name!r} got unexpected inputs {sorted(kwargs)}"
            )
        return result

    @apply.property("inputs")
    def apply_inputs(self):
        return [self.source_name, *self.target_names]

    @apply.property("outputs")
    def apply_outputs(self):
        return self.target_names


class Merge(Parallel):
    """Merge several variables by transforming each and summing.

    Parameters
    ----------
    input_names : list of str
        The input names.
    input_dims : list of int
        The input dimensions, in the order of `input_names`. Required by
        :meth:`~.Brick.allocate`.
    output_dim : int
        The dimension of the merged output. Required by
        :meth:`~.Brick.allocate`.
    prototype : :class:`~blocks.bricks.Feedforward`, optional
        The transformation to copy for each input;
        ``Linear(use_bias=False)`` by default.
    child_prefix : str, optional
        A prefix for the children's names; ``transform`` by default.

    Notes
    -----
    A prototype with a bias (e.g. ``Linear()``) gives one redundant bias
    per input; set ``merge.children[0].use_bias = True`` instead.

    Examples
    --------
    >>> from symbolic import tensor
    >>> from blocks.initialization import Constant
    >>> a = tensor.matrix('a')
    >>> b = tensor.matrix('b')
    >>> merge = Merge(input_names=['a', 'b'], input_dims=[3, 4],
    ...               output_dim=2, weights_init=Constant(1.))
    >>> merge.initialize()
    >>> c = merge.apply(a=a, b=b)
    >>> c.eval({a: [[1, 1, 1]], b: [[2, 2, 2, 2]]}).tolist()
    [[11.0, 11.0]]

    """

    @lazy(allocation=["input_dims", "output_dim"])
    def __init__(self, input_names, input_dims, output_dim, prototype=None, **kwargs):
        if prototype is None:
            prototype = Linear(use_bias=False)
        self.output_dim = output_dim
        super().__init__(
            input_names,
            input_dims,
            [output_dim for _ in input_names],
            prototype,
            **kwargs,
        )

    def _push_allocation_config(self):
        self.output_dims = [self.output_dim for _ in self.input_names]
        super()._push_allocation_config()

    @application(outputs=["output"])
    def apply(self, *args, **kwargs):
        outputs = pack(Parallel.apply(self, *args, **kwargs))
        return reduce(lambda x, y: x + y, outputs)

    @apply.property("inputs")
    def apply_inputs(self):
        return self.input_names

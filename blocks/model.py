"""Model: a computation graph that knows the bricks it was built from."""

import logging
from collections import Counter, OrderedDict

from blocks.filter import get_brick
from blocks.graph import ComputationGraph
from blocks.utils import weights as _weights

logger = logging.getLogger(__name__)

__all__ = ["Model"]


class Model(ComputationGraph):
    """Handles the annotations of Blocks-built computation graphs.

    A :class:`~blocks.graph.ComputationGraph` that also finds the bricks
    that built it: the *top bricks* (those with no parent among them) and
    the hierarchical names of the parameters, paths such as
    ``/mlp/linear_0.W`` from a top brick to the brick owning the parameter.

    Parameters
    ----------
    *args, **kwargs
        The arguments of :class:`~blocks.graph.ComputationGraph`.

    Raises
    ------
    ValueError
        If two top bricks have the same name.

    Examples
    --------
    >>> from symbolic import tensor
    >>> from blocks.bricks import MLP, Tanh
    >>> x = tensor.matrix('x')
    >>> mlp = MLP([Tanh(), Tanh()], [10, 10, 10])
    >>> y = mlp.apply(x)
    >>> model = Model(y)

    With Model you can get access to the brick hierarchy. The bricks that
    are not children of other bricks are called top bricks:

    >>> model.get_top_bricks()  # doctest: +ELLIPSIS
    [<blocks.bricks.sequences.MLP object at ...: name=mlp>]

    You can also get "hierarchical" names for the parameters, which encode
    the position of the owning brick in the brick hierarchy.

    >>> model.get_parameter_dict()  # doctest: +NORMALIZE_WHITESPACE
    OrderedDict([('/mlp/linear_1.b', b), ('/mlp/linear_0.b', b),
    ('/mlp/linear_0.W', W), ('/mlp/linear_1.W', W)])

    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bricks = []
        for var in self.variables + self.scan_variables:
            brick = get_brick(var)
            if brick is not None and all(brick is not b for b in bricks):
                bricks.append(brick)
        children = {id(child) for brick in bricks for child in brick.children}
        self.top_bricks = [brick for brick in bricks if id(brick) not in children]
        names = Counter(brick.name for brick in self.top_bricks)
        repeated = sorted(name for name, count in names.items() if count > 1)
        if repeated:
            raise ValueError(
                f"the model has several top bricks named {', '.join(repeated)}; "
                f"give them distinct names so that parameter names are unique"
            )
        parameters = []
        for parameter in self.parameters:
            brick = get_brick(parameter)
            if brick is not None:
                parameters.append((brick.get_hierarchical_name(parameter), parameter))
            else:
                parameters.append((parameter.name, parameter))
        self._parameter_dict = OrderedDict(parameters)

    def check_sanity(self, algorithm):
        """Warn when a training algorithm trains other parameters than these.

        Parameters
        ----------
        algorithm : object
            A training algorithm; checked when it has ``parameters`` (as
            :class:`~blocks.algorithms.GradientDescent` does).

        """
        parameters = getattr(algorithm, "parameters", None)
        if parameters is not None and set(self.get_parameter_dict().values()) != set(
            parameters
        ):
            logger.warning("different parameters for model and algorithm")

    def get_parameter_dict(self):
        """Return the parameters with their hierarchical names.

        The names come from the positions of the owning bricks in the brick
        hierarchy; a parameter that belongs to no brick is named by its
        variable name.

        Returns
        -------
        OrderedDict
            Maps hierarchical names to shared variables.

        """
        return self._parameter_dict

    def get_parameter_values(self):
        """Return the values of the model parameters.

        Returns
        -------
        OrderedDict
            Maps the names of :meth:`get_parameter_dict` to ndarrays.

        """
        return OrderedDict(
            (name, parameter.get_value())
            for name, parameter in self.get_parameter_dict().items()
        )

    def set_parameter_values(self, parameter_values):
        """Set the values of model parameters.

        Unknown names and parameters without a value are logged as errors.

        Parameters
        ----------
        parameter_values : OrderedDict
            Maps the names of :meth:`get_parameter_dict` to ndarrays.

        Raises
        ------
        ValueError
            If a value does not have the shape of its parameter.

        """
        parameters = self.get_parameter_dict()
        unknown = set(parameter_values) - set(parameters)
        missing = set(parameters) - set(parameter_values)
        if unknown:
            logger.error("unknown parameter names: %s", sorted(unknown))
        if missing:
            logger.error("missing values for parameters: %s", sorted(missing))
        for name, value in parameter_values.items():
            if name not in parameters:
                continue
            model_shape = parameters[name].container.data.shape
            if model_shape != value.shape:
                raise ValueError(
                    f"shape mismatch for parameter {name}: expected {model_shape}, "
                    f"got {value.shape}"
                )
            parameters[name].set_value(value)

    def get_weights(self):
        """Return the parameter values with their names, in a list.

        Returns
        -------
        list of (ndarray, str)
            Copies of the values and the hierarchical names, in the order
            of :meth:`get_parameter_dict`.

        """
        return _weights.get_weights(self.get_parameter_dict().items())

    def set_weights(self, weights, check_name="ignore"):
        """Set the parameter values in the order of :meth:`get_weights`.

        Parameters
        ----------
        weights : list of (ndarray, str)
            As :meth:`get_weights` returns.
        check_name : {'ignore', 'warn', 'raise'}, optional
            What a weight whose name differs from its parameter's does.

        Raises
        ------
        ValueError
            If the number of weights or a shape differs; then nothing is
            set.

        """
        _weights.set_weights(self.get_parameter_dict().items(), weights, check_name)

    def set_weights_by_name(self, weights, unmatched="raise"):
        """Set each parameter value from the weight of the same name.

        Parameters
        ----------
        weights : list of (ndarray, str)
            As :meth:`get_weights` returns.
        unmatched : {'ignore', 'warn', 'raise'}, optional
            What weights without a parameter, or parameters without a
            weight, do.

        """
        _weights.set_weights_by_name(
            self.get_parameter_dict().items(), weights, unmatched
        )

    def get_top_bricks(self):
        """Return the bricks that have no parent among the model's bricks.

        Returns
        -------
        list of Brick

        """
        return self.top_bricks

"""Roles: what a variable is for (input, weight, bias, cost...).

Roles are stored on ``var.tag.roles``, a list that is always reassigned,
never changed in place, so that graph clones, which copy tags shallowly, do
not share their role lists by accident. Each role is the single instance of
its own subclass of :class:`VariableRole`; the subclass hierarchy is the role
hierarchy, so filtering by :data:`PARAMETER` also finds :data:`WEIGHT` and
:data:`BIAS` variables.

"""

import re

__all__ = [
    "ALGORITHM_BUFFER",
    "ALGORITHM_HYPERPARAMETER",
    "ALGORITHM_STATE",
    "AUXILIARY",
    "BATCH_NORM_DIVISOR",
    "BATCH_NORM_GRAPH_VARIABLE",
    "BATCH_NORM_MINIBATCH_ESTIMATE",
    "BATCH_NORM_OFFSET",
    "BATCH_NORM_POPULATION_MEAN",
    "BATCH_NORM_POPULATION_STATISTICS",
    "BATCH_NORM_POPULATION_STDEV",
    "BATCH_NORM_SCALE_PARAMETER",
    "BATCH_NORM_SHIFT_PARAMETER",
    "BIAS",
    "COLLECTED",
    "COLLECTOR",
    "COST",
    "DROPOUT",
    "FILTER",
    "INITIAL_STATE",
    "INPUT",
    "OUTPUT",
    "PARAMETER",
    "PERSISTENT",
    "WEIGHT",
    "VariableRole",
    "add_role",
    "has_roles",
]


def add_role(var, role):
    """Add a role to a variable.

    A role more specific than one the variable has replaces it; a role
    that is an ancestor of one the variable has is not added.

    Parameters
    ----------
    var : :class:`~tensor.TensorVariable`
        The variable to give the role to.
    role : :class:`VariableRole` instance
        The role.

    Notes
    -----
    To replace a role by one of its ancestors (e.g. :data:`WEIGHT` by
    :data:`PARAMETER`), edit ``var.tag.roles`` by hand.

    Examples
    --------
    >>> from symbolic import tensor
    >>> W = tensor.matrix()
    >>> from blocks.roles import PARAMETER, WEIGHT
    >>> add_role(W, PARAMETER)
    >>> print(*W.tag.roles)
    PARAMETER
    >>> add_role(W, WEIGHT)
    >>> print(*W.tag.roles)
    WEIGHT
    >>> add_role(W, PARAMETER)
    >>> print(*W.tag.roles)
    WEIGHT

    """
    if not isinstance(role, VariableRole):
        raise TypeError(f"expected a VariableRole instance, got {role!r}")
    roles = getattr(var.tag, "roles", [])
    if any(isinstance(old_role, type(role)) for old_role in roles):
        return
    roles = [old_role for old_role in roles if not isinstance(role, type(old_role))]
    var.tag.roles = [*roles, role]


def has_roles(var, roles, match_all=False):
    """Test whether a variable has the given roles or sub-roles of them.

    Parameters
    ----------
    var : :class:`~tensor.TensorVariable`
        The variable to test.
    roles : list of :class:`VariableRole` instances
        The roles to look for.
    match_all : bool, optional
        If True, every role must be present; otherwise any one suffices.
        False by default.

    Returns
    -------
    bool

    """
    var_roles = getattr(var.tag, "roles", [])

    def present(role):
        return any(isinstance(var_role, type(role)) for var_role in var_roles)

    matches = (present(role) for role in roles)
    return all(matches) if match_all else any(matches)


class VariableRole:
    """Base class for all variable roles.

    Roles are compared by class, and a role's repr is its class name
    without the ``Role`` suffix, in upper snake case.

    """

    def __eq__(self, other):
        return self.__class__ == other.__class__

    def __hash__(self):
        return hash(self.__class__)

    def __repr__(self):
        name = self.__class__.__name__
        if name.endswith("Role"):
            name = name[: -len("Role")]
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


class InputRole(VariableRole):
    pass


#: The input of a :class:`~.bricks.Brick`
INPUT = InputRole()


class OutputRole(VariableRole):
    pass


#: The output of a :class:`~.bricks.Brick`
OUTPUT = OutputRole()


class CostRole(VariableRole):
    pass


#: A scalar cost that can be used to train or regularize
COST = CostRole()


class PersistentRole(VariableRole):
    pass


#: Any persistent quantity that should be saved as part of the model
PERSISTENT = PersistentRole()


class ParameterRole(PersistentRole):
    pass


#: A parameter of the model
PARAMETER = ParameterRole()


class AuxiliaryRole(VariableRole):
    pass


#: Variables added to the graph as annotations
AUXILIARY = AuxiliaryRole()


class WeightRole(ParameterRole):
    pass


#: The weight matrices of linear transformations
WEIGHT = WeightRole()


class BiasRole(ParameterRole):
    pass


#: Biases of linear transformations
BIAS = BiasRole()


class InitialStateRole(ParameterRole):
    pass


#: Initial state of a recurrent network
INITIAL_STATE = InitialStateRole()


class FilterRole(WeightRole):
    pass


#: The filters (kernels) of a convolution operation
FILTER = FilterRole()


class DropoutRole(VariableRole):
    pass


#: Inputs with applied dropout
DROPOUT = DropoutRole()


class CollectedRole(VariableRole):
    pass


#: The replacement of a variable collected into a single shared variable
COLLECTED = CollectedRole()


class CollectorRole(ParameterRole):
    pass


#: A collection of parameters combined into a single shared variable
COLLECTOR = CollectorRole()


class AlgorithmStateRole(VariableRole):
    pass


#: Shared variables used by training algorithms
ALGORITHM_STATE = AlgorithmStateRole()


class AlgorithmHyperparameterRole(AlgorithmStateRole):
    pass


#: Hyperparameters of a training algorithm (e.g. a learning rate)
ALGORITHM_HYPERPARAMETER = AlgorithmHyperparameterRole()


class AlgorithmBufferRole(AlgorithmStateRole):
    pass


#: Buffers of a training algorithm (e.g. accumulated squared gradients)
ALGORITHM_BUFFER = AlgorithmBufferRole()


class BatchNormPopulationStatisticsRole(PersistentRole):
    pass


#: Population statistics kept by batch normalization
BATCH_NORM_POPULATION_STATISTICS = BatchNormPopulationStatisticsRole()


class BatchNormPopulationMeanRole(BatchNormPopulationStatisticsRole):
    pass


#: The population mean estimate of batch normalization
BATCH_NORM_POPULATION_MEAN = BatchNormPopulationMeanRole()


class BatchNormPopulationStdevRole(BatchNormPopulationStatisticsRole):
    pass


#: The population standard deviation estimate of batch normalization
BATCH_NORM_POPULATION_STDEV = BatchNormPopulationStdevRole()


class BatchNormGraphVariableRole(VariableRole):
    pass


#: A variable of the graph that batch normalization builds
BATCH_NORM_GRAPH_VARIABLE = BatchNormGraphVariableRole()


class BatchNormOffsetRole(BatchNormGraphVariableRole):
    pass


#: The offset subtracted by batch normalization (a mean)
BATCH_NORM_OFFSET = BatchNormOffsetRole()


class BatchNormDivisorRole(BatchNormGraphVariableRole):
    pass


#: The divisor used by batch normalization (a standard deviation)
BATCH_NORM_DIVISOR = BatchNormDivisorRole()


class BatchNormMinibatchEstimateRole(BatchNormGraphVariableRole):
    pass


#: A minibatch estimate computed in batch normalization's training mode
BATCH_NORM_MINIBATCH_ESTIMATE = BatchNormMinibatchEstimateRole()


class BatchNormScaleParameterRole(ParameterRole):
    pass


#: The learned scale (gamma) of batch normalization
BATCH_NORM_SCALE_PARAMETER = BatchNormScaleParameterRole()


class BatchNormShiftParameterRole(BiasRole):
    pass


#: The learned shift (beta) of batch normalization
BATCH_NORM_SHIFT_PARAMETER = BatchNormShiftParameterRole()

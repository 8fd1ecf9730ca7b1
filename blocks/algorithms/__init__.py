"""Training algorithms and the step rules of gradient descent.

Examples
--------
>>> import numpy
>>> import symbolic
>>> from symbolic import tensor
>>> from blocks.algorithms import GradientDescent, Scale
>>> W = symbolic.shared(numpy.array([1.0, 2.0]), name='W')
>>> x = tensor.vector('x')
>>> cost = ((W - x) ** 2).sum()
>>> algorithm = GradientDescent(cost=cost, parameters=[W],
...                             step_rule=Scale(learning_rate=0.25))
>>> algorithm.initialize()
>>> algorithm.process_batch({'x': numpy.zeros(2)})
>>> W.get_value()
array([0.5, 1. ])

"""

from blocks.algorithms.base import (
    GradientDescent,
    TrainingAlgorithm,
    UpdatesAlgorithm,
    determinism_error,
    logger,
    source_missing_error,
    variable_mismatch_error,
)
from blocks.algorithms.data_parallel import DataParallel, ParameterAveraging
from blocks.algorithms.step_rules import (
    AdaDelta,
    AdaGrad,
    Adam,
    BasicMomentum,
    BasicRMSProp,
    CompositeRule,
    Momentum,
    RemoveNotFinite,
    Restrict,
    RMSProp,
    Scale,
    StepClipping,
    StepRule,
    VariableClipping,
)

__all__ = [
    "AdaDelta",
    "AdaGrad",
    "Adam",
    "BasicMomentum",
    "BasicRMSProp",
    "CompositeRule",
    "DataParallel",
    "GradientDescent",
    "Momentum",
    "ParameterAveraging",
    "RMSProp",
    "RemoveNotFinite",
    "Restrict",
    "Scale",
    "StepClipping",
    "StepRule",
    "TrainingAlgorithm",
    "UpdatesAlgorithm",
    "VariableClipping",
]

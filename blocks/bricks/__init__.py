"""Bricks: the parameterized building blocks of models.

The names documented under ``blocks.bricks`` are re-exported here from the
modules that define them. The :func:`~blocks.bricks.recurrent.recurrent`
decorator is not: its name would hide the :mod:`blocks.bricks.recurrent`
package, so ``blocks.bricks.recurrent`` stays the package and the decorator
is imported from it.

"""

from blocks.bricks.base import Brick, application, lazy
from blocks.bricks.bn import (
    BatchNormalization,
    BatchNormalizedMLP,
    SpatialBatchNormalization,
)
from blocks.bricks.interfaces import (
    Activation,
    Feedforward,
    Initializable,
    LinearLike,
    Random,
)
from blocks.bricks.recurrent import (
    LSTM,
    RECURRENTSTACK_SEPARATOR,
    BaseRecurrent,
    Bidirectional,
    GatedRecurrent,
    RecurrentStack,
    SimpleRecurrent,
)
from blocks.bricks.sequences import MLP, FeedforwardSequence, Sequence
from blocks.bricks.simple import (
    Bias,
    Identity,
    LeakyRectifier,
    Linear,
    LinearMaxout,
    Logistic,
    Maxout,
    NDimensionalSoftmax,
    Rectifier,
    Softmax,
    Softplus,
    Tanh,
)
from blocks.bricks.wrappers import WithExtraDims

__all__ = [
    "LSTM",
    "MLP",
    "RECURRENTSTACK_SEPARATOR",
    "Activation",
    "BaseRecurrent",
    "BatchNormalization",
    "BatchNormalizedMLP",
    "Bias",
    "Bidirectional",
    "Brick",
    "Feedforward",
    "FeedforwardSequence",
    "GatedRecurrent",
    "Identity",
    "Initializable",
    "LeakyRectifier",
    "Linear",
    "LinearLike",
    "LinearMaxout",
    "Logistic",
    "Maxout",
    "NDimensionalSoftmax",
    "Random",
    "Rectifier",
    "RecurrentStack",
    "Sequence",
    "SimpleRecurrent",
    "Softmax",
    "Softplus",
    "SpatialBatchNormalization",
    "Tanh",
    "WithExtraDims",
    "application",
    "lazy",
]

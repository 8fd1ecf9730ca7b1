"""Bricks: the parameterized building blocks of models.

The names documented under ``blocks.bricks`` are re-exported here from the
modules that define them.

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
    "MLP",
    "Activation",
    "BatchNormalization",
    "BatchNormalizedMLP",
    "Bias",
    "Brick",
    "Feedforward",
    "FeedforwardSequence",
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
    "Sequence",
    "Softmax",
    "Softplus",
    "SpatialBatchNormalization",
    "Tanh",
    "WithExtraDims",
    "application",
    "lazy",
]

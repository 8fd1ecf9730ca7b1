"""Recurrent bricks: the :func:`recurrent` decorator and architectures."""

from blocks.bricks.recurrent.architectures import LSTM, GatedRecurrent, SimpleRecurrent
from blocks.bricks.recurrent.base import BaseRecurrent, recurrent
from blocks.bricks.recurrent.grid import LSTM2D
from blocks.bricks.recurrent.misc import (
    RECURRENTSTACK_SEPARATOR,
    Bidirectional,
    RecurrentStack,
)

__all__ = [
    "LSTM",
    "LSTM2D",
    "RECURRENTSTACK_SEPARATOR",
    "BaseRecurrent",
    "Bidirectional",
    "GatedRecurrent",
    "RecurrentStack",
    "SimpleRecurrent",
    "recurrent",
]

"""Training logs: the records of a training run and its status.

The backend is chosen by the ``log_backend`` setting of :mod:`blocks.config`
(``'python'`` or ``'sqlite'``), or by the ``log_backend`` argument of
:class:`.MainLoop`.

"""

from blocks.log.log import TrainingLog, TrainingLogBase
from blocks.log.sqlite import SQLiteLog

BACKENDS = {"python": TrainingLog, "sqlite": SQLiteLog}

__all__ = ["BACKENDS", "SQLiteLog", "TrainingLog", "TrainingLogBase"]

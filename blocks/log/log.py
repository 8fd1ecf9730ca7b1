"""The training log and its in-memory backend."""

import binascii
import numbers
from collections import defaultdict
from uuid import uuid4


class TrainingLogBase:
    """Base class for training logs.

    A training log stores the timeline of training: statistics and other
    records, keyed by the number of iterations done when they were made.
    Read it like a nested dictionary, ``log[time][key]``. A time without
    records gives an empty row that can be written to,
    ``log[time][key] = value``. Some backends refuse
    ``log[time] = {'key': value}``; ``log[time].update({'key': value})``
    works with all of them.

    Besides the rows, a log has a :attr:`status`: data about the current
    state of training that belong to no particular time.

    Parameters
    ----------
    uuid : :class:`uuid.UUID`, optional
        The identity of the log. A persistent backend given the UUID of an
        existing log opens that log. By default a new random UUID is made.

    Attributes
    ----------
    status : dict
        The current state of training. It holds at least
        ``iterations_done``, ``epochs_done``, ``_epoch_ends`` (the number
        of iterations done at the end of each epoch) and ``resumed_from``
        (the hexadecimal UUID of the log this one continues, or None).

    Warnings
    --------
    Depending on the backend, changes made inside a mutable value are lost:
    write ``log.status['key'] = new_value`` rather than
    ``log.status['key'].append(...)``.

    """

    def __init__(self, uuid=None):
        if uuid is None:
            self.uuid = uuid4()
            self.status.update(
                {
                    "iterations_done": 0,
                    "epochs_done": 0,
                    "_epoch_ends": [],
                    "resumed_from": None,
                }
            )
        else:
            self.uuid = uuid

    @property
    def h_uuid(self):
        """The UUID as a hexadecimal string, as stored in databases."""
        return binascii.hexlify(self.uuid.bytes).decode()

    def resume(self):
        """Continue this log under a new UUID.

        The status is carried over, and ``resumed_from`` records the UUID of
        the log that training resumes from.

        """
        old_uuid = self.h_uuid
        old_status = dict(self.status)
        self.uuid = uuid4()
        self.status.update(old_status)
        self.status["resumed_from"] = old_uuid
        # Rows the old log gets after this point are not this log's past.
        self.status["_parent_rows_until"] = old_status["iterations_done"]

    def _check_time(self, time):
        if type(time) is int and time >= 0:
            return  # the main loop's own lookups, several a batch
        if isinstance(time, bool) or not isinstance(time, numbers.Integral) or time < 0:
            raise ValueError(
                f"a training log is indexed by the number of iterations done, "
                f"a non-negative integer; got {time!r}"
            )

    @property
    def current_row(self):
        """The row of the current iteration."""
        return self[self.status["iterations_done"]]

    @property
    def previous_row(self):
        """The row of the previous iteration."""
        return self[self.status["iterations_done"] - 1]

    @property
    def last_epoch_row(self):
        """The row of the iteration at which the last epoch ended."""
        return self[self.status["_epoch_ends"][-1]]


class TrainingLog(defaultdict, TrainingLogBase):
    """A training log kept in memory, as a dictionary of rows.

    Rows are plain dictionaries, created on first access.

    Examples
    --------
    >>> log = TrainingLog()
    >>> log.current_row['cost'] = 1.5
    >>> log.status['iterations_done'] += 1
    >>> log.previous_row
    {'cost': 1.5}

    Notes
    -----
    To analyse a log, turn it into a pandas data frame with
    ``DataFrame.from_dict(log, orient='index')``.

    """

    def __init__(self):
        defaultdict.__init__(self, dict)
        self.status = {}
        TrainingLogBase.__init__(self)

    def __reduce__(self):
        # defaultdict pickles its default factory but not the attributes,
        # so the status and the UUID travel as the instance state.
        _, _, _, _, items = super().__reduce__()
        return type(self), (), self.__dict__, None, items

    def __getitem__(self, time):
        self._check_time(time)
        return super().__getitem__(time)

    def __setitem__(self, time, value):
        self._check_time(time)
        return super().__setitem__(time, value)

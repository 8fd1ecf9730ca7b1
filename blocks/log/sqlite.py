"""A training log stored in an SQLite database.

Every record is committed as soon as it is written, so another process can
read the log while training runs, or after it ends or is killed. A log that
continues another one (after resuming from a checkpoint) sees the records of
its ancestors, unless it overwrites them.

A log pickled with a checkpoint keeps its status and current row as they
were. If the database moved on afterwards (the run went on and was killed
before its next checkpoint), the loaded log goes back to that state: it
continues the pickled log under a new UUID and does not see the records
written after the checkpoint, which stay in the database.

Values that SQLite cannot store as they are (anything but ``int``,
``float``, ``str`` and None) are pickled into a BLOB, and unpickled when
read. Only open databases you trust: unpickling runs code. NumPy scalars
(and 0-d arrays) are stored as plain numbers.

"""

import logging
import numbers
import pickle
import sqlite3
from collections.abc import Mapping, MutableMapping
from uuid import UUID, uuid4

import numpy

from blocks.config import config
from blocks.log.log import TrainingLogBase

logger = logging.getLogger(__name__)

LARGE_BLOB_WARNING = """

A {} object of {} bytes was stored in the SQLite log. SQLite stores only
numbers and text natively; anything else is pickled into a BLOB, which for
large objects is slow and degrades the performance of the database (the limit
is config.max_blob_size, {} bytes)."""

# The log and the logs it continues, each with its horizon: the last
# iteration of an ancestor that its descendants see. The rows a parent wrote
# after ``_parent_rows_until`` of its child (those of a run killed after its
# last checkpoint, say) are hidden.
ANCESTORS_QUERY = """
WITH RECURSIVE ancestors(uuid, depth, horizon) AS (
    SELECT ?, 0, NULL
    UNION ALL
    SELECT parent.value, ancestors.depth + 1,
        min(coalesce(cut.value, 9223372036854775807),
            coalesce(ancestors.horizon, 9223372036854775807))
    FROM status AS parent JOIN ancestors ON parent.uuid = ancestors.uuid
    LEFT JOIN status AS cut
        ON cut.uuid = ancestors.uuid AND cut.key = '_parent_rows_until'
    WHERE parent.key = 'resumed_from' AND typeof(parent.value) = 'text'
)
"""
VISIBLE = "(ancestors.horizon IS NULL OR entries.time <= ancestors.horizon)"


def adapt_obj(obj):
    """Pickle an object into a BLOB for an SQLite database.

    Parameters
    ----------
    obj : object
        Any picklable object.

    Returns
    -------
    memoryview
        The pickle, which SQLite stores as a BLOB.

    """
    return memoryview(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def adapt_ndarray(obj):
    """Turn a NumPy scalar or 0-d array into a number, anything else a BLOB.

    Storing scalars as numbers makes the database easier to inspect and
    faster.

    Parameters
    ----------
    obj : :class:`numpy.ndarray` or NumPy scalar

    Returns
    -------
    float or int or memoryview

    """
    if numpy.ndim(obj) == 0:
        value = numpy.asarray(obj)
        if value.dtype.kind in "iu":
            return int(value)
        if value.dtype.kind == "f":
            return float(value)
    return adapt_obj(obj)


def _to_sql(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        if isinstance(value, numpy.generic):
            return adapt_ndarray(value)
        if isinstance(value, (int, float)):
            return value
    if isinstance(value, numpy.ndarray):
        return adapt_ndarray(value)
    return adapt_obj(value)


def _from_sql(value):
    if isinstance(value, bytes):
        return pickle.loads(value)
    return value


def _equal(records, others):
    """Whether two dicts of records are equal; arrays make this unsure,
    and unsure counts as different."""
    try:
        return bool(records == others)
    except ValueError:
        return False


class SQLiteLog(TrainingLogBase, Mapping):
    r"""A training log stored in an SQLite database.

    Parameters
    ----------
    database : str, optional
        The database file, or ``':memory:'``. Defaults to the
        ``sqlite_database`` setting of :mod:`blocks.config`.
    \*\*kwargs
        Passed on to :class:`.TrainingLogBase`; pass ``uuid`` to open an
        existing log.

    Attributes
    ----------
    conn : :class:`sqlite3.Connection`
        The connection to the database.

    Examples
    --------
    >>> log = SQLiteLog(':memory:')
    >>> log.current_row['cost'] = numpy.float32(0.5)
    >>> log[0]['cost']
    0.5
    >>> log.status['iterations_done']
    0

    """

    def __init__(self, database=None, **kwargs):
        if database is None:
            database = config.sqlite_database
        self.database = database
        self._connect()
        self.status = SQLiteStatus(self)
        super().__init__(**kwargs)

    def _connect(self, serialized=None):
        self.conn = sqlite3.connect(self.database, isolation_level=None)
        if serialized is not None:
            self.conn.deserialize(serialized)
        # A write-ahead log lets readers in other processes see committed
        # records while training writes, without an fsync per record.
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS entries (uuid TEXT NOT NULL, "
            "time INTEGER NOT NULL, key TEXT NOT NULL, value, "
            "PRIMARY KEY (uuid, time, key))"
        )
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS status (uuid TEXT NOT NULL, "
            "key TEXT NOT NULL, value, PRIMARY KEY (uuid, key))"
        )

    def __getstate__(self):
        state = dict(self.__dict__)
        del state["conn"]
        del state["status"]
        if self.database == ":memory:":
            state["_serialized"] = self.conn.serialize()
        else:
            # The database goes on changing after a checkpoint; the status
            # at pickling time lets a loaded log go back to it.
            state["_status_when_pickled"] = dict(self.status)
            state["_row_when_pickled"] = dict(self.current_row)
        return state

    def __setstate__(self, state):
        serialized = state.pop("_serialized", None)
        pickled_status = state.pop("_status_when_pickled", None)
        pickled_row = state.pop("_row_when_pickled", None)
        self.__dict__.update(state)
        self._connect(serialized)
        self.status = SQLiteStatus(self)
        if pickled_status is not None and not (
            _equal(dict(self.status), pickled_status)
            and _equal(dict(self.current_row), pickled_row)
        ):
            self._branch(pickled_status, pickled_row)

    def _branch(self, pickled_status, pickled_row):
        """Go back to the state the log had when it was pickled.

        The database holds records written after the pickle was made (by a
        run killed after its last checkpoint, say). Rather than deleting
        them, this log continues the pickled one under a new UUID, with the
        pickled status and current row, and sees none of the parent's rows
        from the iteration it was pickled at on.

        """
        parent = self.h_uuid
        iterations_done = pickled_status.get("iterations_done", 0)
        logger.info(
            f"the log {parent} in {self.database} has changed since it was "
            f"pickled; going back to its state after {iterations_done} "
            f"iterations"
        )
        self.uuid = uuid4()
        self.status.update(pickled_status)
        self.status["resumed_from"] = parent
        self.status["_parent_rows_until"] = iterations_done - 1
        self.current_row.update(pickled_row)

    def __getitem__(self, time):
        self._check_time(time)
        return SQLiteEntry(self, time)

    def __iter__(self):
        rows = self.conn.execute(
            ANCESTORS_QUERY + "SELECT DISTINCT time FROM entries "
            f"JOIN ancestors USING (uuid) WHERE {VISIBLE} ORDER BY time",
            (self.h_uuid,),
        )
        return (time for (time,) in rows.fetchall())

    def __len__(self):
        (count,) = self.conn.execute(
            ANCESTORS_QUERY + "SELECT COUNT(DISTINCT time) FROM entries "
            f"JOIN ancestors USING (uuid) WHERE {VISIBLE}",
            (self.h_uuid,),
        ).fetchone()
        return count

    @classmethod
    def uuids(cls, database=None):
        """The hexadecimal UUIDs of the logs in a database, oldest first.

        Parameters
        ----------
        database : str, optional
            Defaults to the ``sqlite_database`` setting.

        Returns
        -------
        list of str
            Pass ``uuid.UUID(hex=...)`` of one of them as the ``uuid`` of
            :class:`SQLiteLog` to open that log.

        """
        if database is None:
            database = config.sqlite_database
        conn = sqlite3.connect(database)
        try:
            rows = conn.execute(
                "SELECT uuid FROM status GROUP BY uuid ORDER BY MIN(rowid)"
            )
            return [uuid for (uuid,) in rows.fetchall()]
        finally:
            conn.close()

    @classmethod
    def open(cls, h_uuid, database=None):
        """Open an existing log by its hexadecimal UUID.

        Parameters
        ----------
        h_uuid : str
            The UUID, as given by :attr:`h_uuid` or :meth:`uuids`.
        database : str, optional
            Defaults to the ``sqlite_database`` setting.

        """
        return cls(database=database, uuid=UUID(hex=h_uuid))


class SQLiteEntry(MutableMapping):
    """The records of one iteration, stored in an SQLite database.

    Each record is a row ``(uuid, time, key, value)`` of the ``entries``
    table. Reads fall back on the logs this one resumed from.

    Parameters
    ----------
    log : :class:`SQLiteLog`
    time : int
        The number of iterations done.

    """

    def __init__(self, log, time):
        self.log = log
        self.time = time

    def __getitem__(self, key):
        row = self.log.conn.execute(
            ANCESTORS_QUERY + "SELECT value FROM entries JOIN ancestors "
            f"USING (uuid) WHERE time = ? AND key = ? AND {VISIBLE} "
            "ORDER BY depth LIMIT 1",
            (self.log.h_uuid, self.time, key),
        ).fetchone()
        if row is None:
            raise KeyError(key)
        return _from_sql(row[0])

    def __setitem__(self, key, value):
        sql_value = _to_sql(value)
        if isinstance(sql_value, memoryview) and len(sql_value) > config.max_blob_size:
            logger.warning(
                f"the log record {key!r} at iteration {self.time} is large"
                + LARGE_BLOB_WARNING.format(
                    type(value).__name__, len(sql_value), config.max_blob_size
                )
            )
        self.log.conn.execute(
            "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)",
            (self.log.h_uuid, self.time, key, sql_value),
        )

    def __delitem__(self, key):
        cursor = self.log.conn.execute(
            "DELETE FROM entries WHERE uuid = ? AND time = ? AND key = ?",
            (self.log.h_uuid, self.time, key),
        )
        if cursor.rowcount == 0:
            raise KeyError(key)

    def _keys(self):
        rows = self.log.conn.execute(
            ANCESTORS_QUERY + "SELECT DISTINCT key FROM entries JOIN ancestors "
            f"USING (uuid) WHERE time = ? AND {VISIBLE} ORDER BY key",
            (self.log.h_uuid, self.time),
        )
        return [key for (key,) in rows.fetchall()]

    def __iter__(self):
        return iter(self._keys())

    def __len__(self):
        return len(self._keys())

    def __repr__(self):
        return repr(dict(self.items()))


class SQLiteStatus(MutableMapping):
    """The status of a log, stored in the ``status`` table of its database.

    Parameters
    ----------
    log : :class:`SQLiteLog`

    """

    def __init__(self, log):
        self.log = log

    def __getitem__(self, key):
        row = self.log.conn.execute(
            "SELECT value FROM status WHERE uuid = ? AND key = ?",
            (self.log.h_uuid, key),
        ).fetchone()
        if row is None:
            raise KeyError(key)
        return _from_sql(row[0])

    def __setitem__(self, key, value):
        self.log.conn.execute(
            "INSERT OR REPLACE INTO status VALUES (?, ?, ?)",
            (self.log.h_uuid, key, _to_sql(value)),
        )

    def __delitem__(self, key):
        cursor = self.log.conn.execute(
            "DELETE FROM status WHERE uuid = ? AND key = ?", (self.log.h_uuid, key)
        )
        if cursor.rowcount == 0:
            raise KeyError(key)

    def _keys(self):
        rows = self.log.conn.execute(
            "SELECT key FROM status WHERE uuid = ? ORDER BY key", (self.log.h_uuid,)
        )
        return [key for (key,) in rows.fetchall()]

    def __iter__(self):
        return iter(self._keys())

    def __len__(self):
        return len(self._keys())

    def __repr__(self):
        return repr(dict(self.items()))

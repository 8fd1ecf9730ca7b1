"""Directory locks shared between processes, for files on shared storage.

A lock is a directory holding a file named ``lock`` whose content names the
owner (``<pid>_<random digits>_<hostname>``). Making a directory is atomic on
every file system, so two processes cannot both take the lock. A waiting
process overrides a lock whose owner died (on this host), or whose owner id
stayed unchanged for ``timeout`` seconds. The process-wide lock of
:func:`get_lock` is re-entrant and refreshes its owner id while held.

Readers of a cached file announce themselves with a read-lock directory
(:func:`get_readlock`) that is removed when the process exits.

"""

import atexit
import logging
import os
import random
import shutil
import socket
import time

from fuel.config_parser import NOT_SET

logger = logging.getLogger(__name__)

TIMEOUT = 5
MIN_WAIT = 5
MAX_ERRORS = 10


class Unlocker:
    """Release a lock directory, ignoring errors (it may be gone already).

    Parameters
    ----------
    tmp_dir : str
        The lock directory.

    """

    def __init__(self, tmp_dir):
        self.tmp_dir = tmp_dir

    def unlock(self):
        lock_file = os.path.join(self.tmp_dir, "lock")
        try:
            os.remove(lock_file)
        except OSError:
            pass
        try:
            os.rmdir(self.tmp_dir)
        except OSError:
            pass


def _owner_id():
    digits = "".join(str(random.randint(0, 9)) for _ in range(10))
    return f"{os.getpid()}_{digits}_{socket.gethostname()}"


def refresh_lock(lock_file):
    """Write a fresh owner id into `lock_file` and return it."""
    unique_id = _owner_id()
    with open(lock_file, "w") as handle:
        handle.write(unique_id + "\n")
    return unique_id


def _read_owner(lock_file):
    try:
        with open(lock_file) as handle:
            return handle.readline().strip()
    except OSError:
        return None


def _owner_is_dead(owner):
    """Whether `owner` names a process on this host that no longer runs."""
    try:
        pid, _, host = owner.split("_", 2)
        pid = int(pid)
    except ValueError:
        return False
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def lock(tmp_dir, timeout=NOT_SET, min_wait=None, max_wait=None, verbosity=1):
    """Take the directory lock `tmp_dir`, waiting while another owner holds it.

    Parameters
    ----------
    tmp_dir : str
        The lock directory to create.
    timeout : float or None, optional
        Override a lock whose owner id stayed the same this many seconds
        (``TIMEOUT`` by default). None waits forever.
    min_wait, max_wait : float, optional
        The wait between two checks is drawn uniformly in this range
        (``MIN_WAIT`` and twice `min_wait` by default).
    verbosity : int, optional
        0 logs nothing about waiting.

    Returns
    -------
    str
        The owner id written into the lock.

    """
    if timeout is NOT_SET:
        timeout = TIMEOUT
    if min_wait is None:
        min_wait = MIN_WAIT
    if max_wait is None:
        max_wait = 2 * min_wait
    lock_file = os.path.join(tmp_dir, "lock")
    errors = 0
    last_owner = None
    owner_since = time.time()
    while True:
        try:
            if os.path.isdir(tmp_dir):
                owner = _read_owner(lock_file)
                if owner is not None and owner != last_owner:
                    last_owner, owner_since = owner, time.time()
                stale = owner is not None and (
                    _owner_is_dead(owner)
                    or (timeout is not None and time.time() - owner_since > timeout)
                )
                if stale:
                    if verbosity:
                        logger.warning(
                            "overriding the stale lock %s of %s", tmp_dir, owner
                        )
                    Unlocker(tmp_dir).unlock()
                    continue
                if verbosity:
                    logger.info("waiting for the lock %s held by %s", tmp_dir, owner)
                time.sleep(random.uniform(min_wait, max_wait))
                continue
            os.makedirs(os.path.dirname(tmp_dir) or ".", exist_ok=True)
            os.mkdir(tmp_dir)
            unique_id = refresh_lock(lock_file)
            if _read_owner(lock_file) == unique_id:
                return unique_id
        except FileExistsError:
            continue
        except OSError:
            errors += 1
            if errors > MAX_ERRORS:
                raise
            time.sleep(random.uniform(min_wait, max_wait) / 10)


def get_lock(lock_dir, **kw):
    """Take the process-wide lock `lock_dir` (re-entrant within the process).

    Parameters
    ----------
    lock_dir : str
        The lock directory. While held, a second directory cannot be locked.
    **kw
        Passed to :func:`lock`.

    """
    state = get_lock.__dict__
    if state.get("n_lock", 0) == 0:
        state["lock_dir"] = lock_dir
        state["unlocker"] = Unlocker(lock_dir)
        state["lock_is_enabled"] = True
        lock(lock_dir, **kw)
        state["start_time"] = time.time()
        if not state.get("atexit_registered"):
            atexit.register(_release_all)
            state["atexit_registered"] = True
    elif state["lock_dir"] != lock_dir:
        raise AssertionError(
            f"this process holds the lock {state['lock_dir']} and cannot also "
            f"lock {lock_dir}"
        )
    elif time.time() - state["start_time"] > TIMEOUT:
        # Show the waiting processes that the owner is alive.
        refresh_lock(os.path.join(lock_dir, "lock"))
        state["start_time"] = time.time()
    state["n_lock"] = state.get("n_lock", 0) + 1


def release_lock():
    """Undo one :func:`get_lock`; the last release removes the lock."""
    state = get_lock.__dict__
    if state.get("n_lock", 0) == 0:
        return
    state["n_lock"] -= 1
    if state["n_lock"] == 0:
        state["unlocker"].unlock()


def _release_all():
    state = get_lock.__dict__
    if state.get("n_lock", 0) > 0:
        state["n_lock"] = 0
        state["unlocker"].unlock()


def get_writelock(filename):
    """Take the write lock of `filename` (the directory ``<filename>.writelock``)."""
    get_lock(filename + ".writelock")


def release_writelock():
    """Release the write lock taken by :func:`get_writelock`."""
    release_lock()


def get_readlock(pid, path):
    """Announce that process `pid` reads `path`; removed when the process exits.

    Returns
    -------
    str
        The read-lock directory.

    """
    timestamp = int(time.time() * 1e6)
    lockdir_name = f"{path}.readlock.{pid}.{timestamp}"
    os.mkdir(lockdir_name)
    atexit.register(release_readlock, lockdir_name=lockdir_name)
    return lockdir_name


def release_readlock(lockdir_name):
    """Remove a read-lock directory, if it is still there."""
    shutil.rmtree(lockdir_name, ignore_errors=True)

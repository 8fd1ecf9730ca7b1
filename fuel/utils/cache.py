"""Local copies of data files kept on slow shared storage.

With ``fuel.config.local_data_path`` set, :func:`cache_file` copies a data
file into that directory once and returns the local path; every later run
reads the copy. A write lock keeps two processes from copying at once, and
a read lock (a directory removed at exit) shows which processes use a copy.
The cache is flat: a copy is named after the file's base name.

"""

import logging
import os
import shutil
import stat

from fuel.config_parser import config
from fuel.utils.disk import check_enough_space, safe_mkdir
from fuel.utils.lock import (
    get_readlock,
    get_writelock,
    release_readlock,
    release_writelock,
)

logger = logging.getLogger(__name__)


def cache_file(filename):
    """Return the path of a local copy of `filename`, making it if needed.

    Parameters
    ----------
    filename : str
        The data file on (possibly slow) shared storage.

    Returns
    -------
    str
        The local copy, or `filename` itself when caching is off
        (``config.local_data_path`` is empty), the file is missing, the
        local directory cannot be written, the disk would fill up, or the
        copy is out of date.

    """
    dataset_local_dir = os.path.expanduser(os.path.expandvars(config.local_data_path))
    if not dataset_local_dir:
        return filename
    if not os.path.isfile(filename):
        logger.error("cannot cache %s: it is not a regular file", filename)
        return filename
    dataset_remote_dir = os.path.dirname(filename) or "."
    local_fname = os.path.basename(filename)
    remote_fname = filename
    local_path = os.path.join(dataset_local_dir, local_fname)

    if not os.path.exists(dataset_local_dir):
        try:
            safe_mkdir(dataset_local_dir, force_perm=0o777)
        except OSError:
            logger.warning("cannot create the cache directory %s", dataset_local_dir)
            return filename
    if not os.access(dataset_local_dir, os.W_OK):
        logger.warning(
            "the cache directory %s is not writable; reading %s remotely",
            dataset_local_dir,
            filename,
        )
        return filename

    get_writelock(local_path)
    try:
        if not os.path.exists(local_path):
            if not check_enough_space(dataset_local_dir, remote_fname, local_fname):
                logger.warning(
                    "not enough space to cache %s; reading it remotely", filename
                )
                return filename
            copy_from_server_to_local(
                dataset_remote_dir, dataset_local_dir, remote_fname, local_path
            )
        if not _copy_is_current(remote_fname, local_path):
            logger.warning(
                "the cached copy %s differs from %s; reading the original",
                local_path,
                filename,
            )
            return filename
        # Hold a read lock before letting other writers in.
        get_readlock(os.getpid(), local_path)
    finally:
        release_writelock()
    return local_path


def _copy_is_current(remote_fname, local_path):
    try:
        remote, local = os.stat(remote_fname), os.stat(local_path)
    except OSError:
        return False
    if remote.st_mtime > local.st_mtime or remote.st_size != local.st_size:
        return False
    return os.access(local_path, os.R_OK)


def copy_from_server_to_local(
    dataset_remote_dir, dataset_local_dir, remote_fname, local_fname
):
    """Copy `remote_fname` to `local_fname`, keeping its permissions and group.

    Parameters
    ----------
    dataset_remote_dir : str
        The remote directory (for the message).
    dataset_local_dir : str
        The local cache directory.
    remote_fname : str
        The file to copy.
    local_fname : str
        The path of the copy; relative paths are taken within
        `dataset_local_dir`.

    """
    local_path = os.path.join(dataset_local_dir, local_fname)
    logger.info(
        "caching %s from %s into %s", remote_fname, dataset_remote_dir, local_path
    )
    safe_mkdir(os.path.dirname(local_path) or ".", force_perm=0o777)
    partial = local_path + ".partial"
    shutil.copyfile(remote_fname, partial)
    remote_stat = os.stat(remote_fname)
    os.chmod(partial, stat.S_IMODE(remote_stat.st_mode) | stat.S_IWGRP)
    try:
        os.chown(partial, -1, remote_stat.st_gid)
    except OSError:
        pass
    os.replace(partial, local_path)


__all__ = ["cache_file", "copy_from_server_to_local", "release_readlock"]

"""Disk space and directory helpers for the local data cache."""

import logging
import os

logger = logging.getLogger(__name__)


def disk_usage(path):
    """Return ``(total, used)`` bytes of the file system holding `path`."""
    stats = os.statvfs(path)
    total = stats.f_blocks * stats.f_frsize
    used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
    return total, used


def safe_mkdir(folder_name, force_perm=None):
    """Create `folder_name` and its parents, chmod-ing each created level.

    Parameters
    ----------
    folder_name : str
        The directory.
    force_perm : int, optional
        The permission bits for every directory this call creates.

    """
    if os.path.exists(folder_name):
        return
    parent = os.path.dirname(os.path.normpath(folder_name))
    if parent and not os.path.exists(parent):
        safe_mkdir(parent, force_perm)
    try:
        os.mkdir(folder_name)
    except FileExistsError:
        return
    if force_perm is not None:
        os.chmod(folder_name, force_perm)


def check_enough_space(
    dataset_local_dir, remote_fname, local_fname, max_disk_usage=0.9
):
    """Whether copying `remote_fname` keeps the local disk under `max_disk_usage`.

    Parameters
    ----------
    dataset_local_dir : str
        The local directory the copy goes to.
    remote_fname : str
        The file to copy.
    local_fname : str
        Its local name (unused; kept for Fuel's signature).
    max_disk_usage : float, optional
        The largest fraction of the disk to fill.

    """
    total, used = disk_usage(dataset_local_dir)
    return used + os.path.getsize(remote_fname) < total * max_disk_usage

"""Opening data files whatever their packaging: plain, gzip or tar."""

import gzip
import logging
import tarfile

logger = logging.getLogger(__name__)


def open_(filename, mode="r", encoding=None):
    """Open `filename`, decompressing a ``.gz`` name on the fly.

    Parameters
    ----------
    filename : str
    mode : str, optional
        ``'r'`` reads text; ``'rb'`` bytes.
    encoding : str, optional
        The text encoding. A gzip file read with an encoding is opened in text
        mode (upstream Fuel let Python 3's gzip reject the encoding).

    """
    if filename.endswith(".gz"):
        if encoding is not None and "b" not in mode:
            return gzip.open(filename, mode.replace("t", "") + "t", encoding=encoding)
        return gzip.open(filename, mode if "b" in mode or "t" in mode else mode + "b")
    return open(filename, mode, encoding=encoding)


def tar_open(f):
    """Open a tar archive given as a path or as a file object."""
    if isinstance(f, str):
        return tarfile.open(name=f)
    return tarfile.open(fileobj=f)

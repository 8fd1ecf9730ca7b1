"""Helpers shared by the downloaders: fetching URLs into a directory.

Files are fetched with the standard library (``urllib``); an HTTP error
status stops the download instead of saving the error page. A file is
written under a temporary name and renamed once complete (and, when a
SHA-256 checksum is given, once it matches).

"""

import email.message
import hashlib
import logging
import os
import posixpath
import urllib.parse
import urllib.request
from contextlib import contextmanager

from fuel import _progress
from fuel.exceptions import NeedURLPrefix

logger = logging.getLogger(__name__)


@contextmanager
def progress_bar(name, maxval):
    """Show a progress bar for `name` on standard output.

    Parameters
    ----------
    name : str
        What is being downloaded.
    maxval : int or None
        Its size in bytes; None (unknown) shows a byte counter instead.

    Yields
    ------
    progressbar.ProgressBar
        Call its ``update(done)``.

    """
    with _progress.progress_bar(name, maxval) as bar:
        yield bar


def _name_from_headers(headers, url):
    disposition = headers.get("Content-Disposition")
    if disposition:
        message = email.message.Message()
        message["Content-Disposition"] = disposition
        filename = message.get_filename()
        if filename:
            return os.path.basename(filename.strip('"'))
    return posixpath.basename(urllib.parse.urlparse(url).path)


def filename_from_url(url, path=None):
    """Return the file name the server gives `url`, or the URL's base name.

    Parameters
    ----------
    url : str
        The URL; it is requested to read its ``Content-Disposition``.
    path : str, optional
        Unused; kept for Fuel's signature.

    """
    with urllib.request.urlopen(url) as response:
        return _name_from_headers(response.headers, url)


def ensure_directory_exists(directory):
    """Create `directory` (and its parents) unless it is one already."""
    if not os.path.isdir(directory):
        os.makedirs(directory)


def download(url, file_handle, chunk_size=1024):
    """Copy the content of `url` into an open binary file.

    Parameters
    ----------
    url : str
        The URL.
    file_handle : file
        Open for writing bytes.
    chunk_size : int, optional
        Bytes read at a time.

    Raises
    ------
    urllib.error.HTTPError
        If the server answers with an error status.

    """
    with urllib.request.urlopen(url) as response:
        _copy(response, file_handle, url, chunk_size)


def _copy(response, file_handle, url, chunk_size=1024 * 64):
    size = response.headers.get("Content-Length")
    name = posixpath.basename(urllib.parse.urlparse(url).path) or url
    done = 0
    with progress_bar(name, int(size) if size else None) as bar:
        while True:
            chunk = response.read(chunk_size)
            if not chunk:
                break
            file_handle.write(chunk)
            done += len(chunk)
            bar.update(done)


def sha256_of(path, chunk_size=1 << 20):
    """Return the hexadecimal SHA-256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_downloader(
    directory, urls, filenames, url_prefix=None, clear=False, checksums=None
):
    """Download each URL into `directory`, or delete the files with `clear`.

    Parameters
    ----------
    directory : str
        Where the files go.
    urls : list of str or None
        One per file. None means `url_prefix` followed by the file name.
    filenames : list of str
        One per URL; an empty name is taken from the server's
        ``Content-Disposition`` header or from the URL.
    url_prefix : str, optional
        Completes the URLs that are None (include the trailing slash).
    clear : bool, optional
        Delete the files that exist instead of downloading.
    checksums : list of str or None, optional
        Expected SHA-256 digests (hexadecimal), one per file, None where
        unknown. A file that does not match is deleted and ValueError
        raised. Fuel's own downloaders give none.

    Raises
    ------
    NeedURLPrefix
        If a URL is None and no `url_prefix` is given.
    ValueError
        If the lists differ in length, a file name cannot be found, or a
        checksum does not match.

    """
    urls, filenames = list(urls), list(filenames)
    checksums = [None] * len(urls) if checksums is None else list(checksums)
    if not len(urls) == len(filenames) == len(checksums):
        raise ValueError(
            f"default_downloader: {len(urls)} URLs, {len(filenames)} file names "
            f"and {len(checksums)} checksums; they must match one to one"
        )
    if clear:
        for url, filename in zip(urls, filenames):
            name = filename or posixpath.basename(urllib.parse.urlparse(url).path)
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                os.remove(path)
        return
    for i, (url, filename) in enumerate(zip(urls, filenames)):
        if url is None:
            if not url_prefix:
                raise NeedURLPrefix(
                    f"{filename} has no URL; pass the prefix of its URL (--url-prefix)"
                )
            urls[i] = url_prefix + filename
    ensure_directory_exists(directory)
    logger.info("Downloading %s", ", ".join(f or u for f, u in zip(filenames, urls)))
    for url, filename, checksum in zip(urls, filenames, checksums):
        with urllib.request.urlopen(url) as response:
            name = filename or _name_from_headers(response.headers, url)
            if not name:
                raise ValueError(f"cannot tell what file name to give {url}")
            path = os.path.join(directory, name)
            partial = path + ".part"
            with open(partial, "wb") as f:
                _copy(response, f, url)
        if checksum is not None:
            found = sha256_of(partial)
            if found != checksum.lower():
                os.remove(partial)
                raise ValueError(
                    f"{url}: the SHA-256 of the download is {found}, "
                    f"expected {checksum}; the file was not kept"
                )
        os.replace(partial, path)

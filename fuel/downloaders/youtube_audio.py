"""Download the sound track of a YouTube video (needs the ``pafy`` package)."""

import logging
import os

logger = logging.getLogger(__name__)


def download(directory, youtube_id, clear=False):
    """Save the best audio stream of a video as ``<youtube_id>.m4a``.

    Parameters
    ----------
    directory : str
        Where the file goes.
    youtube_id : str
        The video's id.
    clear : bool, optional
        Delete the file instead.

    Raises
    ------
    ImportError
        If ``pafy`` is not installed (it is needed only to download).

    """
    filepath = os.path.join(directory, f"{youtube_id}.m4a")
    if clear:
        if os.path.isfile(filepath):
            os.remove(filepath)
        return
    try:
        import pafy
    except ImportError:
        raise ImportError(
            "downloading YouTube audio needs the pafy package (pip install pafy)"
        ) from None
    url = f"https://www.youtube.com/watch?v={youtube_id}"
    pafy.new(url).getbestaudio().download(filepath=filepath)


def fill_subparser(subparser):
    """Add ``--youtube-id``; return :func:`download`."""
    subparser.add_argument("--youtube-id", type=str, required=True, help="video id")
    return download

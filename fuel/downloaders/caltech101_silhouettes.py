"""Download the CalTech 101 Silhouettes ``.mat`` file of one image size."""

from fuel.downloaders.base import default_downloader

BASE_URL = "https://people.cs.umass.edu/~marlin/data/"
FILENAME = "caltech101_silhouettes_{size}_split1.mat"


def silhouettes_downloader(size, **kwargs):
    """Download the file for `size` (16 or 28); see :func:`default_downloader`."""
    if size not in (16, 28):
        raise ValueError(f"size must be 16 or 28, got {size!r}")
    filename = FILENAME.format(size=size)
    default_downloader(urls=[BASE_URL + filename], filenames=[filename], **kwargs)


def fill_subparser(subparser):
    """Add the positional ``size``; return :func:`silhouettes_downloader`."""
    subparser.add_argument("size", type=int, choices=(16, 28), help="image side")
    return silhouettes_downloader

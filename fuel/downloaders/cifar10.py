"""Download the python version of CIFAR-10."""

from fuel.downloaders.base import default_downloader

URL = "http://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILENAME = "cifar-10-python.tar.gz"


def fill_subparser(subparser):
    """Set the CIFAR-10 URL; return the download function."""
    subparser.set_defaults(urls=[URL], filenames=[FILENAME])
    return default_downloader

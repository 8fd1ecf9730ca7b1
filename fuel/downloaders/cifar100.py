"""Download the python version of CIFAR-100."""

from fuel.downloaders.base import default_downloader

URL = "http://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILENAME = "cifar-100-python.tar.gz"


def fill_subparser(subparser):
    """Set the CIFAR-100 URL; return the download function."""
    subparser.set_defaults(urls=[URL], filenames=[FILENAME])
    return default_downloader

"""Download the UCI iris data."""

from fuel.downloaders.base import default_downloader

URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/iris/iris.data"


def fill_subparser(subparser):
    """Set the iris URL; return the download function."""
    subparser.set_defaults(urls=[URL], filenames=["iris.data"])
    return default_downloader

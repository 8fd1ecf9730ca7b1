"""Download the UCI Adult census data."""

from fuel.downloaders.base import default_downloader

BASE_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/adult/"
FILENAMES = ["adult.data", "adult.test"]


def fill_subparser(subparser):
    """Set the Adult URLs; return the download function."""
    subparser.set_defaults(
        urls=[BASE_URL + name for name in FILENAMES], filenames=FILENAMES
    )
    return default_downloader

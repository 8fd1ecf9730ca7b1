"""Download the four gzipped IDX files of MNIST."""

from fuel.downloaders.base import default_downloader

MNIST_BASE_URL = "http://yann.lecun.com/exdb/mnist/"
MNIST_FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


def fill_subparser(subparser):
    """Set the MNIST URLs and file names; return the download function."""
    subparser.set_defaults(
        urls=[MNIST_BASE_URL + name for name in MNIST_FILES], filenames=MNIST_FILES
    )
    return default_downloader

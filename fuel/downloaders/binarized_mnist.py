"""Download the three ``.amat`` files of binarized MNIST."""

from fuel.downloaders.base import default_downloader

BASE_URL = "http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/"
FILENAMES = [f"binarized_mnist_{split}.amat" for split in ("train", "valid", "test")]


def fill_subparser(subparser):
    """Set the binarized MNIST URLs; return the download function."""
    subparser.set_defaults(
        urls=[BASE_URL + name for name in FILENAMES], filenames=FILENAMES
    )
    return default_downloader

"""Download the Street View House Numbers files of format 1 or 2."""

from fuel.downloaders.base import default_downloader

BASE_URL = "http://ufldl.stanford.edu/housenumbers/"
SPLITS = ("train", "test", "extra")
FILES = {
    1: [f"{split}.tar.gz" for split in SPLITS],
    2: [f"{split}_32x32.mat" for split in SPLITS],
}


def svhn_downloader(which_format, directory, clear=False):
    """Download (or with `clear` delete) the files of `which_format`."""
    if which_format not in FILES:
        raise ValueError(f"which_format must be 1 or 2, got {which_format!r}")
    filenames = FILES[which_format]
    default_downloader(
        directory, [BASE_URL + name for name in filenames], filenames, clear=clear
    )


def fill_subparser(subparser):
    """Add the positional ``which_format``; return :func:`svhn_downloader`."""
    subparser.add_argument(
        "which_format", type=int, choices=(1, 2), help="SVHN format (1 or 2)"
    )
    return svhn_downloader

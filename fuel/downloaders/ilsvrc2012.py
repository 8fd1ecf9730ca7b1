"""Download the ILSVRC 2012 files (none is public: a URL prefix is needed)."""

from fuel.downloaders.base import default_downloader

ALL_FILES = [
    "ILSVRC2012_devkit_t12.tar.gz",
    "ILSVRC2012_img_train.tar",
    "ILSVRC2012_img_val.tar",
    "ILSVRC2012_img_test.tar",
]


def fill_subparser(subparser):
    """Add ``--url-prefix``; return the downloader."""
    subparser.add_argument(
        "-P",
        "--url-prefix",
        type=str,
        default=None,
        help="URL prefix of the files (include the trailing slash)",
    )
    subparser.set_defaults(urls=[None] * len(ALL_FILES), filenames=ALL_FILES)
    return default_downloader

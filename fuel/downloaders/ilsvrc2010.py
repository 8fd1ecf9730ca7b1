"""Download the ILSVRC 2010 files (the image archives need a URL prefix)."""

from fuel.downloaders.base import default_downloader

PUBLIC_URLS = [
    "http://www.image-net.org/challenges/LSVRC/2010/ILSVRC2010_test_ground_truth.txt",
    "http://www.image-net.org/challenges/LSVRC/2010/download/"
    "ILSVRC2010_devkit-1.0.tar.gz",
]
IMAGE_TARS = [
    "ILSVRC2010_images_train.tar",
    "ILSVRC2010_images_val.tar",
    "ILSVRC2010_images_test.tar",
    "patch_images.tar",
]


def fill_subparser(subparser):
    """Add ``--url-prefix`` for the image archives; return the downloader."""
    subparser.add_argument(
        "-P",
        "--url-prefix",
        type=str,
        default=None,
        help="URL prefix of the image archives (include the trailing slash)",
    )
    subparser.set_defaults(
        urls=PUBLIC_URLS + [None] * len(IMAGE_TARS),
        filenames=[""] * len(PUBLIC_URLS) + IMAGE_TARS,
    )
    return default_downloader

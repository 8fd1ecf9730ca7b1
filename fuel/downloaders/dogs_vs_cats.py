"""Download the Kaggle Dogs vs. Cats archives."""

from fuel.downloaders.base import default_downloader

FILES = {
    "dogs_vs_cats.train.zip": "https://www.dropbox.com/s/s3u30quvpxqdbz6/train.zip?dl=1",
    "dogs_vs_cats.test1.zip": "https://www.dropbox.com/s/21rwu6drnplsbkb/test1.zip?dl=1",
}


def fill_subparser(subparser):
    """Set the Dogs vs. Cats URLs; return the download function."""
    subparser.set_defaults(urls=list(FILES.values()), filenames=list(FILES))
    return default_downloader

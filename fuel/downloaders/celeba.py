"""Download the aligned CelebA images and their attributes."""

from fuel.downloaders.base import default_downloader

FILES = {
    "list_attr_celeba.txt": "https://www.dropbox.com/sh/8oqt9vytwxb3s4r/"
    "AAC7-uCaJkmPmvLX2_P5qy0ga/Anno/list_attr_celeba.txt?dl=1",
    "img_align_celeba.zip": "https://www.dropbox.com/sh/8oqt9vytwxb3s4r/"
    "AADIKlz8PR9zr6Y20qbkunrba/Img/img_align_celeba.zip?dl=1",
}


def fill_subparser(subparser):
    """Set the CelebA URLs; return the download function."""
    subparser.set_defaults(urls=list(FILES.values()), filenames=list(FILES))
    return default_downloader

"""``fuel-download``: fetch the files a dataset's converter needs."""

import argparse
import os

from fuel import config, downloaders
from fuel.bin._plugins import gather
from fuel.downloaders.base import NeedURLPrefix

URL_PREFIX_MESSAGE = """
Some files for this dataset have no public URL. Pass the prefix of the URL
they can be downloaded from with --url-prefix (e.g. http://path.to/files/,
with the trailing slash)."""


def main(args=None):
    """Parse `args` (default: the command line) and run one downloader."""
    plugins = gather(
        downloaders.all_downloaders, config.extra_downloaders, "all_downloaders"
    )
    parser = argparse.ArgumentParser(
        prog="fuel-download", description="Download the files of a built-in dataset"
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-d",
        "--directory",
        default=os.getcwd(),
        help="where to save the files (default: the working directory)",
    )
    common.add_argument(
        "--clear",
        action="store_true",
        help="delete the downloaded files instead of downloading them",
    )
    subparsers = parser.add_subparsers(dest="dataset")
    download_functions = {}
    for name, fill_subparser in plugins.items():
        subparser = subparsers.add_parser(
            name, parents=[common], help=f"download the {name} files"
        )
        download_functions[name] = fill_subparser(subparser)
    options = vars(parser.parse_args(args))
    dataset = options.pop("dataset")
    if dataset is None:
        parser.print_usage()
        return 2
    try:
        download_functions[dataset](**options)
    except NeedURLPrefix:
        parser.error(URL_PREFIX_MESSAGE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

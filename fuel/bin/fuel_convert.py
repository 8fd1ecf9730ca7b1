"""``fuel-convert``: turn downloaded files into Fuel's HDF5 layout."""

import argparse
import os
import sys

from fuel import config, converters
from fuel.bin._plugins import gather
from fuel.converters.base import MissingInputFiles
from fuel.datasets.hdf5 import H5PYDataset, import_h5py

MISSING_FILES_MESSAGE = """The following required files were not found:
{}
Did you forget to run fuel-download?"""


class CheckDirectoryAction(argparse.Action):
    """Accept only an existing directory."""

    def __call__(self, parser, namespace, values, option_string=None):
        if not os.path.isdir(values):
            raise ValueError(f"{values} is not an existing directory")
        setattr(namespace, self.dest, values)


def _hdf5_name(name):
    if name.endswith((".hdf5", ".hdf", ".h5")):
        return name
    return name + ".hdf5"


def main(args=None):
    """Parse `args` (default: the command line) and run one converter."""
    plugins = gather(
        converters.all_converters, config.extra_converters, "all_converters"
    )
    parser = argparse.ArgumentParser(
        prog="fuel-convert",
        description="Convert the downloaded files of a dataset to Fuel's HDF5 layout",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-d",
        "--directory",
        default=os.getcwd(),
        help="where the downloaded files are (default: the working directory)",
    )
    common.add_argument(
        "-o",
        "--output-directory",
        default=os.getcwd(),
        action=CheckDirectoryAction,
        help="where to write the HDF5 file (default: the working directory)",
    )
    common.add_argument(
        "-r",
        "--output_filename",
        default=None,
        type=_hdf5_name,
        help="the output file name (default: the converter's)",
    )
    subparsers = parser.add_subparsers(dest="dataset")
    convert_functions = {}
    for name, fill_subparser in plugins.items():
        subparser = subparsers.add_parser(
            name, parents=[common], help=f"convert the {name} files"
        )
        convert_functions[name] = fill_subparser(subparser)
    options = vars(parser.parse_args(args))
    dataset = options.pop("dataset")
    if dataset is None:
        parser.print_usage()
        return 2
    if options["output_filename"] is None:
        del options["output_filename"]
    try:
        paths = convert_functions[dataset](**options)
    except MissingInputFiles as error:
        listed = "\n".join(f"   * {name}" for name in error.filenames)
        parser.error(MISSING_FILES_MESSAGE.format(listed))
    h5py = import_h5py("fuel-convert")
    argv = sys.argv if args is None else [sys.argv[0], *args]
    command = " ".join([os.path.basename(argv[0]), *argv[1:]])
    for path in paths:
        with h5py.File(path, "a") as h5file:
            h5file.attrs["h5py_interface_version"] = (
                H5PYDataset.interface_version.encode()
            )
            h5file.attrs["fuel_convert_version"] = converters.__version__.encode()
            h5file.attrs["fuel_convert_command"] = command.encode("utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

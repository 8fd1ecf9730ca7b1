"""``fuel-info``: show how a Fuel HDF5 file was made."""

import argparse
import os

from fuel.datasets.hdf5 import import_h5py

MESSAGE = """
Metadata for {filename}
{underline}

The command used to generate this file is

    {fuel_convert_command}

Relevant versions are

    H5PYDataset     {h5py_interface_version}
    fuel.converters {fuel_convert_version}
"""

ATTRIBUTES = ("fuel_convert_command", "h5py_interface_version", "fuel_convert_version")


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def main(args=None):
    """Print the provenance attributes of the file named in `args`."""
    parser = argparse.ArgumentParser(
        prog="fuel-info", description="Show the metadata fuel-convert wrote into a file"
    )
    parser.add_argument("filename", help="the HDF5 file")
    options = parser.parse_args(args)
    h5py = import_h5py("fuel-info")
    with h5py.File(options.filename, "r") as h5file:
        values = {
            name: _text(h5file.attrs[name]) if name in h5file.attrs else "N/A"
            for name in ATTRIBUTES
        }
    filename = os.path.basename(options.filename)
    underline = "=" * len(f"Metadata for {filename}")
    print(MESSAGE.format(filename=filename, underline=underline, **values))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

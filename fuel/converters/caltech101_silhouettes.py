"""Convert the CalTech 101 Silhouettes ``.mat`` file into HDF5."""

import logging
import os

from fuel.converters.base import (
    MissingInputFiles,
    fill_hdf5_file,
    label_axes,
    open_output,
)

logger = logging.getLogger(__name__)

SIZES = (16, 28)


def convert_silhouettes(size, directory, output_directory, output_filename=None):
    """Write the train, valid and test splits of CalTech 101 Silhouettes.

    Parameters
    ----------
    size : {16, 28}
        The image side.
    directory : str
        Holds ``caltech101_silhouettes_<size>_split1.mat``.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``caltech101_silhouettes<size>.hdf5`` by default.

    Returns
    -------
    tuple of str
        The path written.

    """
    from scipy.io import loadmat

    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    if output_filename is None:
        output_filename = f"caltech101_silhouettes{size}.hdf5"
    path = os.path.join(output_directory, output_filename)
    input_name = f"caltech101_silhouettes_{size}_split1.mat"
    input_file = os.path.join(directory, input_name)
    if not os.path.isfile(input_file):
        raise MissingInputFiles("Required files missing", [input_name])
    mat = loadmat(input_file)
    data = []
    for split, key in (("train", "train"), ("valid", "val"), ("test", "test")):
        data.append((split, "features", mat[f"{key}_data"].reshape(-1, 1, size, size)))
        data.append((split, "targets", mat[f"{key}_labels"]))
    with open_output(path) as h5file:
        fill_hdf5_file(h5file, data)
        label_axes(
            h5file,
            {
                "features": ("batch", "channel", "height", "width"),
                "targets": ("batch", "index"),
            },
        )
    return (path,)


def fill_subparser(subparser):
    """Add the positional ``size``; return :func:`convert_silhouettes`."""
    subparser.add_argument("size", type=int, choices=SIZES, help="image side")
    return convert_silhouettes

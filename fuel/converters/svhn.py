"""Convert the Street View House Numbers files into HDF5 (format 2)."""

import logging
import os

import numpy

from fuel.converters.base import check_exists, fill_hdf5_file, label_axes, open_output

logger = logging.getLogger(__name__)

SPLITS = ("train", "test", "extra")
FORMAT_1_FILES = [f"{split}.tar.gz" for split in SPLITS]
FORMAT_2_FILES = [f"{split}_32x32.mat" for split in SPLITS]


@check_exists(required_files=FORMAT_1_FILES)
def convert_svhn_format_1(
    directory, output_directory, output_filename="svhn_format_1.hdf5"
):
    """Format 1 (whole house-number images with boxes) is not converted here.

    Raises
    ------
    NotImplementedError
        Always, once the input files are found.

    """
    raise NotImplementedError(
        "converting SVHN format 1 (variable-size images with bounding boxes) "
        "is not supported yet; format 2 is (fuel-convert svhn 2). An "
        "svhn_format_1.hdf5 made by Fuel is read by SVHN(1, ...)"
    )


@check_exists(required_files=FORMAT_2_FILES)
def convert_svhn_format_2(
    directory, output_directory, output_filename="svhn_format_2.hdf5"
):
    """Write the cropped 32 by 32 digits of SVHN format 2.

    ``features`` are uint8 ``(n, 3, 32, 32)``, ``targets`` uint8 ``(n, 1)``
    with the digit 0 stored as 0 (the files store it as 10). Splits train,
    test, extra.

    Parameters
    ----------
    directory : str
        Holds ``{train,test,extra}_32x32.mat``.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``svhn_format_2.hdf5`` by default.

    Returns
    -------
    tuple of str
        The path written.

    """
    from scipy.io import loadmat

    path = os.path.join(output_directory, output_filename)
    data = []
    for split, name in zip(SPLITS, FORMAT_2_FILES):
        mat = loadmat(os.path.join(directory, name))
        images = numpy.asarray(mat["X"], dtype=numpy.uint8).transpose(3, 2, 0, 1)
        labels = numpy.asarray(mat["y"], dtype=numpy.uint8).reshape(-1, 1)
        labels[labels == 10] = 0
        data.append((split, "features", numpy.ascontiguousarray(images)))
        data.append((split, "targets", labels))
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


def convert_svhn(which_format, directory, output_directory, output_filename=None):
    """Convert SVHN in format 1 or 2; see :func:`convert_svhn_format_2`.

    Raises
    ------
    ValueError
        If `which_format` is not 1 or 2.

    """
    if which_format not in (1, 2):
        raise ValueError(f"which_format must be 1 or 2, got {which_format!r}")
    if not output_filename:
        output_filename = f"svhn_format_{which_format}.hdf5"
    convert = convert_svhn_format_1 if which_format == 1 else convert_svhn_format_2
    return convert(directory, output_directory, output_filename)


def fill_subparser(subparser):
    """Add the positional ``which_format``; return :func:`convert_svhn`."""
    subparser.add_argument(
        "which_format", type=int, choices=(1, 2), help="SVHN format (1 or 2)"
    )
    return convert_svhn

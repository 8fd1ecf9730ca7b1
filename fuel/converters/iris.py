"""Convert the UCI ``iris.data`` CSV file into ``iris.hdf5``."""

import csv
import logging
import os

import numpy

from fuel.converters.base import check_exists, fill_hdf5_file, label_axes, open_output

logger = logging.getLogger(__name__)

CLASSES = {"Iris-setosa": 0, "Iris-versicolor": 1, "Iris-virginica": 2}


@check_exists(required_files=["iris.data"])
def convert_iris(directory, output_directory, output_filename="iris.hdf5"):
    """Write the 150 iris flowers as the single split ``all``.

    ``features`` are the four measurements (float32 ``(n, 4)``), ``targets``
    the class (uint8 ``(n, 1)``: setosa 0, versicolor 1, virginica 2), in
    file order.

    Parameters
    ----------
    directory : str
        Holds ``iris.data``.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``iris.hdf5`` by default.

    Returns
    -------
    tuple of str
        The path written.

    """
    path = os.path.join(output_directory, output_filename)
    features, targets = [], []
    with open(os.path.join(directory, "iris.data"), newline="") as f:
        for number, row in enumerate(csv.reader(f), start=1):
            if not row:
                continue
            if len(row) != 5 or row[4] not in CLASSES:
                raise ValueError(
                    f"iris.data line {number}: expected four measurements and "
                    f"one of {sorted(CLASSES)}, got {row!r}"
                )
            features.append([float(value) for value in row[:4]])
            targets.append(CLASSES[row[4]])
    data = (
        ("all", "features", numpy.array(features, dtype=numpy.float32)),
        ("all", "targets", numpy.array(targets, dtype=numpy.uint8).reshape(-1, 1)),
    )
    with open_output(path) as h5file:
        fill_hdf5_file(h5file, data)
        label_axes(
            h5file, {"features": ("batch", "feature"), "targets": ("batch", "index")}
        )
    return (path,)


def fill_subparser(subparser):
    """Return :func:`convert_iris` (it takes no own options)."""
    return convert_iris

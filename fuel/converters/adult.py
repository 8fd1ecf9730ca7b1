"""Convert the UCI Adult census files into ``adult.hdf5``."""

import logging
import os

import numpy

from fuel.converters.base import fill_hdf5_file, label_axes, open_output

logger = logging.getLogger(__name__)

# Columns of adult.data: True for the continuous ones. The last column is the
# income class.
CONTINUOUS = (
    True,  # age
    False,  # workclass
    True,  # fnlwgt
    False,  # education
    True,  # education-num
    False,  # marital-status
    False,  # occupation
    False,  # relationship
    False,  # race
    False,  # sex
    True,  # capital-gain
    True,  # capital-loss
    True,  # hours-per-week
    False,  # native-country
)


def convert_to_one_hot(y):
    """Turn a list of integer category indices into a one-hot matrix.

    The width is ``max(y) - min(y) + 1``.

    """
    y = numpy.asarray(y, dtype=int)
    lowest = y.min()
    one_hot = numpy.zeros((len(y), y.max() - lowest + 1))
    one_hot[numpy.arange(len(y)), y - lowest] = 1
    return one_hot


def _read(path, skip_first):
    with open(path) as f:
        lines = f.read().split("\n")
    if skip_first:
        lines = lines[1:]
    # Blank lines (adult.data ends with one) are skipped.
    lines = [line.strip() for line in lines]
    rows = [line.split(", ") for line in lines if line and "?" not in line]
    for number, row in enumerate(rows):
        if len(row) != len(CONTINUOUS) + 1:
            raise ValueError(
                f"{path}: row {number} has {len(row)} fields, expected "
                f"{len(CONTINUOUS) + 1}"
            )
    return rows


def _features(rows, vocabularies, path):
    columns = []
    for column, continuous in enumerate(CONTINUOUS):
        values = [row[column] for row in rows]
        if continuous:
            columns.append(numpy.array(values, dtype=float).reshape(-1, 1))
            continue
        vocabulary = vocabularies[column]
        unknown = sorted(set(values) - set(vocabulary))
        if unknown:
            raise ValueError(
                f"{path}: column {column} has values absent from adult.data: {unknown}"
            )
        one_hot = numpy.zeros((len(values), len(vocabulary)))
        one_hot[numpy.arange(len(values)), [vocabulary[v] for v in values]] = 1
        columns.append(one_hot)
    return numpy.hstack(columns)


def convert_adult(directory, output_directory, output_filename="adult.hdf5"):
    """Write the Adult train and test splits into one Fuel HDF5 file.

    Rows with a missing value (``?``) are dropped. ``features`` (float64)
    hold, in the column order of the file, each continuous variable as one
    column and each categorical one as one-hot columns; ``targets`` (bool
    ``(n, 1)``) are True for an income above 50K.

    Parameters
    ----------
    directory : str
        Holds ``adult.data`` and ``adult.test``.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``adult.hdf5`` by default.

    Returns
    -------
    tuple of str
        The path written.

    Notes
    -----
    Fuel built each split's categories from a Python set, so the one-hot
    columns differed between splits and between runs. Here one sorted
    vocabulary per variable is taken from the training file and used for
    both splits.

    """
    path = os.path.join(output_directory, output_filename)
    train_path = os.path.join(directory, "adult.data")
    test_path = os.path.join(directory, "adult.test")
    train = _read(train_path, skip_first=False)
    test = _read(test_path, skip_first=True)
    vocabularies = {
        column: {v: i for i, v in enumerate(sorted({row[column] for row in train}))}
        for column, continuous in enumerate(CONTINUOUS)
        if not continuous
    }
    data = []
    for split, rows, source_path in (
        ("train", train, train_path),
        ("test", test, test_path),
    ):
        targets = numpy.array([row[-1].startswith(">") for row in rows]).reshape(-1, 1)
        data.append((split, "features", _features(rows, vocabularies, source_path)))
        data.append((split, "targets", targets))
    with open_output(path) as h5file:
        fill_hdf5_file(h5file, data)
        label_axes(
            h5file, {"features": ("batch", "feature"), "targets": ("batch", "index")}
        )
    return (path,)


def fill_subparser(subparser):
    """Return :func:`convert_adult` (it takes no own options)."""
    return convert_adult

"""Convert the binarized MNIST ``.amat`` files into ``binarized_mnist.hdf5``."""

import logging
import os

import numpy

from fuel.converters.base import check_exists, fill_hdf5_file, label_axes, open_output

logger = logging.getLogger(__name__)

ALL_FILES = [f"binarized_mnist_{split}.amat" for split in ("train", "valid", "test")]


@check_exists(required_files=ALL_FILES)
def convert_binarized_mnist(
    directory, output_directory, output_filename="binarized_mnist.hdf5"
):
    """Write the train, valid and test splits of binarized MNIST.

    Each ``.amat`` file holds one image per line: 784 values, 0 or 1,
    separated by spaces. They are stored as uint8 ``features`` of shape
    ``(n, 1, 28, 28)``.

    Parameters
    ----------
    directory : str
        Holds ``binarized_mnist_{train,valid,test}.amat``.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``binarized_mnist.hdf5`` by default.

    Returns
    -------
    tuple of str
        The path written.

    """
    path = os.path.join(output_directory, output_filename)
    data = []
    for split, name in zip(("train", "valid", "test"), ALL_FILES):
        values = numpy.loadtxt(os.path.join(directory, name), ndmin=2)
        if values.shape[1] != 784:
            raise ValueError(
                f"{name}: expected 784 values per line, found {values.shape[1]}"
            )
        data.append(
            (split, "features", values.astype(numpy.uint8).reshape(-1, 1, 28, 28))
        )
    with open_output(path) as h5file:
        fill_hdf5_file(h5file, data)
        label_axes(h5file, {"features": ("batch", "channel", "height", "width")})
    return (path,)


def fill_subparser(subparser):
    """Return :func:`convert_binarized_mnist` (it takes no own options)."""
    return convert_binarized_mnist

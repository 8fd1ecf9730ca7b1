"""Convert ``cifar-100-python.tar.gz`` into ``cifar100.hdf5``."""

import logging
import os
import tarfile

import numpy

from fuel.converters.base import check_exists, fill_hdf5_file, label_axes, open_output
from fuel.converters.cifar10 import load_pickled_member

logger = logging.getLogger(__name__)

DISTRIBUTION_FILE = "cifar-100-python.tar.gz"


@check_exists(required_files=[DISTRIBUTION_FILE])
def convert_cifar100(directory, output_directory, output_filename="cifar100.hdf5"):
    """Write CIFAR-100's train and test splits into one Fuel HDF5 file.

    The sources are ``features`` (uint8 ``(n, 3, 32, 32)``),
    ``coarse_labels`` (0 to 19) and ``fine_labels`` (0 to 99), both uint8
    ``(n, 1)``.

    Parameters
    ----------
    directory : str
        Holds ``cifar-100-python.tar.gz``.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``cifar100.hdf5`` by default.

    Returns
    -------
    tuple of str
        The path written.

    """
    path = os.path.join(output_directory, output_filename)
    archive_name = os.path.join(directory, DISTRIBUTION_FILE)
    data = []
    with tarfile.open(archive_name, "r:gz") as archive:
        for split in ("train", "test"):
            batch = load_pickled_member(
                archive, f"cifar-100-python/{split}", archive_name
            )
            features = numpy.asarray(batch["data"], dtype=numpy.uint8)
            data.append((split, "features", features.reshape(-1, 3, 32, 32)))
            for source in ("coarse_labels", "fine_labels"):
                labels = numpy.asarray(batch[source], dtype=numpy.uint8)
                data.append((split, source, labels.reshape(-1, 1)))
    with open_output(path) as h5file:
        fill_hdf5_file(h5file, data)
        label_axes(
            h5file,
            {
                "features": ("batch", "channel", "height", "width"),
                "coarse_labels": ("batch", "index"),
                "fine_labels": ("batch", "index"),
            },
        )
    return (path,)


def fill_subparser(subparser):
    """Return :func:`convert_cifar100` (it takes no own options)."""
    return convert_cifar100

"""Convert ``cifar-10-python.tar.gz`` into ``cifar10.hdf5``."""

import logging
import os
import pickle
import tarfile

import numpy

from fuel.converters.base import check_exists, fill_hdf5_file, label_axes, open_output

logger = logging.getLogger(__name__)

DISTRIBUTION_FILE = "cifar-10-python.tar.gz"
TRAIN_BATCHES = [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)]
TEST_BATCH = "cifar-10-batches-py/test_batch"
IMAGE_LABELS = {
    "features": ("batch", "channel", "height", "width"),
    "targets": ("batch", "index"),
}


def load_pickled_member(archive, member, archive_name):
    """Unpickle one member of a CIFAR tarball (a Python 2 pickle).

    Like any pickle, the archive must come from a trusted source.

    """
    try:
        fileobj = archive.extractfile(member)
    except KeyError:
        raise ValueError(f"{archive_name} has no member {member}") from None
    return pickle.load(fileobj, encoding="latin1")


@check_exists(required_files=[DISTRIBUTION_FILE])
def convert_cifar10(directory, output_directory, output_filename="cifar10.hdf5"):
    """Write CIFAR-10's train and test splits into one Fuel HDF5 file.

    Parameters
    ----------
    directory : str
        Holds ``cifar-10-python.tar.gz``.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``cifar10.hdf5`` by default.

    Returns
    -------
    tuple of str
        The path written.

    """
    path = os.path.join(output_directory, output_filename)
    archive_name = os.path.join(directory, DISTRIBUTION_FILE)
    with tarfile.open(archive_name, "r:gz") as archive:
        train = [load_pickled_member(archive, m, archive_name) for m in TRAIN_BATCHES]
        test = load_pickled_member(archive, TEST_BATCH, archive_name)

    def images(batches):
        return numpy.vstack([b["data"] for b in batches]).reshape(-1, 3, 32, 32)

    def labels(batches):
        return numpy.hstack([b["labels"] for b in batches]).astype(numpy.uint8)

    data = (
        ("train", "features", images(train).astype(numpy.uint8)),
        ("train", "targets", labels(train).reshape(-1, 1)),
        ("test", "features", images([test]).astype(numpy.uint8)),
        ("test", "targets", labels([test]).reshape(-1, 1)),
    )
    with open_output(path) as h5file:
        fill_hdf5_file(h5file, data)
        label_axes(h5file, IMAGE_LABELS)
    return (path,)


def fill_subparser(subparser):
    """Return :func:`convert_cifar10` (it takes no own options)."""
    return convert_cifar10

"""CIFAR-10, read from the python-pickle batches in Fuel's data path."""

import logging
import os
import pickle
import tarfile

import numpy

from fuel.datasets.hdf5 import h5py_available, read_split
from fuel.datasets.split import SplitDataset
from fuel.transformers.defaults import uint8_pixels_to_floatX
from fuel.utils import data_path, find_files

logger = logging.getLogger(__name__)

BATCH_DIRECTORY = "cifar-10-batches-py"
TARBALL = "cifar-10-python.tar.gz"
BATCHES = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}
SUBDIRECTORIES = ("", "cifar10")


def read_batch(fileobj, name):
    """Read one pickled CIFAR-10 batch.

    Parameters
    ----------
    fileobj : file
        The open batch file (binary).
    name : str
        Its name, for error messages.

    Returns
    -------
    tuple
        uint8 images of shape ``(n, 3, 32, 32)`` and uint8 labels of shape
        ``(n, 1)``.

    Notes
    -----
    The batches are Python 2 pickles; like any pickle, they must come from a
    trusted source.

    """
    batch = pickle.load(fileobj, encoding="bytes")

    def field(key):
        for candidate in (key.encode(), key):
            if candidate in batch:
                return batch[candidate]
        raise ValueError(f"the CIFAR-10 batch {name} has no {key!r} entry")

    images = numpy.asarray(field("data"), dtype=numpy.uint8).reshape(-1, 3, 32, 32)
    labels = numpy.asarray(field("labels"), dtype=numpy.uint8).reshape(-1, 1)
    if len(images) != len(labels):
        raise ValueError(
            f"the CIFAR-10 batch {name} holds {len(images)} images but "
            f"{len(labels)} labels"
        )
    return images, labels


class CIFAR10(SplitDataset):
    """The CIFAR-10 images: 32 by 32 colour pictures in 10 classes.

    50,000 training and 10,000 test images. Looked for in each directory of
    Fuel's data path and in its ``cifar10/`` subdirectory: first the
    unpacked ``cifar-10-batches-py/`` directory of the standard python
    version, then the archive ``cifar-10-python.tar.gz`` itself, then Fuel's
    converted ``cifar10.hdf5`` (which needs h5py).

    Parameters
    ----------
    which_sets : tuple of str
        Among ``'train'`` and ``'test'``.
    subset : slice or list of int, optional
        Keep only these examples.
    load_in_memory : bool, optional
        Accepted for compatibility; the data are always read into memory.
    sources : tuple of str, optional
        Among ``'features'`` and ``'targets'``.

    Notes
    -----
    ``features`` are uint8 of shape ``(n, 3, 32, 32)`` and ``targets`` uint8
    of shape ``(n, 1)``. The default transformers turn the pixels into floats
    of ``fuel.config.floatX`` in [0, 1].

    """

    provides_sources = ("features", "targets")
    available_sets = ("train", "test")
    default_axis_labels = {
        "features": ("batch", "channel", "height", "width"),
        "targets": ("batch", "index"),
    }
    default_transformers = uint8_pixels_to_floatX(("features",))
    filename = "cifar10.hdf5"

    def __init__(self, which_sets, **kwargs):
        self.storage, self.files = self._locate(self._check_sets(which_sets))
        super().__init__(which_sets, **kwargs)

    def _relocate(self):
        self.storage, self.files = self._locate(self.which_sets)

    def _locate(self, which_sets):
        """Say where the data are: in batch files, a tarball or an HDF5 file.

        Returns ``('batches', {name: path})``, ``('tar', path)`` or
        ``('hdf5', path)``.

        """
        try:
            paths = {
                name: find_files(
                    [os.path.join(BATCH_DIRECTORY, name)],
                    SUBDIRECTORIES,
                    "CIFAR-10 file",
                )
                for which_set in which_sets
                for name in BATCHES[which_set]
            }
            return "batches", paths
        except FileNotFoundError as missing:
            if not data_path():
                raise
            notes = []
            for filename in (TARBALL, self.filename):
                try:
                    path = find_files([filename], SUBDIRECTORIES, "CIFAR-10 file")
                except FileNotFoundError:
                    notes.append(f"Nor is {filename} in those directories.")
                    continue
                if filename == TARBALL:
                    return "tar", path
                if h5py_available():
                    return "hdf5", path
                notes.append(f"{path} exists, but reading it needs h5py.")
            raise FileNotFoundError("\n".join([str(missing), *notes])) from None

    def read_set(self, which_set, sources):
        if self.storage == "hdf5":
            return read_split(self.files, which_set, sources)
        parts = []
        if self.storage == "tar":
            with tarfile.open(self.files) as archive:
                for name in BATCHES[which_set]:
                    member = f"{BATCH_DIRECTORY}/{name}"
                    try:
                        fileobj = archive.extractfile(member)
                    except KeyError:
                        raise FileNotFoundError(
                            f"{self.files} has no member {member}"
                        ) from None
                    parts.append(read_batch(fileobj, member))
        else:
            for name in BATCHES[which_set]:
                with open(self.files[name], "rb") as fileobj:
                    parts.append(read_batch(fileobj, self.files[name]))
        images, labels = zip(*parts, strict=True)
        data = {
            "features": numpy.concatenate(images),
            "targets": numpy.concatenate(labels),
        }
        return {source: data[source] for source in sources}

"""The MNIST handwritten digits, read from the IDX files in Fuel's data path."""

import gzip
import logging
import math
import struct

import numpy

from fuel.datasets.hdf5 import h5py_available, read_split
from fuel.datasets.split import SplitDataset
from fuel.transformers.defaults import uint8_pixels_to_floatX
from fuel.utils import data_path, find_files

logger = logging.getLogger(__name__)

# The type codes of the IDX format (third byte of the magic number); the data
# are big-endian.
IDX_DTYPES = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path, mmap=False):
    """Read an array from an IDX file, gzipped (``.gz``) or not.

    Parameters
    ----------
    path : str
        The file.
    mmap : bool, optional
        Map an uncompressed file from disk instead of reading it; a gzipped
        file is always read.

    Returns
    -------
    numpy.ndarray or numpy.memmap
        The array, in native byte order unless memory-mapped.

    Raises
    ------
    ValueError
        If the file is not an IDX file or is shorter than its header says.

    """
    compressed = path.endswith(".gz")
    with (gzip.open if compressed else open)(path, "rb") as f:
        magic = f.read(4)
        if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in IDX_DTYPES:
            raise ValueError(
                f"{path} is not an IDX file: it starts with {magic.hex()!r}"
            )
        ndim = magic[3]
        header = f.read(4 * ndim)
        if len(header) < 4 * ndim:
            raise ValueError(f"{path} is truncated inside its header")
        shape = struct.unpack(f">{ndim}I", header)
        dtype = numpy.dtype(IDX_DTYPES[magic[2]])
        size = math.prod(shape) * dtype.itemsize
        if mmap and not compressed:
            data_size = f.seek(0, 2) - (4 + 4 * ndim)
            if data_size < size:
                raise _truncated(path, shape, size, data_size)
            return numpy.memmap(
                path, dtype=dtype, mode="r", offset=4 + 4 * ndim, shape=shape
            )
        data = f.read(size)
    if len(data) < size:
        raise _truncated(path, shape, size, len(data))
    return numpy.frombuffer(data, dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _truncated(path, shape, expected, found):
    return ValueError(
        f"{path} is truncated: its header promises an array of shape {shape} "
        f"({expected} bytes of data) but it holds {found} bytes"
    )


class MNIST(SplitDataset):
    """The MNIST database of handwritten digits.

    60,000 training and 10,000 test images of 28 by 28 pixels, with their
    labels 0 to 9. The files are looked for in each directory of Fuel's data
    path (``$FUEL_DATA_PATH`` or ``data_path`` in ``~/.fuelrc``) and in its
    ``mnist/`` subdirectory: first the four standard IDX files
    (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each possibly
    gzipped as ``<name>.gz``), then Fuel's converted ``mnist.hdf5``, which
    needs h5py.

    Parameters
    ----------
    which_sets : tuple of str
        Among ``'train'`` and ``'test'``.
    subset : slice or list of int, optional
        Keep only these examples.
    load_in_memory : bool, optional
        When False, uncompressed IDX files are memory-mapped rather than read.
    sources : tuple of str, optional
        Among ``'features'`` and ``'targets'``.

    Notes
    -----
    ``features`` are uint8 pixels of shape ``(n, 1, 28, 28)`` and ``targets``
    uint8 labels of shape ``(n, 1)``, as in Fuel. The default transformers,
    applied by :meth:`.DataStream.default_stream`, turn the pixels into floats
    of ``fuel.config.floatX`` in [0, 1].

    """

    provides_sources = ("features", "targets")
    available_sets = ("train", "test")
    default_axis_labels = {
        "features": ("batch", "channel", "height", "width"),
        "targets": ("batch", "index"),
    }
    default_transformers = uint8_pixels_to_floatX(("features",))
    filename = "mnist.hdf5"

    def __init__(self, which_sets, **kwargs):
        self.files = self._locate(self._check_sets(which_sets))
        super().__init__(which_sets, **kwargs)

    def _relocate(self):
        self.files = self._locate(self.which_sets)

    def _locate(self, which_sets):
        """Map each (split, source) to its IDX file, or each split to the HDF5 file."""
        try:
            files = {}
            for which_set in which_sets:
                images, labels = MNIST_FILES[which_set]
                for source, name in (("features", images), ("targets", labels)):
                    files[which_set, source] = find_files(
                        [name, name + ".gz"], ("", "mnist"), "MNIST file"
                    )
            return files
        except FileNotFoundError as missing_idx:
            try:
                hdf5 = find_files([self.filename], ("", "mnist"), "MNIST file")
            except FileNotFoundError:
                hdf5 = None
            if hdf5 is not None and h5py_available():
                return dict.fromkeys(which_sets, hdf5)
            if hdf5 is not None:
                note = (
                    f"Fuel's {hdf5} exists, but reading it needs h5py, which "
                    f"is not installed."
                )
            elif data_path():
                note = f"Nor is Fuel's {self.filename} in those directories."
            else:
                raise
            raise FileNotFoundError(f"{missing_idx}\n{note}") from None

    def read_set(self, which_set, sources):
        if which_set in self.files:
            return read_split(self.files[which_set], which_set, sources)
        mmap = not self.load_in_memory
        data = {}
        if "features" in sources:
            images = read_idx(self.files[which_set, "features"], mmap)
            data["features"] = images.reshape((images.shape[0], 1, *images.shape[1:]))
        if "targets" in sources:
            labels = read_idx(self.files[which_set, "targets"], mmap)
            data["targets"] = labels.reshape((labels.shape[0], 1))
        lengths = {len(array) for array in data.values()}
        if len(lengths) > 1:
            raise ValueError(
                f"the MNIST {which_set} images and labels differ in number: "
                f"{self.files[which_set, 'features']} holds "
                f"{len(data['features'])}, {self.files[which_set, 'targets']} "
                f"holds {len(data['targets'])}"
            )
        return data

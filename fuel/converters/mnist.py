"""Convert the four gzipped IDX files of MNIST into ``mnist.hdf5``."""

import gzip
import logging
import os
import struct

import numpy

from fuel.converters.base import check_exists, fill_hdf5_file, label_axes, open_output

logger = logging.getLogger(__name__)

MNIST_IMAGE_MAGIC = 2051
MNIST_LABEL_MAGIC = 2049
TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
ALL_FILES = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS]


@check_exists(required_files=ALL_FILES)
def convert_mnist(directory, output_directory, output_filename=None, dtype=None):
    """Write MNIST's train and test splits into one Fuel HDF5 file.

    Parameters
    ----------
    directory : str
        Holds the four ``*-ubyte.gz`` files.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``mnist.hdf5`` by default, ``mnist_<dtype>.hdf5`` with `dtype`.
    dtype : {None, 'float32', 'float64', 'bool'}, optional
        Store pixels as uint8 (None), as floats in [0, 1], or as booleans
        (pixel >= 128).

    Returns
    -------
    tuple of str
        The path written.

    """
    if not output_filename:
        output_filename = "mnist.hdf5" if dtype is None else f"mnist_{dtype}.hdf5"
    path = os.path.join(output_directory, output_filename)
    data = []
    for split, images, labels in (
        ("train", TRAIN_IMAGES, TRAIN_LABELS),
        ("test", TEST_IMAGES, TEST_LABELS),
    ):
        data.append(
            (
                split,
                "features",
                read_mnist_images(os.path.join(directory, images), dtype),
            )
        )
        data.append(
            (split, "targets", read_mnist_labels(os.path.join(directory, labels)))
        )
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
    """Add the ``--dtype`` option; return :func:`convert_mnist`."""
    subparser.add_argument(
        "--dtype",
        help="dtype to store the pixels in (default: uint8)",
        choices=("float32", "float64", "bool"),
        default=None,
    )
    return convert_mnist


def _read_header(f, filename, count, magic):
    """Check the magic number, then return the other `count` - 1 header ints."""
    header = f.read(4)
    if len(header) == 4:
        (found,) = struct.unpack(">i", header)
        if found != magic:
            kind = "image" if magic == MNIST_IMAGE_MAGIC else "label"
            raise ValueError(
                f"{filename}: wrong magic number {found} (expected {magic}); "
                f"is it an MNIST {kind} file?"
            )
    header += f.read(4 * (count - 1))
    if len(header) < 4 * count:
        raise ValueError(f"{filename} is too short to be an MNIST file")
    return struct.unpack(">" + "i" * count, header)[1:]


def read_mnist_images(filename, dtype=None):
    """Read the images of a gzipped MNIST IDX file.

    Parameters
    ----------
    filename : str
        The ``*-images-idx3-ubyte.gz`` file.
    dtype : {None, 'float32', 'float64', 'bool'}, optional
        uint8 pixels (None), floats in [0, 1] or booleans (pixel >= 128).

    Returns
    -------
    numpy.ndarray
        Of shape ``(n, 1, rows, cols)``.

    """
    with gzip.open(filename, "rb") as f:
        count, rows, cols = _read_header(f, filename, 4, MNIST_IMAGE_MAGIC)
        pixels = numpy.frombuffer(f.read(count * rows * cols), dtype=numpy.uint8)
    if pixels.size != count * rows * cols:
        raise ValueError(f"{filename} is truncated: expected {count} images")
    array = pixels.reshape(count, 1, rows, cols)
    if dtype == "bool":
        return array >= 128
    if dtype is not None:
        return array.astype(dtype) / numpy.dtype(dtype).type(255)
    return array


def read_mnist_labels(filename):
    """Read the labels of a gzipped MNIST IDX file, as uint8 ``(n, 1)``."""
    with gzip.open(filename, "rb") as f:
        (count,) = _read_header(f, filename, 2, MNIST_LABEL_MAGIC)
        labels = numpy.frombuffer(f.read(count), dtype=numpy.uint8)
    if labels.size != count:
        raise ValueError(f"{filename} is truncated: expected {count} labels")
    return labels.reshape(count, 1)

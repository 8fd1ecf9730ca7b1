"""Convert the aligned CelebA faces and attributes into HDF5."""

import io
import logging
import os
import zipfile

import numpy

from fuel.converters.base import (
    check_exists,
    import_pillow,
    label_axes,
    open_output,
    progress_bar,
)
from fuel.datasets.hdf5 import H5PYDataset

logger = logging.getLogger(__name__)

IMAGE_FILE = "img_align_celeba.zip"
ATTRIBUTES_FILE = "list_attr_celeba.txt"
NUM_EXAMPLES = 202599
TRAIN_STOP = 162770
VALID_STOP = 182637
FORMATS = ("aligned_cropped", "64")
ALIGNED_SHAPE = (3, 218, 178)


def _targets(directory):
    with open(os.path.join(directory, ATTRIBUTES_FILE)) as f:
        lines = f.read().splitlines()[2 : 2 + NUM_EXAMPLES]
    if len(lines) != NUM_EXAMPLES:
        raise ValueError(
            f"{ATTRIBUTES_FILE} holds {len(lines)} images, expected {NUM_EXAMPLES}"
        )
    values = numpy.array([line.split()[1:41] for line in lines], dtype=int)
    return ((values + 1) // 2).astype(numpy.uint8)


def _prepare(path, shape, targets):
    h5file = open_output(path)
    h5file.create_dataset("features", (NUM_EXAMPLES, *shape), dtype=numpy.uint8)
    h5file.create_dataset("targets", data=targets)
    split = {
        "train": (0, TRAIN_STOP),
        "valid": (TRAIN_STOP, VALID_STOP),
        "test": (VALID_STOP, NUM_EXAMPLES),
    }
    h5file.attrs["split"] = H5PYDataset.create_split_array(
        {name: {"features": rows, "targets": rows} for name, rows in split.items()}
    )
    label_axes(
        h5file,
        {
            "features": ("batch", "channel", "height", "width"),
            "targets": ("batch", "target"),
        },
    )
    return h5file


def _faces(directory, image_module):
    with zipfile.ZipFile(os.path.join(directory, IMAGE_FILE)) as archive:
        for i in range(1, NUM_EXAMPLES + 1):
            data = archive.read(f"img_align_celeba/{i:06d}.jpg")
            yield image_module.open(io.BytesIO(data))


@check_exists(required_files=[IMAGE_FILE, ATTRIBUTES_FILE])
def convert_celeba_aligned_cropped(directory, output_directory, output_filename=None):
    """Write the aligned and cropped faces, 218 by 178 pixels."""
    return _convert(directory, output_directory, output_filename, "aligned_cropped")


@check_exists(required_files=[IMAGE_FILE, ATTRIBUTES_FILE])
def convert_celeba_64(directory, output_directory, output_filename=None):
    """Write the faces resized to 64 pixels wide and cropped to 64 by 64."""
    return _convert(directory, output_directory, output_filename, "64")


def _convert(directory, output_directory, output_filename, which_format):
    image_module = import_pillow("convert_celeba")
    if output_filename is None:
        output_filename = f"celeba_{which_format}.hdf5"
    path = os.path.join(output_directory, output_filename)
    shape = ALIGNED_SHAPE if which_format == "aligned_cropped" else (3, 64, 64)
    with (
        _prepare(path, shape, _targets(directory)) as h5file,
        progress_bar("CelebA images", NUM_EXAMPLES) as bar,
    ):
        features = h5file["features"]
        for i, face in enumerate(_faces(directory, image_module)):
            if which_format == "64":
                face = face.resize((64, 78), image_module.LANCZOS).crop((0, 7, 64, 71))
            features[i] = numpy.asarray(face.convert("RGB")).transpose(2, 0, 1)
            bar.update(i + 1)
    return (path,)


def convert_celeba(which_format, directory, output_directory, output_filename=None):
    """Write CelebA's faces and their 40 attributes into one Fuel HDF5 file.

    ``features`` are uint8 ``(n, 3, 218, 178)`` (``'aligned_cropped'``) or
    ``(n, 3, 64, 64)`` (``'64'``: resized to 64 by 78 with a Lanczos filter,
    then cropped); ``targets`` are the attributes as uint8 0/1 ``(n, 40)``.
    Splits train, valid and test follow the official numbering. Needs
    Pillow.

    Parameters
    ----------
    which_format : {'aligned_cropped', '64'}
        The image format.
    directory : str
        Holds ``img_align_celeba.zip`` and ``list_attr_celeba.txt``.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``celeba_<which_format>.hdf5`` by default.

    Returns
    -------
    tuple of str
        The path written.

    """
    if which_format not in FORMATS:
        raise ValueError(f"which_format must be one of {FORMATS}, got {which_format!r}")
    if which_format == "64":
        return convert_celeba_64(directory, output_directory, output_filename)
    return convert_celeba_aligned_cropped(directory, output_directory, output_filename)


def fill_subparser(subparser):
    """Add the positional ``which_format``; return the converter."""
    subparser.add_argument("which_format", choices=FORMATS, help="the image format")
    return convert_celeba

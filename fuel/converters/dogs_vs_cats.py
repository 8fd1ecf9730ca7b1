"""Convert the Kaggle Dogs vs. Cats archives into ``dogs_vs_cats.hdf5``."""

import io
import logging
import os
import re
import zipfile

import numpy

from fuel.converters.base import (
    check_exists,
    import_pillow,
    open_output,
    store_vlen_images,
)
from fuel.datasets.hdf5 import H5PYDataset

logger = logging.getLogger(__name__)

TRAIN = "dogs_vs_cats.train.zip"
TEST = "dogs_vs_cats.test1.zip"
SHUFFLE_SEED = 123522


def _image_members(archive):
    return [name for name in archive.namelist() if not name.endswith("/")]


def _test_number(name):
    numbers = re.findall(r"\d+", os.path.basename(name))
    if not numbers:
        raise ValueError(f"{TEST}: cannot find the image number in {name!r}")
    return int(numbers[0])


def _decode(archive, name, image_module):
    with image_module.open(io.BytesIO(archive.read(name))) as image:
        pixels = numpy.asarray(image.convert("RGB"), dtype=numpy.uint8)
    return pixels.transpose(2, 0, 1)


@check_exists(required_files=[TRAIN, TEST])
def convert_dogs_vs_cats(
    directory, output_directory, output_filename="dogs_vs_cats.hdf5"
):
    """Write the Dogs vs. Cats pictures as a variable-length image source.

    ``image_features`` hold each picture as uint8 ``(3, height, width)``;
    ``targets`` (uint8 ``(n, 1)``) are 0 for a cat and 1 for a dog, for
    the training pictures only. The training pictures are shuffled (with
    Fuel's seed, 123522); the test pictures are in the order of their
    number. Needs Pillow.

    Parameters
    ----------
    directory : str
        Holds ``dogs_vs_cats.train.zip`` and ``dogs_vs_cats.test1.zip``.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``dogs_vs_cats.hdf5`` by default.

    Returns
    -------
    tuple of str
        The path written.

    """
    image_module = import_pillow("convert_dogs_vs_cats")
    path = os.path.join(output_directory, output_filename)
    with (
        zipfile.ZipFile(os.path.join(directory, TRAIN)) as train_zip,
        zipfile.ZipFile(os.path.join(directory, TEST)) as test_zip,
    ):
        train_names = _image_members(train_zip)
        numpy.random.RandomState(SHUFFLE_SEED).shuffle(train_names)
        test_names = sorted(_image_members(test_zip), key=_test_number)
        n_train, n_test = len(train_names), len(test_names)
        images = [(train_zip, name) for name in train_names]
        images += [(test_zip, name) for name in test_names]
        targets = numpy.array(
            [[0 if "cat" in os.path.basename(name) else 1] for name in train_names],
            dtype=numpy.uint8,
        )
        with open_output(path) as h5file:
            store_vlen_images(
                h5file,
                "image_features",
                (_decode(archive, name, image_module) for archive, name in images),
                n_train + n_test,
            )
            h5file.create_dataset("targets", data=targets.reshape(n_train, 1))
            h5file["targets"].dims[0].label = "batch"
            h5file["targets"].dims[1].label = "index"
            h5file.attrs["split"] = H5PYDataset.create_split_array(
                {
                    "train": {
                        "image_features": (0, n_train),
                        "targets": (0, n_train),
                    },
                    "test": {"image_features": (n_train, n_train + n_test)},
                }
            )
    return (path,)


def fill_subparser(subparser):
    """Return :func:`convert_dogs_vs_cats` (it takes no own options)."""
    return convert_dogs_vs_cats

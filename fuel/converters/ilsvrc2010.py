"""Convert the ILSVRC 2010 (ImageNet) archives into ``ilsvrc2010.hdf5``.

As :mod:`fuel.converters.ilsvrc2012`, with the 2010 devkit, test labels
from ``ILSVRC2010_test_ground_truth.txt`` and the corrected images of
``patch_images.tar`` replacing their namesakes.

"""

import logging
import os
import tarfile

from fuel import config
from fuel.converters.base import check_exists, open_output
from fuel.converters.ilsvrc2012 import (
    image_bytes,
    prepare_hdf5_file,
    process_other_set,
    process_train_set,
    read_devkit,
)

logger = logging.getLogger(__name__)

DEVKIT_ARCHIVE = "ILSVRC2010_devkit-1.0.tar.gz"
DEVKIT_META_PATH = "devkit-1.0/data/meta.mat"
DEVKIT_VALID_GROUNDTRUTH_PATH = "devkit-1.0/data/ILSVRC2010_validation_ground_truth.txt"
TEST_GROUNDTRUTH = "ILSVRC2010_test_ground_truth.txt"
TRAIN_IMAGES_TAR = "ILSVRC2010_images_train.tar"
VALID_IMAGES_TAR = "ILSVRC2010_images_val.tar"
TEST_IMAGES_TAR = "ILSVRC2010_images_test.tar"
PATCH_IMAGES_TAR = "patch_images.tar"
IMAGE_TARS = (TRAIN_IMAGES_TAR, VALID_IMAGES_TAR, TEST_IMAGES_TAR, PATCH_IMAGES_TAR)
ALL_FILES = (TEST_GROUNDTRUTH, DEVKIT_ARCHIVE, *IMAGE_TARS)
# The folders of patch_images.tar, by split.
PATCH_FOLDERS = {"train": "train", "valid": "val", "test": "test"}


def extract_patch_images(patch_archive, split):
    """Return {base name: bytes} of the patch images of `split`."""
    folder = PATCH_FOLDERS[split]
    patches = {}
    with tarfile.open(patch_archive) as archive:
        for member in archive:
            if member.isfile() and member.name.split("/")[0] == folder:
                patches[os.path.basename(member.name)] = image_bytes(archive, member)
    return patches


@check_exists(required_files=ALL_FILES)
def convert_ilsvrc2010(
    directory, output_directory, output_filename="ilsvrc2010.hdf5", shuffle_seed=None
):
    """Write the ILSVRC 2010 images, their classes and their file names.

    Sources ``encoded_images`` (variable-length uint8, the JPEG bytes),
    ``targets`` (int16 ``(n, 1)``, every split) and ``filenames`` (``S32``
    ``(n, 1)``). The training images are shuffled; valid and test are in
    file-name order.

    Parameters
    ----------
    directory : str
        Holds the devkit, the test ground truth and the four image archives.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``ilsvrc2010.hdf5`` by default.
    shuffle_seed : int, optional
        ``fuel.config.default_seed`` by default.

    Returns
    -------
    tuple of str
        The path written.

    Raises
    ------
    ValueError
        If some patch images replace no image.

    """
    if shuffle_seed is None:
        shuffle_seed = config.default_seed
    path = os.path.join(output_directory, output_filename)
    wnid_to_class, n_train, valid_classes, id_to_class = read_devkit(
        os.path.join(directory, DEVKIT_ARCHIVE),
        DEVKIT_META_PATH,
        DEVKIT_VALID_GROUNDTRUTH_PATH,
        "ILSVRC2010_ID",
    )
    with open(os.path.join(directory, TEST_GROUNDTRUTH)) as f:
        test_classes = [id_to_class[int(value)] for value in f.read().split()]
    n_valid, n_test = len(valid_classes), len(test_classes)
    patch_archive = os.path.join(directory, PATCH_IMAGES_TAR)
    with open_output(path) as h5file:
        prepare_hdf5_file(h5file, n_train, n_valid, n_test, test_has_targets=True)
        patches = extract_patch_images(patch_archive, "train")
        process_train_set(
            h5file,
            os.path.join(directory, TRAIN_IMAGES_TAR),
            wnid_to_class,
            n_train,
            shuffle_seed,
            patches,
        )
        unused = list(patches)
        for split, archive, offset, classes in (
            ("valid", VALID_IMAGES_TAR, n_train, valid_classes),
            ("test", TEST_IMAGES_TAR, n_train + n_valid, test_classes),
        ):
            patches = extract_patch_images(patch_archive, split)
            process_other_set(
                h5file, os.path.join(directory, archive), offset, classes, patches
            )
            unused += list(patches)
    if unused:
        raise ValueError(f"{PATCH_IMAGES_TAR}: these images replace none: {unused}")
    return (path,)


def fill_subparser(subparser):
    """Add ``--shuffle-seed``; return :func:`convert_ilsvrc2010`."""
    subparser.add_argument(
        "--shuffle-seed",
        type=int,
        default=config.default_seed,
        help="seed of the training images' shuffle",
    )
    return convert_ilsvrc2010

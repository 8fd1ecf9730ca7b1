"""Convert the ILSVRC 2012 (ImageNet) archives into ``ilsvrc2012.hdf5``.

The images are stored as their encoded JPEG bytes, not decoded: the dataset's
default transformers decode them. This converter runs in one process (Fuel's
read in one and wrote in another, joined by ZeroMQ); the file is the same.

"""

import gzip
import io
import logging
import os
import tarfile

import numpy

from fuel import config
from fuel.converters.base import check_exists, open_output, progress_bar
from fuel.datasets.hdf5 import H5PYDataset

logger = logging.getLogger(__name__)

DEVKIT_ARCHIVE = "ILSVRC2012_devkit_t12.tar.gz"
DEVKIT_META_PATH = "ILSVRC2012_devkit_t12/data/meta.mat"
DEVKIT_VALID_GROUNDTRUTH_PATH = (
    "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt"
)
TRAIN_IMAGES_TAR = "ILSVRC2012_img_train.tar"
VALID_IMAGES_TAR = "ILSVRC2012_img_val.tar"
TEST_IMAGES_TAR = "ILSVRC2012_img_test.tar"
IMAGE_TARS = (TRAIN_IMAGES_TAR, VALID_IMAGES_TAR, TEST_IMAGES_TAR)
ALL_FILES = (DEVKIT_ARCHIVE, *IMAGE_TARS)
# The classes are the first synsets of meta.mat, in its order.
NUM_CLASSES = 1000


def read_metadata_mat_file(meta_mat, id_field="ILSVRC2012_ID"):
    """Read the synsets of a devkit's ``meta.mat``.

    Parameters
    ----------
    meta_mat : file or str
        The MATLAB file.
    id_field : str, optional
        The name of the challenge's synset id field.

    Returns
    -------
    list of dict
        One per synset, in file order, with keys ``id``, ``wnid`` and
        ``num_train_images``.

    """
    from scipy.io import loadmat

    synsets = loadmat(meta_mat, squeeze_me=True)["synsets"]
    return [
        {
            "id": int(synset[id_field]),
            "wnid": str(synset["WNID"]),
            "num_train_images": int(synset["num_train_images"]),
        }
        for synset in synsets
    ]


def read_devkit(
    devkit_path,
    meta_path=DEVKIT_META_PATH,
    groundtruth_path=DEVKIT_VALID_GROUNDTRUTH_PATH,
    id_field="ILSVRC2012_ID",
):
    """Return the class of each WNID, the train count and the valid labels.

    Returns
    -------
    tuple
        ``(wnid_to_class, n_train, valid_classes)``: a dict from WNID to class
        index (0 to 999), the number of training images, and the class of
        each validation image in file-name order.

    """
    with tarfile.open(devkit_path) as archive:
        meta = io.BytesIO(archive.extractfile(meta_path).read())
        groundtruth = archive.extractfile(groundtruth_path).read()
    classes = read_metadata_mat_file(meta, id_field)[:NUM_CLASSES]
    wnid_to_class = {synset["wnid"]: i for i, synset in enumerate(classes)}
    id_to_class = {synset["id"]: i for i, synset in enumerate(classes)}
    n_train = sum(synset["num_train_images"] for synset in classes)
    valid_classes = [id_to_class[int(line)] for line in groundtruth.split()]
    return wnid_to_class, n_train, valid_classes, id_to_class


def image_bytes(archive, member, patches=None):
    """The bytes of one image member, gunzipped if it was stored gzipped.

    `patches` maps base names to replacement bytes; a replacement used is
    removed from it.

    """
    name = os.path.basename(member.name)
    if patches is not None and name in patches:
        data = patches.pop(name)
    else:
        data = archive.extractfile(member).read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def prepare_hdf5_file(h5file, n_train, n_valid, n_test, test_has_targets=False):
    """Create the sources and split table of an ILSVRC file."""
    import h5py

    total = n_train + n_valid + n_test
    n_targets = total if test_has_targets else n_train + n_valid
    h5file.create_dataset(
        "encoded_images", (total,), dtype=h5py.vlen_dtype(numpy.uint8)
    )
    h5file.create_dataset("targets", (n_targets, 1), dtype=numpy.int16)
    h5file.create_dataset("filenames", (total, 1), dtype="S32")
    everything = ("encoded_images", "targets", "filenames")
    test_sources = everything if test_has_targets else ("encoded_images", "filenames")
    train, valid = (0, n_train), (n_train, n_train + n_valid)
    test = (n_train + n_valid, total)
    h5file.attrs["split"] = H5PYDataset.create_split_array(
        {
            "train": dict.fromkeys(everything, train),
            "valid": dict.fromkeys(everything, valid),
            "test": dict.fromkeys(test_sources, test),
        }
    )


def _store(h5file, row, data, name, target=None):
    h5file["encoded_images"][row] = numpy.frombuffer(data, dtype=numpy.uint8)
    h5file["filenames"][row] = [os.path.basename(name).encode()]
    if target is not None:
        h5file["targets"][row] = [target]


def process_train_set(
    h5file, train_archive, wnid_to_class, n_train, shuffle_seed, patches=None
):
    """Store the training images, one inner ``<wnid>.tar`` per class.

    The images of each class are read in sorted name order and placed at
    the rows of a random permutation of the training rows.

    """
    order = numpy.random.RandomState(shuffle_seed).permutation(n_train)
    done = 0
    with tarfile.open(train_archive) as outer, progress_bar("train", n_train) as bar:
        for class_tar in outer:
            if not class_tar.isfile():
                continue
            wnid = os.path.splitext(os.path.basename(class_tar.name))[0]
            if wnid not in wnid_to_class:
                raise ValueError(f"{train_archive}: {class_tar.name} is no known class")
            with tarfile.open(fileobj=outer.extractfile(class_tar)) as inner:
                members = sorted(
                    (m for m in inner if m.isfile()), key=lambda member: member.name
                )
                for member in members:
                    if done >= n_train:
                        raise ValueError(
                            f"{train_archive} holds more than the {n_train} "
                            f"training images the devkit announces"
                        )
                    data = image_bytes(inner, member, patches)
                    _store(h5file, order[done], data, member.name, wnid_to_class[wnid])
                    done += 1
                    bar.update(done)
    if done != n_train:
        raise ValueError(
            f"{train_archive} holds {done} training images, the devkit announces "
            f"{n_train}"
        )


def process_other_set(h5file, archive_path, offset, classes=None, patches=None):
    """Store validation or test images from `offset` on, in file-name order."""
    with tarfile.open(archive_path) as archive:
        members = sorted((m for m in archive if m.isfile()), key=lambda m: m.name)
        if classes is not None and len(classes) != len(members):
            raise ValueError(
                f"{archive_path} holds {len(members)} images but the ground "
                f"truth lists {len(classes)}"
            )
        for i, member in enumerate(members):
            target = None if classes is None else classes[i]
            data = image_bytes(archive, member, patches)
            _store(h5file, offset + i, data, member.name, target)


def _count_images(archive_path):
    with tarfile.open(archive_path) as archive:
        return sum(1 for member in archive if member.isfile())


@check_exists(required_files=ALL_FILES)
def convert_ilsvrc2012(
    directory, output_directory, output_filename="ilsvrc2012.hdf5", shuffle_seed=None
):
    """Write the ILSVRC 2012 images, their classes and their file names.

    Sources ``encoded_images`` (variable-length uint8, the JPEG bytes),
    ``targets`` (int16 ``(n, 1)``, train and valid only) and ``filenames``
    (``S32`` ``(n, 1)``). The training images are shuffled; valid and test
    are in file-name order.

    Parameters
    ----------
    directory : str
        Holds the devkit and the three image archives.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``ilsvrc2012.hdf5`` by default.
    shuffle_seed : int, optional
        Seeds the shuffle of the training images; ``fuel.config.default_seed``
        by default.

    Returns
    -------
    tuple of str
        The path written.

    """
    if shuffle_seed is None:
        shuffle_seed = config.default_seed
    path = os.path.join(output_directory, output_filename)
    wnid_to_class, n_train, valid_classes, _ = read_devkit(
        os.path.join(directory, DEVKIT_ARCHIVE)
    )
    n_valid = len(valid_classes)
    n_test = _count_images(os.path.join(directory, TEST_IMAGES_TAR))
    with open_output(path) as h5file:
        prepare_hdf5_file(h5file, n_train, n_valid, n_test)
        process_train_set(
            h5file,
            os.path.join(directory, TRAIN_IMAGES_TAR),
            wnid_to_class,
            n_train,
            shuffle_seed,
        )
        process_other_set(
            h5file, os.path.join(directory, VALID_IMAGES_TAR), n_train, valid_classes
        )
        process_other_set(
            h5file, os.path.join(directory, TEST_IMAGES_TAR), n_train + n_valid
        )
    return (path,)


def fill_subparser(subparser):
    """Add ``--shuffle-seed``; return :func:`convert_ilsvrc2012`."""
    subparser.add_argument(
        "--shuffle-seed",
        type=int,
        default=config.default_seed,
        help="seed of the training images' shuffle",
    )
    return convert_ilsvrc2012

"""Convert the Street View House Numbers files (format 1 or 2) into HDF5."""

import logging
import os
import tarfile
import tempfile

import numpy

from fuel.converters.base import (
    check_exists,
    fill_hdf5_file,
    import_pillow,
    label_axes,
    open_output,
)
from fuel.datasets.hdf5 import H5PYDataset

logger = logging.getLogger(__name__)

SPLITS = ("train", "test", "extra")
FORMAT_1_FILES = [f"{split}.tar.gz" for split in SPLITS]
FORMAT_2_FILES = [f"{split}_32x32.mat" for split in SPLITS]


# Format 1 box sources: (source, field of digitStruct's boxes, dtype, axis
# labels after 'batch').
BOX_SOURCES = (
    ("bbox_labels", "label", numpy.uint8, ("bounding_box", "index")),
    ("bbox_heights", "height", numpy.uint16, ("bounding_box", "height")),
    ("bbox_widths", "width", numpy.uint16, ("bounding_box", "width")),
    ("bbox_lefts", "left", numpy.uint16, ("bounding_box", "x")),
    ("bbox_tops", "top", numpy.uint16, ("bounding_box", "y")),
)


def _box_field(h5file, box_group, field):
    """The values of one field of an image's boxes, as a column."""
    values = box_group[field]
    if len(values) == 1:
        numbers = [values[0][0]]
    else:
        numbers = [h5file[reference[0]][0][0] for reference in values]
    return numpy.array(numbers, dtype=float).reshape(-1, 1)


def _read_split(directory, split, image_module):
    """Yield (image, {source: boxes}) for each image of one unpacked split."""
    import h5py

    folder = os.path.join(directory, split)
    with h5py.File(os.path.join(folder, "digitStruct.mat"), "r") as h5file:
        boxes = h5file["digitStruct"]["bbox"]
        for k in range(len(boxes)):
            with image_module.open(os.path.join(folder, f"{k + 1}.png")) as image:
                pixels = numpy.asarray(image.convert("RGB"), dtype=numpy.uint8)
            group = h5file[boxes[k][0]]
            fields = {}
            for source, field, dtype, _ in BOX_SOURCES:
                values = numpy.clip(_box_field(h5file, group, field), 0, None)
                if field == "label":
                    values[values == 10] = 0
                fields[source] = values.astype(dtype)
            yield pixels.transpose(2, 0, 1), fields


def _store_vlen(h5file, source, arrays, dtype, shape_labels):
    import h5py

    dataset = h5file.create_dataset(
        source, (len(arrays),), dtype=h5py.vlen_dtype(dtype)
    )
    for i, array in enumerate(arrays):
        dataset[i] = array.ravel()
    shapes = h5file.create_dataset(
        f"{source}_shapes",
        data=numpy.array([array.shape for array in arrays], dtype=numpy.uint16),
    )
    labels = h5file.create_dataset(
        f"{source}_vlen_axis_labels",
        data=numpy.array([label.encode() for label in shape_labels]),
    )
    dataset.dims[0].label = "batch"
    shapes.make_scale("shapes")
    dataset.dims[0].attach_scale(shapes)
    labels.make_scale("shape_labels")
    dataset.dims[0].attach_scale(labels)


@check_exists(required_files=FORMAT_1_FILES)
def convert_svhn_format_1(
    directory, output_directory, output_filename="svhn_format_1.hdf5"
):
    """Write the whole house-number images of SVHN format 1 and their boxes.

    Every source is variable-length: ``features`` hold each image as uint8
    ``(3, height, width)``; ``bbox_labels`` (uint8, the digit 0 stored as
    0), ``bbox_heights``, ``bbox_widths``, ``bbox_lefts`` and ``bbox_tops``
    (uint16, negative values clipped to 0) hold one row per box, shape
    ``(boxes, 1)``. Splits train, test and extra. Needs Pillow.

    Parameters
    ----------
    directory : str
        Holds ``{train,test,extra}.tar.gz``, each with ``<split>/<k>.png``
        and ``<split>/digitStruct.mat``.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``svhn_format_1.hdf5`` by default.

    Returns
    -------
    tuple of str
        The path written.

    """
    image_module = import_pillow("convert_svhn_format_1")
    path = os.path.join(output_directory, output_filename)
    images = []
    boxes = {source: [] for source, *_ in BOX_SOURCES}
    split_rows = {}
    with tempfile.TemporaryDirectory() as unpacked:
        for split, archive_name in zip(SPLITS, FORMAT_1_FILES):
            start = len(images)
            with tarfile.open(os.path.join(directory, archive_name), "r:gz") as archive:
                # The "data" filter refuses members outside the directory;
                # Pythons before 3.10.12 lack it.
                if hasattr(tarfile, "data_filter"):
                    archive.extractall(unpacked, filter="data")
                else:
                    archive.extractall(unpacked)
            for image, fields in _read_split(unpacked, split, image_module):
                images.append(image)
                for source, values in fields.items():
                    boxes[source].append(values)
            split_rows[split] = (start, len(images))
    with open_output(path) as h5file:
        _store_vlen(
            h5file, "features", images, numpy.uint8, ("channel", "height", "width")
        )
        for source, _, dtype, labels in BOX_SOURCES:
            _store_vlen(h5file, source, boxes[source], dtype, labels)
        sources = ["features", *boxes]
        h5file.attrs["split"] = H5PYDataset.create_split_array(
            {split: dict.fromkeys(sources, rows) for split, rows in split_rows.items()}
        )
    return (path,)


@check_exists(required_files=FORMAT_2_FILES)
def convert_svhn_format_2(
    directory, output_directory, output_filename="svhn_format_2.hdf5"
):
    """Write the cropped 32 by 32 digits of SVHN format 2.

    ``features`` are uint8 ``(n, 3, 32, 32)``, ``targets`` uint8 ``(n, 1)``
    with the digit 0 stored as 0 (the files store it as 10). Splits train,
    test, extra.

    Parameters
    ----------
    directory : str
        Holds ``{train,test,extra}_32x32.mat``.
    output_directory : str
        Where the file is written.
    output_filename : str, optional
        ``svhn_format_2.hdf5`` by default.

    Returns
    -------
    tuple of str
        The path written.

    """
    from scipy.io import loadmat

    path = os.path.join(output_directory, output_filename)
    data = []
    for split, name in zip(SPLITS, FORMAT_2_FILES):
        mat = loadmat(os.path.join(directory, name))
        images = numpy.asarray(mat["X"], dtype=numpy.uint8).transpose(3, 2, 0, 1)
        labels = numpy.asarray(mat["y"], dtype=numpy.uint8).reshape(-1, 1)
        labels[labels == 10] = 0
        data.append((split, "features", numpy.ascontiguousarray(images)))
        data.append((split, "targets", labels))
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


def convert_svhn(which_format, directory, output_directory, output_filename=None):
    """Convert SVHN in format 1 or 2; see :func:`convert_svhn_format_2`.

    Raises
    ------
    ValueError
        If `which_format` is not 1 or 2.

    """
    if which_format not in (1, 2):
        raise ValueError(f"which_format must be 1 or 2, got {which_format!r}")
    if not output_filename:
        output_filename = f"svhn_format_{which_format}.hdf5"
    convert = convert_svhn_format_1 if which_format == 1 else convert_svhn_format_2
    return convert(directory, output_directory, output_filename)


def fill_subparser(subparser):
    """Add the positional ``which_format``; return :func:`convert_svhn`."""
    subparser.add_argument(
        "which_format", type=int, choices=(1, 2), help="SVHN format (1 or 2)"
    )
    return convert_svhn

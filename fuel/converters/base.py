"""Helpers shared by the converters: input checks, HDF5 filling, progress."""

import logging
import os
from collections import OrderedDict
from contextlib import contextmanager
from functools import wraps

import numpy

from fuel import _progress
from fuel.datasets.hdf5 import H5PYDataset
from fuel.exceptions import MissingInputFiles

logger = logging.getLogger(__name__)


def check_exists(required_files):
    """Decorate a converter so that it first checks its input files exist.

    The decorated function takes the input directory as its first argument.

    Parameters
    ----------
    required_files : list of str
        File names, relative to that directory.

    Raises
    ------
    MissingInputFiles
        From the decorated function, listing the files that are not there.

    """

    def decorate(function):
        @wraps(function)
        def wrapped(directory, *args, **kwargs):
            missing = [
                name
                for name in required_files
                if not os.path.isfile(os.path.join(directory, name))
            ]
            if missing:
                raise MissingInputFiles("Required files missing", missing)
            return function(directory, *args, **kwargs)

        return wrapped

    return decorate


def fill_hdf5_file(h5file, data):
    """Write sources and their split table into an open HDF5 file.

    Parameters
    ----------
    h5file : h5py.File
        The file, open for writing.
    data : sequence of tuple
        ``(split, source, array)`` or ``(split, source, array, comment)``
        tuples. The arrays of one source are stored one after the other in
        the order of the tuples; axis labels are left to the caller.

    Raises
    ------
    ValueError
        If the arrays of one split differ in length, or those of one source
        differ in dtype or in shape beyond the first axis.

    """
    splits = OrderedDict()
    sources = OrderedDict()
    for entry in data:
        split, source, array = entry[:3]
        splits.setdefault(split, []).append((source, array))
        sources.setdefault(source, []).append(entry)
    for split, pieces in splits.items():
        lengths = {source: len(array) for source, array in pieces}
        if len(set(lengths.values())) > 1:
            raise ValueError(
                f"fill_hdf5_file: the sources of split {split!r} differ in "
                f"length: {lengths}"
            )
    split_dict = OrderedDict((split, {}) for split in splits)
    for source, entries in sources.items():
        arrays = [numpy.asarray(entry[2]) for entry in entries]
        dtypes = {array.dtype for array in arrays}
        if len(dtypes) > 1:
            raise ValueError(
                f"fill_hdf5_file: the arrays of source {source!r} differ in "
                f"dtype: {sorted(map(str, dtypes))}"
            )
        shapes = {array.shape[1:] for array in arrays}
        if len(shapes) > 1:
            raise ValueError(
                f"fill_hdf5_file: the arrays of source {source!r} differ in "
                f"shape after the first axis: {sorted(shapes)}"
            )
        h5file.create_dataset(source, data=numpy.concatenate(arrays))
        start = 0
        for entry, array in zip(entries, arrays):
            stop = start + len(array)
            if len(entry) > 3:
                split_dict[entry[0]][source] = (start, stop, None, entry[3])
            else:
                split_dict[entry[0]][source] = (start, stop)
            start = stop
    h5file.attrs["split"] = H5PYDataset.create_split_array(split_dict)


def label_axes(h5file, labels):
    """Set the dimension labels of the datasets named in `labels`."""
    for source, names in labels.items():
        for dim, name in zip(h5file[source].dims, names):
            dim.label = name


@contextmanager
def progress_bar(name, maxval, prefix="Converting"):
    """Show a progress bar on standard output while a block runs.

    Parameters
    ----------
    name : str
        What is being converted.
    maxval : int
        The number of steps.
    prefix : str, optional
        The first word of the bar.

    Yields
    ------
    progressbar.ProgressBar
        Call its ``update(step)``.

    """
    with _progress.progress_bar(name, maxval, prefix) as bar:
        yield bar


def output_path(output_directory, output_filename):
    """Join the output directory and file name."""
    return os.path.join(output_directory, output_filename)


def open_output(path):
    """Open `path` for writing as an HDF5 file (needs the ``hdf5`` extra)."""
    from fuel.datasets.hdf5 import import_h5py

    h5py = import_h5py("fuel-convert")
    return h5py.File(path, mode="w")


def import_pillow(what):
    """Import PIL.Image, or raise an ImportError naming the ``image`` extra."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            f"{what} decodes images with Pillow, which is not installed; "
            f"install the 'image' extra: pip install 'symbolic-blocks[image]' "
            f"(or pip install Pillow)"
        ) from None
    return Image


def store_vlen_images(h5file, source, images, count):
    """Create a variable-length uint8 image source and fill it.

    Parameters
    ----------
    h5file : h5py.File
        The file, open for writing.
    source : str
        The source name.
    images : iterable of numpy.ndarray
        ``count`` uint8 images, each ``(channel, height, width)``.
    count : int
        How many images there are.

    Notes
    -----
    Each image is stored flattened; its shape goes to ``<source>_shapes``
    (a dimension scale attached as ``shapes``) and the axis names to
    ``<source>_shapes_labels`` (attached as ``shape_labels``).

    """
    import h5py

    dataset = h5file.create_dataset(
        source, (count,), dtype=h5py.vlen_dtype(numpy.uint8)
    )
    shapes = h5file.create_dataset(f"{source}_shapes", (count, 3), dtype=numpy.int32)
    for i, image in enumerate(images):
        dataset[i] = image.ravel()
        shapes[i] = image.shape
    labels = h5file.create_dataset(f"{source}_shapes_labels", (3,), dtype="S7")
    labels[...] = [b"channel", b"height", b"width"]
    dataset.dims[0].label = "batch"
    shapes.make_scale("shapes")
    dataset.dims[0].attach_scale(shapes)
    labels.make_scale("shape_labels")
    dataset.dims[0].attach_scale(labels)

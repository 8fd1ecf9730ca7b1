"""Read the splits of a Fuel HDF5 file (``mnist.hdf5``, ``cifar10.hdf5``).

Fuel's converters store each source as one HDF5 dataset holding every split,
and describe the splits in the file attribute ``split``: a table whose rows
give a split name, a source name and the ``start``/``stop`` rows of that
split (or a reference to a list of row ``indices``). h5py is needed only
here and is imported only when such a file is read.

"""

import logging

import numpy

logger = logging.getLogger(__name__)


def h5py_available():
    """Say whether h5py can be imported."""
    try:
        import h5py  # noqa: F401
    except ImportError:
        return False
    return True


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def read_split(path, which_set, sources):
    """Read one split of a Fuel HDF5 file into memory.

    Parameters
    ----------
    path : str
        The file.
    which_set : str
        The split, such as ``'train'``.
    sources : sequence of str
        The sources to read.

    Returns
    -------
    dict
        Maps each source to a numpy array.

    Raises
    ------
    ValueError
        If the file does not describe the split or a source.

    """
    import h5py

    with h5py.File(path, "r") as h5file:
        if "split" not in h5file.attrs:
            raise ValueError(f"{path} has no 'split' attribute: not a Fuel file")
        rows = {}
        for row in h5file.attrs["split"]:
            rows[_text(row["split"]), _text(row["source"])] = row
        data = {}
        for source in sources:
            if (which_set, source) not in rows:
                known = sorted({split for split, _ in rows})
                raise ValueError(
                    f"{path} has no source {source!r} in split {which_set!r}; "
                    f"its splits are {known}"
                )
            row = rows[which_set, source]
            reference = row["indices"] if "indices" in row.dtype.names else None
            if reference:
                indices = numpy.asarray(h5file[reference])
                # h5py reads only increasing indices; read sorted, then undo.
                order = numpy.argsort(indices)
                rows_read = h5file[source][indices[order]]
                data[source] = numpy.empty_like(rows_read)
                data[source][order] = rows_read
            else:
                data[source] = h5file[source][int(row["start"]) : int(row["stop"])]
    return data

"""Datasets stored in HDF5 files in Fuel's layout.

Fuel's converters store each source as one HDF5 dataset in the root group,
holding the rows of every split, and describe the splits in the root
attribute ``split``: a table whose rows give a split name, a source name,
the ``start`` and ``stop`` rows of that split (or a reference to a dataset
listing its rows, ``indices``), whether the source is ``available`` in that
split, and a ``comment``. Axis labels are HDF5 dimension labels. A source of
variable-length examples stores each example flattened and keeps its true
shapes in a dimension scale named ``shapes`` (and their axis labels in one
named ``shape_labels``).

:class:`H5PYDataset` reads and, through :meth:`H5PYDataset.create_split_array`,
helps write such files; :func:`read_split` reads one split whole (for the
MNIST and CIFAR-10 classes, which also read their original files), and
:class:`PytablesDataset` reads Fuel's older PyTables files. h5py is needed
only when a file is read: install the ``hdf5`` extra
(``pip install 'symbolic-blocks[hdf5]'``).

"""

import logging
import numbers
from collections import defaultdict

import numpy

from fuel.datasets.base import Dataset
from fuel.schemes import SequentialExampleScheme
from fuel.utils import Subset, do_not_pickle_attributes
from fuel.utils.cache import cache_file

logger = logging.getLogger(__name__)

H5PY_MISSING = (
    "{what} needs h5py, which is not installed; install the 'hdf5' extra: "
    "pip install 'symbolic-blocks[hdf5]' (or pip install h5py)"
)


def import_h5py(what="reading Fuel's HDF5 files"):
    """Import h5py, or raise an ImportError naming the ``hdf5`` extra."""
    try:
        import h5py
    except ImportError:
        raise ImportError(H5PY_MISSING.format(what=what)) from None
    return h5py


def _decode(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return str(value)


def _row_int(value):
    # Files written by Fuel's own converters under NumPy 2 hold (1,) arrays
    # where the layout has scalars; read both.
    return int(numpy.asarray(value).reshape(-1)[0])


def _split_rows(h5file):
    if "split" not in h5file.attrs:
        raise ValueError(
            f"{h5file.filename} has no 'split' attribute: it is not in Fuel's "
            f"HDF5 layout"
        )
    return h5file.attrs["split"]


@do_not_pickle_attributes(
    "data_sources",
    "external_file_handle",
    "source_shapes",
    "in_memory_subset",
    "subsets",
)
class H5PYDataset(Dataset):
    """A dataset over one HDF5 file in Fuel's layout.

    Parameters
    ----------
    file_or_path : str or h5py.File
        The file, or an open file handle (which the dataset never closes).
    which_sets : iterable of str
        The splits to read, such as ``('train',)``. Several are joined in
        file order (rows shared by splits count once).
    subset : slice or list of int, optional
        Rows within the joined splits to keep. None (or an empty list)
        keeps all.
    load_in_memory : bool, optional
        Read the rows into memory when first used. False (the default) reads
        each request from the file.
    driver : str, optional
        The HDF5 driver h5py opens the file with.
    sort_indices : bool, optional
        Read a list request in increasing row order and put the rows back in
        request order (h5py reads only increasing lists). True by default.
    sources : tuple of str, optional
        The sources to return, in that order; by default every source
        available in all of `which_sets`, sorted by name.
    axis_labels : dict, optional
        Defaults to the labels stored in the file.

    Raises
    ------
    ValueError
        If `which_sets` is not an iterable of split names, or names a split
        the file lacks.

    Examples
    --------
    >>> import os, tempfile, h5py, numpy
    >>> path = os.path.join(tempfile.mkdtemp(), 'toy.hdf5')
    >>> with h5py.File(path, 'w') as f:
    ...     f['features'] = numpy.arange(10.).reshape(5, 2)
    ...     f['features'].dims[0].label = 'batch'
    ...     f['features'].dims[1].label = 'feature'
    ...     f.attrs['split'] = H5PYDataset.create_split_array(
    ...         {'train': {'features': (0, 3)}, 'test': {'features': (3, 5)}})
    >>> test = H5PYDataset(path, which_sets=('test',))
    >>> test.num_examples, test.axis_labels['features']
    (2, ('batch', 'feature'))
    >>> test.get_data(request=[1])[0]
    array([[8., 9.]])

    """

    interface_version = "0.3"
    _file_handles = {}
    _ref_counts = defaultdict(int)

    def __init__(
        self,
        file_or_path,
        which_sets,
        subset=None,
        load_in_memory=False,
        driver=None,
        sort_indices=True,
        **kwargs,
    ):
        h5py = import_h5py("H5PYDataset")
        if isinstance(file_or_path, h5py.File):
            self.path = file_or_path.filename
            self.external_file_handle = file_or_path
        else:
            self.path = file_or_path
            self.external_file_handle = None
        if not isinstance(which_sets, str):
            which_sets = tuple(which_sets)
        if (
            isinstance(which_sets, str)
            or not which_sets
            or not all(isinstance(split, str) for split in which_sets)
        ):
            raise ValueError(
                f"H5PYDataset: which_sets must be a non-empty iterable of split "
                f"names such as ('train',), got {which_sets!r}"
            )
        self.which_sets = which_sets
        self.user_given_subset = subset if subset else slice(None)
        self.load_in_memory = load_in_memory
        self.driver = driver
        self.sort_indices = sort_indices
        self._parse_dataset_info()
        kwargs.setdefault("axis_labels", self.default_axis_labels)
        super().__init__(**kwargs)

    def _parse_dataset_info(self):
        """Read the sources, vlen sources and axis labels from the file."""
        self._out_of_memory_open()
        try:
            handle = self._file_handle
            available = self.get_all_splits(handle)
            provided = None
            for split in self.which_sets:
                if split not in available:
                    raise ValueError(
                        f"{self.path} has no split {split!r}; its splits are "
                        f"{sorted(available)}"
                    )
                split_sources = set(self.get_provided_sources(handle, split))
                provided = (
                    split_sources if provided is None else provided & split_sources
                )
            if not provided:
                raise ValueError(
                    f"{self.path}: no source is available in every split of "
                    f"{self.which_sets}"
                )
            self.provides_sources = tuple(sorted(provided))
            self.vlen_sources = self.get_vlen_sources(handle)
            self.default_axis_labels = self.get_axis_labels(handle)
        finally:
            self._out_of_memory_close()

    # -- reading the layout ---------------------------------------------------

    @staticmethod
    def create_split_array(split_dict):
        """Build the ``split`` attribute table of a Fuel HDF5 file.

        Parameters
        ----------
        split_dict : dict
            Maps each split name to a dict mapping source names to
            ``(start, stop)``, ``(start, stop, indices)`` or
            ``(start, stop, indices, comment)``, where `indices` is None or
            an HDF5 reference to a dataset of row indices.

        Returns
        -------
        numpy.ndarray
            One row per (split, source) pair, over every source named
            anywhere; pairs not given are marked unavailable.

        """
        h5py = import_h5py("H5PYDataset.create_split_array")
        sources = sorted({s for table in split_dict.values() for s in table})
        comments = [
            str(spec[3])
            for table in split_dict.values()
            for spec in table.values()
            if len(spec) > 3 and spec[3]
        ]

        def width(strings):
            return max([1, *(len(s.encode("utf-8")) for s in strings)])

        dtype = numpy.dtype(
            [
                ("split", f"S{width(split_dict)}"),
                ("source", f"S{width(sources)}"),
                ("start", numpy.int64),
                ("stop", numpy.int64),
                ("indices", h5py.ref_dtype),
                ("available", numpy.bool_),
                ("comment", f"S{width(comments)}"),
            ]
        )
        rows = []
        for split, table in split_dict.items():
            for source in sources:
                if source in table:
                    spec = tuple(table[source])
                    if len(spec) not in (2, 3, 4):
                        raise ValueError(
                            f"create_split_array: the entry of ({split!r}, "
                            f"{source!r}) must be (start, stop[, indices[, "
                            f"comment]]), got {spec!r}"
                        )
                    start, stop = spec[:2]
                    indices = spec[2] if len(spec) > 2 else None
                    comment = spec[3] if len(spec) > 3 and spec[3] else "."
                    available = True
                else:
                    start, stop, indices, comment, available = 0, 0, None, ".", False
                rows.append(
                    (
                        split.encode("utf-8"),
                        source.encode("utf-8"),
                        start,
                        stop,
                        h5py.Reference() if indices is None else indices,
                        available,
                        str(comment).encode("utf-8"),
                    )
                )
        return numpy.array(rows, dtype=dtype)

    @staticmethod
    def get_all_splits(h5file):
        """Return the names of the splits described in `h5file`."""
        return tuple({_decode(row["split"]) for row in _split_rows(h5file)})

    @staticmethod
    def get_all_sources(h5file):
        """Return the names of the sources described in `h5file`."""
        return tuple({_decode(row["source"]) for row in _split_rows(h5file)})

    @staticmethod
    def get_provided_sources(h5file, split):
        """Return the sources available in `split`."""
        return tuple(
            _decode(row["source"])
            for row in _split_rows(h5file)
            if _decode(row["split"]) == split and row["available"]
        )

    @staticmethod
    def get_vlen_sources(h5file):
        """Return the sources whose first axis has a ``shapes`` scale."""
        vlen = []
        for source in H5PYDataset.get_all_sources(h5file):
            dims = h5file[source].dims
            if "shapes" in dims[0]:
                if len(dims) > 1:
                    raise ValueError(
                        f"{h5file.filename}: the variable-length source "
                        f"{source!r} must be 1-D, it has {len(dims)} axes"
                    )
                vlen.append(source)
        return vlen

    @staticmethod
    def get_axis_labels(h5file):
        """Return a dict of the axis labels of every source in `h5file`."""
        labels = {}
        vlen = H5PYDataset.get_vlen_sources(h5file)
        for source in H5PYDataset.get_all_sources(h5file):
            dims = h5file[source].dims
            if source in vlen:
                if "shape_labels" not in dims[0]:
                    raise ValueError(
                        f"{h5file.filename}: the variable-length source "
                        f"{source!r} has no 'shape_labels' scale"
                    )
                labels[source] = (dims[0].label,) + tuple(
                    _decode(label) for label in dims[0]["shape_labels"]
                )
            else:
                labels[source] = tuple(dim.label for dim in dims)
        return labels

    @staticmethod
    def get_subsets(h5file, splits, sources):
        """Return, per source, the :class:`Subset` of rows `splits` cover."""
        table = _split_rows(h5file)
        subsets = []
        for source in sources:
            length = len(h5file[source])
            subset = Subset.empty_subset(length)
            for split in splits:
                matching = [
                    row
                    for row in table
                    if _decode(row["split"]) == split
                    and _decode(row["source"]) == source
                ]
                if len(matching) != 1:
                    raise ValueError(
                        f"{h5file.filename}: expected one 'split' row for "
                        f"({split!r}, {source!r}), found {len(matching)}"
                    )
                (row,) = matching
                if row["indices"]:
                    rows = numpy.asarray(h5file[row["indices"]]).tolist()
                    subset += Subset(rows, length)
                else:
                    subset += Subset(
                        slice(_row_int(row["start"]), _row_int(row["stop"])), length
                    )
            subsets.append(subset)
        return subsets

    # -- loading --------------------------------------------------------------

    def load(self):
        """Compute the subsets, and read the data when `load_in_memory`."""
        # An unpickled dataset has no external handle left: it reopens by
        # path. A live one keeps the handle it was given.
        if "_external_file_handle" not in self.__dict__:
            self.external_file_handle = None
        self._out_of_memory_open()
        try:
            handle = self._file_handle
            subsets = self.get_subsets(handle, self.which_sets, self.sources)
            lengths = {subset.num_examples for subset in subsets}
            if len(lengths) > 1:
                found = {
                    source: subset.num_examples
                    for source, subset in zip(self.sources, subsets)
                }
                raise ValueError(
                    f"{self.path}: sources have different lengths in "
                    f"{self.which_sets}: {found}"
                )
            self.subsets = [
                Subset.subset_of(subset, self.user_given_subset) for subset in subsets
            ]
            if self.load_in_memory:
                data_sources, source_shapes = [], []
                for source, subset in zip(self.sources, self.subsets):
                    dataset = handle[source]
                    data_sources.append(
                        subset.index_within_subset(dataset, slice(None))
                    )
                    if source in self.vlen_sources:
                        shapes = dataset.dims[0]["shapes"]
                        source_shapes.append(
                            subset.index_within_subset(shapes, slice(None))
                        )
                    else:
                        source_shapes.append(None)
                self.data_sources = data_sources
                self.source_shapes = source_shapes
                self.in_memory_subset = Subset(
                    slice(None), self.subsets[0].num_examples
                )
            else:
                self.data_sources = None
                self.source_shapes = None
                self.in_memory_subset = None
        finally:
            self._out_of_memory_close()

    @property
    def num_examples(self):
        """The number of examples after `subset`."""
        return self.subsets[0].num_examples

    @property
    def example_iteration_scheme(self):
        if "_example_iteration_scheme" not in self.__dict__:
            self._example_iteration_scheme = SequentialExampleScheme(self.num_examples)
        return self._example_iteration_scheme

    @example_iteration_scheme.setter
    def example_iteration_scheme(self, value):
        self._example_iteration_scheme = value

    # -- file handles ---------------------------------------------------------

    @property
    def _file_handle(self):
        if self.external_file_handle is not None:
            return self.external_file_handle
        if self.path in self._file_handles:
            return self._file_handles[self.path]
        raise OSError(f"{self.path} is not open; call open() first")

    def _out_of_memory_open(self):
        if self.__dict__.get("_external_file_handle") is not None:
            return
        h5py = import_h5py("H5PYDataset")
        if not self._ref_counts[self.path]:
            self._file_handles[self.path] = h5py.File(
                cache_file(self.path), mode="r", driver=self.driver
            )
        self._ref_counts[self.path] += 1

    def _out_of_memory_close(self):
        if self.__dict__.get("_external_file_handle") is not None:
            return
        self._ref_counts[self.path] -= 1
        if not self._ref_counts[self.path]:
            del self._ref_counts[self.path]
            self._file_handles.pop(self.path).close()

    def open(self):
        """Take a reference on the shared read-only file; the state is None."""
        if not self.load_in_memory:
            self._out_of_memory_open()
        return None

    def close(self, state):
        """Drop the reference :meth:`open` took; the last closes the file."""
        if not self.load_in_memory:
            self._out_of_memory_close()

    # -- reading --------------------------------------------------------------

    def get_data(self, state=None, request=None):
        """Return the examples of `request`, one value per source.

        Parameters
        ----------
        state : None
            What :meth:`open` returned.
        request : int, slice or list of int
            Rows within the dataset's examples. An int gives one example
            without a batch axis.

        """
        if self.load_in_memory:
            data, shapes = self._in_memory_get_data(state, request)
        else:
            data, shapes = self._out_of_memory_get_data(state, request)
        for i, source_shapes in enumerate(shapes):
            if source_shapes is None:
                continue
            if isinstance(request, numbers.Integral):
                data[i] = data[i].reshape(source_shapes)
            else:
                reshaped = numpy.empty(len(data[i]), dtype=object)
                for j, example in enumerate(data[i]):
                    reshaped[j] = example.reshape(source_shapes[j])
                data[i] = reshaped
        return tuple(data)

    def _in_memory_get_data(self, state, request):
        if state is not None or request is None:
            raise ValueError(
                "H5PYDataset in memory: get_data takes no state and needs a "
                f"request, got state={state!r}, request={request!r}"
            )
        data = [
            self.in_memory_subset.index_within_subset(source, request)
            for source in self.data_sources
        ]
        shapes = [
            None
            if shape is None
            else self.in_memory_subset.index_within_subset(shape, request)
            for shape in self.source_shapes
        ]
        return data, shapes

    def _out_of_memory_get_data(self, state, request):
        if isinstance(request, bool) or not isinstance(
            request, (numbers.Integral, slice, list)
        ):
            raise ValueError(
                "H5PYDataset: a request must be an int, a slice or a list of "
                f"ints, got {request!r}"
            )
        if not self._ref_counts[self.path] and self.external_file_handle is None:
            # get_data without open(): open once and keep the file open.
            self._out_of_memory_open()
        handle = self._file_handle
        data, shapes = [], []
        for source, subset in zip(self.sources, self.subsets):
            dataset = handle[source]
            data.append(
                subset.index_within_subset(
                    dataset, request, sort_indices=self.sort_indices
                )
            )
            if source in self.vlen_sources:
                shapes.append(
                    subset.index_within_subset(
                        dataset.dims[0]["shapes"],
                        request,
                        sort_indices=self.sort_indices,
                    )
                )
            else:
                shapes.append(None)
        return data, shapes


class PytablesDataset(Dataset):
    """A dataset over the nodes of a PyTables file (Fuel's legacy format).

    Needs the optional ``tables`` package.

    Parameters
    ----------
    path : str
        The file.
    sources : tuple of str
        The source names to return.
    start, stop : int, optional
        The rows to use; `stop` defaults to the length of the first node.
    data_node : str, optional
        The group holding the nodes (``'Data'``).
    sources_in_file : tuple of str, optional
        The node names, one per source; defaults to `sources`.

    """

    def __init__(
        self, path, sources, start=0, stop=None, data_node="Data", sources_in_file=None
    ):
        try:
            import tables  # noqa: F401
        except ImportError:
            raise ImportError(
                "PytablesDataset needs the 'tables' package (pip install tables)"
            ) from None
        self.path = path
        self.data_node = data_node
        self.sources_in_file = tuple(sources_in_file or sources)
        self.provides_sources = tuple(sources)
        super().__init__()
        self.start = start
        self.load()
        self.stop = self.nodes[0].nrows if stop is None else stop
        self.num_examples = self.stop - self.start

    def load(self):
        """Open the file and find the nodes."""
        import tables

        self.h5file = tables.open_file(self.path, mode="r")
        node = self.h5file.get_node("/", self.data_node)
        self.nodes = [getattr(node, name) for name in self.sources_in_file]

    def close_file(self):
        """Close the file."""
        self.h5file.close()
        del self.nodes
        del self.h5file

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("nodes", None)
        state.pop("h5file", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.load()

    def get_data(self, state=None, request=None):
        """Return a list holding the rows `request` of each node."""
        if isinstance(request, slice):
            request = slice(
                request.start + self.start if request.start is not None else self.start,
                request.stop + self.start if request.stop is not None else self.stop,
                request.step,
            )
            return [node[request] for node in self.nodes]
        if isinstance(request, list):
            rows = [index + self.start for index in request]
            # PyTables reads a list as point coordinates, not rows.
            return [numpy.stack([node[row] for row in rows]) for node in self.nodes]
        raise ValueError(
            f"PytablesDataset: a request must be a slice or a list, got {request!r}"
        )


# Reading one split into memory, for the MNIST and CIFAR-10 classes, which
# also read their original files.


def h5py_available():
    """Say whether h5py can be imported."""
    try:
        import h5py  # noqa: F401
    except ImportError:
        return False
    return True


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
            rows[_decode(row["split"]), _decode(row["source"])] = row
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
                # Fuel reads the rows of an index list in file order, once
                # each (as H5PYDataset does).
                wanted = numpy.unique(numpy.asarray(h5file[reference]))
                data[source] = h5file[source][wanted]
            else:
                data[source] = h5file[source][
                    _row_int(row["start"]) : _row_int(row["stop"])
                ]
    return data

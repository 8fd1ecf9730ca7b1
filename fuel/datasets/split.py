"""A base for datasets stored as named splits in files (MNIST's train and test).

The arrays are read when the dataset is built and again, lazily, after it is
unpickled: a pickled dataset (inside a checkpointed main loop, say) holds the
file names, not the data.

"""

import logging

import numpy

from fuel.datasets.base import Dataset
from fuel.schemes import SequentialExampleScheme
from fuel.utils import check_indices, index_within

logger = logging.getLogger(__name__)


class SplitDataset(Dataset):
    """A dataset made of one or more named splits, read by index.

    Subclasses set ``provides_sources``, ``available_sets``,
    ``default_axis_labels`` and implement :meth:`read_set`.

    Parameters
    ----------
    which_sets : tuple of str
        The splits to use, such as ``('train',)``; several are concatenated
        in the order given.
    subset : slice or list of int, optional
        Keep only these examples of the concatenated splits.
    load_in_memory : bool, optional
        Read the data into memory (True, the default). When False, files that
        allow it are mapped from disk instead and read as requests come.
    sources : tuple of str, optional
        See :class:`.Dataset`.
    axis_labels : dict, optional
        Defaults to ``default_axis_labels``.
    sort_indices, driver : optional
        Accepted for compatibility with Fuel's HDF5-backed datasets
        (:class:`.H5PYDataset`); they change nothing here.

    Attributes
    ----------
    num_examples : int
        The number of examples after `subset`.

    """

    available_sets = ()
    default_axis_labels = None

    def __init__(
        self,
        which_sets,
        subset=None,
        load_in_memory=True,
        axis_labels=None,
        sort_indices=True,
        driver=None,
        **kwargs,
    ):
        # Fuel's MNIST and CIFAR10 are H5PYDatasets; scripts may pass their
        # HDF5 options, which have no effect on data read whole.
        self.sort_indices = sort_indices
        self.driver = driver
        self.which_sets = self._check_sets(which_sets)
        self.subset = subset
        self.load_in_memory = load_in_memory
        if axis_labels is None and self.default_axis_labels is not None:
            axis_labels = dict(self.default_axis_labels)
        super().__init__(axis_labels=axis_labels, **kwargs)
        self.num_examples = len(self.data[0])
        self.example_iteration_scheme = SequentialExampleScheme(self.num_examples)

    def _check_sets(self, which_sets):
        name = type(self).__name__
        if isinstance(which_sets, str) or not all(
            isinstance(which_set, str) for which_set in which_sets
        ):
            raise TypeError(
                f"{name} expects which_sets to be a tuple of split names such "
                f"as ('train',), got {which_sets!r}"
            )
        which_sets = tuple(which_sets)
        if not which_sets:
            raise ValueError(f"{name} needs at least one split in which_sets")
        unknown = [s for s in which_sets if s not in self.available_sets]
        if unknown:
            raise ValueError(
                f"{name} has no split {', '.join(map(repr, unknown))}; "
                f"it has {self.available_sets}"
            )
        return which_sets

    def read_set(self, which_set, sources):
        """Read one split.

        Parameters
        ----------
        which_set : str
            The split.
        sources : tuple of str
            The sources to read.

        Returns
        -------
        dict
            Maps each source to an array (or memory map) of its examples.

        """
        raise NotImplementedError(f"{type(self).__name__} must implement read_set")

    @property
    def data(self):
        """The arrays of ``sources``, read from disk on first use."""
        if "_data" not in self.__dict__:
            self._data = self._load()
        return self._data

    def _load(self):
        splits = [
            self.read_set(which_set, self.sources) for which_set in self.which_sets
        ]
        data = []
        for source in self.sources:
            parts = [split[source] for split in splits]
            if len(parts) == 1:
                array = parts[0]
            else:
                array = numpy.concatenate(parts)
            if self.subset is not None:
                array = array[self.subset]
            data.append(array)
        logger.debug(
            "%s(%s): read %d examples",
            type(self).__name__,
            self.which_sets,
            len(data[0]),
        )
        return tuple(data)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_data", None)
        return state

    def __setstate__(self, state):
        if "user_given_subset" in state:
            self._restore_fuel_pickle(state)
        else:
            self.__dict__.update(state)

    def _restore_fuel_pickle(self, state):
        """Rebuild a dataset that Fuel 0.2 pickled as an H5PYDataset.

        Fuel's MNIST and CIFAR10 were H5PYDatasets: their pickles (inside a
        Blocks checkpoint, say) hold its settings and the path the file had
        on the machine that pickled them. The files are looked for again in
        this machine's data path.

        """
        subset = state["user_given_subset"]
        self.which_sets = self._check_sets(state["which_sets"])
        self.subset = None if subset == slice(None) else subset
        self.load_in_memory = state.get("load_in_memory", True)
        self.sort_indices = state.get("sort_indices", True)
        self.driver = state.get("driver")
        self.axis_labels = state.get("axis_labels")
        if state.get("_sources") is not None:
            self.sources = state["_sources"]
        self._relocate()
        self.num_examples = len(self.data[0])
        self.example_iteration_scheme = SequentialExampleScheme(self.num_examples)

    def _relocate(self):
        """Find the dataset's files again; subclasses that keep paths override it."""

    def get_data(self, state=None, request=None):
        name = type(self).__name__
        if request is None:
            raise ValueError(
                f"{name} needs a request: give its DataStream an iteration "
                f"scheme, e.g. SequentialScheme(dataset.num_examples, batch_size)"
            )
        request = check_indices(request, self.num_examples, name)
        return tuple(numpy.asarray(index_within(array, request)) for array in self.data)

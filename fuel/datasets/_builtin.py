"""The common base of the built-in datasets read from Fuel's data path."""

import logging

from fuel.datasets.hdf5 import H5PYDataset
from fuel.utils import find_in_data_path

logger = logging.getLogger(__name__)


class DataPathH5PYDataset(H5PYDataset):
    """An :class:`.H5PYDataset` over a file named `filename` in the data path.

    Subclasses set ``filename`` (or make it a property) and
    ``default_load_in_memory``.

    Parameters
    ----------
    which_sets : tuple of str
        The splits to read.
    **kwargs
        Passed to :class:`.H5PYDataset` (``subset``, ``sources``,
        ``load_in_memory``, ``sort_indices``, ``driver``, ``axis_labels``).

    Raises
    ------
    FileNotFoundError
        If no directory of ``fuel.config.data_path`` holds the file.

    """

    filename = None
    default_load_in_memory = True

    def __init__(self, which_sets, **kwargs):
        kwargs.setdefault("load_in_memory", self.default_load_in_memory)
        super().__init__(
            file_or_path=find_in_data_path(self.filename),
            which_sets=which_sets,
            **kwargs,
        )

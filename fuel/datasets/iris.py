"""Fisher's iris flowers."""

from fuel.datasets._builtin import DataPathH5PYDataset


class Iris(DataPathH5PYDataset):
    """The 150 iris flowers, read from ``iris.hdf5``.

    One split, ``all``, in file order. ``features`` are the four
    measurements (float32 ``(n, 4)``); ``targets`` the class (uint8
    ``(n, 1)``: setosa 0, versicolor 1, virginica 2).

    Parameters
    ----------
    which_sets : tuple of str
        ``('all',)``.
    **kwargs
        See :class:`.H5PYDataset`; in memory by default.

    """

    filename = "iris.hdf5"

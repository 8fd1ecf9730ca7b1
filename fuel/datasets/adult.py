"""The UCI Adult census income data."""

from fuel.datasets._builtin import DataPathH5PYDataset


class Adult(DataPathH5PYDataset):
    """Adult census records, read from ``adult.hdf5``.

    Splits ``train`` and ``test`` (rows with missing values dropped).
    ``features`` (float64) hold the continuous variables and one-hot
    columns of the categorical ones; ``targets`` (bool ``(n, 1)``) are True
    for an income above 50K.

    Parameters
    ----------
    which_sets : tuple of str
        Among ``'train'`` and ``'test'``.
    **kwargs
        See :class:`.H5PYDataset`; in memory by default.

    """

    filename = "adult.hdf5"

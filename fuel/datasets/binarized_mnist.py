"""MNIST binarized by Salakhutdinov and Murray."""

from fuel.datasets._builtin import DataPathH5PYDataset


class BinarizedMNIST(DataPathH5PYDataset):
    """The binarized MNIST digits, read from ``binarized_mnist.hdf5``.

    Splits ``train`` (50,000), ``valid`` (10,000) and ``test`` (10,000).
    The single source ``features`` holds uint8 0/1 images of shape
    ``(n, 1, 28, 28)``. Make the file with ``fuel-download binarized_mnist``
    and ``fuel-convert binarized_mnist``.

    Parameters
    ----------
    which_sets : tuple of str
        Among ``'train'``, ``'valid'`` and ``'test'``.
    load_in_memory : bool, optional
        True by default.
    **kwargs
        See :class:`.H5PYDataset`.

    """

    filename = "binarized_mnist.hdf5"

    def __init__(self, which_sets, load_in_memory=True, **kwargs):
        super().__init__(which_sets, load_in_memory=load_in_memory, **kwargs)

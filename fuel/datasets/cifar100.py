"""The CIFAR-100 images: 32 by 32 colour pictures in 100 classes."""

from fuel.datasets._builtin import DataPathH5PYDataset
from fuel.transformers.defaults import uint8_pixels_to_floatX


class CIFAR100(DataPathH5PYDataset):
    """CIFAR-100, read from ``cifar100.hdf5``.

    Splits ``train`` (50,000) and ``test`` (10,000). Sources
    ``coarse_labels`` (uint8 ``(n, 1)``, 0 to 19), ``features`` (uint8
    ``(n, 3, 32, 32)``) and ``fine_labels`` (uint8 ``(n, 1)``, 0 to 99).
    The default transformers scale the pixels to floatX in [0, 1].

    Parameters
    ----------
    which_sets : tuple of str
        Among ``'train'`` and ``'test'``.
    **kwargs
        See :class:`.H5PYDataset`; in memory by default.

    """

    filename = "cifar100.hdf5"
    default_transformers = uint8_pixels_to_floatX(("features",))

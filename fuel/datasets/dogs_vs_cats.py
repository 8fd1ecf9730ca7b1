"""The Kaggle Dogs vs. Cats pictures."""

from fuel.datasets._builtin import DataPathH5PYDataset
from fuel.transformers.simple import ScaleAndShift


class DogsVsCats(DataPathH5PYDataset):
    """Dogs vs. Cats, read from ``dogs_vs_cats.hdf5``.

    Splits ``train`` (25,000, shuffled) and ``test`` (12,500, without
    targets). ``image_features`` are variable-size uint8 images ``(3, H, W)``;
    ``targets`` uint8 ``(n, 1)``, cat 0 and dog 1. The default transformer
    scales the pixels by 1/255.

    Parameters
    ----------
    which_sets : tuple of str
        Among ``'train'`` and ``'test'``.
    **kwargs
        See :class:`.H5PYDataset`; read from disk by default.

    """

    filename = "dogs_vs_cats.hdf5"
    default_load_in_memory = False
    default_transformers = (
        (ScaleAndShift, [1 / 255.0, 0], {"which_sources": ("image_features",)}),
    )

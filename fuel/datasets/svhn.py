"""The Street View House Numbers."""

from fuel.datasets._builtin import DataPathH5PYDataset
from fuel.transformers.defaults import uint8_pixels_to_floatX


class SVHN(DataPathH5PYDataset):
    """SVHN, read from ``svhn_format_<which_format>.hdf5``.

    Splits ``train``, ``test`` and ``extra``. Format 2 holds the cropped
    32 by 32 digits: ``features`` uint8 ``(n, 3, 32, 32)`` and ``targets``
    uint8 ``(n, 1)`` (the digit 0 is 0). Format 1 holds the whole house
    numbers; every source is variable-length (``features`` ``(3, H, W)``
    per example, and the bounding boxes ``bbox_labels``, ``bbox_heights``,
    ``bbox_widths``, ``bbox_lefts``, ``bbox_tops``, ``(boxes, 1)`` each).

    Parameters
    ----------
    which_format : {1, 2}
        The format.
    which_sets : tuple of str
        Among ``'train'``, ``'test'`` and ``'extra'``.
    **kwargs
        See :class:`.H5PYDataset`; read from disk by default.

    """

    default_load_in_memory = False
    default_transformers = uint8_pixels_to_floatX(("features",))

    def __init__(self, which_format, which_sets, **kwargs):
        if which_format not in (1, 2):
            raise ValueError(f"SVHN: which_format must be 1 or 2, got {which_format!r}")
        self.which_format = which_format
        super().__init__(which_sets, **kwargs)

    @property
    def filename(self):
        return f"svhn_format_{self.which_format}.hdf5"

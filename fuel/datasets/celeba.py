"""The CelebA faces."""

from fuel.datasets._builtin import DataPathH5PYDataset
from fuel.transformers.defaults import uint8_pixels_to_floatX

FORMATS = ("aligned_cropped", "64")


class CelebA(DataPathH5PYDataset):
    """CelebA faces and their 40 attributes, read from ``celeba_<format>.hdf5``.

    Splits ``train`` (162,770), ``valid`` (19,867) and ``test`` (19,962).
    ``features`` are uint8 ``(n, 3, 218, 178)`` (``'aligned_cropped'``) or
    ``(n, 3, 64, 64)`` (``'64'``); ``targets`` uint8 ``(n, 40)``, the
    attributes as 0/1.

    Parameters
    ----------
    which_format : {'aligned_cropped', '64'}
        The image format.
    which_sets : tuple of str
        Among ``'train'``, ``'valid'`` and ``'test'``.
    **kwargs
        See :class:`.H5PYDataset`; read from disk by default.

    """

    default_load_in_memory = False
    default_transformers = uint8_pixels_to_floatX(("features",))

    def __init__(self, which_format, which_sets, **kwargs):
        if which_format not in FORMATS:
            raise ValueError(
                f"CelebA: which_format must be one of {FORMATS}, got {which_format!r}"
            )
        self.which_format = which_format
        super().__init__(which_sets, **kwargs)

    @property
    def filename(self):
        return f"celeba_{self.which_format}.hdf5"

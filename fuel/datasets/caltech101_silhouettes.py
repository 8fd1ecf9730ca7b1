"""The CalTech 101 Silhouettes."""

from fuel.datasets._builtin import DataPathH5PYDataset
from fuel.utils import find_in_data_path


class CalTech101Silhouettes(DataPathH5PYDataset):
    """Silhouettes of the CalTech 101 objects, 16 or 28 pixels wide.

    Read from ``caltech101_silhouettes<size>.hdf5``. Splits ``train``,
    ``valid`` and ``test``; ``features`` ``(n, 1, size, size)`` and
    ``targets`` ``(n, 1)``, with the dtypes of the original ``.mat`` file.

    Parameters
    ----------
    which_sets : tuple of str
        Among ``'train'``, ``'valid'`` and ``'test'``.
    size : {16, 28}, optional
        The image side; 28 by default.
    load_in_memory : bool, optional
        True by default.
    **kwargs
        See :class:`.H5PYDataset`.

    Raises
    ------
    ValueError
        If `size` is not 16 or 28.

    """

    def __init__(self, which_sets, size=28, load_in_memory=True, **kwargs):
        if size not in (16, 28):
            raise ValueError(
                f"CalTech101Silhouettes: size must be 16 or 28, got {size!r}"
            )
        self.size = size
        super().__init__(which_sets, load_in_memory=load_in_memory, **kwargs)

    @property
    def filename(self):
        return f"caltech101_silhouettes{self.size}.hdf5"

    @property
    def data_path(self):
        """The path of the file in Fuel's data path."""
        return find_in_data_path(self.filename)

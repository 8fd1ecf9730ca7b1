"""Small handwritten digits that ship with Fuel, so examples need no download."""

import logging
import os
import zipfile
import zlib

import numpy

from fuel.datasets.split import SplitDataset
from fuel.transformers.defaults import rescale_to_floatX

logger = logging.getLogger(__name__)

DIGITS_FILE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "digits.npz"
)


def _splits():
    """Rows of each split: 297 rows drawn by a fixed shuffle for the test set.

    The file keeps the rows in the order of their source, grouped by writer,
    so a contiguous split (say the last 297 rows) tests on writers the
    training set never saw: a 1-nearest-neighbour classifier errs on 5.4% of
    such a test set and the tutorial's MLP stays above 7% however it is
    trained, against 1.0% and 4 to 5% on the shuffled split below. Every
    split keeps file order.
    """
    order = numpy.random.RandomState(1797).permutation(1797)
    return {"train": numpy.sort(order[:1500]), "test": numpy.sort(order[1500:])}


SPLITS = _splits()


class Digits(SplitDataset):
    """The UCI optical handwritten digits: 1797 images of 8 by 8 pixels.

    Each pixel counts the ink in a 4 by 4 block of a 32 by 32 bitmap, so it
    lies between 0 and 16. The data ship inside the package
    (``fuel/data/digits.npz``; see ``fuel/data/README.txt`` for the source and
    license), so the dataset needs no download and no data path. It is used
    exactly like :class:`.MNIST`.

    Parameters
    ----------
    which_sets : tuple of str
        Among ``'train'`` (1500 examples) and ``'test'`` (the other 297,
        drawn by a fixed shuffle so that both splits hold every writer).
    subset : slice or list of int, optional
        Keep only these examples.
    load_in_memory : bool, optional
        Accepted for compatibility with MNIST; the data are always in memory.
    sources : tuple of str, optional
        Among ``'features'`` and ``'targets'``.

    Notes
    -----
    ``features`` are uint8 of shape ``(n, 1, 8, 8)`` with values 0 to 16, and
    ``targets`` uint8 labels of shape ``(n, 1)``. The default transformers,
    applied by :meth:`.DataStream.default_stream`, divide the pixels by 16 and
    cast them to ``fuel.config.floatX``.

    Examples
    --------
    >>> from fuel.schemes import SequentialScheme
    >>> from fuel.streams import DataStream
    >>> from fuel.transformers import Flatten
    >>> digits = Digits(("train",))
    >>> digits.num_examples
    1500
    >>> stream = Flatten(DataStream.default_stream(
    ...     digits, iteration_scheme=SequentialScheme(digits.num_examples, 256)))
    >>> features, targets = next(stream.get_epoch_iterator())
    >>> features.shape, targets.shape
    ((256, 64), (256, 1))

    """

    provides_sources = ("features", "targets")
    available_sets = ("train", "test")
    default_axis_labels = {
        "features": ("batch", "channel", "height", "width"),
        "targets": ("batch", "index"),
    }
    default_transformers = rescale_to_floatX(1 / 16.0, ("features",))

    def read_set(self, which_set, sources):
        if not os.path.isfile(DIGITS_FILE):
            raise FileNotFoundError(
                f"the digits data file that ships with Fuel is missing: "
                f"looked for it at {DIGITS_FILE}; reinstall the package"
            )
        try:
            with numpy.load(DIGITS_FILE) as arrays:
                return {source: arrays[source][SPLITS[which_set]] for source in sources}
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as error:
            raise ValueError(
                f"the digits data file that ships with Fuel, {DIGITS_FILE}, "
                f"cannot be read: it is truncated or damaged "
                f"({type(error).__name__}: {error}); reinstall the package"
            ) from error

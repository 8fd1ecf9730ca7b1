"""The One Billion Word benchmark, read as text files."""

import os

from fuel.datasets.text import TextFile
from fuel.utils import find_in_data_path

TRAINING = os.path.join(
    "1-billion-word",
    "training-monolingual.tokenized.shuffled",
    "news.en-{:05d}-of-00100",
)
HELDOUT = os.path.join(
    "1-billion-word",
    "heldout-monolingual.tokenized.shuffled",
    "news.en.heldout-{:05d}-of-00050",
)
PARTITIONS = {"training": (TRAINING, range(1, 100)), "heldout": (HELDOUT, range(50))}


class OneBillionWord(TextFile):
    """Sentences of the One Billion Word benchmark, as lists of word ids.

    The files of the benchmark's archive are looked for under
    ``1-billion-word/`` in Fuel's data path. There is no downloader or
    converter.

    Parameters
    ----------
    which_set : {'training', 'heldout'}
        The part of the benchmark.
    which_partitions : list of int
        The files to read: 1 to 99 for training, 0 to 49 for heldout.
    dictionary : dict
        Maps words to ids.
    **kwargs
        See :class:`.TextFile`.

    Raises
    ------
    ValueError
        If the set or a partition does not exist.

    """

    def __init__(self, which_set, which_partitions, dictionary, **kwargs):
        if which_set not in PARTITIONS:
            raise ValueError(
                f"OneBillionWord: which_set must be 'training' or 'heldout', "
                f"got {which_set!r}"
            )
        pattern, valid = PARTITIONS[which_set]
        bad = [p for p in which_partitions if p not in valid]
        if bad:
            raise ValueError(
                f"OneBillionWord: {which_set} has partitions {valid.start} to "
                f"{valid.stop - 1}, got {bad}"
            )
        files = [find_in_data_path(pattern.format(p)) for p in which_partitions]
        super().__init__(files, dictionary, **kwargs)

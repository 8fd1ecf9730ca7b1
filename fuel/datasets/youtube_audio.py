"""The sound track of a YouTube video, converted by ``fuel-convert``.

Not re-exported from :mod:`fuel.datasets`, as in Fuel.

"""

from fuel.datasets._builtin import DataPathH5PYDataset


class YouTubeAudio(DataPathH5PYDataset):
    """The audio of one video, read from ``<youtube_id>.hdf5``.

    The single split is ``train``; ``features`` are ``(1, time, channels)``
    samples in the WAV file's dtype.

    Parameters
    ----------
    youtube_id : str
        The video's id, as in ``https://www.youtube.com/watch?v=<id>``.
    **kwargs
        See :class:`.H5PYDataset`.

    """

    def __init__(self, youtube_id, **kwargs):
        self.youtube_id = youtube_id
        super().__init__(("train",), **kwargs)

    @property
    def filename(self):
        return f"{self.youtube_id}.hdf5"

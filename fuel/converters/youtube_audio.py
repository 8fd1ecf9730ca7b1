"""Convert the sound track of a downloaded YouTube video into HDF5."""

import logging
import os
import subprocess

import numpy

from fuel.converters.base import fill_hdf5_file, label_axes, open_output

logger = logging.getLogger(__name__)


def convert_youtube_audio(
    directory, output_directory, youtube_id, channels, sample, output_filename=None
):
    """Resample ``<youtube_id>.m4a`` with ffmpeg and store it as one example.

    ``features`` are ``(1, time, channels)`` samples (int16 from ffmpeg's
    WAV output) in the single split ``train``.

    Parameters
    ----------
    directory : str
        Holds ``<youtube_id>.m4a``; the WAV file is written there too.
    output_directory : str
        Where the HDF5 file is written.
    youtube_id : str
        The video's id.
    channels : int
        The number of audio channels to keep.
    sample : int
        The sampling rate, in Hz.
    output_filename : str, optional
        ``<youtube_id>.hdf5`` by default.

    Returns
    -------
    tuple of str
        The path written.

    Raises
    ------
    RuntimeError
        If ffmpeg is not installed or fails.

    """
    from scipy.io import wavfile

    if output_filename is None:
        output_filename = f"{youtube_id}.hdf5"
    path = os.path.join(output_directory, output_filename)
    command = [
        "ffmpeg",
        "-y",
        "-i",
        f"{youtube_id}.m4a",
        "-ac",
        str(channels),
        "-ar",
        str(sample),
        f"{youtube_id}.wav",
    ]
    try:
        result = subprocess.run(command, cwd=directory, capture_output=True)
    except FileNotFoundError:
        raise RuntimeError("conversion requires ffmpeg") from None
    if result.returncode:
        raise RuntimeError(
            f"ffmpeg failed on {youtube_id}.m4a: "
            f"{result.stderr.decode(errors='replace')[-500:]}"
        )
    _, samples = wavfile.read(os.path.join(directory, f"{youtube_id}.wav"))
    features = numpy.asarray(samples).reshape(1, len(samples), -1)
    with open_output(path) as h5file:
        fill_hdf5_file(h5file, (("train", "features", features),))
        label_axes(h5file, {"features": ("batch", "time", "feature")})
    return (path,)


def fill_subparser(subparser):
    """Add the video id, channels and rate; return :func:`convert_youtube_audio`."""
    subparser.add_argument("--youtube-id", type=str, required=True, help="video id")
    subparser.add_argument("--channels", type=int, default=1, help="audio channels")
    subparser.add_argument("--sample", type=int, default=16000, help="rate in Hz")
    return convert_youtube_audio

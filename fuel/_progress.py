"""Progress bars on standard output for the console scripts' long steps."""

import sys
from contextlib import contextmanager


class _CurrentStdout:
    """Whatever ``sys.stdout`` is at the time of each write.

    progressbar2 otherwise keeps the stream it found when it was imported,
    which ignores later redirections (pytest's capture, notebooks).

    """

    def __getattr__(self, name):
        return getattr(sys.stdout, name)


@contextmanager
def progress_bar(name, maxval, prefix=None):
    """Show a progress bar for `name` while a block runs.

    Parameters
    ----------
    name : str
        What is being processed.
    maxval : int or None
        The number of steps; None (unknown) shows a counter and a timer.
    prefix : str, optional
        A word put before `name`.

    Yields
    ------
    progressbar.ProgressBar
        Call its ``update(done)``.

    """
    import progressbar

    label = f"{prefix} {name}: " if prefix else f"{name}: "
    if maxval:
        widgets = [label, progressbar.Percentage(), " ", progressbar.Bar()]
    else:
        widgets = [label, progressbar.DataSize(), " ", progressbar.Timer()]
        maxval = progressbar.UnknownLength
    bar = progressbar.ProgressBar(
        widgets=widgets, max_value=maxval, fd=_CurrentStdout()
    )
    bar.start()
    try:
        yield bar
    finally:
        bar.finish()

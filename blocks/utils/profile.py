"""Hierarchical timers for profiling the main loop."""

import sys
import timeit
from collections import defaultdict


class Profile:
    """A profile of hierarchical timers.

    Keeps track of the total time spent in each section, keyed by the path
    of the enclosing sections.

    Attributes
    ----------
    current : list of str
        The sections currently entered, outermost first.
    total : dict
        Maps a tuple of section names to the seconds spent in it.

    """

    def __init__(self):
        self.total = defaultdict(int)
        self.current = []

    def __setstate__(self, state):
        self.__dict__.update(state)
        # The sections entered when the profile was pickled (a checkpoint
        # saved in the middle of training) are not entered in this process;
        # keeping them would file the new timings under other keys.
        self.current = []

    def enter(self, name):
        """Enter the section `name`."""
        self.current.append(name)

    def exit(self, t):
        """Leave the current section, adding `t` seconds to it."""
        self.total[tuple(self.current)] += t
        self.current.pop()

    def report(self, f=sys.stderr):
        """Write a table of the timings, nested by section.

        Parameters
        ----------
        f : file, optional
            Where to write; standard error by default.

        """
        total = sum(t for key, t in self.total.items() if len(key) == 1)
        f.write(f"{'Section':<60}{'Time':>12}{'% of total':>14}\n")
        f.write("-" * 86 + "\n")
        for key in sorted(self.total):
            t = self.total[key]
            share = 100.0 * t / total if total else 0.0
            indent = "    " * (len(key) - 1)
            f.write(f"{indent + key[-1]:<60}{t:>11.2f}s{share:>13.2f}%\n")
        f.write("-" * 86 + "\n")


class Timer:
    """A context manager that times a section of a :class:`Profile`.

    Parameters
    ----------
    name : str
        The name of the section.
    profile : Profile
        The profile to record into.

    """

    def __init__(self, name, profile):
        self.name = name
        self.profile = profile

    def __enter__(self):
        self.profile.enter(self.name)
        self.start = timeit.default_timer()

    def __exit__(self, *args):
        self.profile.exit(timeit.default_timer() - self.start)

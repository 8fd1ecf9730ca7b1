"""ProfileMode: a Mode whose functions all record a ProfileStats (Theano's API).

Theano 1.0 had deprecated ProfileMode in favour of ``profile=True``; scripts
still create it, so it is a Mode that gives every function compiled with it a
:class:`~symbolic.compile.profiling.ProfileStats` and prints them all with
:meth:`ProfileMode.print_summary`.
"""

import sys

from symbolic.compile.mode import Mode
from symbolic.compile.profiling import ProfileStats


class ProfileMode(Mode):
    """A compile mode that profiles every function compiled with it.

    Parameters
    ----------
    linker, optimizer
        As for :class:`~symbolic.compile.mode.Mode`.

    Attributes
    ----------
    profile_stats : list of ProfileStats
        One per function compiled with this mode, in compile order.

    Examples
    --------
    >>> import symbolic, symbolic.tensor as T
    >>> mode = ProfileMode(optimizer='fast_run', linker='py')
    >>> x = T.dvector('x')
    >>> f = symbolic.function([x], 2 * x, mode=mode)
    >>> f([1.0, 2.0])
    array([2., 4.])
    >>> mode.profile_stats[0].fct_callcount
    1
    """

    def __init__(self, linker=None, optimizer="default"):
        super().__init__(linker=linker, optimizer=optimizer)
        self.profile_stats = []

    def _clone_with(self, **changes):
        new = super()._clone_with(**changes)
        new.__class__ = type(self)
        return new

    def new_profile(self, name=None):
        """Return the ProfileStats for a function being compiled with this mode."""
        stats = ProfileStats(atexit_print=False, message=name)
        self.profile_stats.append(stats)
        return stats

    def print_summary(self, file=None, n_ops_to_print=20, n_apply_to_print=20):
        """Write every profiled function's time tables (to stdout by default)."""
        file = sys.stdout if file is None else file
        if not self.profile_stats:
            print("ProfileMode: no function compiled yet", file=file)
        for stats in self.profile_stats:
            stats.summary(
                file=file,
                n_ops_to_print=n_ops_to_print,
                n_apply_to_print=n_apply_to_print,
            )

    def print_diff_summary(self, other, **kwargs):
        """Theano compared two ProfileModes; we print both summaries."""
        self.print_summary(**kwargs)
        other.print_summary(**kwargs)

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

"""Per-function timing records (``function(..., profile=True)``)."""

import atexit
import sys
from collections import defaultdict

_profiles_to_print = []


class ProfileStats:
    """Timing of one (or several accumulated) compiled functions.

    Attributes
    ----------
    fct_callcount : int
    fct_call_time : float
        Seconds spent in calls, overhead included.
    apply_time : dict
        ``{Apply node: seconds}`` spent in each node.
    apply_callcount : dict
    compile_time : float
    """

    def __init__(
        self,
        atexit_print=True,
        flag_time_thunks=None,
        gpu_checks=True,
        message=None,
        **kwargs,
    ):
        self.message = message
        self.fct_callcount = 0
        self.fct_call_time = 0.0
        self.vm_call_time = 0.0
        self.apply_time = defaultdict(float)
        self.apply_callcount = defaultdict(int)
        self.compile_time = 0.0
        self.rewrite_time = 0.0
        #: The rewrite pipeline's RewriteProfile (seconds and hits per rule).
        self.rewrite_profile = None
        self.linker_time = 0.0
        self.flag_time_thunks = True if flag_time_thunks is None else flag_time_thunks
        for key, value in kwargs.items():
            setattr(self, key, value)
        if atexit_print:
            _profiles_to_print.append(self)

    def op_time(self):
        """Return ``{op class name: seconds}``."""
        totals = defaultdict(float)
        for node, seconds in self.apply_time.items():
            totals[type(node.op).__name__] += seconds
        return dict(totals)

    def summary(self, file=sys.stderr, n_ops_to_print=20, n_apply_to_print=20):
        """Write the per-op and per-node time tables to ``file``."""
        total = sum(self.apply_time.values()) or 1e-12
        lines = [
            f"Function profiling: {self.message}",
            f"  Time in {self.fct_callcount} calls to Function.__call__: "
            f"{self.fct_call_time:.6e}s",
            f"  Time in thunks: {sum(self.apply_time.values()):.6e}s",
            f"  Compile time: {self.compile_time:.6e}s",
            "",
            "Ops",
            "  <% time> <sum %> <time s> <#call> <op>",
        ]
        acc = 0.0
        calls_by_op = defaultdict(int)
        for node, count in self.apply_callcount.items():
            calls_by_op[type(node.op).__name__] += count
        ranked = sorted(self.op_time().items(), key=lambda kv: -kv[1])
        for name, seconds in ranked[:n_ops_to_print]:
            acc += seconds
            lines.append(
                f"  {100 * seconds / total:6.1f}% {100 * acc / total:6.1f}% "
                f"{seconds:.3e}s {calls_by_op[name]:6d} {name}"
            )
        lines += ["", "Apply nodes", "  <% time> <time s> <#call> <apply>"]
        ranked_nodes = sorted(self.apply_time.items(), key=lambda kv: -kv[1])
        for node, seconds in ranked_nodes[:n_apply_to_print]:
            lines.append(
                f"  {100 * seconds / total:6.1f}% {seconds:.3e}s "
                f"{self.apply_callcount[node]:6d} {node.op}"
            )
        if self.rewrite_profile is not None:
            lines += [
                "",
                f"Rewrites ({self.rewrite_time:.6e}s in all)",
                "  <time s> <#applied> <rule>",
            ]
            lines += [
                "  " + row
                for row in self.rewrite_profile.summary().splitlines()[:n_ops_to_print]
            ]
        print("\n".join(lines), file=file)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["apply_time"] = {}
        state["apply_callcount"] = {}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.apply_time = defaultdict(float)
        self.apply_callcount = defaultdict(int)


class ScanProfileStats(ProfileStats):
    """Profile of a scan's inner function."""


def _print_profiles():
    from symbolic.config import config

    if config.profile:
        for stats in _profiles_to_print:
            if stats.fct_callcount:
                stats.summary()


atexit.register(_print_profiles)

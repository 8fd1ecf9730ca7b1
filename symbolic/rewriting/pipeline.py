"""The one place that lists the rewrite phases, their order and their rules.

Phases run in order; each phase is a worklist pass over the rules that carry
its tag (minus the mode's excluded tags). Merge runs first and last.
"""

import time

from symbolic.rewriting.core import RewriteProfile, WorklistRewriter
from symbolic.rewriting.merge import merge
from symbolic.rewriting.rules import basic

#: Rules by phase tag, in the order phases run.
PHASES = (("canonicalize", (basic.local_constant_folding,)),)

#: Which phases each ``optimizer`` level runs.
LEVELS = {
    "fast_run": ("merge", "canonicalize"),
    "unsafe": ("merge", "canonicalize"),
    "stabilize": ("merge", "canonicalize"),
    "o2": ("merge", "canonicalize"),
    "o3": ("merge", "canonicalize"),
    "o4": ("merge", "canonicalize"),
    "fast_compile": ("merge", "canonicalize"),
    "o1": ("merge", "canonicalize"),
    "merge": ("merge",),
}


class Pipeline:
    """A callable that rewrites a FunctionGraph in place for one mode."""

    def __init__(self, phases, excluded=()):
        self.phases = phases
        self.excluded = frozenset(excluded)
        self.profile = RewriteProfile()

    def __call__(self, fgraph):
        start = time.perf_counter()
        if "merge" in self.phases and "merge" not in self.excluded:
            merge(fgraph, self.profile)
        for tag, rules in PHASES:
            if tag not in self.phases or tag in self.excluded:
                continue
            active = [
                r
                for r in rules
                if not (r.tags & self.excluded) and r.name not in self.excluded
            ]
            if active:
                WorklistRewriter(active)(fgraph, self.profile)
        if "merge" in self.phases and "merge" not in self.excluded:
            merge(fgraph, self.profile)
        self.profile.time["total"] += time.perf_counter() - start
        return fgraph


def rewriter_for(mode):
    """Return the Pipeline for ``mode`` (None when its optimizer is None)."""
    optimizer = mode.optimizer
    if callable(optimizer):
        return optimizer
    phases = LEVELS.get(optimizer)
    if not phases:
        return None
    return Pipeline(phases, excluded=mode.excluded)

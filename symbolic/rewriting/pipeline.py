"""The rewrite phases, their order, and how a mode picks its rules.

Every module in :mod:`symbolic.rewriting.rules` is scanned for
:class:`NodeRewrite` and :class:`GraphRewrite` objects; a rule belongs to the
first phase named among its tags. Phases run in :data:`PHASE_ORDER`; inside a
phase, graph passes with a negative ``order`` run first, then a worklist pass
over the node rules, then the other graph passes. Merge runs first and last.
"""

import copy
import importlib
import pkgutil
import time

from symbolic.rewriting import rules as _rules_package
from symbolic.rewriting.core import (
    GraphRewrite,
    NodeRewrite,
    RewriteProfile,
    WorklistRewriter,
)
from symbolic.rewriting.merge import merge

#: Phases in the order they run.
PHASE_ORDER = ("canonicalize", "stabilize", "specialize", "fusion", "inplace")

_ALL = PHASE_ORDER

#: Which phases each ``optimizer`` level runs. ``fast_compile`` runs only the
#: canonicalize rules tagged ``fast_compile``.
LEVELS = {
    "fast_run": _ALL,
    "unsafe": _ALL,
    "o4": _ALL,
    "o3": ("canonicalize", "stabilize", "specialize"),
    "o2": ("canonicalize", "stabilize"),
    "stabilize": ("canonicalize", "stabilize"),
    "fast_compile": ("fast_compile",),
    "o1": ("fast_compile",),
    "merge": (),
}

_registry = None

#: Rule modules that live beside their ops in a higher layer (the Scan
#: rewrites in ``symbolic.scan.rewriting``); each adds itself at import.
_rule_modules = []


def registered_rules():
    """Return ``{phase: (node_rules, graph_rules)}`` from every rules module."""
    global _registry
    if _registry is None:
        found = {phase: ([], []) for phase in PHASE_ORDER}
        for info in sorted(pkgutil.iter_modules(_rules_package.__path__)):
            module = importlib.import_module(f"{_rules_package.__name__}.{info.name}")
            _collect(module, found)
        for module in _rule_modules:
            _collect(module, found)
        _sort(found)
        _registry = found
    return _registry


def register_rules_module(module):
    """Make the rules defined in ``module`` built-in rules of their phases.

    A layer above rewriting keeps its rules next to its ops and calls this
    when its rules module is imported; they then take part exactly as the
    rules of :mod:`symbolic.rewriting.rules` do.

    Parameters
    ----------
    module : module
        Its NodeRewrite and GraphRewrite objects are collected by their
        phase tag.
    """
    if module in _rule_modules:
        return
    _rule_modules.append(module)
    if _registry is not None:
        _collect(module, _registry)
        _sort(_registry)


def _collect(module, found):
    for value in vars(module).values():
        if not isinstance(value, (NodeRewrite, GraphRewrite)):
            continue
        phase = next((t for t in value.tags if t in found), None)
        if phase is None:
            continue
        kind = 0 if isinstance(value, NodeRewrite) else 1
        if value not in found[phase][kind]:
            found[phase][kind].append(value)


def _sort(found):
    # Built-in rules by name; rules registered by users after them, in the
    # order they came (the sort is stable).
    def builtin_first(rule):
        user = getattr(rule, "user_registered", False)
        return (user, "" if user else rule.name)

    for node_rules, graph_rules in found.values():
        node_rules.sort(key=builtin_first)
        graph_rules.sort(key=lambda r: (r.order, *builtin_first(r)))


def register_rewrite(rule, phase, tags=(), name=None, opt_in=False):
    """Add a node or graph rewrite to ``phase`` after the built-in rules.

    This is how rewrites written outside :mod:`symbolic.rewriting.rules`
    (user code, Theano's ``register_canonicalize``...) join the pipeline.

    Parameters
    ----------
    rule : NodeRewrite or GraphRewrite
    phase : str
        One of :data:`PHASE_ORDER`.
    tags : tuple of str
        Extra tags for ``Mode.including``/``excluding``.
    name : str, optional
        The name to register under (default: the rule's own).
    opt_in : bool
        Run only in modes that include one of its tags or its name.

    Returns
    -------
    The registered copy of ``rule``.
    """
    if phase not in PHASE_ORDER:
        raise ValueError(
            f"unknown rewrite phase {phase!r}; expected one of {PHASE_ORDER}"
        )
    if not isinstance(rule, (NodeRewrite, GraphRewrite)):
        raise TypeError(f"expected a NodeRewrite or GraphRewrite, got {rule!r}")
    entry = copy.copy(rule)
    entry.name = name or rule.name
    entry.tags = frozenset(rule.tags) | {phase, *tags}
    entry.opt_in = opt_in
    entry.user_registered = True
    for node_rules, graph_rules in registered_rules().values():
        for existing in node_rules + graph_rules:
            if existing.name == entry.name and not getattr(
                existing, "user_registered", False
            ):
                raise ValueError(
                    f"a built-in rewrite is already called {entry.name!r}; "
                    "register yours under another name"
                )
    # Registering a name again replaces the earlier registration.
    remove_rewrite(entry.name)
    node_rules, graph_rules = registered_rules()[phase]
    if isinstance(entry, NodeRewrite):
        node_rules.append(entry)
    else:
        graph_rules.append(entry)
        graph_rules.sort(key=lambda r: r.order)
    return entry


def remove_rewrite(name):
    """Remove every registered rewrite called ``name``; return how many went."""
    removed = 0
    for node_rules, graph_rules in registered_rules().values():
        for rules in (node_rules, graph_rules):
            keep = [r for r in rules if r.name != name]
            removed += len(rules) - len(keep)
            rules[:] = keep
    return removed


class Pipeline:
    """A callable that rewrites a FunctionGraph in place for one mode.

    Parameters
    ----------
    phases : tuple of str
        Phases to run; ``'fast_compile'`` means only canonicalize rules
        carrying that tag.
    included, excluded : tuple of str
        Tags or rule names added to, or removed from, what the phases select.
    """

    def __init__(self, phases, included=(), excluded=()):
        self.phases = tuple(phases)
        self.included = frozenset(included)
        self.excluded = frozenset(excluded)
        self.profile = RewriteProfile()

    def _selected(self, phase, rule):
        names = rule.tags | {rule.name}
        if names & self.excluded:
            return False
        if names & self.included:
            return True
        if getattr(rule, "opt_in", False):
            return False
        if phase in self.phases:
            return True
        return "fast_compile" in self.phases and "fast_compile" in rule.tags

    def __call__(self, fgraph):
        start = time.perf_counter()
        do_merge = "merge" not in self.excluded
        if do_merge:
            merge(fgraph, self.profile)
        for phase, (node_rules, graph_rules) in registered_rules().items():
            active = [r for r in node_rules if self._selected(phase, r)]
            passes = [r for r in graph_rules if self._selected(phase, r)]
            for graph_pass in passes:
                if graph_pass.order < 0:
                    self._run_pass(graph_pass, fgraph)
            if active:
                WorklistRewriter(active)(fgraph, self.profile)
            for graph_pass in passes:
                if graph_pass.order >= 0:
                    self._run_pass(graph_pass, fgraph)
        if do_merge:
            merge(fgraph, self.profile)
        self.profile.time["total"] += time.perf_counter() - start
        return fgraph

    def _run_pass(self, graph_pass, fgraph):
        start = time.perf_counter()
        graph_pass(fgraph, self.profile)
        self.profile.time[graph_pass.name] += time.perf_counter() - start


def rewriter_for(mode):
    """Return the Pipeline for ``mode`` (None when its optimizer is None)."""
    optimizer = mode.optimizer
    if callable(optimizer):
        return optimizer
    phases = LEVELS.get(optimizer)
    if phases is None:
        return None
    return Pipeline(phases, included=mode.included, excluded=mode.excluded)

"""Node rewrites, the ``node_rewriter`` decorator and the worklist driver.

A node rewrite is a plain function ``rule(fgraph, node)`` that returns None
when it does not apply, or the replacements for the node's outputs (a list
in output order, or a ``{old: new}`` dict). It never mutates a node. The
driver revisits only the nodes a change touched.
"""

import logging
import time
import warnings
from collections import defaultdict, deque

_logger = logging.getLogger(__name__)


class NodeRewrite:
    """A registered rule: the function, the Op classes it tracks, and its tags."""

    def __init__(self, fn, tracks, tags):
        self.fn = fn
        self.name = fn.__name__
        self.tracks = tuple(tracks) if tracks else None
        self.tags = frozenset(tags)
        self.__doc__ = fn.__doc__

    def applies_to(self, node):
        return self.tracks is None or isinstance(node.op, self.tracks)

    def __call__(self, fgraph, node):
        return self.fn(fgraph, node)

    def __repr__(self):
        return f"NodeRewrite({self.name})"


def node_rewriter(tracks=None, tags=()):
    """Decorate a rule; ``tracks`` lists the Op classes whose nodes it inspects.

    The first tag naming a phase (see ``pipeline.PHASE_ORDER``) places the
    rule in that phase; other tags (``fast_compile``, a family name) let
    ``Mode.including``/``excluding`` select it.
    """

    def wrap(fn):
        return NodeRewrite(fn, tracks, tags)

    return wrap


class GraphRewrite:
    """A whole-graph pass ``fn(fgraph, profile)``: fusion, in-place, features.

    ``order`` places it inside its phase: negative runs before the phase's
    node rewrites (e.g. attaching a feature they use), otherwise after.
    """

    def __init__(self, fn, tags, order):
        self.fn = fn
        self.name = fn.__name__
        self.tags = frozenset(tags)
        self.order = order
        self.__doc__ = fn.__doc__

    def __call__(self, fgraph, profile=None):
        return self.fn(fgraph, profile)

    def __repr__(self):
        return f"GraphRewrite({self.name})"


def graph_rewriter(tags=(), order=0):
    """Decorate a whole-graph pass; see :class:`GraphRewrite`."""

    def wrap(fn):
        return GraphRewrite(fn, tags, order)

    return wrap


class RewriteProfile:
    """Seconds spent in and replacements made by each rule."""

    def __init__(self):
        self.time = defaultdict(float)
        self.applied = defaultdict(int)

    def summary(self):
        rows = sorted(self.time.items(), key=lambda kv: -kv[1])
        return "\n".join(
            f"{seconds:.6f}s {self.applied[name]:5d} {name}" for name, seconds in rows
        )


def _as_pairs(node, result):
    if isinstance(result, dict):
        return list(result.items())
    if len(result) != len(node.outputs):
        raise ValueError(
            f"a rewrite of {node.op} returned {len(result)} replacements for "
            f"{len(node.outputs)} outputs"
        )
    return list(zip(node.outputs, result))


class WorklistRewriter:
    """Apply node rewrites until none applies, revisiting only touched nodes.

    Parameters
    ----------
    rules : list of NodeRewrite
    max_passes : int, optional
        How many node visits one call may make, a guard against rules that
        undo each other (or keep growing the graph). The default scales with
        the graph: ``max(10000, 50 * number of nodes)``. When the budget runs
        out the driver stops, leaving a valid graph, and warns naming the
        rules that fired the most.
    """

    def __init__(self, rules, max_passes=None):
        self.rules = list(rules)
        self.max_passes = max_passes

    def __call__(self, fgraph, profile=None):
        by_class = defaultdict(list)
        generic = [r for r in self.rules if r.tracks is None]
        worklist = deque(fgraph.toposort())
        queued = set(worklist)
        # Every node a replacement brings in is visited, not only the new root.
        imported = _ImportRecorder()
        fgraph.attach_feature(imported)
        try:
            self._run(fgraph, profile, by_class, generic, worklist, queued, imported)
        finally:
            fgraph.remove_feature(imported)
        return fgraph

    def _run(self, fgraph, profile, by_class, generic, worklist, queued, imported):
        steps = 0
        budget = self.max_passes
        if budget is None:
            budget = max(10000, 50 * len(worklist))
        fired = defaultdict(int)
        while worklist:
            if steps >= budget:
                self._warn_budget(budget, fired)
                return
            node = worklist.popleft()
            queued.discard(node)
            if node not in fgraph.apply_nodes:
                continue
            steps += 1
            cls = type(node.op)
            if cls not in by_class:
                by_class[cls] = [
                    r for r in self.rules if r.tracks is not None and r.applies_to(node)
                ]
            for rule in by_class[cls] + generic:
                start = time.perf_counter()
                result = rule(fgraph, node)
                if profile is not None:
                    profile.time[rule.name] += time.perf_counter() - start
                if not result:
                    continue
                pairs = [
                    (old, new)
                    for old, new in _as_pairs(node, result)
                    if new is not None and old is not new
                ]
                if not pairs:
                    continue
                for old, new in pairs:
                    fgraph.replace(old, new, reason=rule.name, validate=False)
                fgraph.validate()
                fired[rule.name] += 1
                if profile is not None:
                    profile.applied[rule.name] += 1
                touched_nodes = imported.take()
                for t in touched_nodes:
                    if t not in queued:
                        queued.add(t)
                        worklist.append(t)
                for _, new in pairs:
                    touched = [new.owner] if new.owner is not None else []
                    touched += [
                        client
                        for client, _ in fgraph.clients.get(new, [])
                        if client != "output"
                    ]
                    for t in touched:
                        if t not in queued:
                            queued.add(t)
                            worklist.append(t)
                break

    @staticmethod
    def _warn_budget(budget, fired):
        top = sorted(fired.items(), key=lambda kv: -kv[1])[:3]
        shown = ", ".join(f"{name} ({count} times)" for name, count in top)
        warnings.warn(
            f"graph rewriting stopped after {budget} node visits without "
            "reaching a fixed point; the rewrites that kept firing: "
            f"{shown or 'none'}. The graph is valid but may be less "
            "optimized; a rewrite may be undoing another one.",
            RuntimeWarning,
            stacklevel=4,
        )


class _ImportRecorder:
    """A FunctionGraph feature that records the nodes imported since last asked,
    and the nodes that lost a client to a pruned node (an output nobody reads
    any more can let a rule simplify its node: a loop's unused output)."""

    def __init__(self):
        self.nodes = []

    def on_import(self, fgraph, node, reason):
        self.nodes.append(node)

    def on_prune(self, fgraph, node, reason):
        self.nodes.extend(v.owner for v in node.inputs if v.owner is not None)

    def take(self):
        nodes, self.nodes = self.nodes, []
        return nodes

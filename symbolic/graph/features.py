"""Ready-made FunctionGraph features (Theano's ``gof.toolbox``).

A feature is any object with some of the hooks of
:class:`~symbolic.graph.fgraph.Feature`; attach it with
``fgraph.attach_feature``.
"""

import logging

from symbolic.graph.fgraph import AlreadyThere, Feature, InconsistencyError

_logger = logging.getLogger(__name__)


class ReplacementDidntRemovedError(Exception):
    """A replacement meant to remove some nodes left them in the graph."""


class Bookkeeper(Feature):
    """Replays ``on_import`` for every node already there when attached.

    Subclasses then see the whole graph through ``on_import``/``on_prune``.
    """

    def on_attach(self, fgraph):
        for node in fgraph.toposort():
            self.on_import(fgraph, node, "on_attach")

    def on_detach(self, fgraph):
        for node in fgraph.toposort():
            self.on_prune(fgraph, node, "Bookkeeper.detach")


class History(Feature):
    """Records input changes so that a graph can be rolled back to a checkpoint.

    ``fgraph.checkpoint()`` returns a mark; ``fgraph.revert(mark)`` undoes
    every change made since, newest first.
    """

    def __init__(self):
        self.history = {}

    def on_attach(self, fgraph):
        if hasattr(fgraph, "checkpoint") or fgraph in self.history:
            raise AlreadyThere("History feature is already attached")
        self.history[fgraph] = []
        fgraph.checkpoint = _Checkpoint(self, fgraph)
        fgraph.revert = _Revert(self, fgraph)

    def on_detach(self, fgraph):
        del fgraph.checkpoint
        del fgraph.revert
        del self.history[fgraph]

    def on_change_input(self, fgraph, node, i, old, new, reason):
        log = self.history.get(fgraph)
        if log is not None:
            log.append((node, i, old, new))

    def revert(self, fgraph, checkpoint):
        """Undo the changes recorded after ``checkpoint``."""
        log = self.history[fgraph]
        self.history[fgraph] = None  # the undo itself is not recorded
        try:
            while len(log) > checkpoint:
                node, i, old, _ = log.pop()
                fgraph.change_input(node, i, old, reason="History.revert")
        finally:
            self.history[fgraph] = log


class _Checkpoint:
    """``fgraph.checkpoint()``: the current length of the change log."""

    def __init__(self, history, fgraph):
        self.history = history
        self.fgraph = fgraph

    def __call__(self):
        return len(self.history.history[self.fgraph])


class _Revert:
    """``fgraph.revert(checkpoint)``."""

    def __init__(self, history, fgraph):
        self.history = history
        self.fgraph = fgraph

    def __call__(self, checkpoint):
        self.history.revert(self.fgraph, checkpoint)


class Validator(Feature):
    """Gives the graph ``consistent()``: whether ``validate()`` passes."""

    def on_attach(self, fgraph):
        fgraph.consistent = _Consistent(fgraph)

    def on_detach(self, fgraph):
        del fgraph.consistent


class _Consistent:
    def __init__(self, fgraph):
        self.fgraph = fgraph

    def __call__(self):
        try:
            self.fgraph.validate()
            return True
        except InconsistencyError:
            return False


class ReplaceValidate(History, Validator):
    """Replacements that are rolled back when the graph no longer validates.

    ``fgraph.replace_validate`` and ``fgraph.replace_all_validate`` then
    undo their changes and re-raise when validation fails.
    """

    def on_attach(self, fgraph):
        History.on_attach(self, fgraph)
        Validator.on_attach(self, fgraph)
        fgraph.replace_all_validate = _ReplaceAllValidate(self, fgraph)
        fgraph.replace_all_validate_remove = _ReplaceAllValidateRemove(self, fgraph)
        fgraph.replace_validate = _ReplaceValidate(self, fgraph)

    def on_detach(self, fgraph):
        History.on_detach(self, fgraph)
        Validator.on_detach(self, fgraph)
        del fgraph.replace_all_validate
        del fgraph.replace_all_validate_remove
        del fgraph.replace_validate


class _ReplaceAllValidate:
    def __init__(self, feature, fgraph):
        self.feature = feature
        self.fgraph = fgraph

    def __call__(self, replacements, reason=None, verbose=False):
        fgraph = self.fgraph
        mark = len(self.feature.history[fgraph])
        try:
            for var, new_var in replacements:
                fgraph.replace(var, new_var, reason=reason, validate=False)
            fgraph.validate()
        except Exception:
            self.feature.revert(fgraph, mark)
            raise


class _ReplaceAllValidateRemove(_ReplaceAllValidate):
    """``fgraph.replace_all_validate_remove(replacements, remove)``.

    Like ``replace_all_validate``, then checks that the nodes in ``remove``
    left the graph; if one did not, the change is undone and
    ReplacementDidntRemovedError raised.
    """

    def __call__(self, replacements, remove, reason=None, warn=True, **kwargs):
        fgraph = self.fgraph
        mark = len(self.feature.history[fgraph])
        super().__call__(replacements, reason=reason)
        for node in remove:
            if node in fgraph.apply_nodes:
                self.feature.revert(fgraph, mark)
                raise ReplacementDidntRemovedError(
                    f"the replacement meant to remove {node} left it in the graph"
                )


class _ReplaceValidate(_ReplaceAllValidate):
    def __call__(self, var, new_var, reason=None, verbose=False):
        super().__call__([(var, new_var)], reason=reason)


class NodeFinder(Bookkeeper):
    """Keeps the nodes of each op, for ``fgraph.get_nodes(op)``."""

    def __init__(self):
        self.by_op = {}

    def on_import(self, fgraph, node, reason):
        self.by_op.setdefault(node.op, []).append(node)

    def on_prune(self, fgraph, node, reason):
        nodes = self.by_op.get(node.op, [])
        if node in nodes:
            nodes.remove(node)

    def query(self, fgraph, op):
        """Return the nodes of ``op`` currently in ``fgraph``."""
        return list(self.by_op.get(op, []))


class PrintListener(Feature):
    """Logs every change to the graph at INFO level (Theano printed it)."""

    def __init__(self, active=True):
        self.active = active

    def on_import(self, fgraph, node, reason):
        if self.active:
            _logger.info("-- importing: %s, reason: %s", node, reason)

    def on_prune(self, fgraph, node, reason):
        if self.active:
            _logger.info("-- pruning: %s, reason: %s", node, reason)

    def on_change_input(self, fgraph, node, i, old, new, reason):
        if self.active:
            _logger.info("-- changing (%s.inputs[%s]) from %s to %s", node, i, old, new)


class PreserveNames(Feature):
    """A replacement variable without a name takes the name of the one it replaces."""

    def on_change_input(self, fgraph, node, i, old, new, reason):
        if old.name is not None and new.name is None:
            new.name = old.name


class NoOutputFromInplace(Feature):
    """Refuses graphs where an output is computed by an op that works in place."""

    def __init__(self, first_output_idx=0, last_output_idx=None):
        self.first = first_output_idx
        self.last = last_output_idx

    def validate(self, fgraph):
        for out in fgraph.outputs[self.first : self.last]:
            node = out.owner
            if node is not None and getattr(node.op, "destroy_map", None):
                raise InconsistencyError(
                    f"output {out} is computed in place by {node.op}, which is "
                    "not allowed here"
                )


__all__ = [
    "AlreadyThere",
    "Bookkeeper",
    "Feature",
    "History",
    "NoOutputFromInplace",
    "NodeFinder",
    "PreserveNames",
    "PrintListener",
    "ReplaceValidate",
    "ReplacementDidntRemovedError",
    "Validator",
]

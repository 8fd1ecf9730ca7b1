"""FunctionGraph: a graph being compiled, with client lists and features."""

import itertools
import weakref

from symbolic.graph.basic import Apply, Constant, Variable
from symbolic.graph.traversal import GraphCycleError, io_toposort

# The FunctionGraphs alive, oldest first: ``Variable.clients`` looks its
# variable up in them (Theano stored the graph on every variable instead).
_LIVE_FGRAPHS = weakref.WeakValueDictionary()
_fgraph_ids = itertools.count()


def owning_fgraph(item):
    """Return the most recent live FunctionGraph holding ``item``, or None.

    ``item`` is a Variable or an Apply node.
    """
    for key in reversed(list(_LIVE_FGRAPHS.keys())):
        fgraph = _LIVE_FGRAPHS.get(key)
        if fgraph is not None and item in fgraph:
            return fgraph
    return None


class ClientMap(dict):
    """``{variable: [(node, input_index), ...]}``, also callable as in Theano.

    ``fgraph.clients(var)`` (Theano 1.0's spelling) and ``fgraph.clients[var]``
    give the same list.
    """

    def __call__(self, var):
        return self[var]


class InconsistencyError(Exception):
    """A replacement would leave the graph invalid (e.g. a destroy conflict)."""


class AlreadyThere(Exception):
    """Raised by a feature's ``on_attach`` when an equivalent one is attached.

    ``attach_feature`` then leaves the graph as it is, as Theano did.
    """


class MissingInputError(Exception):
    """A graph needs a variable that was not given as an input."""

    def __init__(self, *args, variable=None):
        super().__init__(*args)
        self.variable = variable


class Feature:
    """Protocol of objects attached to a FunctionGraph to observe or veto changes.

    Every hook is optional.
    """

    def on_attach(self, fgraph):
        pass

    def on_detach(self, fgraph):
        pass

    def on_import(self, fgraph, node, reason):
        pass

    def on_prune(self, fgraph, node, reason):
        pass

    def on_change_input(self, fgraph, node, i, old, new, reason):
        pass

    def validate(self, fgraph):
        pass

    def orderings(self, fgraph):
        return {}


class FunctionGraph:
    """A self-contained graph from ``inputs`` to ``outputs`` that rewrites may edit.

    Parameters
    ----------
    inputs, outputs : list of Variable
        The graph is owned by the FunctionGraph: clone first (``clone=True``)
        if the caller's graph must stay untouched.
    features : list of Feature, optional
    clone : bool
        Copy the graph before taking ownership.

    Attributes
    ----------
    clients : dict
        ``{variable: [(node, input_index), ...]}``; an output of the graph has
        the client ``("output", i)``.
    apply_nodes : set of Apply
    variables : set of Variable
    destroyable_inputs : set of Variable
        Inputs an in-place op may overwrite (see ``rewriting.destroy``).
    loop_invariant : sequence of Variable
        Inputs that keep their value on every step of a loop running this
        graph (a scan body's non-sequences, set by Scan); backends may do
        work that depends on them once per loop. Empty by default.
    unrewritten : FunctionGraph or None
        A copy of the graph as it was before rewriting, kept when the mode
        asks for it (DebugMode) so that the rewritten graph can be checked
        against it. None by default.
    """

    def __init__(self, inputs, outputs, features=None, clone=True, update_mapping=None):
        if clone:
            from symbolic.graph.traversal import clone as clone_graph

            inputs, outputs = clone_graph(inputs, outputs, copy_orphans=False)
        self.inputs = []
        self.outputs = list(outputs)
        self.clients = ClientMap()
        self.apply_nodes = set()
        self.variables = set()
        self._features = []
        self.update_mapping = update_mapping
        self.profile = None
        # Inputs that in-place rewrites may overwrite (set by function()).
        self.destroyable_inputs = set()
        self.destroy_handler = None
        # Set by Scan and by function() for DebugMode (see the docstring).
        self.loop_invariant = ()
        self.unrewritten = None
        # (orderings, order) of the last toposort; any edit of the graph or
        # of its features drops it.
        self._order = None
        # The reason (usually a rewrite's name) of the last change of each
        # node's inputs, to name the culprit when an edit closes a cycle.
        self._changed_by = {}
        for var in inputs:
            if var.owner is not None:
                raise ValueError(
                    f"input {var} of a FunctionGraph must not have an owner; "
                    "clone the graph first"
                )
            self.add_input(var)
        for i, out in enumerate(self.outputs):
            self._import_var(out, reason="init")
            self.clients[out].append(("output", i))
        for feature in features or ():
            self.attach_feature(feature)
        _LIVE_FGRAPHS[next(_fgraph_ids)] = self

    # Construction -----------------------------------------------------------
    def add_input(self, var):
        if var in self.clients and var in self.inputs:
            return
        self.inputs.append(var)
        self.variables.add(var)
        self.clients.setdefault(var, [])
        self._order = None

    def _import_var(self, var, reason):
        if var.owner is not None and var.owner not in self.apply_nodes:
            self._import_node(var.owner, reason)
        elif var.owner is None and var not in self.variables:
            if not isinstance(var, Constant) and not _is_shared(var):
                if var not in self.inputs:
                    raise MissingInputError(
                        f"input {var} is needed to compute the outputs but was "
                        "not provided",
                        variable=var,
                    )
            self.variables.add(var)
        self.clients.setdefault(var, [])
        self.variables.add(var)

    def _new_nodes_above(self, apply_node):
        """The nodes ``apply_node`` needs that the graph lacks, inputs first.

        The walk stops at variables already in the graph, so importing costs
        the size of the new part, not of the whole graph.
        """
        order = []
        seen = set()
        stack = [(apply_node, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if node in seen or node in self.apply_nodes:
                continue
            seen.add(node)
            stack.append((node, True))
            for var in reversed(node.inputs):
                owner = var.owner
                if owner is not None and var not in self.variables:
                    if owner not in seen:
                        stack.append((owner, False))
        return order

    def _import_node(self, apply_node, reason):
        for node in self._new_nodes_above(apply_node):
            if node in self.apply_nodes:
                continue
            self._order = None
            for var in node.inputs:
                if var.owner is None or var.owner not in self.apply_nodes:
                    if var.owner is None:
                        self._import_var(var, reason)
            self.apply_nodes.add(node)
            for out in node.outputs:
                self.variables.add(out)
                self.clients.setdefault(out, [])
            for i, var in enumerate(node.inputs):
                self.clients.setdefault(var, []).append((node, i))
                self.variables.add(var)
            self.execute_callbacks("on_import", node, reason)

    # Editing -----------------------------------------------------------------
    def change_input(self, node, i, new_var, reason=None):
        """Make input ``i`` of ``node`` (output ``i`` for 'output') ``new_var``."""
        if node == "output":
            old = self.outputs[i]
            if old is new_var:
                return
            self._check_types(old, new_var)
            self.outputs[i] = new_var
        else:
            old = node.inputs[i]
            if old is new_var:
                return
            self._check_types(old, new_var)
            node.inputs[i] = new_var
            self._changed_by[node] = reason
        self._order = None
        self._import_var(new_var, reason)
        self.clients[new_var].append((node, i))
        self.clients[old].remove((node, i))
        self.execute_callbacks("on_change_input", node, i, old, new_var, reason)
        self._prune_if_unused(old, reason)

    @staticmethod
    def _check_types(old, new):
        if old.type != new.type:
            raise TypeError(
                f"cannot replace {old} of type {old.type} by {new} of type {new.type}"
            )

    def _prune_if_unused(self, var, reason):
        if self.clients.get(var) or var in self.inputs or var in self.outputs:
            return
        node = var.owner
        if node is None:
            self.variables.discard(var)
            self.clients.pop(var, None)
            return
        if node not in self.apply_nodes:
            return
        if any(self.clients.get(out) for out in node.outputs):
            return
        self.apply_nodes.discard(node)
        self._changed_by.pop(node, None)
        self._order = None
        for out in node.outputs:
            self.variables.discard(out)
            self.clients.pop(out, None)
        self.execute_callbacks("on_prune", node, reason)
        for i, inp in enumerate(node.inputs):
            clients = self.clients.get(inp)
            if clients is not None and (node, i) in clients:
                clients.remove((node, i))
            self._prune_if_unused(inp, reason)

    def replace(self, var, new_var, reason=None, verbose=False, validate=True):
        """Replace every use of ``var`` by ``new_var`` (same type required)."""
        if var not in self.variables:
            return
        new_var = var.type.filter_variable(new_var, allow_convert=True)
        for node, i in list(self.clients[var]):
            self.change_input(node, i, new_var, reason=reason)
        if validate:
            self.validate()

    def replace_all(self, pairs, reason=None):
        for var, new_var in pairs:
            self.replace(var, new_var, reason=reason, validate=False)
        self.validate()

    def replace_validate(self, var, new_var, reason=None):
        self.replace(var, new_var, reason=reason, validate=True)

    def replace_all_validate(self, replacements, reason=None):
        """Apply every ``(var, new_var)`` pair, then validate once (Theano's name)."""
        self.replace_all(replacements, reason=reason)

    def get_nodes(self, op):
        """Return the Apply nodes of the graph whose op equals ``op``."""
        return [node for node in self.toposort() if node.op == op]

    # Features ------------------------------------------------------------------
    def attach_feature(self, feature):
        if feature in self._features:
            return
        attach = getattr(feature, "on_attach", None)
        if attach is not None:
            try:
                attach(self)
            except AlreadyThere:
                return
        self._features.append(feature)
        self._order = None

    def remove_feature(self, feature):
        self._features.remove(feature)
        self._order = None
        detach = getattr(feature, "on_detach", None)
        if detach is not None:
            detach(self)

    def execute_callbacks(self, name, *args):
        for feature in self._features:
            fn = getattr(feature, name, None)
            if fn is not None:
                fn(self, *args)

    def validate(self):
        for feature in self._features:
            check = getattr(feature, "validate", None)
            if check is not None:
                check(self)

    # Queries ---------------------------------------------------------------------
    def orderings(self):
        merged = {}
        for feature in self._features:
            fn = getattr(feature, "orderings", None)
            if fn is None:
                continue
            for node, preds in fn(self).items():
                merged.setdefault(node, []).extend(preds)
        return merged

    def toposort(self):
        """Return the Apply nodes in execution order (a new list each call).

        The order is remembered until the graph changes, and reused while the
        features' orderings stay the same: rewrite passes and the linker ask
        for it many times between edits.
        """
        orderings = self.orderings()
        cached = self._order
        if cached is None or cached[0] != orderings:
            try:
                order = io_toposort(self.inputs, self.outputs, orderings)
            except GraphCycleError as exc:
                reasons = sorted(
                    {
                        str(self._changed_by[n])
                        for n in exc.nodes
                        if self._changed_by.get(n) is not None
                    }
                )
                if not reasons:
                    raise
                raise GraphCycleError(
                    f"{exc}; the inputs of its nodes were last changed by: "
                    + ", ".join(reasons),
                    exc.nodes,
                ) from None
            cached = self._order = (orderings, order)
        return list(cached[1])

    def check_integrity(self):
        """Raise AssertionError if clients and node sets disagree (for tests)."""
        nodes = set(io_toposort(self.inputs, self.outputs))
        assert nodes == self.apply_nodes, "apply_nodes out of sync"
        for node in nodes:
            for i, var in enumerate(node.inputs):
                assert (node, i) in self.clients[var], f"missing client {node}, {i}"

    def __str__(self):
        return f"FunctionGraph({', '.join(map(str, self.outputs))})"

    def __contains__(self, item):
        if isinstance(item, Apply):
            return item in self.apply_nodes
        if isinstance(item, Variable):
            return item in self.variables
        raise TypeError(f"expected a Variable or Apply, got {item!r}")


def _is_shared(var):
    return hasattr(var, "container") and hasattr(var, "get_value")

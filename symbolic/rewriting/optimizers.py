"""Theano's optimizer classes, as adapters onto our node and graph rewrites.

Code written for Theano defines rewrites with ``@local_optimizer(tracks)``
on a function ``transform(node)``, subclasses ``LocalOptimizer``, or builds
``OpSub``/``PatternSub`` objects; it runs them with ``TopoOptimizer`` or
``EquilibriumOptimizer``. Every local optimizer here *is* a
:class:`~symbolic.rewriting.core.NodeRewrite`, and every global one a
:class:`~symbolic.rewriting.core.GraphRewrite`, so both run inside our
pipeline once registered (see :mod:`symbolic.rewriting.optdb`).
"""

import inspect
import logging
import types
import warnings

import numpy

from symbolic.graph.basic import Constant, Variable
from symbolic.graph.op import Op
from symbolic.ops.basic import NotScalarConstantError, get_scalar_constant_value
from symbolic.rewriting.core import GraphRewrite, NodeRewrite, WorklistRewriter
from symbolic.rewriting.merge import merge

_logger = logging.getLogger(__name__)


def _takes_fgraph(fn, n_bound=0):
    """Whether ``fn`` takes ``(fgraph, node)`` (ours) or ``(node)`` (Theano's)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in params[n_bound:]
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(positional) >= 2


def _split_tracks(tracks):
    """Theano tracks hold Op classes or Op instances; return (classes, instances)."""
    if tracks is None:
        return None, ()
    classes, instances = [], []
    for track in tracks:
        # tensor.exp and friends are functions carrying their Elemwise op.
        if isinstance(track, types.FunctionType):
            track = getattr(track, "op", track)
        if isinstance(track, type) and issubclass(track, Op):
            classes.append(track)
        elif isinstance(track, Op):
            instances.append(track)
        else:
            raise TypeError(
                f"local_optimizer tracks must be Op classes or Op instances, got "
                f"{track!r}"
            )
    return tuple(classes), tuple(instances)


class LocalOptimizer(NodeRewrite):
    """Base of Theano-style local optimizers: override ``transform``.

    ``transform(node)`` (or ``transform(fgraph, node)``) returns False/None
    when it does not apply, else the replacements for ``node.outputs`` (a
    list) or a ``{old: new}`` dict.
    """

    def __init__(self, tracks=None, name=None):
        if tracks is None:
            # Theano subclasses may state their tracks by overriding tracks().
            declared = getattr(type(self), "tracks", None)
            if callable(declared):
                tracks = declared(self)
        classes, instances = _split_tracks(tracks)
        dispatch = None
        if classes is not None:
            dispatch = classes + tuple(type(op) for op in instances)
        NodeRewrite.__init__(self, self.transform, dispatch, ())
        self.name = name or type(self).__name__
        self._op_instances = instances
        self._op_classes = classes or ()
        # Asked once: inspecting a signature on every node would be slow.
        self._transform_takes_fgraph = _takes_fgraph(self.transform)

    def __getattr__(self, attr):
        # Theano subclasses that override __init__ need not call this one:
        # the first use of a missing attribute sets the defaults up.
        if attr.startswith("__") or "_transform_takes_fgraph" in self.__dict__:
            raise AttributeError(attr)
        LocalOptimizer.__init__(self)
        return getattr(self, attr)

    def applies_to(self, node):
        if "_transform_takes_fgraph" not in self.__dict__:
            LocalOptimizer.__init__(self)
        return NodeRewrite.applies_to(self, node)

    def transform(self, node):
        raise NotImplementedError(f"{type(self).__name__}.transform")

    def _matches(self, node):
        if not self._op_instances:
            return True
        return node.op in self._op_instances or isinstance(node.op, self._op_classes)

    def __call__(self, fgraph, node):
        if not self._matches(node):
            return None
        if self._transform_takes_fgraph:
            return self.transform(fgraph, node)
        return self.transform(node)

    def add_requirements(self, fgraph):
        """Attach the features this optimizer needs (none by default)."""

    def __str__(self):
        return self.name


class FromFunctionLocalOptimizer(LocalOptimizer):
    """A local optimizer made from a function by :func:`local_optimizer`."""

    def __init__(self, fn, tracks=None, requirements=()):
        LocalOptimizer.__init__(self, tracks, name=fn.__name__)
        self.fn = fn
        self.requirements = tuple(requirements)
        self.__doc__ = fn.__doc__
        self._two_args = _takes_fgraph(fn)

    def transform(self, *args):
        if self._two_args:
            return self.fn(*args)
        return self.fn(args[-1])

    def __call__(self, fgraph, node):
        if not self._matches(node):
            return None
        return self.transform(fgraph, node)

    def add_requirements(self, fgraph):
        for requirement in self.requirements:
            requirement(fgraph)


def local_optimizer(tracks, inplace=False, requirements=()):
    """Decorate ``transform(node)`` into a local optimizer tracking ``tracks``.

    Parameters
    ----------
    tracks : list of Op classes or Op instances, or None
        The nodes it is offered: an Op instance matches nodes whose op
        equals it, a class matches its instances. None offers every node.
    inplace : bool
        Theano's flag for rewrites creating in-place ops; register those in
        the 'inplace' phase.
    requirements : tuple of callables
        Each is called with the graph before the rewrite runs in a
        standalone optimizer.

    Examples
    --------
    >>> import symbolic.tensor as T
    >>> @local_optimizer([T.Elemwise])
    ... def local_nothing(node):
    ...     return False
    >>> local_nothing.name
    'local_nothing'
    """

    def decorate(fn):
        if tracks is not None and not isinstance(tracks, (list, tuple)):
            raise TypeError(f"local_optimizer expects a list of tracks, got {tracks!r}")
        return FromFunctionLocalOptimizer(fn, tracks, requirements)

    return decorate


class LocalOptGroup(LocalOptimizer):
    """Tries each local optimizer in turn; the first that applies wins."""

    def __init__(self, *optimizers, **kwargs):
        if len(optimizers) == 1 and isinstance(optimizers[0], (list, tuple)):
            optimizers = tuple(optimizers[0])
        self.optimizers = [as_node_rewrite(o) for o in optimizers]
        LocalOptimizer.__init__(self, None, name=kwargs.get("name"))

    def __call__(self, fgraph, node):
        for opt in self.optimizers:
            if opt.applies_to(node):
                result = opt(fgraph, node)
                if result:
                    return result
        return None


class OpSub(LocalOptimizer):
    """Replace every application of ``op1`` by ``op2`` on the same inputs.

    Examples
    --------
    >>> import symbolic.tensor as T
    >>> OpSub(T.add, T.mul).name
    'OpSub(Elemwise{add,no_inplace} -> Elemwise{mul,no_inplace})'
    """

    def __init__(self, op1, op2, transfer_tags=True):
        self.op1 = _as_op(op1)
        self.op2 = _as_op(op2)
        self.transfer_tags = transfer_tags
        LocalOptimizer.__init__(
            self, [self.op1], name=f"OpSub({self.op1} -> {self.op2})"
        )

    def transform(self, node):
        if node.op != self.op1:
            return False
        outputs = self.op2(*node.inputs, return_list=True)
        if self.transfer_tags:
            for old, new in zip(node.outputs, outputs):
                new.tag = old.tag.copy()
        return outputs


class PatternSub(LocalOptimizer):
    """Replace a subgraph matching ``in_pattern`` by ``out_pattern``.

    A pattern is a tuple ``(op, sub_pattern, ...)``, a string naming a
    variable (the same string must match the same variable), a constant
    value, or a dict ``{'pattern': p, 'constraint': fn}`` whose ``fn``
    accepts or refuses the matched variable. ``out_pattern`` is built from
    the same vocabulary.

    Examples
    --------
    >>> import symbolic.tensor as T
    >>> sub = PatternSub((T.neg, (T.neg, 'x')), 'x')
    >>> sub.name
    'local_pattern_neg_neg'
    """

    def __init__(
        self,
        in_pattern,
        out_pattern,
        allow_multiple_clients=False,
        skip_identities_fn=None,
        name=None,
        pdb=False,
        tracks=(),
        get_nodes=None,
        values_eq_approx=None,
    ):
        root = _pattern_op(in_pattern)
        if root is None:
            raise TypeError(
                f"PatternSub: the input pattern must start with an Op, got "
                f"{in_pattern!r}"
            )
        self.in_pattern = in_pattern
        self.out_pattern = out_pattern
        self.allow_multiple_clients = allow_multiple_clients
        label = name or f"local_pattern_{_describe(in_pattern)}"
        LocalOptimizer.__init__(self, [root], name=label)

    def __call__(self, fgraph, node):
        if node.op != self.op_root:
            return None
        bindings = {}
        if not self._match(fgraph, self.in_pattern, node.outputs[0], bindings, True):
            return None
        out = self._build(self.out_pattern, bindings)
        if out.type != node.outputs[0].type:
            converted = node.outputs[0].type.convert_variable(out)
            if converted is None:
                return None
            out = converted
        return [out]

    @property
    def op_root(self):
        return _pattern_op(self.in_pattern)

    def _match(self, fgraph, pattern, var, bindings, root=False):
        if isinstance(pattern, dict):
            constraint = pattern.get("constraint", lambda v: True)
            if not self._match(fgraph, pattern["pattern"], var, bindings, root):
                return False
            return bool(constraint(var))
        if isinstance(pattern, (list, tuple)):
            node = var.owner
            if node is None or node.op != pattern[0]:
                return False
            if len(node.inputs) != len(pattern) - 1:
                return False
            if (
                not root
                and not self.allow_multiple_clients
                and len(fgraph.clients.get(var, ())) > 1
            ):
                return False
            return all(
                self._match(fgraph, sub, inp, bindings)
                for sub, inp in zip(pattern[1:], node.inputs)
            )
        if isinstance(pattern, str):
            if pattern in bindings:
                return bindings[pattern] is var
            bindings[pattern] = var
            return True
        if isinstance(pattern, Variable):
            return pattern is var or (
                isinstance(pattern, Constant)
                and isinstance(var, Constant)
                and pattern.equals(var)
            )
        try:
            value = get_scalar_constant_value(var)
        except NotScalarConstantError:
            return False
        return bool(numpy.all(numpy.asarray(value) == pattern))

    def _build(self, pattern, bindings):
        if isinstance(pattern, (list, tuple)):
            args = [self._build(p, bindings) for p in pattern[1:]]
            return pattern[0](*args)
        if isinstance(pattern, str):
            return bindings[pattern]
        if isinstance(pattern, dict):
            return self._build(pattern["pattern"], bindings)
        if isinstance(pattern, Variable):
            return pattern
        from symbolic.types.tensor import as_tensor_variable

        return as_tensor_variable(pattern)


def _as_op(op):
    """An Op, or the Op a user function such as ``tensor.exp`` applies."""
    found = getattr(op, "op", op) if isinstance(op, types.FunctionType) else op
    if not isinstance(found, Op):
        raise TypeError(f"expected an Op, got {op!r}")
    return found


def _pattern_op(pattern):
    if isinstance(pattern, dict):
        pattern = pattern["pattern"]
    if isinstance(pattern, (list, tuple)) and pattern:
        try:
            return _as_op(pattern[0])
        except TypeError:
            return None
    return None


def _describe(pattern):
    if isinstance(pattern, dict):
        return _describe(pattern["pattern"])
    if isinstance(pattern, (list, tuple)):
        op = _as_op(pattern[0])
        scalar = getattr(op, "scalar_op", None)
        label = getattr(scalar, "name", None) or type(scalar or op).__name__.lower()
        inner = [_describe(p) for p in pattern[1:] if isinstance(p, (list, tuple))]
        return "_".join([label, *inner])
    return str(pattern)


def copy_stack_trace(from_var, to_var):
    """Give ``to_var`` (a variable or list) the ``tag.trace`` of ``from_var`` (same).

    Theano's local optimizers call this so error messages point at user code.
    Variables without a trace are skipped.
    """
    sources = from_var if isinstance(from_var, (list, tuple)) else [from_var]
    targets = to_var if isinstance(to_var, (list, tuple)) else [to_var]
    trace = []
    for var in sources:
        trace.extend(getattr(var.tag, "trace", ()) or ())
    if not trace:
        return
    for var in targets:
        var.tag.trace = list(getattr(var.tag, "trace", ()) or ()) + trace


def as_node_rewrite(opt):
    """Return ``opt`` as a NodeRewrite (a plain ``fn(node)`` is wrapped)."""
    if isinstance(opt, NodeRewrite):
        return opt
    if callable(opt):
        return FromFunctionLocalOptimizer(opt, None)
    raise TypeError(f"expected a local optimizer, got {opt!r}")


# Global optimizers ----------------------------------------------------------------
class Optimizer(GraphRewrite):
    """Base of Theano-style global optimizers: override ``apply(fgraph)``.

    ``optimize(fgraph)`` attaches the requirements and applies it; in our
    pipeline it runs as a graph pass.
    """

    def __init__(self, name=None):
        GraphRewrite.__init__(self, self._run, (), 0)
        self.name = name or type(self).__name__

    def __getattr__(self, attr):
        # Theano subclasses that override __init__ need not call this one.
        defaults = {"name": type(self).__name__, "tags": frozenset(), "order": 0}
        if attr in defaults:
            return defaults[attr]
        if attr == "fn":
            return self._run
        raise AttributeError(attr)

    def _run(self, fgraph, profile=None):
        return self.optimize(fgraph)

    def __call__(self, fgraph, profile=None):
        return self.optimize(fgraph)

    def apply(self, fgraph):
        raise NotImplementedError(f"{type(self).__name__}.apply")

    def add_requirements(self, fgraph):
        """Attach the features ``apply`` needs (none by default)."""

    def optimize(self, fgraph, *args, **kwargs):
        """Attach the requirements, then apply the optimizer to ``fgraph``."""
        self.add_requirements(fgraph)
        return self.apply(fgraph, *args, **kwargs)

    def __str__(self):
        return self.name


def _replace_node(fgraph, node, result, reason):
    if isinstance(result, dict):
        pairs = list(result.items())
    else:
        if len(result) != len(node.outputs):
            raise ValueError(
                f"{reason} returned {len(result)} replacements for the "
                f"{len(node.outputs)} outputs of {node}"
            )
        pairs = list(zip(node.outputs, result))
    pairs = [(old, new) for old, new in pairs if new is not None and old is not new]
    for old, new in pairs:
        fgraph.replace(old, new, reason=reason, validate=False)
    fgraph.validate()
    return bool(pairs)


class TopoOptimizer(Optimizer):
    """Apply a local optimizer once to each node, in topological order.

    Parameters
    ----------
    local_opt : LocalOptimizer or callable
    order : {'in_to_out', 'out_to_in'}
    ignore_newtrees : bool
        Accepted for compatibility; nodes a replacement creates are not
        revisited in this pass either way.
    failure_callback : callable, optional
        ``failure_callback(exc, optimizer, node)`` is called instead of
        raising when the local optimizer fails.
    """

    def __init__(
        self, local_opt, order="in_to_out", ignore_newtrees=False, failure_callback=None
    ):
        if order not in ("in_to_out", "out_to_in"):
            raise ValueError(f"order must be 'in_to_out' or 'out_to_in', got {order!r}")
        self.local_opt = as_node_rewrite(local_opt)
        self.order = order
        self.ignore_newtrees = ignore_newtrees
        self.failure_callback = failure_callback
        Optimizer.__init__(self, name=f"TopoOptimizer({self.local_opt.name})")
        self.order = 0
        self.direction = order

    def add_requirements(self, fgraph):
        add = getattr(self.local_opt, "add_requirements", None)
        if add is not None:
            add(fgraph)

    def apply(self, fgraph, start_from=None):
        nodes = fgraph.toposort()
        if self.direction == "out_to_in":
            nodes.reverse()
        changed = False
        for node in nodes:
            if node not in fgraph.apply_nodes or not self.local_opt.applies_to(node):
                continue
            try:
                result = self.local_opt(fgraph, node)
            except Exception as exc:
                if self.failure_callback is None:
                    raise
                self.failure_callback(exc, self, node)
                continue
            if result:
                changed |= _replace_node(fgraph, node, result, self.local_opt.name)
        return changed


def in2out(*local_opts, **kwargs):
    """A :class:`TopoOptimizer` going from inputs to outputs over ``local_opts``."""
    opt = local_opts[0] if len(local_opts) == 1 else LocalOptGroup(*local_opts)
    kwargs.pop("name", None)
    return TopoOptimizer(opt, order="in_to_out", **kwargs)


def out2in(*local_opts, **kwargs):
    """A :class:`TopoOptimizer` going from outputs to inputs over ``local_opts``."""
    opt = local_opts[0] if len(local_opts) == 1 else LocalOptGroup(*local_opts)
    kwargs.pop("name", None)
    return TopoOptimizer(opt, order="out_to_in", **kwargs)


class EquilibriumOptimizer(Optimizer):
    """Apply local and global optimizers until none changes the graph.

    The local optimizers run through our worklist driver, which revisits
    only the nodes a change touched.

    Parameters
    ----------
    optimizers : list
        Local optimizers (or functions of a node) and global optimizers.
    max_use_ratio : float, optional
        Accepted for compatibility; the worklist has its own guard.
    """

    def __init__(self, optimizers, failure_callback=None, max_use_ratio=None, **kwargs):
        self.local_optimizers = []
        self.global_optimizers = []
        for opt in optimizers:
            if isinstance(opt, GraphRewrite):
                self.global_optimizers.append(opt)
            else:
                self.local_optimizers.append(as_node_rewrite(opt))
        self.max_use_ratio = max_use_ratio
        self.failure_callback = failure_callback
        Optimizer.__init__(self, name=kwargs.get("name"))

    def add_requirements(self, fgraph):
        for opt in self.local_optimizers + self.global_optimizers:
            add = getattr(opt, "add_requirements", None)
            if add is not None:
                add(fgraph)

    def apply(self, fgraph):
        counter = _ChangeCounter()
        fgraph.attach_feature(counter)
        try:
            for _ in range(_MAX_ROUNDS):
                before = counter.changes
                for opt in self.global_optimizers:
                    opt(fgraph)
                if self.local_optimizers:
                    WorklistRewriter(self.local_optimizers)(fgraph)
                if counter.changes == before or not self.global_optimizers:
                    break
            else:
                names = ", ".join(
                    getattr(opt, "name", None) or type(opt).__name__
                    for opt in self.global_optimizers
                )
                warnings.warn(
                    f"EquilibriumOptimizer stopped after {_MAX_ROUNDS} rounds "
                    f"without reaching a fixed point; its graph rewrites ({names}) "
                    "changed the graph every round",
                    RuntimeWarning,
                    stacklevel=2,
                )
        finally:
            fgraph.remove_feature(counter)
        return fgraph


#: Rounds of global then local rewrites an EquilibriumOptimizer may run.
_MAX_ROUNDS = 100


class _ChangeCounter:
    """A feature counting the input changes made to a graph."""

    def __init__(self):
        self.changes = 0

    def on_change_input(self, fgraph, node, i, old, new, reason):
        self.changes += 1


class SeqOptimizer(Optimizer):
    """Apply global optimizers one after the other."""

    def __init__(self, *optimizers, **kwargs):
        if len(optimizers) == 1 and isinstance(optimizers[0], (list, tuple)):
            optimizers = tuple(optimizers[0])
        self.optimizers = list(optimizers)
        Optimizer.__init__(self, name=kwargs.get("name"))

    def apply(self, fgraph):
        for opt in self.optimizers:
            opt(fgraph)
        return fgraph


class MergeOptimizer(Optimizer):
    """Merge equal computations and constants (our merge pass)."""

    def apply(self, fgraph):
        merge(fgraph)
        return fgraph


__all__ = [
    "EquilibriumOptimizer",
    "FromFunctionLocalOptimizer",
    "LocalOptGroup",
    "LocalOptimizer",
    "MergeOptimizer",
    "OpSub",
    "Optimizer",
    "PatternSub",
    "SeqOptimizer",
    "TopoOptimizer",
    "as_node_rewrite",
    "copy_stack_trace",
    "in2out",
    "local_optimizer",
    "out2in",
]

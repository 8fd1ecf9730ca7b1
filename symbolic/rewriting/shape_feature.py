"""ShapeFeature: symbolic shapes of a FunctionGraph's variables, from ``infer_shape``.

The shape of a variable is a tuple of int64 scalar variables: the constant 1
for a broadcastable dim, otherwise what its op's ``infer_shape`` gives from
the shapes of the node's inputs; for a graph input (or an op without
``infer_shape``) it is ``Shape_i(i)(var)``.  Rewrites use it to replace
``x.shape`` by the shapes of the inputs, so shape computations stop depending
on the tensors they measure.

Shapes are computed lazily, on the first request, and memoized.  A memoized
shape refers to variables of the graph; when a rewrite removes one of them
the entry is stale and is recomputed on the next request, so a shape never
brings a pruned computation back into the graph.
"""

import logging

import numpy

from symbolic.graph.basic import Constant
from symbolic.graph.fgraph import Feature
from symbolic.graph.utils import MethodNotDefined
from symbolic.ops.basic import Shape_i
from symbolic.ops.math import cast
from symbolic.types.tensor import TensorType, as_tensor_variable

_logger = logging.getLogger(__name__)


def _int64_constant(value):
    return as_tensor_variable(numpy.asarray(value, dtype="int64"))


class ShapeFeature(Feature):
    """Track a symbolic shape per tensor variable of a FunctionGraph.

    Attach it with :func:`shape_feature`; ask with :meth:`shape_of`.

    Notes
    -----
    Theano's ShapeFeature computes shapes eagerly for every imported node;
    this one computes them only for the variables a rewrite asks about (and
    their ancestors), which keeps the cost proportional to the shape
    questions asked, not to the graph size.
    """

    def __init__(self):
        self.fgraph = None
        self._shapes = {}
        self._deps = {}
        self._entry_deps = {}
        self._one = _int64_constant(1)

    # Feature protocol -----------------------------------------------------------
    def on_attach(self, fgraph):
        if getattr(fgraph, "shape_feature", None) is not None:
            raise ValueError(f"{fgraph} already has a ShapeFeature")
        self.fgraph = fgraph
        fgraph.shape_feature = self

    def on_detach(self, fgraph):
        self._shapes.clear()
        self._deps.clear()
        self._entry_deps.clear()
        fgraph.shape_feature = None
        self.fgraph = None

    # Queries --------------------------------------------------------------------
    def shape_of(self, var):
        """Return the shape of tensor ``var`` as a tuple of int64 scalar variables.

        Raises
        ------
        TypeError
            When ``var`` is not a tensor.
        """
        if not isinstance(var.type, TensorType):
            raise TypeError(f"ShapeFeature: {var} is not a tensor ({var.type})")
        cached = self._shapes.get(var)
        if cached is not None and self._valid(var):
            return cached
        # Walk up to the nearest variables with a valid shape, computing each
        # variable after its inputs (an iterative post-order).
        stack = [(var, False)]
        done = set()
        while stack:
            v, expanded = stack.pop()
            if v in done:
                continue
            if expanded:
                done.add(v)
                self._compute(v)
                continue
            stack.append((v, True))
            node = v.owner
            if node is None or not self._has_infer_shape(node):
                continue
            for inp in node.inputs:
                if (
                    isinstance(inp.type, TensorType)
                    and inp not in done
                    and not (inp in self._shapes and self._valid(inp))
                ):
                    stack.append((inp, False))
        return self._shapes[var]

    def shape_entry(self, var, i):
        """Return the length of axis ``i`` of ``var`` (an int64 scalar variable)."""
        return self.shape_of(var)[i]

    def same_shape(self, a, b, dims=None):
        """Whether ``a`` and ``b`` provably have the same length on ``dims``."""
        if a.ndim != b.ndim:
            return False
        sa = self.shape_of(a)
        sb = self.shape_of(b)
        for i in range(a.ndim) if dims is None else dims:
            if not same_entry(sa[i], sb[i]):
                return False
        return True

    # Internals ------------------------------------------------------------------
    @staticmethod
    def _has_infer_shape(node):
        method = getattr(type(node.op), "infer_shape", None)
        from symbolic.graph.op import Op

        return method is not None and method is not Op.infer_shape

    def _valid(self, var):
        variables = self.fgraph.variables
        return all(d in variables for d in self._deps.get(var, ()))

    def _default(self, var):
        return tuple(
            self._one if b else Shape_i(i)(var) for i, b in enumerate(var.broadcastable)
        )

    def _compute(self, var):
        node = var.owner
        shapes = None
        if node is not None and self._has_infer_shape(node):
            in_shapes = [
                self._shapes[i] if isinstance(i.type, TensorType) else None
                for i in node.inputs
            ]
            try:
                shapes = node.op.infer_shape(self.fgraph, node, in_shapes)
            except (MethodNotDefined, NotImplementedError, ValueError, TypeError):
                # Ops whose shape is unknown until run time keep Shape_i.
                shapes = None
        if shapes is None:
            self._store(var, self._default(var))
            return
        for out, shp in zip(node.outputs, shapes):
            if not isinstance(out.type, TensorType):
                continue
            if shp is None or len(shp) != out.ndim:
                self._store(out, self._default(out))
                continue
            entries = tuple(
                self._one if b else self._as_entry(e)
                for e, b in zip(shp, out.broadcastable)
            )
            if any(self._measures_own_outputs(e, node) for e in entries):
                # A shape given through the node's own outputs would make
                # rewrites that substitute shapes build a cycle.
                _logger.debug(
                    "ShapeFeature: %s.infer_shape refers to its own outputs; "
                    "using Shape_i there",
                    node.op,
                )
                default = self._default(out)
                entries = tuple(
                    default[i] if self._measures_own_outputs(e, node) else e
                    for i, e in enumerate(entries)
                )
            self._store(out, entries)

    def _measures_own_outputs(self, entry, node):
        """Whether ``entry`` uses an output of ``node`` other than via Shape_i.

        Only the part ``infer_shape`` built (variables not yet in the graph)
        is walked; ``Shape_i(out)`` is the accepted fallback.
        """
        if isinstance(getattr(entry.owner, "op", None), Shape_i):
            return False
        outputs = node.outputs
        variables = self.fgraph.variables
        todo = [entry]
        seen = set()
        while todo:
            e = todo.pop()
            if e in outputs:
                return True
            if e in seen or e in variables or e.owner is None:
                continue
            seen.add(e)
            todo.extend(e.owner.inputs)
        return False

    def _as_entry(self, entry):
        if isinstance(entry, (int, numpy.integer)):
            return _int64_constant(int(entry))
        entry = as_tensor_variable(entry)
        if entry.ndim != 0:
            raise TypeError(f"ShapeFeature: shape entry {entry} is not a scalar")
        if entry.dtype != "int64":
            if isinstance(entry, Constant):
                return _int64_constant(int(entry.data))
            entry = cast(entry, "int64")
        return entry

    def _store(self, var, entries):
        """Memoize ``entries`` with the graph variables they refer to."""
        variables = self.fgraph.variables
        deps = set()
        todo = list(entries)
        seen = set()
        while todo:
            e = todo.pop()
            if e in seen:
                continue
            seen.add(e)
            if e in variables:
                deps.add(e)
            elif e in self._entry_deps:
                deps.update(self._entry_deps[e])
            elif e.owner is not None:
                todo.extend(e.owner.inputs)
        for e in entries:
            if e not in variables:
                self._entry_deps[e] = deps
        self._shapes[var] = entries
        self._deps[var] = deps


def same_entry(a, b):
    """Whether two shape entries are provably equal (same variable or constant)."""
    if a is b:
        return True
    if isinstance(a, Constant) and isinstance(b, Constant):
        return numpy.array_equal(a.data, b.data)
    if a.owner is not None and b.owner is not None:
        if a.owner.op == b.owner.op and a.owner.inputs == b.owner.inputs:
            return True
    return False


def shape_feature(fgraph):
    """Return ``fgraph``'s ShapeFeature, attaching one on first use."""
    feature = getattr(fgraph, "shape_feature", None)
    if feature is None:
        feature = ShapeFeature()
        fgraph.attach_feature(feature)
    return feature

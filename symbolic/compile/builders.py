"""OpFromGraph: a graph packaged as one op.

``OpFromGraph(inputs, outputs)`` is an op whose application computes
``outputs`` from ``inputs`` (its inner graph). It runs by compiling the
inner graph once into a function; with ``inline=True`` the rewriter
replaces it by a copy of the inner graph instead, so the surrounding
rewrites see through it. Its gradient is the inner graph's gradient, or
what ``grad_overrides`` returns. The inlining rule lives here too and
joins the rewrite pipeline when this module is imported.
"""

import sys

from symbolic.compile.function import function
from symbolic.gradient.grad import Rop, grad
from symbolic.graph.basic import Apply, Constant, Variable
from symbolic.graph.op import Op
from symbolic.graph.replace import clone_replace
from symbolic.graph.traversal import ancestors, graph_inputs
from symbolic.rewriting.core import node_rewriter
from symbolic.rewriting.pipeline import register_rules_module
from symbolic.types.null import DisconnectedType, is_disconnected


def _is_shared(var):
    return hasattr(var, "container") and hasattr(var, "get_value") and var.owner is None


class OpFromGraph(Op):
    """An op computing ``outputs`` from ``inputs`` (see the module docstring).

    Parameters
    ----------
    inputs : list of Variable
        Ownerless, non-shared variables: the op's explicit inputs.
    outputs : list of Variable
    inline : bool
        Replace the op by its inner graph during rewriting.
    grad_overrides : 'default' or callable
        ``grad_overrides(inputs, output_grads)`` returns the input gradients.
    rop_overrides : 'default' or callable
        ``rop_overrides(inputs, eval_points)`` returns the output R-ops.
    name : str, optional

    Notes
    -----
    Shared variables the inner graph uses become extra inputs of every
    application, so functions using the op share their state. Each instance
    is its own op: two instances never merge.

    Examples
    --------
    >>> import symbolic, symbolic.tensor as T
    >>> x, y = T.dscalar('x'), T.dscalar('y')
    >>> axpy = OpFromGraph([x, y], [2 * x + y])
    >>> float(axpy(T.constant(1.0), T.constant(3.0)).eval())
    5.0
    """

    def __init__(
        self,
        inputs,
        outputs,
        inline=False,
        grad_overrides="default",
        rop_overrides="default",
        name=None,
        **kwargs,
    ):
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        for var in inputs:
            if not isinstance(var, Variable):
                raise TypeError(f"OpFromGraph inputs must be Variables, got {var!r}")
            if var.owner is not None or isinstance(var, Constant) or _is_shared(var):
                raise TypeError(
                    f"OpFromGraph input {var} must be a plain graph input (not a "
                    "constant, a shared variable or a computed variable)"
                )
        for var in outputs:
            if not isinstance(var, Variable):
                raise TypeError(f"OpFromGraph outputs must be Variables, got {var!r}")
        leaves = graph_inputs(outputs)
        missing = [
            v
            for v in leaves
            if v not in inputs and not isinstance(v, Constant) and not _is_shared(v)
        ]
        if missing:
            raise ValueError(
                f"OpFromGraph outputs depend on {missing}, which are not among its "
                "inputs"
            )
        self.shared_inputs = [v for v in leaves if _is_shared(v)]
        # The inner graph reads each shared variable through a stand-in input.
        stand_ins = [v.type() for v in self.shared_inputs]
        self.inner_inputs = list(inputs) + stand_ins
        self.inner_outputs = (
            clone_replace(list(outputs), dict(zip(self.shared_inputs, stand_ins)))
            if self.shared_inputs
            else list(outputs)
        )
        self.inline = inline
        self.grad_overrides = grad_overrides
        self.rop_overrides = rop_overrides
        self.name = name
        self.kwargs = kwargs
        self._fn = None

    # Identity: each instance is distinct (its graph is its meaning).
    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __str__(self):
        return self.name or f"OpFromGraph{{inline={self.inline}}}"

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fn"] = None
        return state

    def make_node(self, *inputs):
        n_explicit = len(self.inner_inputs) - len(self.shared_inputs)
        if len(inputs) != n_explicit:
            raise TypeError(f"{self} takes {n_explicit} inputs, got {len(inputs)}")
        converted = [
            # A constant's value is cast to the input type (e.g. a float32
            # literal for a float64 input); variables must already match.
            inner.type.filter_variable(
                value.data if isinstance(value, Constant) else value
            )
            for inner, value in zip(self.inner_inputs, inputs)
        ]
        outputs = [out.type() for out in self.inner_outputs]
        return Apply(self, converted + list(self.shared_inputs), outputs)

    def expand(self, inputs):
        """The inner outputs rebuilt on ``inputs`` (all of the node's inputs)."""
        return clone_replace(
            self.inner_outputs, dict(zip(self.inner_inputs, inputs)), strict=False
        )

    def perform(self, node, inputs, output_storage):
        if self._fn is None:
            self._fn = function(
                self.inner_inputs,
                self.inner_outputs,
                on_unused_input="ignore",
                mode=self.kwargs.get("mode"),
            )
        results = self._fn(*inputs)
        for cell, value in zip(output_storage, results):
            cell[0] = value

    def connection_pattern(self, node):
        n_out = len(self.inner_outputs)
        pattern = []
        for inner in self.inner_inputs:
            pattern.append(
                [inner in set(ancestors([out])) for out in self.inner_outputs]
                if n_out
                else []
            )
        return pattern

    def L_op(self, inputs, outputs, output_grads):
        if callable(self.grad_overrides):
            n_explicit = len(inputs) - len(self.shared_inputs)
            given = list(self.grad_overrides(list(inputs[:n_explicit]), output_grads))
            return given + [DisconnectedType()() for _ in self.shared_inputs]
        expanded = self.expand(inputs)
        known = {
            out: g for out, g in zip(expanded, output_grads) if not is_disconnected(g)
        }
        if not known:
            return [DisconnectedType()() for _ in inputs]
        grads = grad(
            None,
            list(inputs),
            known_grads=known,
            disconnected_inputs="ignore",
            return_disconnected="Disconnected",
        )
        return list(grads)

    def R_op(self, inputs, eval_points):
        if callable(self.rop_overrides):
            return list(self.rop_overrides(list(inputs), eval_points))
        expanded = self.expand(inputs)
        pairs = [(v, e) for v, e in zip(inputs, eval_points) if e is not None]
        return Rop(
            expanded,
            [v for v, _ in pairs],
            [e for _, e in pairs],
            disconnected_outputs="ignore",
        )


__all__ = ["OpFromGraph"]


@node_rewriter(tracks=[OpFromGraph], tags=("canonicalize", "fast_compile"))
def local_inline_op_from_graph(fgraph, node):
    """OpFromGraph{inline=True}(a, b) -> a copy of its inner graph on a and b.

    Ops built with ``inline=False`` stay whole.
    """
    if not node.op.inline:
        return None
    return node.op.expand(node.inputs)


register_rules_module(sys.modules[__name__])

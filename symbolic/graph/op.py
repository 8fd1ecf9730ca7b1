"""Op: the base class of every operation in the IR.

An Op states its semantics only: input checks and output types
(``make_node``), the numpy reference (``perform``), derivatives (``L_op`` /
``grad``, ``R_op``), shapes (``infer_shape``) and aliasing (``view_map``,
``destroy_map``).  Code generation lives in the backends, keyed by Op class.
"""

import types

from symbolic.graph.basic import Apply, Variable
from symbolic.graph.utils import MethodNotDefined


class Op:
    """Base class of operations.

    Subclasses set ``__props__``, a tuple of attribute names that define the
    op's identity: two ops of the same class with equal props are equal and
    hash alike, so identical computations merge.

    Attributes
    ----------
    view_map : dict
        ``{output_index: [input_index]}``: the output is a view of that input.
    destroy_map : dict
        ``{output_index: [input_index]}``: the op overwrites that input.
    default_output : int or None
        Which output ``op(...)`` returns when there are several.
    """

    __props__ = ()
    view_map = {}
    destroy_map = {}
    default_output = None

    def make_node(self, *inputs):
        """Return an Apply of this op to ``inputs``; checks and types happen here."""
        raise MethodNotDefined(f"{type(self).__name__}.make_node")

    def __call__(self, *inputs, **kwargs):
        return_list = kwargs.pop("return_list", False)
        node = self.make_node(*inputs, **kwargs)
        _compute_test_values(node)
        if self.default_output is not None:
            out = node.outputs[self.default_output]
            return [out] if return_list else out
        if return_list or len(node.outputs) != 1:
            return list(node.outputs)
        return node.outputs[0]

    def perform(self, node, inputs, output_storage):
        """Compute outputs with numpy: set ``output_storage[i][0]`` for each output."""
        raise MethodNotDefined(f"{type(self).__name__}.perform")

    # Derivatives -----------------------------------------------------------
    def grad(self, inputs, output_grads):
        raise MethodNotDefined(f"{type(self).__name__}.grad")

    def L_op(self, inputs, outputs, output_grads):
        """Return the gradient of a cost wrt each input, given its grads wrt outputs."""
        return self.grad(inputs, output_grads)

    def R_op(self, inputs, eval_points):
        raise MethodNotDefined(f"{type(self).__name__}.R_op")

    def connection_pattern(self, node):
        """``[[input i connected to output j]]``; all True by default."""
        return [[True] * len(node.outputs) for _ in node.inputs]

    def infer_shape(self, fgraph, node, input_shapes):
        raise MethodNotDefined(f"{type(self).__name__}.infer_shape")

    # Identity ----------------------------------------------------------------
    def _props(self):
        return tuple(getattr(self, name) for name in self.__props__)

    def _props_dict(self):
        return {name: getattr(self, name) for name in self.__props__}

    def __eq__(self, other):
        if type(self) is type(other):
            return self._props() == other._props()
        # ``node.op == tensor.exp``: Theano's user functions were op instances;
        # ours are functions carrying their op, which stand for it here.
        if isinstance(other, types.FunctionType):
            op = getattr(other, "op", None)
            return type(self) is type(op) and self._props() == op._props()
        return False

    def __hash__(self):
        return hash((type(self), self._props()))

    def __str__(self):
        if self.__props__:
            args = ", ".join(f"{name}={getattr(self, name)}" for name in self.__props__)
            return f"{type(self).__name__}{{{args}}}"
        return type(self).__name__

    def __repr__(self):
        return str(self)

    def do_constant_folding(self, fgraph, node):
        """Whether a rewrite may replace this node by its value (constant inputs)."""
        return True


def _compute_test_values(node):
    """Fill output test values eagerly when ``config.compute_test_value`` is on."""
    from symbolic.config import config

    mode = config.compute_test_value
    if mode == "off":
        return
    values = []
    for var in node.inputs:
        value = _test_value_of(var)
        if value is None:
            if mode == "ignore":
                return
            message = f"{var} has no test value (needed by {node.op})"
            if mode == "warn":
                import warnings

                warnings.warn(message, stacklevel=3)
                return
            raise ValueError(message)
        values.append(value)
    storage = [[None] for _ in node.outputs]
    node.op.perform(node, values, storage)
    for out, cell in zip(node.outputs, storage):
        out.tag.test_value = cell[0]


def _test_value_of(var):
    from symbolic.graph.basic import Constant

    if isinstance(var, Constant):
        return var.data
    if hasattr(var, "get_value") and var.owner is None:
        return var.get_value(borrow=True)
    return getattr(var.tag, "test_value", None)


def get_test_value(var):
    """Return ``var``'s test value (constants and shared variables supply their own)."""
    value = _test_value_of(var)
    if value is None:
        raise AttributeError(f"{var} has no test value")
    return value


def as_variable_list(values):
    return [v for v in values if isinstance(v, Variable)]


__all__ = ["Apply", "Op", "get_test_value"]

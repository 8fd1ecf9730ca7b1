"""Identity-like ops of any type (view, deep copy) and ops around a Python function."""

import copy

from symbolic.graph.basic import Apply, Variable
from symbolic.graph.op import Op
from symbolic.ops.basic import Shape_i
from symbolic.types.tensor import TensorType, as_tensor_variable


def _as_variable(x):
    return x if isinstance(x, Variable) else as_tensor_variable(x)


class ViewOp(Op):
    """Returns its input itself (a view); works on variables of any type.

    Gradient: the output gradient. No copy is made.
    """

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, x):
        x = _as_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0]

    def infer_shape(self, fgraph, node, input_shapes):
        return input_shapes

    def grad(self, inputs, output_grads):
        return list(output_grads)

    def R_op(self, inputs, eval_points):
        return list(eval_points)


class DeepCopyOp(Op):
    """Returns a copy of its input that shares no memory with it (any type).

    Gradient: the output gradient.
    """

    __props__ = ()

    def make_node(self, x):
        x = _as_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        value = inputs[0]
        copier = getattr(value, "copy", None)
        output_storage[0][0] = copier() if copier is not None else copy.deepcopy(value)

    def infer_shape(self, fgraph, node, input_shapes):
        return input_shapes

    def grad(self, inputs, output_grads):
        return list(output_grads)


view_op = ViewOp()
deep_copy_op = DeepCopyOp()


class SpecifyShape(Op):
    """``x`` itself, checked at run time to have the given shape.

    Rewrites may then take the shape from ``shape`` instead of measuring
    ``x``. Gradient: the output gradient (``shape`` gets none).
    """

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, x, shape):
        x = as_tensor_variable(x)
        shape = as_tensor_variable(shape)
        if shape.ndim != 1 or not shape.dtype.startswith(("int", "uint")):
            raise TypeError(f"specify_shape: shape must be an int vector, got {shape}")
        static = getattr(shape, "data", None)
        if static is not None and len(static) != x.ndim:
            raise ValueError(
                f"specify_shape: {x} has {x.ndim} dims but the shape has "
                f"{len(static)} entries"
            )
        return Apply(self, [x, shape], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, shape = inputs
        if x.shape != tuple(int(n) for n in shape):
            raise AssertionError(
                f"specify_shape: {node.inputs[0]} has shape {x.shape}, expected "
                f"{tuple(int(n) for n in shape)}"
            )
        output_storage[0][0] = x

    def infer_shape(self, fgraph, node, input_shapes):
        shape = node.inputs[1]
        return [tuple(shape[i] for i in range(node.inputs[0].ndim))]

    def connection_pattern(self, node):
        return [[True], [False]]

    def grad(self, inputs, output_grads):
        from symbolic.types.null import DisconnectedType

        return [output_grads[0], DisconnectedType()()]

    def R_op(self, inputs, eval_points):
        return [eval_points[0]]


class Assert(Op):
    """``x`` itself, after checking at run time that every condition is true.

    Raises AssertionError with ``msg`` when one is false. Gradient: the
    output gradient for ``x``; the conditions get none.
    """

    __props__ = ("msg",)
    view_map = {0: [0]}

    def __init__(self, msg="symbolic Assert failed!"):
        self.msg = msg

    def make_node(self, value, *conds):
        value = _as_variable(value)
        conds = [as_tensor_variable(c) for c in conds]
        for c in conds:
            if c.ndim != 0:
                raise TypeError(f"Assert conditions must be scalars, got {c}")
        return Apply(self, [value, *conds], [value.type()])

    def perform(self, node, inputs, output_storage):
        value, *conds = inputs
        if not all(bool(c) for c in conds):
            raise AssertionError(self.msg)
        output_storage[0][0] = value

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def connection_pattern(self, node):
        return [[True]] + [[False] for _ in node.inputs[1:]]

    def grad(self, inputs, output_grads):
        from symbolic.types.null import DisconnectedType

        return [output_grads[0]] + [DisconnectedType()() for _ in inputs[1:]]

    def do_constant_folding(self, fgraph, node):
        return False


assert_op = Assert()


def specify_shape(x, shape):
    """Return ``x``, asserting at run time that its shape is ``shape``."""
    return SpecifyShape()(x, shape)


def register_view_op_c_code(type, code, version=()):
    """Accepted for Theano compatibility: ViewOp needs no C code here."""


def register_deep_copy_op_c_code(typ, code, version=()):
    """Accepted for Theano compatibility: DeepCopyOp needs no C code here."""


def register_shape_i_c_code(typ, code, check_input, version=()):
    """Accepted for Theano compatibility: Shape_i is lowered by the backends."""


def shape_i(var, i, fgraph=None):
    """Return the length of axis ``i`` of ``var``.

    With a ``fgraph`` carrying a shape feature, its symbolic shape is used,
    so the result does not depend on ``var``'s value.
    """
    feature = getattr(fgraph, "shape_feature", None) if fgraph is not None else None
    if feature is not None and isinstance(var.type, TensorType):
        return feature.shape_of(var)[i]
    return Shape_i(i)(var)


class FromFunctionOp(Op):
    """An op whose ``perform`` calls a Python function (made by :func:`as_op`).

    Parameters
    ----------
    fn : callable
        Takes the input values, returns the output value (or a list of them).
        It must be a module-level function for the op to pickle.
    itypes, otypes : list of Type
    infer_shape : callable, optional
        ``infer_shape(fgraph, node, input_shapes)`` as an Op's method.
    """

    __props__ = ("fn", "itypes", "otypes", "_infer_shape")

    def __init__(self, fn, itypes, otypes, infer_shape=None):
        self.fn = fn
        self.itypes = tuple(itypes)
        self.otypes = tuple(otypes)
        self._infer_shape = infer_shape
        self.__doc__ = fn.__doc__

    def make_node(self, *inputs):
        if len(inputs) != len(self.itypes):
            raise TypeError(
                f"{self} expects {len(self.itypes)} inputs, got {len(inputs)}"
            )
        inputs = [
            t.filter_variable(_as_variable(x)) for t, x in zip(self.itypes, inputs)
        ]
        return Apply(self, inputs, [t() for t in self.otypes])

    def perform(self, node, inputs, output_storage):
        outs = self.fn(*inputs)
        if len(self.otypes) == 1:
            outs = [outs]
        for cell, t, value in zip(output_storage, self.otypes, outs):
            cell[0] = t.filter(value, allow_downcast=True)

    def infer_shape(self, fgraph, node, input_shapes):
        if self._infer_shape is None:
            from symbolic.graph.utils import MethodNotDefined

            raise MethodNotDefined(f"{self}.infer_shape")
        return self._infer_shape(fgraph, node, input_shapes)

    def __str__(self):
        return f"FromFunctionOp{{{getattr(self.fn, '__name__', self.fn)}}}"

    def __reduce__(self):
        # Decorated by as_op, the module-level name is this op, not the
        # function: pickle a reference to that name then.
        module = getattr(self.fn, "__module__", None)
        name = getattr(self.fn, "__qualname__", None)
        if module and name and _load_back(module, name) is self:
            return (_load_back, (module, name))
        return (FromFunctionOp, (self.fn, self.itypes, self.otypes, self._infer_shape))


def _load_back(module, name):
    """The object a module-level (dotted) name refers to, or None."""
    import importlib

    try:
        obj = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    return obj


def as_op(itypes, otypes, infer_shape=None):
    """Decorate a numpy function into an op with the given input and output types.

    Examples
    --------
    >>> import numpy
    >>> import symbolic.tensor as T
    >>> @as_op(itypes=[T.dvector], otypes=[T.dvector])
    ... def numpy_sort(a):
    ...     return numpy.sort(a)
    >>> numpy_sort(T.dvector('v')).type
    TensorType(float64, vector)
    """
    itypes = list(itypes) if isinstance(itypes, (list, tuple)) else [itypes]
    otypes = list(otypes) if isinstance(otypes, (list, tuple)) else [otypes]
    itypes = [_type_of(t) for t in itypes]
    otypes = [_type_of(t) for t in otypes]

    def decorate(fn):
        return FromFunctionOp(fn, itypes, otypes, infer_shape)

    return decorate


def _type_of(t):
    """A Type, or the type a constructor such as ``tensor.dvector`` makes."""
    from symbolic.graph.type import Type

    if isinstance(t, Type):
        return t
    if callable(t):
        made = t()
        if isinstance(made, Variable):
            return made.type
    raise TypeError(f"as_op: expected Types, got {t!r}")


__all__ = [
    "Assert",
    "DeepCopyOp",
    "FromFunctionOp",
    "SpecifyShape",
    "ViewOp",
    "as_op",
    "assert_op",
    "deep_copy_op",
    "register_deep_copy_op_c_code",
    "register_shape_i_c_code",
    "register_view_op_c_code",
    "shape_i",
    "specify_shape",
    "view_op",
]

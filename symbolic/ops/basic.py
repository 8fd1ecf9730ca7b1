"""Core structural ops: Shape, Rebroadcast, MakeVector, Alloc; constant folding."""

import numpy

from symbolic.config import config
from symbolic.graph.basic import Apply, Constant, Variable
from symbolic.graph.op import Op
from symbolic.ops.elemwise import DimShuffle, Elemwise
from symbolic.ops.math import cast
from symbolic.ops.scalar import basic as sb
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorConstant, TensorType, as_tensor_variable


class NotScalarConstantError(ValueError):
    """A variable is not a compile-time scalar constant."""


class EmptyConstantError(NotScalarConstantError):
    """A constant has no elements."""


class Shape(Op):
    """The shape of a tensor as an int64 vector of known length."""

    __props__ = ()

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (False,))()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = numpy.asarray(inputs[0].shape, dtype="int64")

    def infer_shape(self, fgraph, node, shapes):
        return [(len(shapes[0]),)]

    def L_op(self, inputs, outputs, grads):
        from symbolic.types.null import DisconnectedType

        return [DisconnectedType()()]

    def connection_pattern(self, node):
        return [[False]]

    def R_op(self, inputs, eval_points):
        return [None]


_shape = Shape()


def shape(x):
    """Return the int64 shape vector of ``x``."""
    return _shape(x)


class Shape_i(Op):
    """Length of axis ``i`` of a tensor, as an int64 scalar.

    Shape rewrites produce it; its value is ``x.shape[i]``.  Not
    differentiable (the input is disconnected).
    """

    __props__ = ("i",)

    def __init__(self, i):
        self.i = int(i)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not 0 <= self.i < x.ndim:
            raise ValueError(f"{self}: axis {self.i} out of range for {x} ({x.type})")
        return Apply(self, [x], [TensorType("int64", ())()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = numpy.asarray(inputs[0].shape[self.i], dtype="int64")

    def infer_shape(self, fgraph, node, shapes):
        return [()]

    def L_op(self, inputs, outputs, grads):
        from symbolic.types.null import DisconnectedType

        return [DisconnectedType()()]

    def connection_pattern(self, node):
        return [[False]]

    def __str__(self):
        return f"Shape_i{{{self.i}}}"


class Rebroadcast(Op):
    """Change broadcastable flags; setting True is checked at run time (a view).

    Parameters
    ----------
    *axis : (int, bool) pairs
    """

    __props__ = ("axis",)
    view_map = {0: [0]}

    def __init__(self, *axis):
        self.axis = tuple(sorted((int(a), bool(b)) for a, b in axis))

    def make_node(self, x):
        x = as_tensor_variable(x)
        bcast = list(x.broadcastable)
        for a, b in self.axis:
            if a >= x.ndim:
                raise ValueError(f"Rebroadcast axis {a} out of range for {x}")
            bcast[a] = b
        return Apply(self, [x], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        for a, b in self.axis:
            if b and x.shape[a] != 1:
                raise ValueError(
                    f"{node.inputs[0]}: axis {a} was declared broadcastable but has "
                    f"length {x.shape[a]} (shape {x.shape})"
                )
        output_storage[0][0] = x

    def infer_shape(self, fgraph, node, shapes):
        shp = list(shapes[0])
        for a, b in self.axis:
            if b:
                shp[a] = 1
        return [tuple(shp)]

    def L_op(self, inputs, outputs, grads):
        (x,) = inputs
        from symbolic.ops.math import patternbroadcast, sum

        g = as_tensor_variable(grads[0])
        axes = [
            a for a in range(x.ndim) if x.broadcastable[a] and not g.broadcastable[a]
        ]
        if axes:
            g = sum(g, axis=axes, keepdims=True)
        return [patternbroadcast(g, x.broadcastable)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0])]

    def __str__(self):
        return "Rebroadcast{" + ",".join(f"({a}, {b})" for a, b in self.axis) + "}"


def addbroadcast(x, *axes):
    """Mark ``axes`` of ``x`` broadcastable (checked at run time)."""
    x = as_tensor_variable(x)
    return Rebroadcast(*[(a, True) for a in axes])(x) if axes else x


def unbroadcast(x, *axes):
    """Clear the broadcastable flag of ``axes`` of ``x``; the value is unchanged."""
    x = as_tensor_variable(x)
    axes = [a for a in axes if x.broadcastable[a]]
    return Rebroadcast(*[(a, False) for a in axes])(x) if axes else x


class MakeVector(Op):
    """Build a vector from scalars of one dtype."""

    __props__ = ("dtype",)

    def __init__(self, dtype="int64"):
        self.dtype = str(dtype)

    def make_node(self, *inputs):
        inputs = [as_tensor_variable(x) for x in inputs]
        converted = []
        for x in inputs:
            if x.ndim != 0:
                raise TypeError(f"MakeVector takes scalars, got {x} of type {x.type}")
            if x.dtype != self.dtype:
                if dt.upcast(x.dtype, self.dtype) != self.dtype and not isinstance(
                    x, Constant
                ):
                    raise TypeError(
                        f"MakeVector({self.dtype}) cannot hold {x} of dtype {x.dtype}"
                    )
                x = cast(x, self.dtype)
            converted.append(x)
        bcast = (len(inputs) == 1,)
        return Apply(self, converted, [TensorType(self.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = numpy.asarray(inputs, dtype=self.dtype).reshape(
            len(inputs)
        )

    def infer_shape(self, fgraph, node, shapes):
        return [(len(node.inputs),)]

    def L_op(self, inputs, outputs, grads):
        (gz,) = grads
        result = []
        for i, x in enumerate(inputs):
            if dt.is_discrete(x.dtype):
                from symbolic.ops.math import zeros_like

                result.append(zeros_like(x, dtype=config.floatX))
            else:
                result.append(cast(gz[i], x.dtype))
        return result

    def R_op(self, inputs, eval_points):
        if None in eval_points:
            return [None]
        return self.make_node(*eval_points).outputs


def make_vector(*scalars, dtype=None):
    scalars = [as_tensor_variable(s) for s in scalars]
    if dtype is None:
        dtype = dt.upcast(*[s.dtype for s in scalars]) if scalars else "int64"
    return MakeVector(dtype)(*scalars)


def _shape_entry(value):
    """Return a shape entry as an int64 scalar variable (or Python int)."""
    if isinstance(value, (int, numpy.integer)):
        return int(value)
    value = as_tensor_variable(value)
    if value.ndim != 0 or value.dtype not in dt.discrete_dtypes:
        raise TypeError(
            f"shape entries must be integer scalars, got {value} of type {value.type}"
        )
    return cast(value, "int64")


class Alloc(Op):
    """Broadcast ``value`` into ``shape``; a dim is broadcastable iff constant 1."""

    __props__ = ()

    def make_node(self, value, *shape):
        value = as_tensor_variable(value)
        shape_vars = []
        bcast = []
        for s in shape:
            s = as_tensor_variable(_shape_entry(s))
            if s.dtype != "int64":
                s = cast(s, "int64")
            shape_vars.append(s)
            try:
                bcast.append(int(get_scalar_constant_value(s)) == 1)
            except NotScalarConstantError:
                bcast.append(False)
        if value.ndim > len(shape_vars):
            raise TypeError(
                f"alloc: value {value} has more dims ({value.ndim}) than the shape "
                f"({len(shape_vars)})"
            )
        return Apply(self, [value, *shape_vars], [TensorType(value.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        value, *shape = inputs
        shape = tuple(int(s) for s in shape)
        out = numpy.empty(shape, dtype=node.outputs[0].dtype)
        try:
            out[...] = value
        except ValueError:
            raise ValueError(
                f"alloc: cannot broadcast {node.inputs[0]} of shape {value.shape} "
                f"into shape {shape}"
            ) from None
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, shapes):
        return [tuple(node.inputs[1:])]

    def L_op(self, inputs, outputs, grads):
        from symbolic.ops.math import sum
        from symbolic.types.null import DisconnectedType

        value = inputs[0]
        (gz,) = grads
        gz = as_tensor_variable(gz)
        n_extra = gz.ndim - value.ndim
        axes = list(range(n_extra))
        for i, b in enumerate(value.broadcastable):
            if b and not gz.broadcastable[i + n_extra]:
                axes.append(i + n_extra)
        g = sum(gz, axis=axes, keepdims=True) if axes else gz
        if n_extra:
            g = DimShuffle(g.broadcastable, list(range(n_extra, g.ndim)))(g)
        from symbolic.ops.math import patternbroadcast

        g = patternbroadcast(cast(g, value.dtype), value.broadcastable)
        return [g] + [DisconnectedType()() for _ in inputs[1:]]

    def connection_pattern(self, node):
        return [[True]] + [[False] for _ in node.inputs[1:]]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], *inputs[1:])]

    def do_constant_folding(self, fgraph, node):
        return False


alloc = Alloc()


class AllocSize(Op):
    """The number of elements of an alloc's ``axes``, checked like the alloc.

    ``sum(alloc(v, *shape))`` is rewritten into ``v`` times this count, so
    the array is never made; the count still fails where the alloc would
    (a negative length, or more bytes than any array can hold) instead of
    overflowing int64 into a wrong sum.

    Parameters
    ----------
    axes : tuple of int
        The alloc axes whose lengths are multiplied.
    dtype : str
        The alloc's dtype (its item size decides what is too big).
    """

    __props__ = ("axes", "dtype")

    def __init__(self, axes, dtype):
        self.axes = tuple(axes)
        self.dtype = dtype

    def make_node(self, *shape):
        shape = [as_tensor_variable(_shape_entry(s)) for s in shape]
        shape = [s if s.dtype == "int64" else cast(s, "int64") for s in shape]
        return Apply(self, shape, [TensorType("int64", ())()])

    def perform(self, node, inputs, output_storage):
        shape = tuple(int(s) for s in inputs)
        if any(s < 0 for s in shape):
            raise ValueError(f"alloc: negative length in shape {shape}")
        size = 1
        for length in shape:
            size *= length
        limit = numpy.iinfo(numpy.intp).max
        if size * numpy.dtype(self.dtype).itemsize > limit:
            raise ValueError(
                f"alloc: an array of shape {shape} and dtype {self.dtype} is too "
                f"big to exist ({size} elements); its sum is not computed"
            )
        count = 1
        for axis in self.axes:
            count *= shape[axis]
        output_storage[0][0] = numpy.asarray(count, dtype="int64")

    def infer_shape(self, fgraph, node, shapes):
        return [()]

    def connection_pattern(self, node):
        return [[False] for _ in node.inputs]

    def L_op(self, inputs, outputs, grads):
        from symbolic.types.null import DisconnectedType

        return [DisconnectedType()() for _ in inputs]


def _shape_args(shape):
    if isinstance(shape, Variable):
        if shape.ndim == 0:
            return [shape]
        length = get_vector_length(shape)
        return [shape[i] for i in range(length)]
    if isinstance(shape, (int, numpy.integer)):
        return [shape]
    return list(shape)


def zeros(shape, dtype=None):
    """Return a tensor of zeros of ``shape`` (dtype defaults to floatX)."""
    dtype = dtype or config.floatX
    return alloc(numpy.asarray(0, dtype=dtype), *_shape_args(shape))


def zero(dtype=None):
    """Return the 0-d constant 0 of ``dtype`` (floatX by default).

    Theano's module examples return ``zero()`` as a regularization term that
    adds nothing.
    """
    return as_tensor_variable(numpy.asarray(0, dtype=dtype or config.floatX))


def ones(shape, dtype=None):
    """Return a tensor of ones of ``shape`` (dtype defaults to floatX)."""
    dtype = dtype or config.floatX
    return alloc(numpy.asarray(1, dtype=dtype), *_shape_args(shape))


def transpose(x, axes=None):
    """Reverse (or permute by ``axes``) the dimensions of ``x``; a DimShuffle."""
    x = as_tensor_variable(x)
    if axes is None:
        axes = list(range(x.ndim - 1, -1, -1))
    return DimShuffle(x.broadcastable, axes)(x)


def shape_padleft(t, n_ones=1):
    """Add ``n_ones`` broadcastable dims on the left of ``t``."""
    t = as_tensor_variable(t)
    return DimShuffle(t.broadcastable, ["x"] * n_ones + list(range(t.ndim)))(t)


def shape_padright(t, n_ones=1):
    """Add ``n_ones`` broadcastable dims on the right of ``t``."""
    t = as_tensor_variable(t)
    return DimShuffle(t.broadcastable, list(range(t.ndim)) + ["x"] * n_ones)(t)


def shape_padaxis(t, axis):
    """Insert one broadcastable dim at ``axis`` (negative counts from the end)."""
    t = as_tensor_variable(t)
    ndim = t.ndim + 1
    if not -ndim <= axis < ndim:
        raise IndexError(f"axis {axis} is out of bounds for a {ndim}-d result")
    if axis < 0:
        axis += ndim
    pattern = list(range(t.ndim))
    pattern.insert(axis, "x")
    return DimShuffle(t.broadcastable, pattern)(t)


# Static folding ----------------------------------------------------------------------
def get_scalar_constant_value(
    v, elemwise=True, only_process_constants=False, max_recur=10
):
    """Return the value of ``v`` when it is a compile-time scalar constant.

    Looks through casts, DimShuffles, Rebroadcasts, elemwise arithmetic on
    constants, ``shape(x)[i]`` of statically-known dims and MakeVector
    entries.

    Raises
    ------
    NotScalarConstantError
    """
    if v is None:
        raise NotScalarConstantError("None is not a constant")
    if isinstance(v, (numpy.integer, int, float, numpy.floating, bool, numpy.bool_)):
        return numpy.asarray(v)
    if isinstance(v, numpy.ndarray):
        if v.size == 1:
            return v.reshape(())
        raise NotScalarConstantError("array is not a scalar")
    if isinstance(v, Constant):
        data = v.data
        if isinstance(data, numpy.ndarray):
            if data.size == 0:
                raise EmptyConstantError(f"{v} is empty")
            if data.size == 1 or numpy.all(data == data.flat[0]):
                return numpy.asarray(data.flat[0]).astype(data.dtype)
        raise NotScalarConstantError(f"{v} is not a scalar constant")
    if only_process_constants or v.owner is None or max_recur <= 0:
        raise NotScalarConstantError(f"{v} is not a constant")
    op = v.owner.op
    inputs = v.owner.inputs
    if isinstance(op, (Rebroadcast,)) or (isinstance(op, DimShuffle)):
        return get_scalar_constant_value(inputs[0], elemwise, False, max_recur - 1)
    if isinstance(op, Elemwise) and elemwise:
        if isinstance(op.scalar_op, sb.Second):
            return get_scalar_constant_value(inputs[1], elemwise, False, max_recur - 1)
        values = [
            get_scalar_constant_value(i, elemwise, False, max_recur - 1) for i in inputs
        ]
        result = op.scalar_op.impl(*values)
        return numpy.asarray(result).astype(v.dtype)
    if isinstance(op, Alloc):
        return get_scalar_constant_value(inputs[0], elemwise, False, max_recur - 1)
    if isinstance(op, Shape_i):
        if inputs[0].broadcastable[op.i]:
            return numpy.asarray(1, dtype="int64")
        if isinstance(inputs[0], Constant):
            return numpy.asarray(inputs[0].data.shape[op.i], dtype="int64")
    from symbolic.ops import subtensor

    if isinstance(op, subtensor.Subtensor) and v.ndim == 0:
        # shape(x)[i], make_vector(...)[i] and constant[i] fold statically.
        return subtensor.subtensor_constant_value(v, max_recur - 1)
    raise NotScalarConstantError(f"{v} is not a constant")


def extract_constant(x, elemwise=True, only_process_constants=False):
    """Return ``x``'s constant value as a TensorConstant if it folds, else ``x``."""
    try:
        value = get_scalar_constant_value(x, elemwise, only_process_constants)
    except NotScalarConstantError:
        return x
    if isinstance(x, Variable):
        return TensorConstant(TensorType(x.dtype, ()), numpy.asarray(value, x.dtype))
    return value


def get_vector_length(v):
    """Return the static length of vector ``v``, or raise ValueError."""
    v = as_tensor_variable(v)
    if v.ndim != 1:
        raise TypeError(f"{v} is not a vector (ndim {v.ndim})")
    if v.broadcastable[0]:
        return 1
    if isinstance(v, Constant):
        return len(v.data)
    owner = v.owner
    if owner is not None:
        if isinstance(owner.op, MakeVector):
            return len(owner.inputs)
        if isinstance(owner.op, Shape):
            return owner.inputs[0].ndim
        if isinstance(owner.op, (Rebroadcast, Elemwise)) and len(owner.inputs) == 1:
            return get_vector_length(owner.inputs[0])
        from symbolic.ops import subtensor

        if isinstance(owner.op, subtensor.Subtensor):
            return subtensor.subtensor_vector_length(v)
    raise ValueError(f"length of vector {v} is not known statically")

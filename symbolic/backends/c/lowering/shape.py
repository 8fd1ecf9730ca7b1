"""Lowerings of the views (Reshape, Subtensor, Rebroadcast) and the shape ops."""

from symbolic.backends.c.lowering import Lowered, lowering, runtime_abi, typenum
from symbolic.ops.basic import Alloc, MakeVector, Rebroadcast, Shape, Shape_i
from symbolic.ops.join_split import Join
from symbolic.ops.reshaping import Reshape
from symbolic.ops.subtensor import Subtensor
from symbolic.types.tensor import TensorType


@lowering(Reshape)
def lower_Reshape(node, kernels):
    """numpy's reshape: a view when the layout allows, else a copy."""
    if node.op.ndim > runtime_abi().max_dims:
        return None
    return Lowered("RESHAPE", (node.op.ndim,))


def _part(value, inputs):
    """An index part as (tag, value): (0, 0) None, (1, v) a constant, (2, i) input i."""
    if value is None:
        return (0, 0)
    if isinstance(value, TensorType):
        return (2, next(inputs))
    return (1, int(value))


@lowering(Subtensor)
def lower_Subtensor(node, kernels):
    """Ints and slices (constant or symbolic bounds) as a strided view."""
    ndim = node.inputs[0].ndim
    if ndim > runtime_abi().max_dims:
        return None
    inputs = iter(range(1, len(node.inputs)))
    params = [ndim, len(node.op.idx_list)]
    for entry in node.op.idx_list:
        if isinstance(entry, slice):
            params.append(1)
            for bound in (entry.start, entry.stop, entry.step):
                params.extend(_part(bound, inputs))
        else:
            params.append(0)
            params.extend(_part(entry, inputs))
    return Lowered("SUBTENSOR", tuple(params))


@lowering(Rebroadcast)
def lower_Rebroadcast(node, kernels):
    """The input itself once the axes declared broadcastable are checked."""
    return Lowered("REBROADCAST", tuple(a for a, flag in node.op.axis if flag))


@lowering(Alloc)
def lower_Alloc(node, kernels):
    """Fill a reused output of the requested shape by broadcasting the value."""
    if len(node.inputs) - 1 > runtime_abi().max_dims:
        return None
    return Lowered("ALLOC", (typenum(node.outputs[0].dtype),))


@lowering(Shape)
def lower_Shape(node, kernels):
    """The shape as an int64 vector."""
    return Lowered("SHAPE")


@lowering(MakeVector)
def lower_MakeVector(node, kernels):
    """Scalars of the vector's dtype copied into a reused vector."""
    if any(v.dtype != node.op.dtype for v in node.inputs):
        return None
    return Lowered("MAKEVECTOR", (typenum(node.op.dtype),))


@lowering(Shape_i)
def lower_Shape_i(node, kernels):
    """The length of one axis as a 0-d int64."""
    return Lowered("SHAPE_I", (int(node.op.i),))


@lowering(Join)
def lower_Join(node, kernels):
    """Concatenation of tensors of the output's dtype into a reused buffer."""
    out = node.outputs[0]
    abi = runtime_abi()
    if out.ndim > abi.max_dims or len(node.inputs) - 1 > abi.max_args:
        return None
    if any(v.dtype != out.dtype for v in node.inputs[1:]):
        return None
    return Lowered("JOIN", (typenum(out.dtype), out.ndim))

"""Joining and splitting tensors: Join, Split, join, concatenate, stack, split."""

import numpy

from symbolic.graph.basic import Apply, Variable
from symbolic.graph.op import Op
from symbolic.ops.basic import MakeVector, shape_padaxis
from symbolic.ops.math import cast, eq, lt, switch
from symbolic.ops.reshaping import (
    as_int_scalar,
    as_int_vector,
    constant_int,
    disconnected,
    fit_grad,
    is_disconnected,
    shape_entry,
    vector_entries,
    zero_grad,
)
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable

__all__ = ["Join", "Split", "concatenate", "join", "split", "stack"]


def _symbolic_axis(axis, ndim):
    """Return integer scalar ``axis`` made non-negative, as an int64 variable."""
    axis = cast(axis, "int64")
    return switch(lt(axis, 0), axis + ndim, axis)


class Join(Op):
    """Concatenate tensors along ``axis`` (numpy.concatenate).

    Inputs are ``(axis, *tensors)``; ``axis`` is an integer scalar that may be
    symbolic.  The tensors must have the same ndim and agree in every dim but
    ``axis``; the output dtype is the upcast of theirs.

    Gradient: the output gradient split back into pieces of the inputs'
    lengths (a Split); ``axis`` is disconnected.  Not in place.
    """

    __props__ = ()

    def make_node(self, axis, *tensors):
        if not tensors:
            raise TypeError("join: at least one tensor is required")
        axis = as_int_scalar(axis, "axis", "join")
        tensors = [as_tensor_variable(t) for t in tensors]
        ndim = tensors[0].ndim
        if ndim == 0:
            raise TypeError(f"join cannot join scalars ({tensors[0]}); use stack")
        for t in tensors[1:]:
            if t.ndim != ndim:
                raise TypeError(
                    f"join: all tensors must have the same number of dimensions; "
                    f"{tensors[0]} has {ndim} but {t} has {t.ndim}"
                )
        dtype = dt.upcast(*[t.dtype for t in tensors])
        const_axis = constant_int(axis)
        if len(tensors) == 1:
            bcast = list(tensors[0].broadcastable)
        elif const_axis is None:
            # Along an unknown axis no dim is sure to keep length 1.
            bcast = [False] * ndim
        else:
            if not -ndim <= const_axis < ndim:
                raise ValueError(
                    f"join: axis {const_axis} is out of range for {ndim}-d tensors"
                )
            const_axis %= ndim
            # A dim broadcastable in one input has length 1 in all of them.
            bcast = [any(t.broadcastable[d] for t in tensors) for d in range(ndim)]
            bcast[const_axis] = False
        return Apply(self, [axis, *tensors], [TensorType(dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        axis, *tensors = inputs
        axis = int(axis)
        ndim = tensors[0].ndim
        if not -ndim <= axis < ndim:
            raise ValueError(f"join: axis {axis} is out of range for {ndim}-d tensors")
        first = tensors[0].shape
        for var, t in zip(node.inputs[2:], tensors[1:], strict=True):
            if any(
                a != b
                for d, (a, b) in enumerate(zip(first, t.shape, strict=True))
                if d != axis % ndim
            ):
                raise ValueError(
                    f"join along axis {axis}: {node.inputs[1]} has shape {first} but "
                    f"{var} has shape {t.shape}; every other dim must agree"
                )
        out = numpy.concatenate(tensors, axis=axis)
        output_storage[0][0] = out.astype(node.outputs[0].dtype, copy=False)

    def infer_shape(self, fgraph, node, shapes):
        axis = node.inputs[0]
        ndim = node.outputs[0].ndim
        const_axis = constant_int(axis)
        first = shapes[1]
        totals = []
        for d in range(ndim):
            if const_axis is not None and d != const_axis % ndim:
                totals.append(None)
                continue
            total = first[d]
            for shp in shapes[2:]:
                total = total + shp[d]
            totals.append(total)
        if const_axis is not None:
            return [
                tuple(
                    totals[d] if d == const_axis % ndim else first[d]
                    for d in range(ndim)
                )
            ]
        axis = _symbolic_axis(axis, ndim)
        return [
            tuple(
                cast(switch(eq(axis, d), totals[d], first[d]), "int64")
                for d in range(ndim)
            )
        ]

    def L_op(self, inputs, outputs, grads):
        axis, *tensors = inputs
        (gz,) = grads
        if dt.is_discrete(outputs[0].dtype) or is_disconnected(gz):
            return [disconnected()] + [zero_grad(t) for t in tensors]
        const_axis = constant_int(axis)
        size_axis = axis if const_axis is None else const_axis % outputs[0].ndim
        sizes = [shape_entry(t, size_axis) for t in tensors]
        parts = Split(len(tensors))(gz, axis, stack(sizes), return_list=True)
        return [disconnected()] + [
            fit_grad(g, t) for g, t in zip(parts, tensors, strict=True)
        ]

    def connection_pattern(self, node):
        return [[False]] + [[True] for _ in node.inputs[1:]]

    def R_op(self, inputs, eval_points):
        if any(ev is None for ev in eval_points[1:]):
            return [None]
        return self.make_node(inputs[0], *eval_points[1:]).outputs


_join = Join()


def join(axis, *tensors_list):
    """Concatenate ``tensors_list`` along ``axis`` (an int or integer scalar).

    A single tensor is returned as is.

    Examples
    --------
    >>> from symbolic.types.tensor import matrix
    >>> join(1, matrix('a'), matrix('b')).ndim
    2
    """
    if len(tensors_list) == 1:
        return tensors_list[0]
    return _join(axis, *tensors_list)


def concatenate(tensor_list, axis=0):
    """Concatenate the tensors of ``tensor_list`` along ``axis`` (numpy.concatenate)."""
    if not isinstance(tensor_list, (tuple, list)):
        raise TypeError(
            "concatenate: tensor_list must be a tuple or a list; did you forget the "
            f"[] around the tensors? Got {tensor_list!r}"
        )
    return join(axis, *tensor_list)


def _is_scalar_like(t):
    if isinstance(t, (int, float, complex, numpy.number)):
        return True
    return isinstance(t, Variable) and isinstance(t.type, TensorType) and t.ndim == 0


def stack(*tensors, axis=0, **kwargs):
    """Stack tensors along a new axis ``axis`` (numpy.stack).

    Called as ``stack(tensors, axis=0)`` or ``stack(*tensors, axis=0)``.
    Scalars give a vector (one MakeVector of the upcast dtype).

    Examples
    --------
    >>> from symbolic.types.tensor import scalar
    >>> stack([scalar('a'), scalar('b')]).ndim
    1
    """
    if "tensors" in kwargs:
        tensors = (kwargs.pop("tensors"),)
    if kwargs:
        raise TypeError(f"stack: unexpected keyword arguments {sorted(kwargs)}")
    if (
        len(tensors) == 2
        and isinstance(tensors[0], (list, tuple))
        and (isinstance(tensors[1], (int, numpy.integer)))
    ):
        tensors, axis = (tensors[0],), tensors[1]
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: no tensors given")
    if all(_is_scalar_like(t) for t in tensors):
        tensors = [as_tensor_variable(t) for t in tensors]
        dtype = dt.upcast(*[t.dtype for t in tensors])
        return MakeVector(dtype)(*tensors)
    tensors = [as_tensor_variable(t) for t in tensors]
    return join(axis, *[shape_padaxis(t, axis) for t in tensors])


class Split(Op):
    """Split ``x`` along ``axis`` into ``len_splits`` pieces of the given sizes.

    Inputs are ``(x, axis, splits)``: ``splits`` is an integer vector of
    ``len_splits`` non-negative sizes summing to ``x.shape[axis]``.  The
    outputs are views of ``x``.

    Gradient: the output gradients joined along ``axis`` (zeros for the
    unused pieces); ``axis`` and ``splits`` are disconnected.
    """

    __props__ = ("len_splits",)

    def __init__(self, len_splits):
        self.len_splits = int(len_splits)
        if self.len_splits < 1:
            raise ValueError(f"Split: len_splits must be >= 1, got {len_splits}")
        self.view_map = {i: [0] for i in range(self.len_splits)}

    def make_node(self, x, axis, splits):
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise TypeError(f"split: cannot split the scalar {x}")
        axis = as_int_scalar(axis, "axis", "split")
        splits = as_int_vector(splits, "splits", "split")
        const_axis = constant_int(axis)
        bcast = list(x.broadcastable)
        if const_axis is not None:
            if not -x.ndim <= const_axis < x.ndim:
                raise ValueError(
                    f"split: axis {const_axis} is out of range for {x} ({x.type})"
                )
            if self.len_splits > 1:
                bcast[const_axis % x.ndim] = False
        elif self.len_splits > 1:
            bcast = [False] * x.ndim
        outputs = [TensorType(x.dtype, bcast)() for _ in range(self.len_splits)]
        return Apply(self, [x, axis, splits], outputs)

    def perform(self, node, inputs, output_storage):
        x, axis, splits = inputs
        axis = int(axis)
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(
                f"split: axis {axis} is out of range for "
                f"{node.inputs[0]} of shape {x.shape}"
            )
        if len(splits) != self.len_splits:
            raise ValueError(
                f"split: {node.inputs[2]} holds {len(splits)} sizes {splits.tolist()}, "
                f"expected {self.len_splits}"
            )
        if numpy.any(splits < 0):
            raise ValueError(f"split: negative size in {splits.tolist()}")
        if numpy.sum(splits) != x.shape[axis]:
            raise ValueError(
                f"split: the sizes {splits.tolist()} sum to {int(numpy.sum(splits))} "
                "but "
                f"{node.inputs[0]} has length {x.shape[axis]} along axis {axis} "
                f"(shape {x.shape})"
            )
        pieces = numpy.split(x, numpy.cumsum(splits)[:-1], axis=axis)
        for cell, piece in zip(output_storage, pieces, strict=True):
            cell[0] = piece

    def infer_shape(self, fgraph, node, shapes):
        x_shape = shapes[0]
        ndim = len(x_shape)
        sizes = [
            s if isinstance(s, int) else cast(s, "int64")
            for s in vector_entries(node.inputs[2], self.len_splits)
        ]
        const_axis = constant_int(node.inputs[1])
        if const_axis is not None:
            const_axis %= ndim
            return [
                tuple(size if d == const_axis else x_shape[d] for d in range(ndim))
                for size in sizes
            ]
        axis = _symbolic_axis(node.inputs[1], ndim)
        return [
            tuple(
                cast(switch(eq(axis, d), size, x_shape[d]), "int64")
                for d in range(ndim)
            )
            for size in sizes
        ]

    def L_op(self, inputs, outputs, grads):
        x, axis, _splits = inputs
        if dt.is_discrete(x.dtype):
            return [zero_grad(x), disconnected(), disconnected()]
        if all(is_disconnected(g) for g in grads):
            return [disconnected(), disconnected(), disconnected()]
        pieces = [
            out.zeros_like() if is_disconnected(g) else g
            for out, g in zip(outputs, grads, strict=True)
        ]
        return [fit_grad(join(axis, *pieces), x), disconnected(), disconnected()]

    def connection_pattern(self, node):
        return [
            [True] * self.len_splits,
            [False] * self.len_splits,
            [False] * self.len_splits,
        ]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None] * self.len_splits
        return self.make_node(eval_points[0], *inputs[1:]).outputs

    def __str__(self):
        return f"Split{{{self.len_splits}}}"


def split(x, splits_size, n_splits, axis=0):
    """Split ``x`` along ``axis`` into ``n_splits`` pieces of sizes ``splits_size``.

    Returns a list of variables, or one variable when ``n_splits`` is 1.
    """
    return Split(n_splits)(x, axis, splits_size)

"""Elemwise (a scalar op mapped over tensors), DimShuffle and CAReduce."""

import numpy

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable


class DimShuffle(Op):
    """Reorder, insert (``'x'``) and drop (broadcastable only) axes; a view.

    Parameters
    ----------
    input_broadcastable : tuple of bool
    new_order : sequence of int or 'x'

    Notes
    -----
    The gradient is the transposed DimShuffle, summing over inserted axes.
    """

    __props__ = ("input_broadcastable", "new_order", "inplace")

    def __init__(self, input_broadcastable, new_order, inplace=True):
        self.input_broadcastable = tuple(bool(b) for b in input_broadcastable)
        new_order = tuple(new_order)
        for entry in new_order:
            if entry != "x" and not isinstance(entry, (int, numpy.integer)):
                raise TypeError(
                    f"DimShuffle pattern entries must be ints or 'x', got {entry!r}"
                )
        self.new_order = tuple(e if e == "x" else int(e) for e in new_order)
        self.inplace = inplace
        ndim = len(self.input_broadcastable)
        seen = set()
        for entry in self.new_order:
            if entry == "x":
                continue
            if not 0 <= entry < ndim:
                raise ValueError(
                    f"DimShuffle pattern {new_order} refers to axis {entry} of a "
                    f"{ndim}-d input"
                )
            if entry in seen:
                raise ValueError(f"DimShuffle pattern {new_order} repeats axis {entry}")
            seen.add(entry)
        self.drop = [i for i in range(ndim) if i not in seen]
        for i in self.drop:
            if not self.input_broadcastable[i]:
                raise ValueError(
                    f"cannot drop a non-broadcastable dimension: axis {i} of "
                    f"{self.input_broadcastable} is missing from pattern {new_order}"
                )
        self.shuffle = [e for e in self.new_order if e != "x"]
        self.augment = [i for i, e in enumerate(self.new_order) if e == "x"]
        if self.inplace:
            self.view_map = {0: [0]}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.type.broadcastable != self.input_broadcastable:
            if len(x.broadcastable) != len(self.input_broadcastable) or any(
                ib and not xb
                for ib, xb in zip(self.input_broadcastable, x.broadcastable)
            ):
                raise TypeError(
                    f"{self} expects an input with broadcastable pattern "
                    f"{self.input_broadcastable}, got {x.broadcastable} ({x})"
                )
        out_bcast = tuple(
            True if e == "x" else x.broadcastable[e] for e in self.new_order
        )
        return Apply(self, [x], [TensorType(x.dtype, out_bcast)()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        res = x.transpose(self.shuffle + self.drop)
        shape = list(res.shape[: len(self.shuffle)])
        for aug in self.augment:
            shape.insert(aug, 1)
        res = res.reshape(shape)
        if not self.inplace:
            res = res.copy()
        output_storage[0][0] = res

    def infer_shape(self, fgraph, node, shapes):
        (ishp,) = shapes
        return [tuple(1 if e == "x" else ishp[e] for e in self.new_order)]

    def L_op(self, inputs, outputs, grads):
        from symbolic.ops import math

        (x,) = inputs
        gz = as_tensor_variable(grads[0])
        if dt.is_discrete(x.dtype):
            return [math.zeros_like(x, dtype=dt.float_of(x.dtype))]
        # Inserted axes must be broadcastable in gz before they can be dropped.
        unbroadcast_inserted = [a for a in self.augment if not gz.broadcastable[a]]
        if unbroadcast_inserted:
            gz = math.sum(gz, axis=unbroadcast_inserted, keepdims=True)
        grad_order = ["x"] * x.ndim
        for out_axis, entry in enumerate(self.new_order):
            if entry != "x":
                grad_order[entry] = out_axis
        out = DimShuffle(gz.broadcastable, grad_order)(gz)
        if out.dtype != x.dtype:
            out = math.cast(out, x.dtype)
        return [math.patternbroadcast(out, x.broadcastable)]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return self(*eval_points, return_list=True)

    def __str__(self):
        return "DimShuffle{" + ",".join(str(e) for e in self.new_order) + "}"


class Elemwise(Op):
    """Apply ``scalar_op`` elementwise, broadcasting the inputs.

    Inputs of lower rank are left-padded by an explicit ``DimShuffle``; a
    dimension stretches only when its type says it is broadcastable.

    Parameters
    ----------
    scalar_op : ScalarOp
    inplace_pattern : dict, optional
        ``{output_index: input_index}``: write the output into that input.
    name : str, optional
        Printed name (e.g. ``Elemwise{add,no_inplace}``).
    """

    __props__ = ("scalar_op", "inplace_pattern")

    def __init__(
        self, scalar_op, inplace_pattern=None, name=None, nfunc_spec=None, openmp=None
    ):
        self.scalar_op = scalar_op
        self.inplace_pattern = tuple(sorted((inplace_pattern or {}).items()))
        self.name = name
        self.destroy_map = {o: [i] for o, i in self.inplace_pattern}

    def _props(self):
        return (self.scalar_op, self.inplace_pattern)

    @property
    def nin(self):
        return self.scalar_op.nin

    @property
    def nout(self):
        return self.scalar_op.nout

    def make_node(self, *inputs):
        inputs = [as_tensor_variable(x) for x in inputs]
        if self.scalar_op.nin >= 0 and len(inputs) != self.scalar_op.nin:
            raise TypeError(
                f"{self} takes {self.scalar_op.nin} inputs, got {len(inputs)}"
            )
        ndim = max(x.ndim for x in inputs) if inputs else 0
        padded = []
        for x in inputs:
            if x.ndim < ndim:
                pattern = ["x"] * (ndim - x.ndim) + list(range(x.ndim))
                x = DimShuffle(x.broadcastable, pattern)(x)
            padded.append(x)
        out_bcast = tuple(
            all(x.broadcastable[axis] for x in padded) for axis in range(ndim)
        )
        out_dtypes = self.scalar_op.output_types([x.dtype for x in padded])
        for out_index, in_index in self.inplace_pattern:
            if padded[in_index].broadcastable != out_bcast:
                raise ValueError(
                    f"{self}: output {out_index} cannot overwrite input {in_index} "
                    "of a different broadcast pattern"
                )
        outputs = [TensorType(d, out_bcast)() for d in out_dtypes]
        return Apply(self, padded, outputs)

    def perform(self, node, inputs, output_storage):
        shape = check_broadcast(node, inputs)
        if self.inplace_pattern and _perform_into(node, inputs, output_storage, shape):
            return
        results = self.scalar_op.impl(*inputs)
        if self.scalar_op.nout == 1:
            results = (results,)
        for i, (out, result) in enumerate(zip(node.outputs, results)):
            result = numpy.asarray(result)
            if result.dtype != out.type.numpy_dtype:
                result = result.astype(out.type.numpy_dtype)
            if result.shape != shape:
                result = numpy.broadcast_to(result, shape).copy()
            destroyed = dict(self.inplace_pattern).get(i)
            if destroyed is not None and inputs[destroyed].shape == shape:
                target = inputs[destroyed]
                target[...] = result
                result = target
            output_storage[i][0] = result

    def infer_shape(self, fgraph, node, shapes):
        out_shape = []
        for axis in range(node.outputs[0].ndim):
            dim = 1
            for x, shp in zip(node.inputs, shapes):
                if not x.broadcastable[axis]:
                    dim = shp[axis]
                    break
            out_shape.append(dim)
        return [tuple(out_shape)] * len(node.outputs)

    def L_op(self, inputs, outputs, grads):
        from symbolic.ops import math
        from symbolic.types.null import DisconnectedType, is_undefined

        grads = list(grads)
        for i, (g, out) in enumerate(zip(grads, outputs)):
            if g is None or isinstance(getattr(g, "type", None), DisconnectedType):
                grads[i] = math.zeros_like(out, dtype=_grad_dtype(out.dtype))
        scalar_grads = self.scalar_op.L_op(inputs, outputs, grads)
        result = []
        for x, g in zip(inputs, scalar_grads):
            if g is None or is_undefined(g):
                result.append(g)
                continue
            g = as_tensor_variable(g)
            if g.ndim < x.ndim:
                g = DimShuffle(
                    g.broadcastable, ["x"] * (x.ndim - g.ndim) + list(range(g.ndim))
                )(g)
            axes = [
                a
                for a in range(x.ndim)
                if x.broadcastable[a] and not g.broadcastable[a]
            ]
            if axes:
                g = math.sum(g, axis=axes, keepdims=True)
            if g.dtype != x.dtype and not dt.is_discrete(x.dtype):
                g = math.cast(g, x.dtype)
            result.append(math.patternbroadcast(g, x.broadcastable))
        return result

    def R_op(self, inputs, eval_points):
        from symbolic.ops import math

        if self.scalar_op.nout != 1:
            raise NotImplementedError(f"R_op of multi-output {self}")
        out = self(*inputs)
        partials = self.scalar_op.L_op(inputs, [out], [math.ones_like(out)])
        total = None
        for ev, partial in zip(eval_points, partials):
            if ev is None or partial is None:
                continue
            term = partial * ev
            total = term if total is None else total + term
        if total is None:
            return [None]
        if total.dtype != out.dtype and dt.is_float(out.dtype):
            total = math.cast(total, out.dtype)
        return [total]

    def __str__(self):
        if self.name is not None:
            return self.name
        if self.inplace_pattern:
            return f"Elemwise{{{self.scalar_op}}}{list(self.inplace_pattern)}"
        return f"Elemwise{{{self.scalar_op}}}"


def _perform_into(node, inputs, output_storage, shape):
    """Run a one-output in-place elemwise as a ufunc writing into its target.

    Returns False (nothing written) when the op has no plain ufunc form or the
    target cannot hold the result; ``perform`` then computes and copies.
    """
    from symbolic.ops.scalar.expr import PRIMITIVES

    scalar_op = node.op.scalar_op
    if scalar_op.nout != 1:
        return False
    ((_, index),) = node.op.inplace_pattern
    target = inputs[index]
    out_dtype = node.outputs[0].type.numpy_dtype
    if (
        type(target) is not numpy.ndarray
        or target.shape != shape
        or target.dtype != out_dtype
        or not target.flags.writeable
    ):
        return False
    ufunc = getattr(scalar_op, "fast_impl", None)
    quiet = False
    if ufunc is None and all(v.dtype == out_dtype for v in inputs):
        ufunc = PRIMITIVES.get(getattr(scalar_op, "primitive", None))
        quiet = True
    if not isinstance(ufunc, numpy.ufunc) or ufunc.nin != len(inputs):
        return False
    try:
        if quiet:
            with numpy.errstate(all="ignore"):
                ufunc(*inputs, out=target)
        else:
            ufunc(*inputs, out=target)
    except TypeError:
        return False
    output_storage[0][0] = target
    return True


def _grad_dtype(dtype):
    return dt.float_of(dtype) if dt.is_discrete(dtype) else dtype


def check_broadcast(node, inputs):
    """Return the output shape of an elemwise node, or raise a clear ValueError.

    Dimensions stretch only where the input's type is broadcastable.
    """
    ndim = node.outputs[0].ndim
    shape = []
    for axis in range(ndim):
        dim = None
        for var, value in zip(node.inputs, inputs):
            if var.broadcastable[axis]:
                continue
            length = value.shape[axis]
            if dim is None:
                dim = length
            elif length != dim:
                raise ValueError(_mismatch_message(node, inputs, axis))
        if dim is None:
            dim = 1
        shape.append(dim)
    for value in inputs:
        if value.ndim != ndim:
            raise ValueError(_mismatch_message(node, inputs, None))
    return tuple(shape)


def _mismatch_message(node, inputs, axis):
    parts = [
        f"{_display_name(var)} with shape {value.shape}"
        for var, value in zip(node.inputs, inputs)
    ]
    where = f" on axis {axis}" if axis is not None else ""
    return (
        f"Input dimension mis-match in {node.op}{where}: "
        + ", ".join(parts)
        + ". Only dimensions declared broadcastable may differ."
    )


def _display_name(var):
    """The user-facing name of ``var``, looking through implicit DimShuffles."""
    seen = var
    while (
        seen.name is None
        and seen.owner is not None
        and isinstance(seen.owner.op, DimShuffle)
    ):
        seen = seen.owner.inputs[0]
    return seen.name if seen.name is not None else str(var)


class CAReduce(Op):
    """Reduce along ``axis`` with a commutative, associative scalar op.

    Parameters
    ----------
    scalar_op : ScalarOp
    axis : tuple of int or None
        None reduces every axis.
    """

    __props__ = ("scalar_op", "axis")
    identity = None
    ufunc = None

    def __init__(self, scalar_op, axis=None):
        self.scalar_op = scalar_op
        self.axis = None if axis is None else tuple(sorted(int(a) for a in axis))

    def _axes(self, ndim):
        return tuple(range(ndim)) if self.axis is None else self.axis

    def _output_dtype(self, dtype):
        return dtype

    def make_node(self, x):
        x = as_tensor_variable(x)
        axes = self._axes(x.ndim)
        for a in axes:
            if not 0 <= a < x.ndim:
                raise ValueError(f"{self}: axis {a} out of range for {x.ndim}-d {x}")
        bcast = tuple(b for i, b in enumerate(x.broadcastable) if i not in axes)
        out = TensorType(self._output_dtype(x.dtype), bcast)()
        return Apply(self, [x], [out])

    def _reduce(self, x, axes):
        if x.size == 0 and self.identity is None:
            for a in axes:
                if x.shape[a] == 0:
                    raise ValueError(
                        f"{self}: cannot reduce an empty axis {a} of shape {x.shape}"
                    )
        return self.ufunc.reduce(x, axis=axes) if len(axes) else x

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        axes = self._axes(x.ndim)
        out = self._reduce(x, axes)
        output_storage[0][0] = numpy.asarray(out, dtype=node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, shapes):
        (shp,) = shapes
        axes = self._axes(len(shp))
        return [tuple(s for i, s in enumerate(shp) if i not in axes)]

    def __str__(self):
        name = type(self).__name__
        if name == "CAReduce":
            name = f"CAReduce{{{self.scalar_op}}}"
            return name if self.axis is None else f"{name}{{{self.axis}}}"
        if self.axis is None:
            return name
        return f"{name}{{{', '.join(map(str, self.axis))}}}"

    def _expand(self, g, x):
        """Broadcast ``g`` (reduced shape) back against ``x``'s rank."""
        return expand_reduced(g, x.ndim, self._axes(x.ndim))


def expand_reduced(out, ndim, axes):
    """Re-insert the reduced ``axes`` of an ``ndim``-d input as broadcastable dims."""
    pattern = []
    kept = 0
    for i in range(ndim):
        if i in axes:
            pattern.append("x")
        else:
            pattern.append(kept)
            kept += 1
    return DimShuffle(out.broadcastable, pattern)(out)

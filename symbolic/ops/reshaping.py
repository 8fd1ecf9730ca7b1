"""Shape ops: reshape, flatten, squeeze, swapaxes, tile, roll and arange.

Joining and splitting live in ``symbolic.ops.join_split``; diagonals and ``eye``
in ``symbolic.ops.diagonals``.  The helpers at the top (``vector_entries``,
``shape_entry``...) are shared with those modules.
"""

import builtins
import warnings

import numpy

from symbolic.config import config
from symbolic.graph.basic import Apply, Constant
from symbolic.graph.op import Op
from symbolic.ops.basic import (
    MakeVector,
    NotScalarConstantError,
    addbroadcast,
    alloc,
    get_scalar_constant_value,
    get_vector_length,
    shape,
)
from symbolic.ops.elemwise import DimShuffle, Elemwise
from symbolic.ops.math import (
    cast,
    ceil,
    eq,
    int_div,
    lt,
    maximum,
    mul,
    neg,
    patternbroadcast,
    switch,
    zeros_like,
)
from symbolic.ops.math import sum as tensor_sum
from symbolic.ops.scalar.basic import Cast
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable

__all__ = [
    "ARange",
    "Reshape",
    "Roll",
    "arange",
    "flatten",
    "reshape",
    "roll",
    "squeeze",
    "swapaxes",
    "tile",
]


# Helpers shared by the shape-family modules ----
def disconnected():
    """Return a fresh DisconnectedType variable (the gradient of an unused input)."""
    from symbolic.types.null import DisconnectedType

    return DisconnectedType()()


def is_disconnected(var):
    """Whether ``var`` is a DisconnectedType gradient (or None)."""
    from symbolic.types.null import DisconnectedType

    return var is None or isinstance(getattr(var, "type", None), DisconnectedType)


def zero_grad(x):
    """Return the zero gradient of ``x`` (floatX zeros for discrete inputs)."""
    dtype = config.floatX if dt.is_discrete(x.dtype) else x.dtype
    return zeros_like(x, dtype=dtype)


def fit_grad(g, x):
    """Return gradient ``g`` with ``x``'s dtype and broadcastable pattern."""
    if dt.is_discrete(x.dtype):
        return zero_grad(x)
    g = as_tensor_variable(g)
    if g.dtype != x.dtype:
        g = cast(g, x.dtype)
    return patternbroadcast(g, x.broadcastable)


def constant_int(v):
    """Return the Python int value of scalar ``v`` if it is a constant, else None."""
    if isinstance(v, (int, numpy.integer)):
        return int(v)
    try:
        return int(get_scalar_constant_value(v))
    except (NotScalarConstantError, TypeError, ValueError):
        return None


def as_int_scalar(value, what, where):
    """Return ``value`` as an integer scalar tensor, or raise TypeError naming it."""
    var = as_tensor_variable(value)
    if var.ndim != 0 or var.dtype not in dt.integer_dtypes:
        raise TypeError(
            f"{where}: {what} must be an integer scalar, got {value} of type {var.type}"
        )
    return var


def as_int_vector(value, what, where):
    """Return ``value`` as an integer vector tensor, or raise TypeError naming it."""
    var = as_tensor_variable(value)
    if var.ndim != 1 or var.dtype not in dt.integer_dtypes:
        raise TypeError(
            f"{where}: {what} must be an integer vector, got {value} of type {var.type}"
        )
    return var


def vector_entries(v, length=None):
    """Return the entries of vector ``v`` as scalars (Python ints if constant).

    Constants give Python ints, ``make_vector`` gives its inputs, and any other
    vector gives ``v[i]`` for each ``i < length`` (default: its static length).
    """
    if isinstance(v, Constant):
        return [int(d) for d in numpy.asarray(v.data).reshape(-1)]
    if v.owner is not None and isinstance(v.owner.op, MakeVector):
        return list(v.owner.inputs)
    if length is None:
        length = get_vector_length(v)
    return [v[i] for i in range(length)]


def static_entries(v, length):
    """Return the constant entries of int vector ``v`` (None where not constant)."""
    if isinstance(v, Constant):
        return [int(d) for d in numpy.asarray(v.data).reshape(-1)]
    if v.owner is not None and isinstance(v.owner.op, MakeVector):
        return [constant_int(x) for x in v.owner.inputs]
    if v.owner is not None and isinstance(v.owner.op, DimShuffle) and length == 1:
        return [constant_int(v.owner.inputs[0])]
    if v.owner is not None and isinstance(v.owner.op, Elemwise):
        if len(v.owner.inputs) == 1 and isinstance(v.owner.op.scalar_op, Cast):
            return static_entries(v.owner.inputs[0], length)
    return [None] * length


def shape_entry(x, axis):
    """The length of ``x`` along ``axis``: 1 if broadcastable, else x.shape[axis]."""
    if isinstance(axis, (int, numpy.integer)) and x.broadcastable[axis]:
        return 1
    return shape(x)[axis]


def as_int64(v):
    """Return shape entry ``v`` (an int or integer scalar variable) as int64."""
    if isinstance(v, (int, numpy.integer)):
        return int(v)
    return cast(v, "int64")


def product(entries):
    """Return the product of shape entries (ints or int64 scalars)."""
    result = 1
    for e in entries:
        result = result * e
    return result


def normalize_axis(axis, ndim, where):
    """Return int ``axis`` made non-negative, or raise ValueError naming ``where``."""
    if not -ndim <= axis < ndim:
        raise ValueError(f"{where}: axis {axis} is out of range for {ndim}-d input")
    return axis + ndim if axis < 0 else axis


# Reshape ----
class Reshape(Op):
    """Give ``x`` a new shape of ``ndim`` dims with the same elements (C order).

    ``out = numpy.reshape(x, shp)``.  ``shp`` is an int64 vector of length
    ``ndim`` and may hold one ``-1``, inferred from the size of ``x``.  A dim
    given as the constant 1 is broadcastable.

    Gradient: the output gradient reshaped back to ``shape(x)``; ``shp`` is
    disconnected.  The output is a view of ``x`` when numpy can make one.
    """

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim, name=None):
        self.ndim = int(ndim)
        if self.ndim < 0:
            raise ValueError(f"Reshape: ndim must be >= 0, got {ndim}")

    def make_node(self, x, shp):
        x = as_tensor_variable(x)
        shp = as_tensor_variable(shp, ndim=1)
        if shp.dtype not in dt.integer_dtypes:
            raise TypeError(
                f"reshape: the new shape {shp} must hold integers, "
                f"got dtype {shp.dtype}"
            )
        if isinstance(shp, Constant) and shp.dtype != "int64":
            shp = as_tensor_variable(numpy.asarray(shp.data, dtype="int64"))
        elif shp.dtype != "int64":
            shp = cast(shp, "int64")
        try:
            length = get_vector_length(shp)
        except ValueError:
            length = None
        if length is not None and length != self.ndim:
            raise ValueError(
                f"reshape: the new shape {shp} has {length} entries but "
                f"ndim is {self.ndim}"
            )
        entries = static_entries(shp, self.ndim)
        bcast = [e == 1 for e in entries]
        return Apply(self, [x, shp], [TensorType(x.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        x, shp = inputs
        if len(shp) != self.ndim:
            raise ValueError(
                f"reshape: the new shape {node.inputs[1]} has {len(shp)} entries "
                f"({tuple(shp)}), expected {self.ndim}"
            )
        try:
            out = numpy.reshape(x, tuple(int(s) for s in shp))
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape {node.inputs[0]} of shape {x.shape} "
                f"(size {x.size}) into shape {tuple(int(s) for s in shp)}"
            ) from None
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, shapes):
        x_shape = shapes[0]
        entries = [as_int64(e) for e in vector_entries(node.inputs[1], self.ndim)]
        known = [constant_int(e) for e in entries]
        total = product(x_shape)
        if -1 in known:
            others = product(e for e, k in zip(entries, known, strict=True) if k != -1)
            return [
                tuple(
                    as_int64(int_div(total, others)) if k == -1 else e
                    for e, k in zip(entries, known, strict=True)
                )
            ]
        out = []
        for e, k in zip(entries, known, strict=True):
            if k is None:
                # Entry -1 makes the product negative: guard the division by 0.
                missing = int_div(total, maximum(neg(product(entries)), 1))
                e = switch(eq(e, -1), missing, e)
            out.append(e)
        return [tuple(out)]

    def L_op(self, inputs, outputs, grads):
        x, _ = inputs
        gz = as_tensor_variable(grads[0])
        if dt.is_discrete(x.dtype):
            return [zero_grad(x), disconnected()]
        gx = Reshape(x.ndim)(gz, shape(x))
        return [fit_grad(gx, x), disconnected()]

    def connection_pattern(self, node):
        return [[True], [False]]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], inputs[1])]

    def __str__(self):
        return f"Reshape{{{self.ndim}}}"


def _shape_list_to_vector(newshape):
    """Turn a list of ints and integer scalars into an int64 vector, checking -1."""
    entries = []
    for i, s in enumerate(newshape):
        if isinstance(s, (bool, numpy.bool_)):
            raise TypeError(f"reshape: shape entry {i} must be an integer, got {s!r}")
        if isinstance(s, (int, numpy.integer)):
            entries.append(int(s))
            continue
        var = as_tensor_variable(s)
        if var.ndim == 1 and var.broadcastable[0]:
            var = DimShuffle(var.broadcastable, [])(var)
        if var.ndim != 0 or var.dtype not in dt.integer_dtypes:
            raise TypeError(
                f"reshape: shape entry {i} must be an integer scalar, got {s} of "
                f"type {var.type}"
            )
        entries.append(var)
    known = [constant_int(e) for e in entries]
    if known.count(-1) > 1:
        raise ValueError(
            "reshape: at most one -1 is allowed in the new shape, got "
            f"{[e if k is None else k for e, k in zip(entries, known, strict=True)]}"
        )
    for k in known:
        if k is not None and k < -1:
            raise ValueError(f"reshape: negative dimension {k} in the new shape")
    if not entries:
        return as_tensor_variable(numpy.zeros(0, dtype="int64"))
    if all(isinstance(e, int) for e in entries):
        return as_tensor_variable(numpy.asarray(entries, dtype="int64"))
    return MakeVector("int64")(*entries)


def reshape(x, newshape, ndim=None):
    """Return ``x`` reshaped to ``newshape``.

    Parameters
    ----------
    x : tensor-like
    newshape : tuple, list, int or integer vector
        A tuple may mix ints and integer scalar variables; one entry may be
        ``-1``.  A symbolic vector needs ``ndim`` unless its length is known.
    ndim : int, optional
        The number of dimensions of the result.

    Examples
    --------
    >>> from symbolic.types.tensor import matrix
    >>> reshape(matrix('x'), (3, -1)).ndim
    2
    """
    x = as_tensor_variable(x)
    if isinstance(newshape, (int, numpy.integer)):
        newshape = (newshape,)
    if isinstance(newshape, (list, tuple)):
        shp = _shape_list_to_vector(newshape)
        if ndim is not None and int(ndim) != len(newshape):
            raise ValueError(
                f"reshape: ndim={ndim} but the new shape {newshape} has "
                f"{len(newshape)} entries"
            )
        ndim = len(newshape)
    else:
        shp = as_tensor_variable(newshape)
        if shp.ndim == 0:
            shp = as_tensor_variable(shp, ndim=1)
        if shp.ndim != 1:
            raise TypeError(
                f"reshape: the new shape must be a vector or a list of "
                f"scalars, got {newshape} of type {shp.type}"
            )
        if ndim is None:
            try:
                ndim = get_vector_length(shp)
            except ValueError:
                raise ValueError(
                    f"reshape: the length of the new shape {shp} is not known "
                    "statically, so the number of dimensions of the result is "
                    "unknown; pass ndim= to reshape"
                ) from None
    return Reshape(ndim)(x, shp)


def flatten(x, ndim=None, outdim=None):
    """Return ``x`` with its trailing axes merged so that it has ``ndim`` dims.

    The first ``ndim - 1`` axes are kept; the default ``ndim`` is 1.
    ``outdim`` is the deprecated spelling of ``ndim``.
    """
    if outdim is not None:
        if ndim is not None:
            raise ValueError("flatten: give ndim only (outdim is its deprecated alias)")
        warnings.warn(
            "flatten: outdim is deprecated, use ndim", DeprecationWarning, stacklevel=2
        )
        ndim = outdim
    if ndim is None:
        ndim = 1
    x = as_tensor_variable(x)
    if ndim < 1 or (ndim > 1 and ndim > x.ndim):
        raise ValueError(
            f"flatten: ndim {ndim} is out of bounds [1, {x.ndim + 1}) "
            f"for {x} of type {x.type}"
        )
    dims = [shape_entry(x, i) for i in range(ndim - 1)] + [-1]
    out = reshape(x, dims)
    merged_bcast = builtins.all(x.broadcastable[ndim - 1 :])
    if merged_bcast and not out.broadcastable[-1]:
        out = addbroadcast(out, ndim - 1)
    return out


def squeeze(x, axis=None):
    """Drop the broadcastable dims of ``x`` (or those in ``axis``); a DimShuffle."""
    x = as_tensor_variable(x)
    if axis is None:
        drop = [i for i, b in enumerate(x.broadcastable) if b]
    else:
        axes = [axis] if isinstance(axis, (int, numpy.integer)) else list(axis)
        drop = [normalize_axis(int(a), x.ndim, "squeeze") for a in axes]
        for a in drop:
            if not x.broadcastable[a]:
                raise ValueError(
                    f"squeeze: axis {a} of {x} ({x.type}) is not "
                    "broadcastable, so it cannot be dropped"
                )
    return DimShuffle(x.broadcastable, [i for i in range(x.ndim) if i not in drop])(x)


def swapaxes(y, axis1, axis2):
    """Return ``y`` with ``axis1`` and ``axis2`` exchanged; a DimShuffle."""
    y = as_tensor_variable(y)
    order = list(range(y.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return DimShuffle(y.broadcastable, order)(y)


# Tile and roll ----
def tile(x, reps, ndim=None):
    """Repeat ``x`` ``reps`` times along each axis (numpy.tile).

    ``reps`` is an int, a list of ints and integer scalars, or an integer
    vector (then ``ndim`` is required).  ``x`` is padded with leading axes to
    ``ndim = max(len(reps), x.ndim)`` dims.  Built from ``alloc``, a
    DimShuffle and a reshape, so its gradient sums over the tiles.
    """
    x = as_tensor_variable(x)
    if ndim is not None and ndim < x.ndim:
        raise ValueError(f"tile: ndim ({ndim}) must be at least x.ndim ({x.ndim})")
    if not isinstance(reps, (list, tuple)):
        reps_var = as_tensor_variable(reps)
        if reps_var.dtype not in dt.integer_dtypes:
            raise ValueError(
                f"tile: reps must hold integers, got {reps} of type {reps_var.type}"
            )
        if reps_var.ndim == 0:
            reps = [reps_var]
        elif reps_var.ndim == 1:
            if ndim is None:
                raise ValueError(
                    "tile: ndim is required when reps is a symbolic vector"
                )
            n_reps = shape(reps_var)[0]
            offset = ndim - n_reps
            # Both branches of switch run: keep the unused index in range.
            reps = [
                switch(lt(i, offset), 1, reps_var[maximum(i - offset, 0)])
                for i in range(ndim)
            ]
        else:
            raise ValueError(
                f"tile: reps must be a scalar or a vector, got {reps_var.ndim} dims"
            )
    else:
        if ndim is not None and len(reps) > ndim:
            raise ValueError(f"tile: len(reps) ({len(reps)}) exceeds ndim ({ndim})")
        for r in reps:
            if not (
                isinstance(r, (int, numpy.integer))
                or (hasattr(r, "dtype") and r.dtype in dt.integer_dtypes)
            ):
                raise ValueError(f"tile: reps entries must be integers, got {r!r}")
    reps = list(reps)
    if ndim is None:
        ndim = builtins.max(len(reps), x.ndim)
    reps = [1] * (ndim - len(reps)) + reps
    dims = [1] * (ndim - x.ndim) + [shape_entry(x, i) for i in range(x.ndim)]
    y = alloc(x, *reps, *dims)
    order = [k for i in range(ndim) for k in (i, ndim + i)]
    y = DimShuffle(y.broadcastable, order)(y)
    return reshape(
        y,
        [
            mul(d, r) if not (isinstance(d, int) and isinstance(r, int)) else d * r
            for d, r in zip(dims, reps, strict=True)
        ],
    )


class Roll(Op):
    """Shift the elements of ``x`` by ``shift`` along ``axis`` (numpy.roll).

    ``axis=None`` rolls the flattened array and restores the shape.
    Gradient: the output gradient rolled by ``-shift``; ``shift`` is
    disconnected.  Not in place.
    """

    __props__ = ("axis",)

    def __init__(self, axis=None):
        self.axis = None if axis is None else int(axis)

    def make_node(self, x, shift):
        x = as_tensor_variable(x)
        shift = as_int_scalar(shift, "shift", "roll")
        if self.axis is not None and not 0 <= self.axis < x.ndim:
            raise ValueError(
                f"roll: axis {self.axis} is out of range for {x} ({x.type})"
            )
        return Apply(self, [x, shift], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, shift = inputs
        output_storage[0][0] = numpy.roll(x, int(shift), axis=self.axis)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def L_op(self, inputs, outputs, grads):
        x, shift = inputs
        if dt.is_discrete(x.dtype):
            return [zero_grad(x), disconnected()]
        return [fit_grad(self(grads[0], neg(shift)), x), disconnected()]

    def connection_pattern(self, node):
        return [[True], [False]]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        return [self(eval_points[0], inputs[1])]


def roll(x, shift, axis=None):
    """Roll ``x`` by ``shift`` (an int or integer scalar) along ``axis``; numpy.roll."""
    x = as_tensor_variable(x)
    if axis is not None:
        axis = normalize_axis(int(axis), x.ndim, "roll")
    elif x.ndim <= 1:
        axis = 0 if x.ndim == 1 else None
    return Roll(axis)(x, shift)


# arange ----
class ARange(Op):
    """The vector ``numpy.arange(start, stop, step)`` of dtype ``dtype``.

    Gradient (float dtypes): ``sum(gz)`` for ``start`` and
    ``sum(gz * arange(n))`` for ``step``; ``stop`` only sets the length, so it
    is disconnected.  Integer outputs have zero gradients.
    """

    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = str(numpy.dtype(dtype))

    def make_node(self, start, stop, step):
        inputs = []
        for name, value in (("start", start), ("stop", stop), ("step", step)):
            var = as_tensor_variable(value)
            if var.ndim != 0:
                raise TypeError(
                    f"arange: {name} must be a scalar, got {value} of type {var.type}"
                )
            inputs.append(var)
        return Apply(self, inputs, [TensorType(self.dtype, (False,))()])

    def perform(self, node, inputs, output_storage):
        start, stop, step = inputs
        if step == 0:
            raise ValueError(f"arange: step {node.inputs[2]} is 0")
        output_storage[0][0] = numpy.arange(
            start.item(), stop.item(), step.item(), dtype=self.dtype
        )

    def infer_shape(self, fgraph, node, shapes):
        start, stop, step = node.inputs
        if builtins.all(dt.is_discrete(v.dtype) for v in node.inputs):
            start, stop, step = (cast(v, "int64") for v in (start, stop, step))
            if constant_int(start) == 0 and constant_int(step) == 1:
                return [(maximum(stop, 0),)]
            # Ceil division that holds for both signs of step.
            length = neg(int_div(start - stop, step))
        else:
            length = ceil((cast(stop, "float64") - start) / step)
        return [(cast(maximum(length, 0), "int64"),)]

    def L_op(self, inputs, outputs, grads):
        start, _stop, step = inputs
        (gz,) = grads
        if dt.is_discrete(self.dtype) or is_disconnected(gz):
            return [zero_grad(start), disconnected(), zero_grad(step)]
        n = shape(outputs[0])[0]
        g_start = tensor_sum(gz)
        g_step = tensor_sum(gz * arange(n, dtype=self.dtype))
        return [fit_grad(g_start, start), disconnected(), fit_grad(g_step, step)]

    def connection_pattern(self, node):
        return [[True], [False], [True]]

    def R_op(self, inputs, eval_points):
        start, stop, step = inputs
        ev_start, _, ev_step = eval_points
        if ev_start is None and ev_step is None:
            return [None]
        out = None
        if ev_start is not None:
            out = cast(ev_start, self.dtype) + zeros_like(self(start, stop, step))
        if ev_step is not None:
            n = shape(self(start, stop, step))[0]
            term = cast(ev_step, self.dtype) * arange(n, dtype=self.dtype)
            out = term if out is None else out + term
        return [out]

    def __str__(self):
        return f"ARange{{dtype={self.dtype}}}"


_arange_ops = {}


def arange(start, stop=None, step=1, dtype=None):
    """Return ``numpy.arange(start, stop, step)`` symbolically.

    Integer arguments give int64 (uint64 for unsigned ones); otherwise the
    argument dtypes are upcast.  Arguments may be symbolic scalars.

    Examples
    --------
    >>> arange(5).dtype
    'int64'
    """
    if stop is None:
        start, stop = 0, start
    start, stop, step = (as_tensor_variable(v) for v in (start, stop, step))
    if dtype is None:
        dtype = dt.upcast(start.dtype, stop.dtype, step.dtype)
        if dtype in dt.int_dtypes or dtype == "bool":
            dtype = "int64"
        elif dtype in dt.uint_dtypes:
            dtype = "uint64"
    dtype = str(numpy.dtype(config.floatX if dtype == "floatX" else dtype))
    if dtype not in _arange_ops:
        _arange_ops[dtype] = ARange(dtype)
    return _arange_ops[dtype](start, stop, step)

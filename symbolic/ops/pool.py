"""Pooling over the trailing axes of a tensor and its gradients.

``Pool`` reduces every window of ``ws`` cells, taken every ``stride``
cells, of the last ``ndim`` axes (2 or 3), after zero padding by ``pad``.
Without ``ignore_border`` the windows that run past the end still count
(they are clipped).  ``max`` and ``sum`` never see the padding;
``average_inc_pad`` divides by the clipped window size including padding,
``average_exc_pad`` by the number of real cells.

Every kernel loops over the ``prod(ws)`` offsets inside a window and works
on whole strided views, so the Python overhead does not grow with the
image.
"""

import warnings

import numpy

from symbolic.graph.basic import Apply, Variable
from symbolic.graph.op import Op
from symbolic.ops.math import ge, maximum, switch, zeros_like
from symbolic.ops.pool_windows import Windows, lowest, upsample
from symbolic.types import dtypes as dt
from symbolic.types.tensor import TensorType, as_tensor_variable

__all__ = [
    "AveragePoolGrad",
    "DownsampleFactorMaxGradGrad",
    "MaxPoolGrad",
    "Pool",
    "PoolGrad",
    "pool_2d",
    "pool_3d",
]

_MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def _name(var):
    return var.name if var.name is not None else str(var)


def _disconnected():
    from symbolic.types.null import DisconnectedType

    return DisconnectedType()()


def _out_len(size, ws, stride, pad, ignore_border):
    """Number of windows along one axis (int, symbolic scalar or None)."""
    if size is None or ws is None or stride is None:
        return None
    symbolic = any(isinstance(v, Variable) for v in (size, ws, stride, pad))
    if not symbolic:
        size, ws, stride, pad = int(size), int(ws), int(stride), int(pad)
    v = size + 2 * pad if symbolic or pad else size
    if ignore_border:
        if not symbolic and ws == stride:
            return v // stride
        out = (v - ws) // stride + 1
        return maximum(out, 0) if symbolic else max(out, 0)
    if symbolic:
        return switch(
            ge(stride, ws),
            (v - 1) // stride + 1,
            maximum(0, (v - 1 - ws) // stride + 1) + 1,
        )
    if stride >= ws:
        return (v - 1) // stride + 1
    return max(0, (v - 1 - ws + stride) // stride) + 1


def _out_shape(
    imgshape,
    ws=None,
    ignore_border=False,
    stride=None,
    pad=None,
    ndim=2,
    ds=None,
    st=None,
    padding=None,
):
    if ds is not None or st is not None or padding is not None:
        ws, stride, pad = _deprecated_names(ws, stride, pad, ds, st, padding, None)
    if ws is None:
        raise ValueError("out_shape: the window size ws is required")
    if len(imgshape) < ndim:
        raise TypeError(
            f"imgshape must have at least {ndim} dimensions, got {imgshape}"
        )
    if stride is None:
        stride = ws
    if pad is None:
        pad = (0,) * ndim
    lead = list(imgshape[:-ndim])
    spatial = [
        _out_len(imgshape[-ndim + i], ws[i], stride[i], pad[i], ignore_border)
        for i in range(ndim)
    ]
    return lead + spatial


def _deprecated_names(ws, stride, pad, ds, st, padding, zero_pad):
    if ds is not None:
        if ws is not None:
            raise ValueError("You can't provide a tuple value to both 'ws' and 'ds'.")
        warnings.warn("the 'ds' parameter is deprecated, use 'ws'", stacklevel=3)
        ws = ds
    if st is not None:
        if stride is not None:
            raise ValueError(
                "You can't provide a tuple value to both 'st' and 'stride'."
            )
        warnings.warn("the 'st' parameter is deprecated, use 'stride'", stacklevel=3)
        stride = st
    if padding is not None:
        if pad not in (None, zero_pad):
            raise ValueError(
                "You can't provide a tuple value to both 'padding' and 'pad'."
            )
        warnings.warn("the 'padding' parameter is deprecated, use 'pad'", stacklevel=3)
        pad = padding
    return ws, stride, pad


def _int_vector(op, value, label, nd):
    if isinstance(value, (tuple, list)) and not any(
        isinstance(v, Variable) for v in value
    ):
        if len(value) != nd:
            raise ValueError(f"{op}: {label} must have {nd} entries, got {value}")
        value = numpy.asarray(value, dtype="int64")
    var = as_tensor_variable(value)
    if var.ndim != 1 or not dt.is_integer(var.dtype):
        raise TypeError(f"{op}: {label} must be a vector of ints, got {var.type}")
    return var


def _check_params(op, ws, stride, pad, ignore_border):
    """Static checks on window parameters given as Python sequences."""
    for label, value in (("ws", ws), ("stride", stride), ("pad", pad)):
        if isinstance(value, (tuple, list)) and len(value) != op.ndim:
            raise ValueError(f"{op}: {label} must have {op.ndim} entries, got {value}")
    if isinstance(ws, (tuple, list)) and isinstance(pad, (tuple, list)):
        if any(isinstance(v, Variable) for v in (*ws, *pad)):
            return
        if max(pad) != 0 and not ignore_border:
            raise NotImplementedError(
                f"{op}: padding works only with ignore_border=True"
            )
        if any(pad[i] >= ws[i] for i in range(len(ws))):
            raise NotImplementedError(
                f"{op}: padding {tuple(pad)} must be smaller than the window "
                f"{tuple(ws)}"
            )


def _runtime_params(op, ws, stride, pad, ignore_border):
    nd = op.ndim
    ws, stride, pad = (tuple(int(v) for v in a) for a in (ws, stride, pad))
    for label, value in (("ws", ws), ("stride", stride), ("pad", pad)):
        if len(value) != nd:
            raise ValueError(f"{op}: {label} must have {nd} entries, got {value}")
    if min(ws) < 1 or min(stride) < 1 or min(pad) < 0:
        raise ValueError(
            f"{op}: ws and stride must be >= 1 and pad >= 0, got ws={ws}, "
            f"stride={stride}, pad={pad}"
        )
    if max(pad) and not ignore_border:
        raise NotImplementedError(f"{op}: padding works only with ignore_border=True")
    if any(p >= w for p, w in zip(pad, ws)):
        raise NotImplementedError(
            f"{op}: padding {pad} must be smaller than the window {ws}"
        )
    return ws, stride, pad


def _check_input(op, x, label="input"):
    if not isinstance(x.type, TensorType) or x.ndim < op.ndim:
        raise TypeError(
            f"{op}: {label} ({_name(x)}) must be a tensor with at least {op.ndim} "
            f"dimensions, got {x.type}"
        )


class Pool(Op):
    """Pool windows of the last ``ndim`` axes with max, sum or average.

    Called as ``op(x, ws, stride, pad)``; ``ws``, ``stride`` and ``pad`` are
    int vectors of length ``ndim`` (constants or symbolic).  The output
    keeps the leading axes; its trailing shape is :meth:`out_shape`.

    Parameters
    ----------
    ignore_border : bool
        Drop the windows that run past the end instead of clipping them.
    mode : {'max', 'sum', 'average_inc_pad', 'average_exc_pad'}
    ndim : int
        Number of pooled trailing axes.

    Notes
    -----
    Gradient: :class:`MaxPoolGrad` for ``max`` (every cell equal to its
    window's maximum receives the window's gradient), :class:`AveragePoolGrad`
    otherwise.  R_op: :class:`DownsampleFactorMaxGradGrad` for ``max``, the
    pool itself otherwise.  Not in place.
    """

    __props__ = ("ignore_border", "mode", "ndim")

    def __init__(self, ignore_border=False, mode="max", ndim=2, openmp=None):
        if mode == "max_deterministic":
            mode = "max"
        if mode not in _MODES:
            raise ValueError(
                "Pool mode parameter only support 'max', 'sum', 'average_inc_pad' "
                f"and 'average_exc_pad'. Got {mode}"
            )
        self.ignore_border = bool(ignore_border)
        self.mode = mode
        self.ndim = int(ndim)

    out_shape = staticmethod(_out_shape)
    out_shape.__doc__ = """Return the pooled shape (leading dims copied).

    Entries may be ints, None (unknown; gives None) or symbolic scalars.
    With ``v = size + 2 * pad``: with ignore_border ``max(0, (v - ws) //
    stride + 1)``; without it ``(v - 1) // stride + 1`` when ``stride >=
    ws``, else ``max(0, (v - 1 - ws + stride) // stride) + 1``.
    """

    def make_node(self, x, ws, stride=None, pad=None):
        x = as_tensor_variable(x)
        _check_input(self, x)
        nd = self.ndim
        if stride is None:
            stride = ws
        if pad is None:
            pad = (0,) * nd
        _check_params(self, ws, stride, pad, self.ignore_border)
        ws = _int_vector(self, ws, "ws", nd)
        stride = _int_vector(self, stride, "stride", nd)
        pad = _int_vector(self, pad, "pad", nd)
        out = TensorType(x.dtype, x.broadcastable[:-nd] + (False,) * nd)
        return Apply(self, [x, ws, stride, pad], [out()])

    def perform(self, node, inputs, output_storage):
        x, ws, stride, pad = inputs
        ws, stride, pad = _runtime_params(self, ws, stride, pad, self.ignore_border)
        out = _out_shape(x.shape, ws, self.ignore_border, stride, pad, self.ndim)
        win = Windows(x.shape, ws, stride, pad, out[-self.ndim :])
        if min(out[-self.ndim :]) == 0 or x.size == 0:
            output_storage[0][0] = numpy.zeros(out, dtype=x.dtype)
            return
        if self.mode == "max":
            z = win.reduce(win.extend(x, lowest(x.dtype)), numpy.maximum)
        else:
            z = win.reduce(win.extend(x, 0), numpy.add)
            if self.mode != "sum":
                counts = win.counts(self.mode == "average_inc_pad")
                z = (z / counts).astype(x.dtype, copy=False)
        output_storage[0][0] = z

    def infer_shape(self, fgraph, node, shapes):
        ws, stride, pad = node.inputs[1:]
        return [_out_shape(shapes[0], ws, self.ignore_border, stride, pad, self.ndim)]

    def connection_pattern(self, node):
        return [[True], [False], [False], [False]]

    def L_op(self, inputs, outputs, grads):
        x, ws, stride, pad = inputs
        (gz,) = grads
        if self.mode == "max":
            gx = MaxPoolGrad(self.ignore_border, ndim=self.ndim)(
                x, outputs[0], gz, ws, stride, pad
            )
        else:
            gx = AveragePoolGrad(self.ignore_border, mode=self.mode, ndim=self.ndim)(
                x, gz, ws, stride, pad
            )
        return [gx, _disconnected(), _disconnected(), _disconnected()]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return [None]
        x, ws, stride, pad = inputs
        if self.mode != "max":
            return [self(eval_points[0], ws, stride, pad)]
        z = self(x, ws, stride, pad)
        return [
            DownsampleFactorMaxGradGrad(self.ignore_border, ndim=self.ndim)(
                x, z, eval_points[0], ws, stride, pad
            )
        ]


class PoolGrad(Op):
    """Common parameters of the pooling gradients (their output is like ``x``)."""

    __props__ = ("ignore_border", "mode", "ndim")
    out_shape = staticmethod(_out_shape)

    def __init__(self, ignore_border, mode="max", ndim=2, openmp=None):
        if mode == "max_deterministic":
            mode = "max"
        if mode not in _MODES:
            raise ValueError(
                "Pool mode parameter only support 'max', 'sum', 'average_inc_pad' "
                f"and 'average_exc_pad'. Got {mode}"
            )
        self.ignore_border = bool(ignore_border)
        self.mode = mode
        self.ndim = int(ndim)

    def _windows(self, x, out_spatial, ws, stride, pad):
        ws, stride, pad = _runtime_params(self, ws, stride, pad, self.ignore_border)
        expected = _out_shape(x.shape, ws, self.ignore_border, stride, pad, self.ndim)
        if tuple(expected) != tuple(out_spatial):
            raise ValueError(
                f"{self}: the pooled tensor has shape {tuple(out_spatial)} but an "
                f"input of shape {x.shape} pools to {tuple(expected)}"
            )
        return Windows(x.shape, ws, stride, pad, expected[-self.ndim :])

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]


class MaxPoolGrad(PoolGrad):
    """Gradient of max pooling: ``op(x, maxout, gz, ws, stride, pad)``.

    Every cell of ``x`` equal to its window's maximum gets that window's
    ``gz`` (summed over the windows it belongs to).

    Notes
    -----
    Gradient: zero wrt ``x`` and ``maxout``; wrt ``gz``,
    :class:`DownsampleFactorMaxGradGrad`.  Not in place.
    """

    def __init__(self, ignore_border, ndim=2, openmp=None):
        super().__init__(ignore_border, mode="max", ndim=ndim)

    def make_node(self, x, maxout, gz, ws, stride=None, pad=None):
        x, maxout, gz = (as_tensor_variable(v) for v in (x, maxout, gz))
        for var, label in ((x, "x"), (maxout, "maxout"), (gz, "gz")):
            _check_input(self, var, label)
        if not x.ndim == maxout.ndim == gz.ndim:
            raise TypeError(f"{self}: x, maxout and gz must have the same ndim")
        nd = self.ndim
        stride = ws if stride is None else stride
        pad = (0,) * nd if pad is None else pad
        ws, stride, pad = (
            _int_vector(self, v, label, nd)
            for v, label in ((ws, "ws"), (stride, "stride"), (pad, "pad"))
        )
        return Apply(self, [x, maxout, gz, ws, stride, pad], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, maxout, gz, ws, stride, pad = inputs
        win = self._windows(x, maxout.shape, ws, stride, pad)
        if x.size and maxout.size and win.tiles() and x.dtype == gz.dtype:
            # Windows tile the image: compare with the upsampled maxima.
            gx = upsample(gz, win.ws)
            numpy.multiply(gx, x == upsample(maxout, win.ws), out=gx)
            output_storage[0][0] = gx
            return
        y = win.extend(x, lowest(x.dtype))
        gx = numpy.zeros(win.lead + win.ext, dtype=x.dtype)
        if x.size and maxout.size:
            if all(st >= w for st, w in zip(win.stride, win.ws)):
                # Disjoint windows: every cell is written at most once.
                mask = numpy.empty(maxout.shape, dtype=bool)
                for view in win.offsets():
                    numpy.equal(y[view], maxout, out=mask)
                    numpy.multiply(mask, gz, out=gx[view])
            else:
                for view in win.offsets():
                    gx[view] += (y[view] == maxout) * gz
        output_storage[0][0] = numpy.ascontiguousarray(gx[win.interior])

    def connection_pattern(self, node):
        return [[True], [True], [True], [False], [False], [False]]

    def L_op(self, inputs, outputs, grads):
        x, maxout, _gz, ws, stride, pad = inputs
        (ggx,) = grads
        ggz = DownsampleFactorMaxGradGrad(self.ignore_border, ndim=self.ndim)(
            x, maxout, ggx, ws, stride, pad
        )
        return [
            zeros_like(x),
            zeros_like(maxout),
            ggz,
            _disconnected(),
            _disconnected(),
            _disconnected(),
        ]


class AveragePoolGrad(PoolGrad):
    """Gradient of sum or average pooling: ``op(x, gz, ws, stride, pad)``.

    Each window's ``gz`` (divided by its cell count for the averages) is
    spread over the cells of the window.

    Notes
    -----
    Gradient: zero wrt ``x``; wrt ``gz``, the same :class:`Pool` of the
    incoming gradient.  Not in place.
    """

    def __init__(self, ignore_border, mode="average_inc_pad", ndim=2, openmp=None):
        if mode not in ("sum", "average_inc_pad", "average_exc_pad"):
            raise ValueError(f"AveragePoolGrad: mode {mode!r} is not an average mode")
        super().__init__(ignore_border, mode=mode, ndim=ndim)

    def make_node(self, x, gz, ws, stride=None, pad=None, dummy=None):
        x, gz = as_tensor_variable(x), as_tensor_variable(gz)
        _check_input(self, x, "x")
        _check_input(self, gz, "gz")
        if x.ndim != gz.ndim:
            raise TypeError(f"{self}: x and gz must have the same ndim")
        nd = self.ndim
        stride = ws if stride is None else stride
        pad = (0,) * nd if pad is None else pad
        ws, stride, pad = (
            _int_vector(self, v, label, nd)
            for v, label in ((ws, "ws"), (stride, "stride"), (pad, "pad"))
        )
        return Apply(self, [x, gz, ws, stride, pad], [x.type()])

    def perform(self, node, inputs, output_storage):
        x, gz, ws, stride, pad = inputs
        win = self._windows(x, gz.shape, ws, stride, pad)
        gx = numpy.zeros(win.lead + win.ext, dtype=x.dtype)
        if x.size and gz.size:
            if self.mode != "sum":
                gz = gz / win.counts(self.mode == "average_inc_pad")
            for view in win.offsets():
                gx[view] += gz
        output_storage[0][0] = numpy.ascontiguousarray(gx[win.interior])

    def connection_pattern(self, node):
        return [[True], [True], [False], [False], [False]]

    def L_op(self, inputs, outputs, grads):
        x, _gz, ws, stride, pad = inputs
        (ggx,) = grads
        ggz = Pool(self.ignore_border, mode=self.mode, ndim=self.ndim)(
            ggx, ws, stride, pad
        )
        return [zeros_like(x), ggz, _disconnected(), _disconnected(), _disconnected()]


class DownsampleFactorMaxGradGrad(Op):
    """Gradient of :class:`MaxPoolGrad` wrt ``gz``.

    Called as ``op(x, maxout, ggx, ws, stride, pad)``.

    Each window sums ``ggx`` over its cells equal to the window's maximum,
    so the result has ``maxout``'s shape.

    Notes
    -----
    Gradient: zero wrt ``x`` and ``maxout``; wrt ``ggx``, :class:`MaxPoolGrad`.
    Not in place.
    """

    __props__ = ("ignore_border", "mode", "ndim")

    def __init__(self, ignore_border, mode="max", ndim=2, openmp=None):
        if mode != "max":
            raise ValueError(
                f"DownsampleFactorMaxGradGrad: mode must be 'max', got {mode!r}"
            )
        self.ignore_border = bool(ignore_border)
        self.mode = mode
        self.ndim = int(ndim)

    def make_node(self, x, maxout, gz, ws, stride=None, pad=None):
        x, maxout, gz = (as_tensor_variable(v) for v in (x, maxout, gz))
        for var, label in ((x, "x"), (maxout, "maxout"), (gz, "ggx")):
            _check_input(self, var, label)
        if not x.ndim == maxout.ndim == gz.ndim:
            raise TypeError(f"{self}: x, maxout and ggx must have the same ndim")
        nd = self.ndim
        stride = ws if stride is None else stride
        pad = (0,) * nd if pad is None else pad
        _check_params(self, ws, stride, pad, self.ignore_border)
        ws, stride, pad = (
            _int_vector(self, v, label, nd)
            for v, label in ((ws, "ws"), (stride, "stride"), (pad, "pad"))
        )
        return Apply(self, [x, maxout, gz, ws, stride, pad], [maxout.type()])

    def perform(self, node, inputs, output_storage):
        x, maxout, ggx, ws, stride, pad = inputs
        win = PoolGrad._windows(self, x, maxout.shape, ws, stride, pad)
        y = win.extend(x, lowest(x.dtype))
        g = win.extend(ggx, 0)
        ggz = numpy.zeros(maxout.shape, dtype=x.dtype)
        if x.size and maxout.size:
            for view in win.offsets():
                ggz += (y[view] == maxout) * g[view]
        output_storage[0][0] = ggz

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[1]]

    def connection_pattern(self, node):
        return [[True], [True], [True], [False], [False], [False]]

    def L_op(self, inputs, outputs, grads):
        x, maxout, _ggx, ws, stride, pad = inputs
        (gz,) = grads
        gx = MaxPoolGrad(self.ignore_border, ndim=self.ndim)(
            x, maxout, gz, ws, stride, pad
        )
        return [
            zeros_like(x),
            zeros_like(maxout),
            gx,
            _disconnected(),
            _disconnected(),
            _disconnected(),
        ]


def _pool_nd(input, ws, ignore_border, stride, pad, mode, nd, name):
    input = as_tensor_variable(input)
    if input.ndim < nd:
        raise NotImplementedError(f"{name} requires a dimension >= {nd}")
    if ignore_border is None:
        warnings.warn(
            f"{name}() will have the parameter ignore_border default value changed "
            "to True (currently False). To have consistent behavior with all "
            "versions, explicitly add the parameter ignore_border=True.",
            stacklevel=3,
        )
        ignore_border = False
    return Pool(ignore_border, ndim=nd, mode=mode)(input, ws, stride, pad)


def pool_2d(
    input,
    ws=None,
    ignore_border=None,
    stride=None,
    pad=(0, 0),
    mode="max",
    ds=None,
    st=None,
    padding=None,
):
    """Pool the last two axes of ``input`` (N-d, N >= 2).

    Parameters
    ----------
    input : tensor
        Pooled over its last two axes.
    ws : (int, int) or int vector
        Window size.
    ignore_border : bool
        When True a (5, 5) input with ws=(2, 2) gives (2, 2), else (3, 3).
        None warns and means False.
    stride : (int, int), optional
        Step between windows; ``ws`` by default.
    pad : (int, int)
        Zero padding of each border; needs ignore_border=True and pad < ws.
    mode : {'max', 'sum', 'average_inc_pad', 'average_exc_pad'}
    ds, st, padding
        Deprecated names of ``ws``, ``stride`` and ``pad``.

    Examples
    --------
    >>> from symbolic import tensor
    >>> pool_2d(tensor.tensor4('x'), (2, 2), ignore_border=True).ndim
    4
    """
    ws, stride, pad = _deprecated_names(ws, stride, pad, ds, st, padding, (0, 0))
    if ws is None:
        raise ValueError("You must provide a tuple value for the window size.")
    return _pool_nd(input, ws, ignore_border, stride, pad, mode, 2, "pool_2d")


def pool_3d(
    input,
    ws=None,
    ignore_border=None,
    stride=None,
    pad=(0, 0, 0),
    mode="max",
    ds=None,
    st=None,
    padding=None,
):
    """Pool the last three axes of ``input`` (N-d, N >= 3); see :func:`pool_2d`."""
    ws, stride, pad = _deprecated_names(ws, stride, pad, ds, st, padding, (0, 0, 0))
    if ws is None:
        raise ValueError("You must provide a tuple value for the window size.")
    return _pool_nd(input, ws, ignore_border, stride, pad, mode, 3, "pool_3d")

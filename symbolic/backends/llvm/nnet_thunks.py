"""Numpy thunks of the LLVM backend for the fused softmax cross-entropy ops.

``perform`` of these ops is written for clarity (each step a new array);
these thunks compute the same values with fewer, in-place numpy calls and
reuse the row index of the last call.  Inputs they do not expect (another
dtype, a shape mismatch, class indices out of range, empty arrays) go to
``perform``, which raises the reference's errors.
"""

import numpy

from symbolic.backends.python.thunks import perform_thunk
from symbolic.ops.nnet.crossentropy import (
    CrossentropySoftmax1HotWithBiasDx,
    CrossentropySoftmaxArgmax1HotWithBias,
)

_ndarray = numpy.ndarray
_FLOATS = ("float32", "float64")


def _rows(cache, n):
    """``arange(n)``, kept in ``cache`` between calls with the same ``n``."""
    rows = cache[0]
    if rows is None or rows.shape[0] != n:
        rows = cache[0] = numpy.arange(n)
    return rows


def _indices_fit(y, n_rows, n_classes):
    return (
        type(y) is _ndarray
        and y.ndim == 1
        and y.dtype.kind in "iu"
        and y.shape[0] == n_rows
        and int(y.min()) >= 0
        and int(y.max()) < n_classes
    )


def softmax_argmax_xent_thunk(node, storage_map):
    """``CrossentropySoftmaxArgmax1HotWithBias``: loss, softmax and argmax."""
    nll_dtype, sm_dtype, am_dtype = (numpy.dtype(o.dtype) for o in node.outputs)
    x_var = node.inputs[0]
    if x_var.dtype not in _FLOATS or sm_dtype != x_var.dtype or nll_dtype != sm_dtype:
        return None
    dtype = sm_dtype
    x_cell, b_cell, y_cell = (storage_map[v] for v in node.inputs)
    nll_cell, sm_cell, am_cell = (storage_map[v] for v in node.outputs)
    fallback = perform_thunk(node, storage_map)
    cache = [None]

    def thunk():
        x, b, y = x_cell[0], b_cell[0], y_cell[0]
        if (
            type(x) is not _ndarray
            or type(b) is not _ndarray
            or x.dtype != dtype
            or b.dtype != dtype
            or x.ndim != 2
            or not x.size
            or b.shape != (x.shape[1],)
            or not _indices_fit(y, x.shape[0], x.shape[1])
        ):
            return fallback()
        rows = _rows(cache, x.shape[0])
        r = numpy.add(x, b)
        am = r.argmax(axis=1)
        top = r[rows, am]
        picked = r[rows, y]
        r -= top[:, None]
        numpy.exp(r, out=r)
        total = r.sum(axis=1)
        r /= total[:, None]
        nll = numpy.log(total)
        nll += top
        nll -= picked
        nll_cell[0] = nll
        sm_cell[0] = r
        am_cell[0] = am if am.dtype == am_dtype else am.astype(am_dtype)

    return thunk


def softmax_xent_dx_thunk(node, storage_map):
    """``CrossentropySoftmax1HotWithBiasDx``: ``dy * (softmax - one_hot(y))``."""
    dtype = numpy.dtype(node.outputs[0].dtype)
    if dtype.name not in _FLOATS or node.inputs[1].dtype != dtype.name:
        return None
    dy_cell, sm_cell, y_cell = (storage_map[v] for v in node.inputs)
    (out_cell,) = (storage_map[v] for v in node.outputs)
    fallback = perform_thunk(node, storage_map)
    cache = [None]
    one_row_dy = node.inputs[0].broadcastable[:1] == (True,)

    def thunk():
        dy, sm, y = dy_cell[0], sm_cell[0], y_cell[0]
        if (
            type(sm) is not _ndarray
            or type(dy) is not _ndarray
            or sm.dtype != dtype
            or dy.dtype != dtype
            or sm.ndim != 2
            or not sm.size
            or not (
                dy.shape in ((sm.shape[0],), sm.shape)
                or (one_row_dy and dy.shape == (1,))
            )
            or not _indices_fit(y, sm.shape[0], sm.shape[1])
        ):
            return fallback()
        dx = sm.copy()
        dx[_rows(cache, sm.shape[0]), y] -= 1
        dx *= dy[:, None] if dy.ndim == 1 else dy
        out_cell[0] = dx

    return thunk


FACTORIES = {
    CrossentropySoftmaxArgmax1HotWithBias: softmax_argmax_xent_thunk,
    CrossentropySoftmax1HotWithBiasDx: softmax_xent_dx_thunk,
}

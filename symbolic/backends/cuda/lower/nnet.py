"""Softmax, log-softmax and the cross-entropies of symbolic.tensor.nnet on the GPU."""

import numpy

from symbolic.backends.c.scalar_c import Unsupported
from symbolic.backends.cuda.kernels import nnet as kernels
from symbolic.backends.cuda.lower import register
from symbolic.backends.cuda.lower.elemwise import cells
from symbolic.backends.cuda.runtime import i64, pointer
from symbolic.ops.nnet.basic import LogSoftmax, Softmax, SoftmaxGrad, SoftmaxWithBias
from symbolic.ops.nnet.crossentropy import (
    CrossentropyCategorical1Hot,
    CrossentropyCategorical1HotGrad,
    CrossentropySoftmax1HotWithBiasDx,
    CrossentropySoftmaxArgmax1HotWithBias,
)

#: A null device pointer (softmax without a bias).
NULL = numpy.uintp(0)


def _matrix_input(host):
    if host.inputs[0].ndim != 2 or host.outputs[0].ndim not in (1, 2):
        raise Unsupported(f"{host.op} on the GPU takes matrices")


def _float_kernels(host):
    _matrix_input(host)
    return list(kernels.render(host.outputs[0].dtype))


def _index_kernels(host):
    _matrix_input(host)
    return list(kernels.render(host.inputs[0].dtype, host.inputs[-1].dtype))


def _rows(node, runtime, values):
    """Contiguous copies of ``values`` and ``(rows, cols)`` of the first matrix."""
    values = [runtime.contiguous(v) for v in values]
    rows, cols = values[0].shape
    return values, rows, cols


def _launch_rows(runtime, name, rows, *args):
    runtime.launch(
        name, rows * kernels.BLOCK, *args, threads=kernels.BLOCK, blocks=rows
    )


def _checked_indices(node, y, cols):
    """Copy the class indices to the host and check them as ``perform`` does."""
    host = y.get()
    bad = (host < 0) | (host >= cols)
    if bad.any():
        raise ValueError(
            f"{node.op}: class index {int(host[bad][0])} of {node.inputs[-1]} is "
            f"out of range for {cols} classes"
        )


@register(Softmax, SoftmaxWithBias)(_float_kernels)
def thunk_softmax(node, host, storage_map, runtime):
    ins, outs = cells(node, storage_map)
    name = "softmax_" + node.outputs[0].dtype

    def run():
        values, rows, cols = _rows(node, runtime, [c[0] for c in ins])
        if len(values) > 1 and values[1].shape != (cols,):
            raise ValueError(f"{node.op}: the bias does not match the columns")
        out = runtime.empty((rows, cols), node.outputs[0].dtype)
        bias = pointer(values[1]) if len(values) > 1 else NULL
        if rows and cols:
            _launch_rows(
                runtime,
                name,
                rows,
                pointer(values[0]),
                bias,
                pointer(out),
                i64(rows),
                i64(cols),
            )
        outs[0][0] = out

    return run


@register(LogSoftmax)(_float_kernels)
def thunk_log_softmax(node, host, storage_map, runtime):
    ins, outs = cells(node, storage_map)
    name = "log_softmax_" + node.outputs[0].dtype

    def run():
        values, rows, cols = _rows(node, runtime, [ins[0][0]])
        out = runtime.empty((rows, cols), node.outputs[0].dtype)
        if rows and cols:
            _launch_rows(
                runtime,
                name,
                rows,
                pointer(values[0]),
                pointer(out),
                i64(rows),
                i64(cols),
            )
        outs[0][0] = out

    return run


@register(SoftmaxGrad)(_float_kernels)
def thunk_softmax_grad(node, host, storage_map, runtime):
    ins, outs = cells(node, storage_map)
    name = "softmax_grad_" + node.outputs[0].dtype

    def run():
        (dy, sm), rows, cols = _rows(node, runtime, [c[0] for c in ins])
        if dy.shape != sm.shape:
            raise ValueError(f"{node.op}: the gradient and softmax shapes differ")
        out = runtime.empty((rows, cols), node.outputs[0].dtype)
        if rows and cols:
            _launch_rows(
                runtime,
                name,
                rows,
                pointer(dy),
                pointer(sm),
                pointer(out),
                i64(rows),
                i64(cols),
            )
        outs[0][0] = out

    return run


def _suffix(host):
    return f"{host.inputs[0].dtype}_{host.inputs[-1].dtype}"


@register(CrossentropyCategorical1Hot)(_index_kernels)
def thunk_xent(node, host, storage_map, runtime):
    ins, outs = cells(node, storage_map)
    name = "xent_1hot_" + _suffix(host)

    def run():
        (p, y), rows, cols = _rows(node, runtime, [c[0] for c in ins])
        _checked_indices(node, y, cols)
        nll = runtime.empty((rows,), node.outputs[0].dtype)
        if rows:
            runtime.launch(
                name, rows, pointer(p), pointer(y), pointer(nll), i64(rows), i64(cols)
            )
        outs[0][0] = nll

    return run


def _index_kernels_grad(host):
    """Kernels of ``(gradient, matrix, indices)`` nodes."""
    if host.inputs[1].ndim != 2 or host.inputs[0].ndim > 1:
        raise Unsupported(f"{host.op} on the GPU takes matrices and row gradients")
    return list(kernels.render(host.inputs[1].dtype, host.inputs[2].dtype))


@register(CrossentropyCategorical1HotGrad)(_index_kernels_grad)
def thunk_xent_grad(node, host, storage_map, runtime):
    ins, outs = cells(node, storage_map)
    name = f"xent_1hot_grad_{host.inputs[1].dtype}_{host.inputs[2].dtype}"

    def run():
        g, p, y = (runtime.contiguous(c[0]) for c in ins)
        rows, cols = p.shape
        _checked_indices(node, y, cols)
        step = _row_step(node, g, rows, broadcastable=True)
        dp = runtime.empty((rows, cols), node.outputs[0].dtype)
        if rows * cols:
            runtime.launch(
                name,
                rows * cols,
                pointer(g),
                pointer(p),
                pointer(y),
                pointer(dp),
                i64(rows),
                i64(cols),
                i64(step),
            )
        outs[0][0] = dp

    return run


def _row_step(node, gradient, rows, broadcastable):
    """The step between rows of a per-row gradient (0 when it is broadcast).

    A 0-d gradient, or a one-entry one where that broadcasts (always for
    numpy's rules, only for a declared broadcastable axis otherwise), applies
    to every row.
    """
    if gradient.ndim == 0:
        return 0
    if gradient.shape[0] == rows:
        return 1
    if gradient.shape[0] == 1 and broadcastable:
        return 0
    raise ValueError(
        f"{node.op}: the gradient has {gradient.shape[0]} entries for {rows} rows"
    )


@register(CrossentropySoftmaxArgmax1HotWithBias)(_index_kernels)
def thunk_xent_softmax(node, host, storage_map, runtime):
    ins, outs = cells(node, storage_map)
    name = "xent_softmax_1hot_" + _suffix(host)

    def run():
        (x, b, y), rows, cols = _rows(node, runtime, [c[0] for c in ins])
        if b.shape[0] != cols:
            raise ValueError(
                f"{node.op}: {node.inputs[1]} has {b.shape[0]} entries but "
                f"{node.inputs[0]} has {cols} columns"
            )
        _checked_indices(node, y, cols)
        nll = runtime.empty((rows,), node.outputs[0].dtype)
        sm = runtime.empty((rows, cols), node.outputs[1].dtype)
        am = runtime.empty((rows,), node.outputs[2].dtype)
        if rows and cols:
            _launch_rows(
                runtime,
                name,
                rows,
                pointer(x),
                pointer(b),
                pointer(y),
                pointer(nll),
                pointer(sm),
                pointer(am),
                i64(rows),
                i64(cols),
            )
        for cell, value in zip(outs, (nll, sm, am)):
            cell[0] = value

    return run


@register(CrossentropySoftmax1HotWithBiasDx)(_index_kernels_grad)
def thunk_xent_softmax_dx(node, host, storage_map, runtime):
    ins, outs = cells(node, storage_map)
    name = f"xent_softmax_1hot_dx_{host.inputs[1].dtype}_{host.inputs[2].dtype}"

    def run():
        dnll, sm, y = (runtime.contiguous(c[0]) for c in ins)
        rows, cols = sm.shape
        _checked_indices(node, y, cols)
        step = _row_step(node, dnll, rows, node.inputs[0].broadcastable[:1] == (True,))
        dx = runtime.empty((rows, cols), node.outputs[0].dtype)
        if rows * cols:
            runtime.launch(
                name,
                rows * cols,
                pointer(dnll),
                pointer(sm),
                pointer(y),
                pointer(dx),
                i64(rows),
                i64(cols),
                i64(step),
            )
        outs[0][0] = dx

    return run

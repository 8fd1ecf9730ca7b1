"""2-d pooling (own kernels) and 2-d convolution (im2col + cuBLAS GEMM)."""

import numpy

from symbolic.backends.c.scalar_c import Unsupported
from symbolic.backends.cuda.kernels import conv as kernels
from symbolic.backends.cuda.kernels.elemwise import copy_kernel
from symbolic.backends.cuda.lower import register
from symbolic.backends.cuda.lower.elemwise import cells
from symbolic.backends.cuda.runtime import i64, pointer
from symbolic.ops.conv.abstract_conv import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
)
from symbolic.ops.pool import (
    AveragePoolGrad,
    MaxPoolGrad,
    Pool,
    _out_shape,
    _runtime_params,
)


def _pool_kernels(host):
    if host.op.ndim != 2 or host.op.mode not in kernels.POOL_MODES:
        raise Unsupported(f"{host.op}: only 2-d pooling runs on the GPU")
    x = host.inputs[0]
    return [kernels.render(x.dtype), copy_kernel(x.dtype, x.ndim)]


def _params(n):
    return lambda host: tuple(range(n, n + 3))


def _geometry(node, op, x, ws, stride, pad):
    ws, stride, pad = _runtime_params(op, ws, stride, pad, op.ignore_border)
    out = _out_shape(x.shape, ws, op.ignore_border, stride, pad, 2)
    planes = int(numpy.prod(x.shape[:-2], dtype=numpy.int64))
    return (
        out,
        planes,
        [
            i64(planes),
            i64(x.shape[-2]),
            i64(x.shape[-1]),
            i64(out[-2]),
            i64(out[-1]),
            i64(ws[0]),
            i64(ws[1]),
            i64(stride[0]),
            i64(stride[1]),
            i64(pad[0]),
            i64(pad[1]),
            numpy.int32(kernels.POOL_MODES[op.mode]),
        ],
    )


@register(Pool, host_inputs=_params(1))(_pool_kernels)
def thunk_pool(node, host, storage_map, runtime):
    ins, outs = cells(node, storage_map)
    op = host.op
    name = "pool2d_" + node.outputs[0].dtype

    def run():
        x = runtime.contiguous(ins[0][0])
        shape, planes, geometry = _geometry(node, op, x, *(c[0] for c in ins[1:]))
        out = runtime.empty(shape, x.dtype)
        n = planes * shape[-2] * shape[-1]
        if n:
            if x.size == 0:
                runtime.zero(out)
            else:
                runtime.launch(name, n, pointer(x), *geometry, pointer(out))
        outs[0][0] = out

    return run


@register(MaxPoolGrad, host_inputs=_params(3))(_pool_kernels)
def thunk_max_pool_grad(node, host, storage_map, runtime):
    ins, outs = cells(node, storage_map)
    op = host.op
    name = "pool2d_grad_" + node.outputs[0].dtype

    def run():
        x, maxout, gz = (runtime.contiguous(c[0]) for c in ins[:3])
        _, _, geometry = _geometry(node, op, x, *(c[0] for c in ins[3:]))
        gx = runtime.empty(x.shape, x.dtype)
        if x.size:
            runtime.launch(
                name,
                x.size,
                pointer(x),
                pointer(maxout),
                pointer(gz),
                *geometry,
                pointer(gx),
            )
        outs[0][0] = gx

    return run


@register(AveragePoolGrad, host_inputs=_params(2))(_pool_kernels)
def thunk_average_pool_grad(node, host, storage_map, runtime):
    ins, outs = cells(node, storage_map)
    op = host.op
    name = "pool2d_grad_" + node.outputs[0].dtype

    def run():
        x, gz = (runtime.contiguous(c[0]) for c in ins[:2])
        _, _, geometry = _geometry(node, op, x, *(c[0] for c in ins[2:]))
        gx = runtime.empty(x.shape, x.dtype)
        if x.size:
            runtime.launch(
                name,
                x.size,
                pointer(x),
                pointer(gz),
                pointer(gz),
                *geometry,
                pointer(gx),
            )
        outs[0][0] = gx

    return run


def _conv_kernels(host):
    op = host.op
    first, second = host.inputs[:2]
    if op.unshared or op.num_groups != 1:
        raise Unsupported(f"{op}: grouped or unshared convolution stays on the host")
    dtypes = {first.dtype, second.dtype, host.outputs[0].dtype}
    if len(dtypes) != 1:
        raise Unsupported(f"{op}: mixed dtypes stay on the host")
    dtype = dtypes.pop()
    return [kernels.render(dtype), copy_kernel(dtype, 4)]


def _im2col_geometry(op, channels, height, width, kh, kw, oh, ow):
    (top, _), (left, _) = op._pads((kh, kw))
    return [
        i64(channels),
        i64(height),
        i64(width),
        i64(kh),
        i64(kw),
        i64(top),
        i64(left),
        i64(op.subsample[0]),
        i64(op.subsample[1]),
        i64(op.filter_dilation[0]),
        i64(op.filter_dilation[1]),
        i64(oh),
        i64(ow),
    ]


def _plane(runtime, array, b):
    """Item ``b`` of a contiguous 4-d array, as a flat device vector."""
    item = array.dtype.itemsize
    size = int(numpy.prod(array.shape[1:], dtype=numpy.int64))
    return runtime.view(array, (size,), (item,), b * size * item)


def _transposed(runtime, matrix):
    """The transpose of a C-contiguous matrix, as an F-contiguous view."""
    rows, cols = matrix.shape
    item = matrix.dtype.itemsize
    return runtime.view(matrix, (cols, rows), (item, cols * item))


def _unflipped(runtime, op, kern):
    """The kernel as the GEMM uses it: flipped (a copy) for a convolution."""
    if not op.filter_flip:
        return kern
    flipped = runtime.empty(kern.shape, kern.dtype)
    runtime.copy_into(flipped, _flipped_view(runtime, kern))
    return flipped


@register(AbstractConv2d)(_conv_kernels)
def thunk_conv(node, host, storage_map, runtime):
    """Per batch item: im2col, then ``out = kernels (O x CKK) @ columns``."""
    ins, outs = cells(node, storage_map)
    op = host.op
    dtype = node.outputs[0].dtype

    def run():
        img, kern = (runtime.contiguous(c[0]) for c in ins)
        op._check_channels(img.shape[1], kern.shape, "input", "filters")
        oh, ow = op._output_spatial(img.shape[2:], kern.shape[-2:], "input")
        batch, channels, height, width = img.shape
        n_out, _, kh, kw = kern.shape
        out = runtime.empty((batch, n_out, oh, ow), dtype)
        if out.size == 0:
            outs[0][0] = out
            return
        weights = _unflipped(runtime, op, kern).reshape((n_out, channels * kh * kw))
        cols = runtime.empty((channels * kh * kw, oh * ow), dtype)
        geometry = _im2col_geometry(op, channels, height, width, kh, kw, oh, ow)
        for b in range(batch):
            item = _plane(runtime, img, b)
            runtime.launch(
                f"im2col_{dtype}", cols.size, pointer(item), *geometry, pointer(cols)
            )
            result = _plane(runtime, out, b).reshape((n_out, oh * ow))
            runtime.blas.matmul(runtime, weights, cols, result)
        outs[0][0] = out

    return run


def _shape_input(host):
    return (2,)


@register(AbstractConv2d_gradWeights, host_inputs=_shape_input)(_conv_kernels)
def thunk_conv_grad_weights(node, host, storage_map, runtime):
    """``dW = sum_b topgrad_b (F x OHOW) @ columns_b^T``, flipped back if needed."""
    ins, outs = cells(node, storage_map)
    op = host.op
    dtype = node.outputs[0].dtype

    def run():
        img, top = (runtime.contiguous(c[0]) for c in ins[:2])
        kh, kw = (int(s) for s in ins[2][0])
        batch, channels, height, width = img.shape
        n_out, oh, ow = top.shape[1:]
        if (oh, ow) != tuple(op._output_spatial(img.shape[2:], (kh, kw), "input")):
            raise ValueError(
                f"{op}: topgrad {node.inputs[1]} has shape {top.shape}, which an "
                f"input of shape {img.shape} and {kh}x{kw} filters do not give"
            )
        grad = runtime.empty((n_out, channels, kh, kw), dtype)
        matrix = grad.reshape((n_out, channels * kh * kw))
        runtime.zero(matrix)
        cols = runtime.empty((channels * kh * kw, oh * ow), dtype)
        geometry = _im2col_geometry(op, channels, height, width, kh, kw, oh, ow)
        for b in range(batch if cols.size and grad.size else 0):
            runtime.launch(
                f"im2col_{dtype}",
                cols.size,
                pointer(_plane(runtime, img, b)),
                *geometry,
                pointer(cols),
            )
            top_b = _plane(runtime, top, b).reshape((n_out, oh * ow))
            runtime.blas.matmul(
                runtime, top_b, _transposed(runtime, cols), matrix, 1.0, 1.0
            )
        outs[0][0] = _unflipped(runtime, op, grad)

    return run


@register(AbstractConv2d_gradInputs, host_inputs=_shape_input)(_conv_kernels)
def thunk_conv_grad_inputs(node, host, storage_map, runtime):
    """``columns_b = W^T (CKK x F) @ topgrad_b``, then col2im into the image."""
    ins, outs = cells(node, storage_map)
    op = host.op
    dtype = node.outputs[0].dtype

    def run():
        kern, top = (runtime.contiguous(c[0]) for c in ins[:2])
        height, width = (int(s) for s in ins[2][0])
        n_out, channels, kh, kw = kern.shape
        batch, _, oh, ow = top.shape
        if (oh, ow) != tuple(op._output_spatial((height, width), (kh, kw), "input")):
            raise ValueError(
                f"{op}: topgrad {node.inputs[1]} has shape {top.shape}, which an "
                f"input of {height}x{width} and {kh}x{kw} filters does not give"
            )
        grad = runtime.empty((batch, channels, height, width), dtype)
        if grad.size == 0:
            outs[0][0] = grad
            return
        weights = _unflipped(runtime, op, kern).reshape((n_out, channels * kh * kw))
        cols = runtime.empty((channels * kh * kw, oh * ow), dtype)
        geometry = _im2col_geometry(op, channels, height, width, kh, kw, oh, ow)
        for b in range(batch):
            top_b = _plane(runtime, top, b).reshape((n_out, oh * ow))
            runtime.blas.matmul(runtime, _transposed(runtime, weights), top_b, cols)
            runtime.launch(
                f"col2im_{dtype}",
                channels * height * width,
                pointer(cols),
                *geometry,
                pointer(_plane(runtime, grad, b)),
            )
        outs[0][0] = grad

    return run


def _flipped_view(runtime, kern):
    """``kern[:, :, ::-1, ::-1]`` as a view (negative strides, last element first)."""
    kh, kw = kern.shape[2:]
    s0, s1, s2, s3 = kern.strides
    offset = (kh - 1) * s2 + (kw - 1) * s3
    return runtime.view(kern, kern.shape, (s0, s1, -s2, -s3), offset)

"""Lowerings of 2-D convolution and 2-D pooling (forward and gradients).

The runtime's entries (``runtime/conv.c``) handle shared-filter
convolutions with any border mode, stride, dilation, group count and flip,
and pooling over two trailing axes in every mode.  Unshared (locally
connected) convolutions, 3-D pooling, :class:`DownsampleFactorMaxGradGrad`
and mixed dtypes stay on the ops' ``perform``.
"""

from symbolic.backends.c.lowering import FLOAT_DTYPES, Lowered, lowering, typenum
from symbolic.ops.conv.abstract_conv import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
)
from symbolic.ops.pool import AveragePoolGrad, MaxPoolGrad, Pool

_CONV_KINDS = {
    AbstractConv2d: ("CONV", (0, 1)),
    AbstractConv2d_gradWeights: ("CONV_GRAD_WEIGHTS", (0, 1)),
    AbstractConv2d_gradInputs: ("CONV_GRAD_INPUTS", (0, 1)),
}
_POOL_KINDS = {
    Pool: ("POOL", (0,)),
    MaxPoolGrad: ("MAXPOOL_GRAD", (0, 1, 2)),
    AveragePoolGrad: ("AVGPOOL_GRAD", (0, 1)),
}
_POOL_MODES = {"max": 0, "sum": 1, "average_inc_pad": 2, "average_exc_pad": 3}
_PAD_MODES = {"half": 1, "full": 2}


def _one_float_dtype(node, positions):
    """The dtype shared by the inputs at ``positions`` and the output, if float."""
    dtypes = {node.inputs[i].dtype for i in positions} | {node.outputs[0].dtype}
    if len(dtypes) != 1:
        return None
    (dtype,) = dtypes
    return dtype if dtype in FLOAT_DTYPES else None


def _axis_padding(border_mode, axis):
    """``(mode, before, after)`` of one axis: mode 0 explicit, 1 half, 2 full."""
    if border_mode == "valid":
        return (0, 0, 0)
    if isinstance(border_mode, str):
        return (_PAD_MODES[border_mode], 0, 0)
    entry = border_mode[axis]
    if isinstance(entry, tuple):
        return (0, int(entry[0]), int(entry[1]))
    return (0, int(entry), int(entry))


def _hint(shape):
    return tuple(-1 if s is None else int(s) for s in shape)


@lowering(*_CONV_KINDS)
def lower_conv(node, kernels):
    """im2col + BLAS entries for the three convolution directions."""
    op = node.op
    kind, float_inputs = _CONV_KINDS[type(op)]
    dtype = _one_float_dtype(node, float_inputs)
    if dtype is None or op.unshared:
        return None
    params = (
        typenum(dtype),
        *_axis_padding(op.border_mode, 0),
        *_axis_padding(op.border_mode, 1),
        *op.subsample,
        *op.filter_dilation,
        op.num_groups,
        int(op.filter_flip),
        *_hint(op.imshp),
        *_hint(op.kshp),
    )
    return Lowered(kind, params)


@lowering(*_POOL_KINDS)
def lower_pool(node, kernels):
    """Window loops over the last two axes, for every pooling mode."""
    op = node.op
    kind, float_inputs = _POOL_KINDS[type(op)]
    dtype = _one_float_dtype(node, float_inputs)
    if dtype is None or op.ndim != 2:
        return None
    return Lowered(kind, (typenum(dtype), int(op.ignore_border), _POOL_MODES[op.mode]))

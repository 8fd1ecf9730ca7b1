"""Lowerings of the softmax family and the softmax cross-entropy ops."""

from symbolic.backends.c.lowering import FLOAT_DTYPES, Lowered, lowering, typenum
from symbolic.ops.nnet.basic import LogSoftmax, Softmax, SoftmaxGrad, SoftmaxWithBias
from symbolic.ops.nnet.crossentropy import (
    CrossentropyCategorical1Hot,
    CrossentropyCategorical1HotGrad,
    CrossentropySoftmax1HotWithBiasDx,
    CrossentropySoftmaxArgmax1HotWithBias,
)

_KINDS = {
    Softmax: ("SOFTMAX", (0,)),
    LogSoftmax: ("LOGSOFTMAX", (0,)),
    SoftmaxWithBias: ("SOFTMAX_BIAS", (0, 1)),
    SoftmaxGrad: ("SOFTMAX_GRAD", (0, 1)),
    CrossentropySoftmaxArgmax1HotWithBias: ("CE_SOFTMAX_BIAS", (0, 1)),
    CrossentropySoftmax1HotWithBiasDx: ("CE_SOFTMAX_DX", (0, 1)),
    CrossentropyCategorical1Hot: ("CE_1HOT", (0,)),
    CrossentropyCategorical1HotGrad: ("CE_1HOT_GRAD", (0, 1)),
}


@lowering(*_KINDS)
def lower_softmax_family(node, kernels):
    """Row kernels over float matrices; every float operand has one dtype."""
    kind, float_inputs = _KINDS[type(node.op)]
    dtypes = {node.inputs[i].dtype for i in float_inputs}
    dtypes.add(node.outputs[0].dtype)
    if len(dtypes) != 1 or next(iter(dtypes)) not in FLOAT_DTYPES:
        return None
    return Lowered(kind, (typenum(node.outputs[0].dtype),))

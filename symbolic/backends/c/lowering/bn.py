"""Lowerings of the batch-normalization ops (training, inference, gradient).

The runtime's entries (``runtime/bn.c``) take any set of normalized axes
and any strides; scale, bias and the statistics may broadcast along the
channel axes.  A node whose tensors do not share one float dtype, or whose
axes repeat or do not fit the runtime's bit mask, stays on the op's
``perform``; so do values the entries decline at run time (see ``bn.c``).
"""

from symbolic.backends.c.lowering import FLOAT_DTYPES, Lowered, lowering, typenum
from symbolic.ops.nnet.bn import (
    AbstractBatchNormInference,
    AbstractBatchNormTrain,
    AbstractBatchNormTrainGrad,
)

# Entry kind and the positions of the scalar inputs (epsilon, the running
# average factor), which may have any numeric dtype.
_KINDS = {
    AbstractBatchNormTrain: ("BN_TRAIN", (3, 4)),
    AbstractBatchNormInference: ("BN_INFERENCE", (5,)),
    AbstractBatchNormTrainGrad: ("BN_TRAIN_GRAD", (5,)),
}
# The axes travel as bits of one int64 parameter.
_MAX_AXIS = 62


@lowering(*_KINDS)
def lower_batch_norm(node, kernels):
    """Per-channel statistics and affine passes, in the dtype of every tensor."""
    kind, scalars = _KINDS[type(node.op)]
    tensors = [v for i, v in enumerate(node.inputs) if i not in scalars]
    dtypes = {v.dtype for v in tensors} | {v.dtype for v in node.outputs}
    if len(dtypes) != 1 or next(iter(dtypes)) not in FLOAT_DTYPES:
        return None
    if any(node.inputs[i].ndim != 0 for i in scalars):
        return None
    axes = node.op.axes
    # perform raises the reference error for repeated or negative axes.
    if min(axes) < 0 or max(axes) > _MAX_AXIS or len(set(axes)) != len(axes):
        return None
    mask = sum(1 << a for a in axes)
    return Lowered(kind, (typenum(node.outputs[0].dtype), mask))

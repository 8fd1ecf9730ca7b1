"""Identity ops that alter gradients: consider_constant, zero_grad, grad_clip..."""

import numpy

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.types.null import DisconnectedType, grad_undefined
from symbolic.types.tensor import as_tensor_variable


class _GradModifier(Op):
    """Identity in the forward pass (a view); subclasses change the gradient."""

    view_map = {0: [0]}
    __props__ = ()

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0]

    def infer_shape(self, fgraph, node, shapes):
        return shapes

    def R_op(self, inputs, eval_points):
        return [eval_points[0]]


class ConsiderConstant(_GradModifier):
    """Identity whose gradient is zero: the input is treated as a constant."""

    def L_op(self, inputs, outputs, grads):
        import symbolic.ops as T

        return [T.zeros_like(grads[0])]


class DisconnectedGrad(_GradModifier):
    """Identity whose input is disconnected from the gradient."""

    def L_op(self, inputs, outputs, grads):
        return [DisconnectedType()()]

    def connection_pattern(self, node):
        return [[False]]


class ZeroGrad(ConsiderConstant):
    """Identity whose gradient is exactly zero (also in R_op)."""

    def R_op(self, inputs, eval_points):
        import symbolic.ops as T

        return [T.zeros_like(eval_points[0])] if eval_points[0] is not None else [None]


class UndefinedGrad(_GradModifier):
    """Identity whose gradient is undefined (asking for it raises)."""

    def L_op(self, inputs, outputs, grads):
        return [grad_undefined(self, 0, inputs[0], "marked with undefined_grad")]


class GradClip(_GradModifier):
    """Identity whose gradient is clipped to ``[lower, upper]``."""

    __props__ = ("clip_lower_bound", "clip_upper_bound")

    def __init__(self, clip_lower_bound, clip_upper_bound):
        if clip_upper_bound < clip_lower_bound:
            raise ValueError("grad_clip: upper bound must be >= lower bound")
        self.clip_lower_bound = float(clip_lower_bound)
        self.clip_upper_bound = float(clip_upper_bound)

    def L_op(self, inputs, outputs, grads):
        import symbolic.ops as T

        return [T.clip(grads[0], self.clip_lower_bound, self.clip_upper_bound)]


class GradScale(_GradModifier):
    """Identity whose gradient is multiplied by ``multiplier``."""

    __props__ = ("multiplier",)

    def __init__(self, multiplier):
        self.multiplier = float(multiplier)

    def L_op(self, inputs, outputs, grads):
        return [grads[0] * numpy.asarray(self.multiplier, dtype=grads[0].dtype)]


consider_constant_ = ConsiderConstant()
_disconnected_grad = DisconnectedGrad()
_zero_grad = ZeroGrad()
_undefined_grad = UndefinedGrad()


def consider_constant(x):
    """Return ``x`` such that gradients through it are zero."""
    return consider_constant_(x)


def disconnected_grad(x):
    """Return ``x`` cut from the gradient: what lies behind it is disconnected."""
    return _disconnected_grad(x)


def zero_grad(x):
    """Return ``x`` with an exactly zero gradient."""
    return _zero_grad(x)


def undefined_grad(x):
    """Return ``x`` whose gradient is undefined."""
    return _undefined_grad(x)


def grad_clip(x, lower_bound, upper_bound):
    """Return ``x``; its gradient is clipped to ``[lower_bound, upper_bound]``."""
    return GradClip(lower_bound, upper_bound)(x)


def grad_scale(x, multiplier):
    """Return ``x``; its gradient is scaled by ``multiplier``."""
    return GradScale(multiplier)(x)

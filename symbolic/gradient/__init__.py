"""Automatic differentiation (Theano's ``theano.gradient``)."""

from symbolic.gradient.grad import (
    DisconnectedInputError,
    GradientError,
    Lop,
    NullTypeGradError,
    Rop,
    grad,
    subgraph_grad,
)
from symbolic.gradient.jacobian import hessian, jacobian
from symbolic.gradient.special import (
    consider_constant,
    disconnected_grad,
    grad_clip,
    grad_scale,
    undefined_grad,
    zero_grad,
)
from symbolic.gradient.verify import verify_grad
from symbolic.types.null import (
    DisconnectedType,
    NullType,
    grad_not_implemented,
    grad_undefined,
)

__all__ = [
    "DisconnectedInputError",
    "DisconnectedType",
    "GradientError",
    "Lop",
    "NullType",
    "NullTypeGradError",
    "Rop",
    "consider_constant",
    "disconnected_grad",
    "grad",
    "grad_clip",
    "grad_not_implemented",
    "grad_scale",
    "grad_undefined",
    "hessian",
    "jacobian",
    "subgraph_grad",
    "undefined_grad",
    "verify_grad",
    "zero_grad",
]

"""Theano path ``tensor`` (import-only shim over types, ops and gradient)."""

from symbolic.compile.shared import SharedVariable, TensorSharedVariable
from symbolic.gradient import (
    Lop,
    Rop,
    consider_constant,
    grad,
    hessian,
    jacobian,
    verify_grad,
)
from symbolic.graph.basic import Constant, Variable
from symbolic.ops import *
from symbolic.ops.basic import NotScalarConstantError
from symbolic.ops.elemwise import CAReduce, DimShuffle, Elemwise
from symbolic.ops.identity import SpecifyShape, specify_shape
from symbolic.tensor import (
    basic,
    elemwise,
    extra_ops,
    fft,
    inplace,
    nnet,
    opt,
    raw_random,
    shared_randomstreams,
    sharedvar,
    signal,
    subtensor,
)
from symbolic.types.tensor import *
from symbolic.types.tensor import (
    TensorConstant,
    TensorType,
    TensorVariable,
    _tensor_py_operators,
    as_tensor,
    as_tensor_variable,
    constant,
    tensor,
)
from symbolic.types.tensor import TensorType as Tensor

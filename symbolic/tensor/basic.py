"""Theano path ``tensor.basic`` (import-only shim)."""

from symbolic.gradient import verify_grad
from symbolic.ops import *
from symbolic.ops.basic import *
from symbolic.types.tensor import *
from symbolic.types.tensor import TensorType as Tensor
from symbolic.utils.arrays import allclose_for_dtypes as _allclose

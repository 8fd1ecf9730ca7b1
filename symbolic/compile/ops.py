"""Theano path ``compile.ops`` (import-only shim)."""

from symbolic.ops.basic import Shape, Shape_i
from symbolic.ops.identity import (
    DeepCopyOp,
    FromFunctionOp,
    ViewOp,
    as_op,
    deep_copy_op,
    shape_i,
    view_op,
)

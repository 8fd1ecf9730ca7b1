"""Theano path ``compile.ops`` (import-only shim)."""

from symbolic.ops.basic import Shape, Shape_i
from symbolic.ops.identity import (
    DeepCopyOp,
    FromFunctionOp,
    SpecifyShape,
    ViewOp,
    as_op,
    deep_copy_op,
    register_deep_copy_op_c_code,
    register_shape_i_c_code,
    register_view_op_c_code,
    shape_i,
    specify_shape,
    view_op,
)

"""Lowerings of the BLAS ops and Dot: calls through scipy's cython_blas."""

from symbolic.backends.c.lowering import FLOAT_DTYPES, Lowered, lowering, typenum
from symbolic.ops.blas import Dot22, Dot22Scalar, Gemm, Gemv, Ger
from symbolic.ops.dot import Dot


def _one_float_dtype(node, positions):
    """The common float dtype of the inputs at ``positions`` and the output."""
    dtypes = {node.inputs[i].dtype for i in positions} | {node.outputs[0].dtype}
    if len(dtypes) != 1:
        return None
    (dtype,) = dtypes
    return dtype if dtype in FLOAT_DTYPES else None


@lowering(Gemm)
def lower_Gemm(node, kernels):
    """``b z + a x y`` in place on ``z`` when the op destroys it."""
    dtype = _one_float_dtype(node, (0, 2, 3))
    if dtype is None:
        return None
    return Lowered("GEMM", (typenum(dtype), int(node.op.inplace)))


@lowering(Gemv)
def lower_Gemv(node, kernels):
    """``b y + a A x`` in place on ``y`` when the op destroys it."""
    dtype = _one_float_dtype(node, (0, 2, 3))
    if dtype is None:
        return None
    return Lowered("GEMV", (typenum(dtype), int(node.op.inplace)))


@lowering(Ger)
def lower_Ger(node, kernels):
    """``A + a outer(x, y)`` in place on ``A`` when destructive."""
    dtype = _one_float_dtype(node, (0, 2, 3))
    if dtype is None:
        return None
    return Lowered("GER", (typenum(dtype), int(node.op.destructive)))


@lowering(Dot22)
def lower_Dot22(node, kernels):
    """A matrix product into a reused output."""
    dtype = _one_float_dtype(node, (0, 1))
    return None if dtype is None else Lowered("DOT22", (typenum(dtype), -1))


@lowering(Dot22Scalar)
def lower_Dot22Scalar(node, kernels):
    """A scaled matrix product (the scale is BLAS's alpha)."""
    dtype = _one_float_dtype(node, (0, 1))
    return None if dtype is None else Lowered("DOT22", (typenum(dtype), 2))


@lowering(Dot)
def lower_Dot(node, kernels):
    """Matrix-matrix, matrix-vector, vector-matrix and inner products."""
    dtype = _one_float_dtype(node, (0, 1))
    return None if dtype is None else Lowered("DOT", (typenum(dtype), -1))

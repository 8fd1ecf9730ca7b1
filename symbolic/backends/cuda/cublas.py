"""GEMM and GEMV through cuBLAS, called with ctypes (pycuda has no BLAS).

``libcublas`` is loaded on first use.  cuBLAS is column-major: a row-major
``C = op(A) @ op(B)`` is computed as the column-major ``C^T = op(B)^T
op(A)^T``, which only swaps the operands, so no data moves.
"""

import ctypes

import numpy

from symbolic.backends.cuda import libraries

_OP = {"N": 0, "T": 1}


class CublasError(RuntimeError):
    """cuBLAS is missing or returned an error status."""


def _load():
    lib = libraries.load("cublas")
    if lib is None:
        raise CublasError(
            "libcublas cannot be loaded: install the CUDA toolkit's cuBLAS (or "
            "the nvidia-cublas wheel), or put its folder on LD_LIBRARY_PATH"
        )
    return lib


class Cublas:
    """One cuBLAS handle in the current CUDA context."""

    def __init__(self):
        self.lib = _load()
        self.handle = ctypes.c_void_p()
        self._check(self.lib.cublasCreate_v2(ctypes.byref(self.handle)), "create")

    @staticmethod
    def _check(status, what):
        if status != 0:
            raise CublasError(f"cuBLAS {what} failed with status {status}")

    def gemm(self, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        """Column-major ``C = alpha op(A) op(B) + beta C`` (device pointers)."""
        dtype = numpy.dtype(c.dtype)
        scalar = ctypes.c_float if dtype == numpy.float32 else ctypes.c_double
        fn = (
            self.lib.cublasSgemm_v2
            if dtype == numpy.float32
            else self.lib.cublasDgemm_v2
        )
        status = fn(
            self.handle,
            _OP[trans_a],
            _OP[trans_b],
            int(m),
            int(n),
            int(k),
            ctypes.byref(scalar(alpha)),
            ctypes.c_void_p(int(a.gpudata)),
            int(lda),
            ctypes.c_void_p(int(b.gpudata)),
            int(ldb),
            ctypes.byref(scalar(beta)),
            ctypes.c_void_p(int(c.gpudata)),
            int(ldc),
        )
        self._check(status, "gemm")

    def gemv(self, trans, m, n, alpha, a, lda, x, incx, beta, y, incy):
        """Column-major ``y = alpha op(A) x + beta y`` (A is m x n)."""
        dtype = numpy.dtype(y.dtype)
        scalar = ctypes.c_float if dtype == numpy.float32 else ctypes.c_double
        fn = (
            self.lib.cublasSgemv_v2
            if dtype == numpy.float32
            else self.lib.cublasDgemv_v2
        )
        status = fn(
            self.handle,
            _OP[trans],
            int(m),
            int(n),
            ctypes.byref(scalar(alpha)),
            ctypes.c_void_p(int(a.gpudata)),
            int(lda),
            ctypes.c_void_p(int(x.gpudata)),
            int(incx),
            ctypes.byref(scalar(beta)),
            ctypes.c_void_p(int(y.gpudata)),
            int(incy),
        )
        self._check(status, "gemv")

    def matmul(self, runtime, a, b, c, alpha=1.0, beta=0.0):
        """Row-major ``c = alpha a @ b + beta c`` for 2-d device arrays.

        ``a`` and ``b`` may be C- or F-contiguous (a transposed view costs
        nothing); anything else is copied to a contiguous array first.
        """
        m, k = a.shape
        n = b.shape[1]
        if m == 0 or n == 0:
            return
        if k == 0:
            _scale(runtime, c, beta)
            return
        trans_b, b, ldb = _operand(runtime, b)
        trans_a, a, lda = _operand(runtime, a)
        # Row-major C (m x n) is column-major C^T (n x m) = B^T A^T.
        self.gemm(trans_b, trans_a, n, m, k, alpha, b, ldb, a, lda, beta, c, n)

    def matvec(self, runtime, a, x, y, alpha=1.0, beta=0.0):
        """Row-major ``y = alpha a @ x + beta y`` for a 2-d ``a``, 1-d ``x``, ``y``."""
        m, n = a.shape
        if m == 0:
            return
        if n == 0:
            _scale(runtime, y, beta)
            return
        x = runtime.contiguous(x)
        trans, a, lda = _operand(runtime, a)
        # Row-major a (m x n) is column-major a^T (n x m): y = (a^T)^T x.
        if trans == "N":
            self.gemv("T", n, m, alpha, a, lda, x, 1, beta, y, 1)
        else:
            self.gemv("N", m, n, alpha, a, lda, x, 1, beta, y, 1)


def _operand(runtime, array):
    """``(op, contiguous array, leading dimension)`` of a row-major 2-d operand."""
    rows, cols = array.shape
    if array.flags.c_contiguous:
        return "N", array, max(1, cols)
    if array.flags.f_contiguous:
        return "T", array, max(1, rows)
    return "N", runtime.contiguous(array), max(1, cols)


def _scale(runtime, array, beta):
    """``array *= beta`` (zeros for beta 0, so nan and inf do not survive)."""
    if beta == 0:
        runtime.zero(array)
    elif beta != 1:
        array *= beta

"""BLAS ops: Gemm, Gemv, Ger, Dot22 and Dot22Scalar.

Users never build these: the specialize rules turn ``dot`` plus scaling and
addition into them, and the in-place rules switch them to their destructive
form where the destroy handler allows. ``perform`` calls the BLAS routines
that ``scipy.linalg.blas`` wraps, choosing the memory layout so that the
destroyed argument is updated where it lies; compiled backends call the same
routines by op class. All operands share one float dtype (float32 or
float64); the scalars are 0-d tensors cast to it.
"""

import numpy

from symbolic.graph.basic import Apply
from symbolic.graph.op import Op
from symbolic.types.tensor import as_tensor_variable

_BLAS_DTYPES = ("float32", "float64")


def _name(var):
    return var.name if var.name is not None else str(var)


def _check(op, var, ndim, dtype=None):
    """Raise a clear TypeError unless ``var`` has ``ndim`` dims (and ``dtype``)."""
    if var.ndim != ndim:
        kind = {0: "a scalar (0-d)", 1: "a vector", 2: "a matrix"}[ndim]
        raise TypeError(f"{op}: {_name(var)} must be {kind}, got ndim {var.ndim}")
    if dtype is not None and var.dtype != dtype:
        raise TypeError(
            f"{op}: {_name(var)} must have dtype {dtype} (like the other "
            f"operands), got {var.dtype}"
        )


def _check_float(op, var):
    if var.dtype not in _BLAS_DTYPES:
        raise TypeError(
            f"{op}: {_name(var)} must be float32 or float64, got {var.dtype}"
        )


def _blas(name, dtype):
    # scipy.linalg costs ~0.1 s to import; only ``perform`` needs it, and the
    # C backend calls BLAS directly, so it is imported on first use.
    import scipy.linalg.blas

    prefix = "s" if dtype == numpy.float32 else "d"
    return getattr(scipy.linalg.blas, prefix + name)


def _fortran_operand(m):
    """Return ``(array, trans)`` with a Fortran-ordered array BLAS reads as is."""
    if m.flags.f_contiguous:
        return m, 0
    if m.flags.c_contiguous:
        return m.T, 1
    return numpy.asfortranarray(m), 0


def _scalar(value, dtype):
    return float(numpy.asarray(value, dtype=dtype))


def gemm_into(z, a, x, y, b):
    """Overwrite ``z`` with ``b*z + a*dot(x, y)`` (``z`` ignored when ``b == 0``)."""
    a = _scalar(a, z.dtype)
    b = _scalar(b, z.dtype)
    if z.size == 0:
        return z
    if x.shape[1] == 0:
        if b == 0:
            z[...] = 0
        else:
            z *= b
        return z
    if z.flags.f_contiguous:
        target, first, second = z, x, y
    elif z.flags.c_contiguous:
        # (x y)^T = y^T x^T: write into the Fortran-ordered view z^T.
        target, first, second = z.T, y.T, x.T
    else:
        product = numpy.dot(x, y)
        z[...] = a * product if b == 0 else b * z + a * product
        return z
    first, trans_a = _fortran_operand(first)
    second, trans_b = _fortran_operand(second)
    out = _blas("gemm", z.dtype)(
        a,
        first,
        second,
        beta=b,
        c=target,
        trans_a=trans_a,
        trans_b=trans_b,
        overwrite_c=1,
    )
    if out is not target and not numpy.shares_memory(out, target):
        target[...] = out
    return z


def gemv_into(y, a, A, x, b):
    """Overwrite ``y`` with ``b*y + a*dot(A, x)`` (``y`` ignored when ``b == 0``)."""
    a = _scalar(a, y.dtype)
    b = _scalar(b, y.dtype)
    if y.size == 0:
        return y
    if A.shape[1] == 0:
        if b == 0:
            y[...] = 0
        else:
            y *= b
        return y
    matrix, trans = _fortran_operand(A)
    out = _blas("gemv", y.dtype)(a, matrix, x, beta=b, y=y, trans=trans, overwrite_y=1)
    if out is not y and not numpy.shares_memory(out, y):
        y[...] = out
    return y


def ger_into(A, a, x, y):
    """Overwrite ``A`` with ``A + a*outer(x, y)``."""
    a = _scalar(a, A.dtype)
    if A.size == 0:
        return A
    ger = _blas("ger", A.dtype)
    if A.flags.f_contiguous:
        target, first, second = A, x, y
    elif A.flags.c_contiguous:
        target, first, second = A.T, y, x
    else:
        A += a * numpy.outer(x, y)
        return A
    out = ger(a, first, second, a=target, overwrite_a=1)
    if out is not target and not numpy.shares_memory(out, target):
        target[...] = out
    return A


def _shape_error(op, what, got, want):
    return ValueError(f"{op}: {what} has shape {got}, expected {want}")


class Gemm(Op):
    """``b*z + a*dot(x, y)`` for matrices ``z``, ``x``, ``y`` and scalars ``a``, ``b``.

    Parameters
    ----------
    inplace : bool
        Overwrite ``z`` (``destroy_map = {0: [0]}``).

    Notes
    -----
    As in BLAS, ``z`` is not read when ``b == 0``. Created by rewrites only;
    no gradient (rewrites run after ``grad``).
    """

    __props__ = ("inplace",)

    def __init__(self, inplace=False):
        self.inplace = bool(inplace)
        self.destroy_map = {0: [0]} if self.inplace else {}

    def make_node(self, z, a, x, y, b):
        z, a, x, y, b = (as_tensor_variable(v) for v in (z, a, x, y, b))
        _check(self, z, 2)
        _check_float(self, z)
        for var in (x, y):
            _check(self, var, 2, z.dtype)
        for var in (a, b):
            _check(self, var, 0)
        return Apply(self, [z, a, x, y, b], [z.type()])

    def perform(self, node, inputs, output_storage):
        z, a, x, y, b = inputs
        zv, _, xv, yv, _ = node.inputs
        if x.shape[1] != y.shape[0]:
            raise ValueError(
                f"{self}: dot of {_name(xv)} {x.shape} and {_name(yv)} "
                f"{y.shape}: the shapes are not aligned"
            )
        want = (x.shape[0], y.shape[1])
        if z.shape != want:
            raise _shape_error(self, _name(zv), z.shape, want)
        if not self.inplace:
            z = numpy.array(z, order="C")
        output_storage[0][0] = gemm_into(z, a, x, y, b)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def __str__(self):
        return f"Gemm{{{'inplace' if self.inplace else 'no_inplace'}}}"


class Gemv(Op):
    """``b*y + a*dot(A, x)`` for a vector ``y``, a matrix ``A``, a vector ``x``.

    Parameters
    ----------
    inplace : bool
        Overwrite ``y`` (``destroy_map = {0: [0]}``).

    Notes
    -----
    ``y`` is not read when ``b == 0``. Created by rewrites only.
    """

    __props__ = ("inplace",)

    def __init__(self, inplace=False):
        self.inplace = bool(inplace)
        self.destroy_map = {0: [0]} if self.inplace else {}

    def make_node(self, y, a, A, x, b):
        y, a, A, x, b = (as_tensor_variable(v) for v in (y, a, A, x, b))
        _check(self, y, 1)
        _check_float(self, y)
        _check(self, A, 2, y.dtype)
        _check(self, x, 1, y.dtype)
        for var in (a, b):
            _check(self, var, 0)
        return Apply(self, [y, a, A, x, b], [y.type()])

    def perform(self, node, inputs, output_storage):
        y, a, A, x, b = inputs
        yv, _, Av, xv, _ = node.inputs
        if A.shape[1] != x.shape[0]:
            raise ValueError(
                f"{self}: dot of {_name(Av)} {A.shape} and {_name(xv)} "
                f"{x.shape}: the shapes are not aligned"
            )
        if y.shape != (A.shape[0],):
            raise _shape_error(self, _name(yv), y.shape, (A.shape[0],))
        if not self.inplace:
            y = y.copy()
        output_storage[0][0] = gemv_into(y, a, A, x, b)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def __str__(self):
        return f"Gemv{{{'inplace' if self.inplace else 'no_inplace'}}}"


class Ger(Op):
    """``A + a*outer(x, y)`` for a matrix ``A``, a scalar ``a`` and vectors.

    Parameters
    ----------
    destructive : bool
        Overwrite ``A`` (``destroy_map = {0: [0]}``).

    Notes
    -----
    Created by rewrites only.
    """

    __props__ = ("destructive",)

    def __init__(self, destructive=False):
        self.destructive = bool(destructive)
        self.destroy_map = {0: [0]} if self.destructive else {}

    def make_node(self, A, a, x, y):
        A, a, x, y = (as_tensor_variable(v) for v in (A, a, x, y))
        _check(self, A, 2)
        _check_float(self, A)
        _check(self, a, 0)
        _check(self, x, 1, A.dtype)
        _check(self, y, 1, A.dtype)
        return Apply(self, [A, a, x, y], [A.type()])

    def perform(self, node, inputs, output_storage):
        A, a, x, y = inputs
        if A.shape != (x.shape[0], y.shape[0]):
            raise _shape_error(
                self, _name(node.inputs[0]), A.shape, (x.shape[0], y.shape[0])
            )
        if not self.destructive:
            A = numpy.array(A, order="C")
        output_storage[0][0] = ger_into(A, a, x, y)

    def infer_shape(self, fgraph, node, shapes):
        return [shapes[0]]

    def __str__(self):
        return f"Ger{{{'destructive' if self.destructive else 'non-destructive'}}}"


class Dot22(Op):
    """The product of two matrices of the same float dtype (``numpy.dot``).

    Notes
    -----
    Gradient as :class:`Dot`: ``gx = gz . y^T``, ``gy = x^T . gz``. Not in
    place, not a view. Created by rewrites only.
    """

    __props__ = ()

    def make_node(self, x, y):
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        _check(self, x, 2)
        _check_float(self, x)
        _check(self, y, 2, x.dtype)
        bcast = (x.broadcastable[0], y.broadcastable[1])
        return Apply(self, [x, y], [x.type.clone(broadcastable=bcast)()])

    def perform(self, node, inputs, output_storage):
        x, y = inputs
        if x.shape[1] != y.shape[0]:
            xv, yv = node.inputs
            raise ValueError(
                f"{self}: dot of {_name(xv)} {x.shape} and {_name(yv)} "
                f"{y.shape}: the shapes are not aligned"
            )
        output_storage[0][0] = numpy.dot(x, y)

    def infer_shape(self, fgraph, node, shapes):
        xshp, yshp = shapes
        return [(xshp[0], yshp[1])]

    def L_op(self, inputs, outputs, grads):
        from symbolic.ops.dot import Dot

        return Dot().L_op(inputs, outputs, grads)

    def __str__(self):
        return "Dot22"


class Dot22Scalar(Op):
    """``a * dot(x, y)`` for matrices ``x``, ``y`` and a scalar ``a``.

    Notes
    -----
    Not in place, not a view. Created by rewrites only.
    """

    __props__ = ()

    def make_node(self, x, y, a):
        x, y, a = (as_tensor_variable(v) for v in (x, y, a))
        _check(self, x, 2)
        _check_float(self, x)
        _check(self, y, 2, x.dtype)
        _check(self, a, 0)
        bcast = (x.broadcastable[0], y.broadcastable[1])
        return Apply(self, [x, y, a], [x.type.clone(broadcastable=bcast)()])

    def perform(self, node, inputs, output_storage):
        x, y, a = inputs
        if x.shape[1] != y.shape[0]:
            xv, yv, _ = node.inputs
            raise ValueError(
                f"{self}: dot of {_name(xv)} {x.shape} and {_name(yv)} "
                f"{y.shape}: the shapes are not aligned"
            )
        out = numpy.dot(x, y)
        out *= numpy.asarray(a, dtype=out.dtype)
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, shapes):
        xshp, yshp, _ = shapes
        return [(xshp[0], yshp[1])]

    def __str__(self):
        return "Dot22Scalar"


gemm_no_inplace = Gemm(inplace=False)
gemm_inplace = Gemm(inplace=True)
gemv_no_inplace = Gemv(inplace=False)
gemv_inplace = Gemv(inplace=True)
ger = Ger(destructive=False)
ger_destructive = Ger(destructive=True)
dot22 = Dot22()
dot22scalar = Dot22Scalar()

__all__ = [
    "Dot22",
    "Dot22Scalar",
    "Gemm",
    "Gemv",
    "Ger",
    "dot22",
    "dot22scalar",
    "gemm_inplace",
    "gemm_no_inplace",
    "gemv_inplace",
    "gemv_no_inplace",
    "ger",
    "ger_destructive",
]

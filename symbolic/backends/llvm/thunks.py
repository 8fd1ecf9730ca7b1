"""Thunks of the LLVM backend: JIT kernels and sums, numpy reductions, BLAS calls.

Each factory returns a callable over the node's storage cells, or None when
the node is not one it serves (the node then keeps its ``perform`` thunk).
Every thunk hands inputs it cannot serve fast (an unexpected dtype, an empty
reduction) to the node's ``perform``, so errors read as the reference's.
"""

import ctypes
import functools
import glob
import os
from sys import getrefcount
from typing import NamedTuple

import numpy

from symbolic.backends.llvm import nnet_thunks
from symbolic.backends.python.thunks import perform_thunk
from symbolic.ops.blas import Dot22, Gemm
from symbolic.ops.elemwise import CAReduce, check_broadcast
from symbolic.ops.math import Max, Min, Prod, Sum

_FLOATS = ("float32", "float64")


class GraphKernels(NamedTuple):
    """``elemwise``: {node: LLVMKernel}; ``sums``: {Sum node: SumKernel};
    ``map_sums``: {SumOfElemwise node: (its elementwise part's ``_sum``
    function, the compiled module that holds it)}."""

    elemwise: dict
    sums: dict
    map_sums: dict


_ndarray = numpy.ndarray


def elemwise_thunk(node, storage_map, kernel):
    """Run an Elemwise node through its JIT-compiled ``kernel``.

    Outputs are new arrays, or the destroyed input's buffer for an in-place
    node (a fresh array when another input partly overlaps it: the kernels
    allow an output to be exactly an input, never a shifted view of one).
    The broadcast shape of the last call's input shapes is kept: a training
    loop calls with the same shapes every time.
    """
    input_cells = [storage_map[v] for v in node.inputs]
    output_cells = [storage_map[v] for v in node.outputs]
    in_dtypes = [numpy.dtype(d) for d in kernel.in_dtypes]
    out_dtypes = [numpy.dtype(d) for d in kernel.out_dtypes]
    destroyed = dict(node.op.inplace_pattern)
    targets = [destroyed.get(j) for j in range(len(out_dtypes))]
    operands = ctypes.c_void_p * (len(in_dtypes) + len(out_dtypes))
    contig = kernel._contig
    contig_objects = kernel._contig_objects
    rows_objects = kernel._rows_objects
    strided = kernel._strided
    rows_kernel = kernel._rows
    fallback = perform_thunk(node, storage_map)
    asarray = numpy.asarray
    output_buffer = _output_buffer
    checked = [(cell, dtype) for cell, dtype in zip(input_cells, in_dtypes)]
    last = [None, None]  # [input shapes, their broadcast shape]

    def thunk():
        values = []
        for cell, dtype in checked:
            value = cell[0]
            if type(value) is not _ndarray:
                value = asarray(value)
            if value.dtype != dtype:
                return fallback()
            values.append(value)
        shapes = [value.shape for value in values]
        if shapes == last[0]:
            shape = last[1]
        else:
            shape = shapes[0]
            for other in shapes:
                if other != shape:
                    shape = check_broadcast(node, values)
                    break
            last[0], last[1] = shapes, shape
        outputs = []
        for cell, target, dtype in zip(output_cells, targets, out_dtypes):
            if target is not None and _reusable(values, target, shape):
                outputs.append(values[target])
                continue
            outputs.append(output_buffer(cell, shape, dtype))
        arrays = values + outputs
        size = outputs[0].size
        if size:
            if all(a.shape == shape and a.flags.c_contiguous for a in arrays):
                if contig_objects is not None:
                    contig_objects(size, *arrays)
                else:
                    contig(size, operands(*[a.ctypes.data for a in arrays]))
            else:
                steps = _row_steps(shape, arrays)
                if steps is not None:
                    cols = shape[-1]
                    if rows_objects is not None:
                        rows_objects(size // cols, cols, *steps, *arrays)
                    else:
                        pointers = operands(*[a.ctypes.data for a in arrays])
                        steps = (ctypes.c_longlong * len(steps))(*steps)
                        rows_kernel(size // cols, cols, pointers, steps)
                else:
                    pointers = operands(*[a.ctypes.data for a in arrays])
                    _run_strided(strided, shape, arrays, pointers)
        for cell, out in zip(output_cells, outputs):
            cell[0] = out

    # The JIT code lives as long as the kernel's engine: the thunk keeps it.
    thunk.kernel = kernel
    return thunk


# getrefcount's count, in _output_buffer, of an array only a storage cell
# holds: the cell, the local name and getrefcount's own argument. Nothing
# else (a caller, a view, another cell) can then see the buffer, so this
# call may overwrite it.
_ONLY_THE_CELL = 3


def _output_buffer(cell, shape, dtype):
    """Last call's array in ``cell`` when only the cell holds it and it fits;
    else a new one."""
    previous = cell[0]
    if (
        type(previous) is _ndarray
        and getrefcount(previous) == _ONLY_THE_CELL
        and previous.shape == shape
        and previous.dtype == dtype
        and previous.flags.c_contiguous
        and previous.flags.writeable
    ):
        return previous
    return numpy.empty(shape, dtype)


def _reusable(values, target, shape):
    """True when input ``target`` can be the output buffer of this call."""
    buffer = values[target]
    if buffer.shape != shape or not buffer.flags.writeable:
        return False
    for index, other in enumerate(values):
        if index == target or other is buffer:
            continue
        if numpy.may_share_memory(other, buffer) and not (
            other.shape == shape
            and other.strides == buffer.strides
            and other.ctypes.data == buffer.ctypes.data
        ):
            return False
    return True


def _row_steps(shape, arrays):
    """Byte steps between rows for the ``_rows`` entries (a list), or None.

    Every operand must be C-contiguous with the full last dimension, and
    either the full leading dimensions (a step of one row) or only ones
    there (a row repeated: step 0).
    """
    if len(shape) < 2:
        return None
    leading = shape[:-1]
    steps = []
    for array in arrays:
        if not array.flags.c_contiguous or array.shape[-1] != shape[-1]:
            return None
        if array.shape[:-1] == leading:
            steps.append(shape[-1] * array.itemsize)
        elif all(n == 1 for n in array.shape[:-1]):
            steps.append(0)
        else:
            return None
    return steps


def _run_strided(strided, shape, arrays, pointers):
    """Call a kernel's strided entry (broadcast operands get zero strides)."""
    strides = []
    for array in arrays:
        if array.shape != shape:
            array = numpy.broadcast_to(array, shape)
        strides.extend(array.strides)
    nd = len(shape)
    shape_arg = (ctypes.c_longlong * max(nd, 1))(*shape)
    stride_arg = (ctypes.c_longlong * max(len(strides), 1))(*strides)
    strided(nd, shape_arg, pointers, stride_arg)


def reduce_thunk(node, storage_map):
    """A float Sum, Prod, Max or Min over axes, called on numpy's ufunc directly.

    Same accumulator as ``perform`` (float64 for float32 sums and products);
    an empty input or an empty axis list goes to ``perform``.
    """
    op = node.op
    (var,) = node.inputs
    if type(op) not in (Sum, Prod, Max, Min) or var.dtype not in _FLOATS:
        return None
    out_dtype = numpy.dtype(node.outputs[0].dtype)
    if out_dtype.name not in _FLOATS:
        return None
    axes = op._axes(var.ndim)
    if not axes:
        return None
    accumulator = None
    if isinstance(op, (Sum, Prod)):
        accumulator = op.acc_dtype or ("float64" if var.dtype == "float32" else None)
    reduce = op.ufunc.reduce
    (in_cell,) = [storage_map[v] for v in node.inputs]
    (out_cell,) = [storage_map[v] for v in node.outputs]
    fallback = perform_thunk(node, storage_map)
    ndim = var.ndim
    asarray = numpy.asarray

    def thunk():
        x = in_cell[0]
        if type(x) is not _ndarray or x.ndim != ndim or not x.size:
            return fallback()
        out = reduce(x, axis=axes, dtype=accumulator)
        if type(out) is not _ndarray or out.dtype != out_dtype:
            out = asarray(out, dtype=out_dtype)
        out_cell[0] = out

    return thunk


def _sum_layout(axes, ndim):
    """``"inner"`` (the last axes reduced), ``"outer"`` (the first) or None."""
    count = len(axes)
    if axes == tuple(range(ndim - count, ndim)):
        return "inner"
    if axes == tuple(range(count)):
        return "outer"
    return None


def sum_thunk(node, storage_map, kernel):
    """A float Sum by the JIT sums of ``kernel`` (a SumKernel).

    A C-contiguous input (or the transpose of one) reduced over its last or
    its first axes runs JIT code; any other layout, and an empty input, take
    :func:`reduce_thunk`'s numpy path.
    """
    (var,) = node.inputs
    ndim = var.ndim
    axes = node.op._axes(ndim)
    numpy_path = reduce_thunk(node, storage_map)
    if numpy_path is None:
        return None
    layouts = (
        _sum_layout(axes, ndim),
        _sum_layout(tuple(sorted(ndim - 1 - a for a in axes)), ndim),
    )
    in_dtype = numpy.dtype(var.dtype)
    out_dtype = numpy.dtype(node.outputs[0].dtype)
    acc_dtype = numpy.dtype(
        node.op.acc_dtype or ("float64" if var.dtype == "float32" else var.dtype)
    )
    kept = ndim - len(axes)
    (in_cell,) = [storage_map[v] for v in node.inputs]
    (out_cell,) = [storage_map[v] for v in node.outputs]
    inner, outer = kernel.inner, kernel.outer

    def thunk():
        x = in_cell[0]
        if (
            type(x) is not _ndarray
            or x.dtype != in_dtype
            or x.ndim != ndim
            or not x.size
        ):
            return numpy_path()
        if x.flags.c_contiguous:
            layout = layouts[0]
        elif x.flags.f_contiguous:
            x, layout = x.T, layouts[1]
        else:
            return numpy_path()
        if layout is None:
            return numpy_path()
        shape = x.shape
        if layout == "inner":
            kept_shape = shape[:kept]
            rows = _product(kept_shape)
            out = numpy.empty(kept_shape, out_dtype)
            inner(rows, x.size // rows, x.ctypes.data, out.ctypes.data)
        else:
            kept_shape = shape[ndim - kept :]
            cols = _product(kept_shape)
            out = numpy.empty(kept_shape, out_dtype)
            scratch = numpy.empty(cols, acc_dtype)
            outer(
                x.size // cols,
                cols,
                x.ctypes.data,
                out.ctypes.data,
                scratch.ctypes.data,
            )
        # A transposed input gives its kept axes reversed: turn them back.
        out_cell[0] = out if x is in_cell[0] else out.T

    thunk.kernel = kernel
    return thunk


def _product(shape):
    size = 1
    for n in shape:
        size *= n
    return size


def map_sum_thunk(node, storage_map, function, compiled):
    """A ``SumOfElemwise`` node by its kernel's ``_sum``: one pass that never
    stores the elementwise values (``sum(sqr(W))``).

    Inputs that are not all C-contiguous of one shape (a broadcast row, a
    strided view, an empty array) run the node's ``perform``.
    """
    cells = [storage_map[v] for v in node.inputs]
    dtypes = [numpy.dtype(v.dtype) for v in node.inputs]
    (out_cell,) = [storage_map[v] for v in node.outputs]
    out_dtype = numpy.dtype(node.outputs[0].dtype)
    fallback = perform_thunk(node, storage_map)
    operands = ctypes.c_void_p * len(cells)

    def thunk():
        values = [cell[0] for cell in cells]
        shape = values[0].shape if type(values[0]) is _ndarray else None
        for value, dtype in zip(values, dtypes):
            if (
                type(value) is not _ndarray
                or value.dtype != dtype
                or value.shape != shape
                or not value.flags.c_contiguous
            ):
                return fallback()
        if not values[0].size:
            return fallback()
        out = numpy.empty((), out_dtype)
        size = values[0].size
        function(size, operands(*[v.ctypes.data for v in values]), out.ctypes.data)
        out_cell[0] = out

    thunk.compiled = compiled
    return thunk


@functools.cache
def _cblas_gemm():
    """``{dtype: cblas_?gemm}`` from the ILP64 OpenBLAS numpy bundles, or None."""
    site = os.path.dirname(os.path.dirname(os.path.abspath(numpy.__file__)))
    for path in sorted(glob.glob(os.path.join(site, "numpy.libs", "*openblas64_*"))):
        try:
            library = ctypes.CDLL(path)
            functions = {
                "float32": (library.scipy_cblas_sgemm64_, ctypes.c_float),
                "float64": (library.scipy_cblas_dgemm64_, ctypes.c_double),
            }
        except (OSError, AttributeError):
            continue
        for function, scalar in functions.values():
            index = ctypes.c_int64
            function.restype = None
            function.argtypes = (
                [ctypes.c_int] * 3
                + [index] * 3
                + [
                    scalar,
                    ctypes.c_void_p,
                    index,
                    ctypes.c_void_p,
                    index,
                    scalar,
                    ctypes.c_void_p,
                    index,
                ]
            )
        return {dtype: entry[0] for dtype, entry in functions.items()}
    return None


_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def _operand(matrix):
    """``(transpose flag, leading dimension)`` of a matrix BLAS can read as is."""
    rows, cols = matrix.shape
    if matrix.flags.c_contiguous:
        return _NO_TRANS, max(cols, 1)
    if matrix.flags.f_contiguous:
        return _TRANS, max(rows, 1)
    return None


def gemm_thunk(node, storage_map):
    """``Gemm``: one ``cblas_?gemm`` call on numpy's OpenBLAS, in place in ``z``.

    Without that library (or for a non-float dtype) the node keeps ``perform``
    (scipy's BLAS); so do calls on empty or differently laid out operands.
    """
    dtype = node.outputs[0].dtype
    functions = _cblas_gemm()
    if dtype not in _FLOATS or functions is None:
        return None
    gemm = functions[dtype]
    cells = [storage_map[v] for v in node.inputs]
    (out_cell,) = [storage_map[v] for v in node.outputs]
    fallback = perform_thunk(node, storage_map)
    inplace = node.op.inplace
    expected = numpy.dtype(dtype)

    def thunk():
        z, a, x, y, b = (cell[0] for cell in cells)
        if not (
            type(z) is _ndarray
            and z.dtype == expected
            and x.dtype == expected
            and y.dtype == expected
            and z.flags.c_contiguous
            and z.size
            and x.shape[1]
            and x.shape[1] == y.shape[0]
            and z.shape == (x.shape[0], y.shape[1])
        ):
            return fallback()
        left, right = _operand(x), _operand(y)
        if left is None or right is None:
            return fallback()
        if not inplace:
            z = z.copy()
        rows, cols = z.shape
        gemm(
            _ROW_MAJOR,
            left[0],
            right[0],
            rows,
            cols,
            x.shape[1],
            float(a),
            x.ctypes.data,
            left[1],
            y.ctypes.data,
            right[1],
            float(b),
            z.ctypes.data,
            max(cols, 1),
        )
        out_cell[0] = z

    return thunk


def dot22_thunk(node, storage_map):
    """``Dot22``: ``numpy.dot`` (numpy's BLAS) without ``perform``'s dispatch."""
    cell_x, cell_y = [storage_map[v] for v in node.inputs]
    (out_cell,) = [storage_map[v] for v in node.outputs]
    fallback = perform_thunk(node, storage_map)
    dot = numpy.dot
    dtype = numpy.dtype(node.outputs[0].dtype)

    def thunk():
        x = cell_x[0]
        y = cell_y[0]
        if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[0]:
            return fallback()
        if x.dtype != dtype or y.dtype != dtype:
            out_cell[0] = dot(x, y)
            return
        out = _output_buffer(out_cell, (x.shape[0], y.shape[1]), dtype)
        out_cell[0] = dot(x, y, out=out)

    return thunk


_FACTORIES = {Gemm: gemm_thunk, Dot22: dot22_thunk, **nnet_thunks.FACTORIES}


def node_thunk(node, storage_map, kernels):
    """The fastest thunk this backend has for ``node`` (``kernels`` is the
    graph's GraphKernels); ``perform`` otherwise."""
    thunk = None
    if node in kernels.elemwise:
        thunk = elemwise_thunk(node, storage_map, kernels.elemwise[node])
    elif node in kernels.map_sums:
        thunk = map_sum_thunk(node, storage_map, *kernels.map_sums[node])
    elif node in kernels.sums:
        thunk = sum_thunk(node, storage_map, kernels.sums[node])
    elif isinstance(node.op, CAReduce):
        thunk = reduce_thunk(node, storage_map)
    else:
        factory = _FACTORIES.get(type(node.op))
        thunk = factory(node, storage_map) if factory is not None else None
    if thunk is None:
        return perform_thunk(node, storage_map)
    thunk.input_cells = [storage_map[v] for v in node.inputs]
    thunk.output_cells = [storage_map[v] for v in node.outputs]
    thunk.node = node
    return thunk

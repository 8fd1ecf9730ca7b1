"""The reference backend: each node runs its Op's ``perform``.

A few hot ops get a specialized thunk with the same semantics and less
per-call Python work (``lower_<OpName>``); everything else calls ``perform``.
"""

import numpy

from symbolic.ops.elemwise import Elemwise, check_broadcast


def perform_thunk(node, storage_map):
    """Return a callable that computes ``node`` on its storage cells."""
    lower = _LOWERINGS.get(type(node.op))
    thunk = lower(node, storage_map) if lower is not None else None
    if thunk is None:
        thunk = _generic_thunk(node, storage_map)
    thunk.input_cells = [storage_map[v] for v in node.inputs]
    thunk.output_cells = [storage_map[v] for v in node.outputs]
    thunk.node = node
    return thunk


def remember_inputs(exc, inputs):
    """Keep the values a failing thunk was given on ``exc``.

    The error message names them (:func:`~symbolic.compile.vm.raise_with_node`),
    and a compiled program may have let go of its storage cells by the time it
    reports the error.
    """
    try:
        exc._symbolic_inputs = inputs
    except AttributeError:  # an exception type without a __dict__
        pass


def _generic_thunk(node, storage_map):
    input_cells = [storage_map[v] for v in node.inputs]
    output_cells = [storage_map[v] for v in node.outputs]
    perform = node.op.perform

    def thunk():
        inputs = [cell[0] for cell in input_cells]
        try:
            perform(node, inputs, output_cells)
        except Exception as exc:
            remember_inputs(exc, inputs)
            raise

    return thunk


def lower_Elemwise(node, storage_map):
    """Single-output, non-inplace elemwise: call the numpy function directly.

    Inputs of equal shape skip the broadcast check; anything else goes
    through the same check ``perform`` uses, so errors read the same.
    """
    op = node.op
    if op.inplace_pattern or op.scalar_op.nout != 1:
        return None
    impl = op.scalar_op.impl
    fast = getattr(op.scalar_op, "fast_impl", None)
    input_cells = [storage_map[v] for v in node.inputs]
    (out_cell,) = [storage_map[v] for v in node.outputs]
    out_dtype = node.outputs[0].type.numpy_dtype
    asarray = numpy.asarray
    perform = op.perform

    if len(input_cells) == 2:
        cell_a, cell_b = input_cells
        binary = fast or impl

        def thunk():
            a = cell_a[0]
            b = cell_b[0]
            if a.shape != b.shape:
                perform(node, [a, b], [out_cell])
                return
            result = binary(a, b)
            if type(result) is not numpy.ndarray or result.dtype != out_dtype:
                result = asarray(result, dtype=out_dtype)
            out_cell[0] = result

        return thunk

    if len(input_cells) == 1:
        (cell_a,) = input_cells
        unary = fast or impl

        def thunk():
            result = unary(cell_a[0])
            if type(result) is not numpy.ndarray or result.dtype != out_dtype:
                result = asarray(result, dtype=out_dtype)
            out_cell[0] = result

        return thunk

    def thunk():
        values = [cell[0] for cell in input_cells]
        shape = values[0].shape
        if any(v.shape != shape for v in values):
            check_broadcast(node, values)
            perform(node, values, [out_cell])
            return
        result = impl(*values)
        if type(result) is not numpy.ndarray or result.dtype != out_dtype:
            result = asarray(result, dtype=out_dtype)
        out_cell[0] = result

    return thunk


_LOWERINGS = {Elemwise: lower_Elemwise}

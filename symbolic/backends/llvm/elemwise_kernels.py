"""Elemwise kernels JIT-compiled with llvmlite, with the C backend's ABI.

Each kernel is four IR functions: ``<sym>_body`` computes one element from
one pointer per operand (always inlined), ``<sym>_contig(n, args)`` loops
over contiguous operands (vectorized by LLVM where every call is an
intrinsic), ``<sym>_strided(nd, shape, args, strides)`` walks any strides
with an odometer and ``<sym>_rows(rows, cols, args, row_steps)`` runs the
contiguous loop row by row (a matrix with a broadcast row).  All kernels of
a graph go in one module and one JIT compilation.
"""

import functools
import logging

from llvmlite import ir

from symbolic.backends.kernel_support import Unsupported, call_kernel, node_expressions
from symbolic.backends.llvm import jit
from symbolic.backends.llvm.scalar_ir import IR_TYPES, IRRenderer

_logger = logging.getLogger(__name__)

_I8P = ir.IntType(8).as_pointer()
_I64 = ir.IntType(64)
_I32 = ir.IntType(32)


# Where an ndarray object keeps its data pointer: right after the object
# header (reference count and type) in numpy's PyArrayObject_fields.
ARRAY_DATA_OFFSET = 16


@functools.cache
def _data_offset_holds():
    """True when this interpreter and numpy lay arrays out as assumed."""
    import ctypes

    import numpy

    probe = numpy.arange(3.0)
    found = ctypes.c_void_p.from_address(id(probe) + ARRAY_DATA_OFFSET).value
    return found == probe.ctypes.data


def _const64(value):
    return ir.Constant(_I64, value)


class _DistinctMetadata(ir.values.MDValue):
    """A metadata node LLVM must not merge with an equal one (``distinct``)."""

    def descr(self, buf):
        buf.append("distinct ")
        super().descr(buf)


def _parallel_loop_metadata(module):
    """``(access group, loop ID)`` declaring a loop's iterations independent.

    An element of an elemwise kernel reads its inputs at one index and
    writes its outputs at the same index; an output is a new buffer or
    exactly one of the inputs, never a shifted view (the thunks check it).
    No iteration therefore depends on another, which the loop ID says
    (``llvm.loop.parallel_accesses``) about the loads and stores tagged with
    the access group. Without it, LLVM's runtime alias check sees an
    in-place output overlap its input and runs the scalar loop.

    Every loop gets its own nodes, made directly: ``Module.add_metadata``
    would merge nodes with equal operands, and all access groups are empty.
    """

    def node(operands, distinct):
        kind = _DistinctMetadata if distinct else ir.values.MDValue
        return kind(module, operands, name=str(len(module.metadata)))

    group = node([], True)
    parallel = node(
        [ir.MetaDataString(module, "llvm.loop.parallel_accesses"), group], False
    )
    loop = node([], True)
    loop.operands = (loop, parallel)
    return group, loop


def _define_body(module, sym, outputs, in_dtypes, out_dtypes, access_group=None):
    """``<sym>_body``: one element; loads and stores tagged ``access_group``."""
    nop = len(in_dtypes) + len(out_dtypes)
    fn = ir.Function(
        module, ir.FunctionType(ir.VoidType(), [_I8P] * nop), f"{sym}_body"
    )
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    args = {}
    for i, dtype in enumerate(in_dtypes):
        pointer = b.bitcast(fn.args[i], IR_TYPES[dtype].as_pointer())
        load = b.load(pointer)
        if access_group is not None:
            load.set_metadata("llvm.access.group", access_group)
        args[i] = (load, dtype)
    renderer = IRRenderer(b, args)
    values = [renderer.render(expr) for expr in outputs]
    for j, (expr, value, dtype) in enumerate(zip(outputs, values, out_dtypes)):
        out = renderer.convert(value, expr.dtype, dtype)
        pointer = fn.args[len(in_dtypes) + j]
        store = b.store(out, b.bitcast(pointer, IR_TYPES[dtype].as_pointer()))
        if access_group is not None:
            store.set_metadata("llvm.access.group", access_group)
    b.ret_void()
    return fn


def _define_contig(module, sym, body, dtypes, loop_id=None):
    fn = ir.Function(
        module,
        ir.FunctionType(ir.VoidType(), [_I64, _I8P.as_pointer()]),
        f"{sym}_contig",
    )
    # Inlined into _rows and _contig_objects: the row loop then runs the
    # vector loop without a call and its set-up per row.
    fn.attributes.add("alwaysinline")
    n, args = fn.args
    entry = fn.append_basic_block("entry")
    loop = fn.append_basic_block("loop")
    done = fn.append_basic_block("done")
    b = ir.IRBuilder(entry)
    bases = [
        b.bitcast(b.load(b.gep(args, [_const64(k)])), IR_TYPES[d].as_pointer())
        for k, d in enumerate(dtypes)
    ]
    b.cbranch(b.icmp_signed(">", n, _const64(0)), loop, done)
    b.position_at_end(loop)
    i = b.phi(_I64)
    i.add_incoming(_const64(0), entry)
    pointers = [b.bitcast(b.gep(base, [i]), _I8P) for base in bases]
    b.call(body, pointers)
    following = b.add(i, _const64(1))
    i.add_incoming(following, loop)
    back = b.cbranch(b.icmp_signed("<", following, n), loop, done)
    if loop_id is not None:
        back.set_metadata("llvm.loop", loop_id)
    b.position_at_end(done)
    b.ret_void()
    return fn


def _define_contig_objects(module, sym, contig, nop):
    """``<sym>_contig_objects(n, array_0, ...)``: ``_contig`` on ndarray objects.

    Each argument is a ``PyArrayObject *``; its data pointer is read at
    :data:`ARRAY_DATA_OFFSET`, which saves the caller a ctypes pointer
    array per call.
    """
    fn = ir.Function(
        module,
        ir.FunctionType(ir.VoidType(), [_I64] + [_I8P] * nop),
        f"{sym}_contig_objects",
    )
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    b.call(contig, [fn.args[0], _data_pointers(b, fn.args[1:])])
    b.ret_void()


def _data_pointers(b, arrays):
    """Stack array ``i8*[n]`` of the data pointers of ndarray objects ``arrays``."""
    pointers = b.alloca(_I8P, size=len(arrays))
    for k, array in enumerate(arrays):
        field = b.bitcast(
            b.gep(array, [_const64(ARRAY_DATA_OFFSET)]), _I8P.as_pointer()
        )
        b.store(b.load(field), b.gep(pointers, [_const64(k)]))
    return pointers


def _define_rows_objects(module, sym, rows_fn, nop):
    """``<sym>_rows_objects(rows, cols, step_0.., array_0..)``: ``_rows`` on
    ndarray objects, the row steps as plain arguments (no ctypes arrays)."""
    fn = ir.Function(
        module,
        ir.FunctionType(ir.VoidType(), [_I64, _I64] + [_I64] * nop + [_I8P] * nop),
        f"{sym}_rows_objects",
    )
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    steps = b.alloca(_I64, size=nop)
    for k, step in enumerate(fn.args[2 : 2 + nop]):
        b.store(step, b.gep(steps, [_const64(k)]))
    pointers = _data_pointers(b, fn.args[2 + nop :])
    b.call(rows_fn, [fn.args[0], fn.args[1], pointers, steps])
    b.ret_void()


def _define_rows(module, sym, contig, nop):
    """``<sym>_rows(rows, cols, args, row_steps)``: the contiguous loop per row.

    Operand ``k`` of row ``r`` starts ``r * row_steps[k]`` bytes after
    ``args[k]``: a step of 0 repeats one row (a broadcast row, as a bias),
    so a matrix and a row run the vectorized loop without the odometer.
    """
    fn = ir.Function(
        module,
        ir.FunctionType(
            ir.VoidType(), [_I64, _I64, _I8P.as_pointer(), _I64.as_pointer()]
        ),
        f"{sym}_rows",
    )
    rows, cols, args, steps = fn.args
    entry = fn.append_basic_block("entry")
    loop = fn.append_basic_block("loop")
    done = fn.append_basic_block("done")
    b = ir.IRBuilder(entry)
    row_args = b.alloca(_I8P, size=nop)
    bases = [b.load(b.gep(args, [_const64(k)])) for k in range(nop)]
    strides = [b.load(b.gep(steps, [_const64(k)])) for k in range(nop)]
    b.cbranch(b.icmp_signed(">", rows, _const64(0)), loop, done)
    b.position_at_end(loop)
    r = b.phi(_I64)
    r.add_incoming(_const64(0), entry)
    for k, (base, stride) in enumerate(zip(bases, strides)):
        b.store(b.gep(base, [b.mul(r, stride)]), b.gep(row_args, [_const64(k)]))
    b.call(contig, [cols, row_args])
    following = b.add(r, _const64(1))
    r.add_incoming(following, loop)
    b.cbranch(b.icmp_signed("<", following, rows), loop, done)
    b.position_at_end(done)
    b.ret_void()
    return fn


def _define_strided(module, sym, body, nop):
    fn = ir.Function(
        module,
        ir.FunctionType(
            ir.VoidType(),
            [_I32, _I64.as_pointer(), _I8P.as_pointer(), _I64.as_pointer()],
        ),
        f"{sym}_strided",
    )
    nd32, shape, args, strides = fn.args
    entry = fn.append_basic_block("entry")
    check = fn.append_basic_block("check")
    check_next = fn.append_basic_block("check_next")
    run = fn.append_basic_block("run")
    advance = fn.append_basic_block("advance")
    carry = fn.append_basic_block("carry")
    done = fn.append_basic_block("done")
    b = ir.IRBuilder(entry)
    nd = b.sext(nd32, _I64)
    last = b.sub(nd, _const64(1))
    index = b.alloca(_I64, size=64)
    cells = []
    for k in range(nop):
        cell = b.alloca(_I8P)
        b.store(b.load(b.gep(args, [_const64(k)])), cell)
        cells.append(cell)
    b.branch(check)
    # Zero the counters; an empty dimension means nothing to do.
    b.position_at_end(check)
    d = b.phi(_I64)
    d.add_incoming(_const64(0), entry)
    b.cbranch(b.icmp_signed("<", d, nd), check_next, run)
    b.position_at_end(check_next)
    b.store(_const64(0), b.gep(index, [d]))
    length = b.load(b.gep(shape, [d]))
    d.add_incoming(b.add(d, _const64(1)), check_next)
    b.cbranch(b.icmp_signed("==", length, _const64(0)), done, check)
    # One element, then advance the odometer from the last dimension.
    b.position_at_end(run)
    b.call(body, [b.load(cell) for cell in cells])
    b.branch(advance)
    b.position_at_end(advance)
    axis = b.phi(_I64)
    axis.add_incoming(last, run)
    with b.if_then(b.icmp_signed("<", axis, _const64(0))):
        b.ret_void()
    steps = []
    for k, cell in enumerate(cells):
        step = b.load(b.gep(strides, [b.add(b.mul(_const64(k), nd), axis)]))
        b.store(b.gep(b.load(cell), [step]), cell)
        steps.append(step)
    slot = b.gep(index, [axis])
    count = b.add(b.load(slot), _const64(1))
    b.store(count, slot)
    length = b.load(b.gep(shape, [axis]))
    b.cbranch(b.icmp_signed("<", count, length), run, carry)
    b.position_at_end(carry)
    for cell, step in zip(cells, steps):
        back = b.sub(_const64(0), b.mul(step, length))
        b.store(b.gep(b.load(cell), [back]), cell)
    b.store(_const64(0), slot)
    axis.add_incoming(b.sub(axis, _const64(1)), carry)
    b.branch(advance)
    b.position_at_end(done)
    b.ret_void()


def render_module(specs):
    """Return ``(module, {spec: sym})`` for the kernel specs that render."""
    module = ir.Module(name="elemwise")
    symbols = {}
    for spec in dict.fromkeys(specs):
        outputs, in_dtypes, out_dtypes = spec
        sym = f"k{len(symbols)}"
        try:
            for dtype in (*in_dtypes, *out_dtypes):
                if dtype not in IR_TYPES:
                    raise Unsupported(f"dtype {dtype} has no LLVM rendering")
            scratch = ir.Module(name="scratch")
            _define_body(scratch, sym, outputs, in_dtypes, out_dtypes)
        except Unsupported as exc:
            _logger.debug("no LLVM kernel for %s: %s", spec, exc)
            continue
        group, loop_id = _parallel_loop_metadata(module)
        body = _define_body(module, sym, outputs, in_dtypes, out_dtypes, group)
        contig = _define_contig(module, sym, body, (*in_dtypes, *out_dtypes), loop_id)
        _define_strided(module, sym, body, len(in_dtypes) + len(out_dtypes))
        nop = len(in_dtypes) + len(out_dtypes)
        rows = _define_rows(module, sym, contig, nop)
        _define_contig_objects(module, sym, contig, nop)
        _define_rows_objects(module, sym, rows, nop)
        symbols[spec] = sym
    return module, symbols


class LLVMKernel:
    """A JIT-compiled kernel with the same attributes as the C ``ElemwiseKernel``."""

    def __init__(self, compiled, sym, in_dtypes, out_dtypes):
        import ctypes

        self.compiled = compiled
        self.sym = sym
        self.in_dtypes = tuple(in_dtypes)
        self.out_dtypes = tuple(out_dtypes)
        self.nin = len(self.in_dtypes)
        self.nout = len(self.out_dtypes)
        self.contig_address = compiled.address(f"{sym}_contig")
        self.strided_address = compiled.address(f"{sym}_strided")
        self._contig = ctypes.CFUNCTYPE(None, ctypes.c_longlong, ctypes.c_void_p)(
            self.contig_address
        )
        self._strided = ctypes.CFUNCTYPE(
            None, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p
        )(self.strided_address)
        self._contig_objects = self._rows_objects = None
        if _data_offset_holds():
            nop = self.nin + self.nout
            objects = [ctypes.py_object] * nop
            self._contig_objects = ctypes.CFUNCTYPE(None, ctypes.c_longlong, *objects)(
                compiled.address(f"{sym}_contig_objects")
            )
            self._rows_objects = ctypes.CFUNCTYPE(
                None, *[ctypes.c_longlong] * (2 + nop), *objects
            )(compiled.address(f"{sym}_rows_objects"))
        self.rows_address = compiled.address(f"{sym}_rows")
        self._rows = ctypes.CFUNCTYPE(
            None, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_void_p, ctypes.c_void_p
        )(self.rows_address)

    def __repr__(self):
        return f"LLVMKernel({self.sym}, {self.in_dtypes} -> {self.out_dtypes})"

    def __call__(self, inputs, outputs=None):
        """Run on numpy arrays, broadcasting the inputs; return the outputs."""
        return call_kernel(self, inputs, outputs)


def compile_kernels(specs):
    """JIT-compile kernel specs ``(outputs, in_dtypes, out_dtypes)`` in one module."""
    module, symbols = render_module(specs)
    if not symbols:
        return {}
    compiled = jit.compile_module(module)
    _logger.debug("JIT-compiled %d kernels in %.3f s", len(symbols), compiled.seconds)
    return {
        spec: LLVMKernel(compiled, sym, spec[1], spec[2])
        for spec, sym in symbols.items()
    }


def supports(node):
    """True when the node's kernel renders as LLVM IR."""
    try:
        spec = node_expressions(node)
    except Unsupported:
        return False
    return bool(render_module([spec])[1])


def build_kernels(nodes):
    """JIT-compile the kernels of the Elemwise ``nodes`` (one module).

    Returns ``{node: LLVMKernel}`` for the nodes that render; the others keep
    their Python thunk.  Nodes with equal expressions share a kernel.
    """
    specs = {}
    for node in nodes:
        try:
            specs[node] = node_expressions(node)
        except Unsupported as exc:
            _logger.debug("no LLVM kernel for %s: %s", node, exc)
    kernels = compile_kernels(list(specs.values()))
    return {node: kernels[spec] for node, spec in specs.items() if spec in kernels}

"""Float sums JIT-compiled with llvmlite, in the module of a graph's elemwise kernels.

For an input dtype, an accumulator dtype and an output dtype (``float32`` or
``float64`` each), :func:`define_sums` adds two functions over a
C-contiguous input seen as ``rows x cols``::

    void <name>_inner(i64 rows, i64 cols, i8 *in, i8 *out)
        out[r] = sum over c of in[r, c]          (the last axes reduced)
    void <name>_outer(i64 rows, i64 cols, i8 *in, i8 *out, i8 *scratch)
        out[c] = sum over r of in[r, c]          (the first axes reduced)

``scratch`` holds ``cols`` accumulators.  :func:`define_map_sum` adds
``<sym>_sum(i64 n, i8 **args, i8 *out)``: the full sum of an elemwise
kernel's single output, computed element by element and never stored.
Additions may be reordered (``reassoc``) so that LLVM vectorizes them: the
result differs from numpy's pairwise sum in the last bits only.
"""

from llvmlite import ir

from symbolic.backends.llvm.scalar_ir import IR_TYPES

_I8P = ir.IntType(8).as_pointer()
_I64 = ir.IntType(64)
_REASSOC = ("reassoc", "nsz")
FLOATS = ("float32", "float64")


def _const(value):
    return ir.Constant(_I64, value)


def _cast(b, value, src, dst):
    if src == dst:
        return value
    target = IR_TYPES[dst]
    return b.fpext(value, target) if dst == "float64" else b.fptrunc(value, target)


def sum_name(in_dtype, acc_dtype, out_dtype):
    """The symbol prefix of the sums of one dtype triple."""
    return f"sum_{in_dtype}_{acc_dtype}_{out_dtype}"


def _counted_loop(b, fn, count, name):
    """Open ``for i in range(count)``; return ``(i, close)`` (close ends it)."""
    entry = b.block
    body = fn.append_basic_block(f"{name}_body")
    after = fn.append_basic_block(f"{name}_after")
    b.cbranch(b.icmp_signed(">", count, _const(0)), body, after)
    b.position_at_end(body)
    index = b.phi(_I64, name=name)
    index.add_incoming(_const(0), entry)

    def close():
        following = b.add(index, _const(1))
        index.add_incoming(following, b.block)
        b.cbranch(b.icmp_signed("<", following, count), body, after)
        b.position_at_end(after)

    return index, close


def _define_inner(module, name, in_dtype, acc_dtype, out_dtype):
    in_t, acc_t = IR_TYPES[in_dtype], IR_TYPES[acc_dtype]
    fn = ir.Function(
        module,
        ir.FunctionType(ir.VoidType(), [_I64, _I64, _I8P, _I8P]),
        f"{name}_inner",
    )
    rows, cols, source, target = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    data = b.bitcast(source, in_t.as_pointer())
    out = b.bitcast(target, IR_TYPES[out_dtype].as_pointer())
    acc = b.alloca(acc_t)
    r, close_rows = _counted_loop(b, fn, rows, "r")
    b.store(ir.Constant(acc_t, 0.0), acc)
    row = b.gep(data, [b.mul(r, cols)])
    c, close_cols = _counted_loop(b, fn, cols, "c")
    value = _cast(b, b.load(b.gep(row, [c])), in_dtype, acc_dtype)
    b.store(b.fadd(b.load(acc), value, flags=_REASSOC), acc)
    close_cols()
    b.store(_cast(b, b.load(acc), acc_dtype, out_dtype), b.gep(out, [r]))
    close_rows()
    b.ret_void()


def _define_outer(module, name, in_dtype, acc_dtype, out_dtype):
    in_t, acc_t = IR_TYPES[in_dtype], IR_TYPES[acc_dtype]
    fn = ir.Function(
        module,
        ir.FunctionType(ir.VoidType(), [_I64, _I64, _I8P, _I8P, _I8P]),
        f"{name}_outer",
    )
    rows, cols, source, target, scratch = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    data = b.bitcast(source, in_t.as_pointer())
    out = b.bitcast(target, IR_TYPES[out_dtype].as_pointer())
    accs = b.bitcast(scratch, acc_t.as_pointer())
    c, close = _counted_loop(b, fn, cols, "zero")
    b.store(ir.Constant(acc_t, 0.0), b.gep(accs, [c]))
    close()
    r, close_rows = _counted_loop(b, fn, rows, "r")
    row = b.gep(data, [b.mul(r, cols)])
    c, close_cols = _counted_loop(b, fn, cols, "c")
    slot = b.gep(accs, [c])
    value = _cast(b, b.load(b.gep(row, [c])), in_dtype, acc_dtype)
    b.store(b.fadd(b.load(slot), value), slot)
    close_cols()
    close_rows()
    c, close = _counted_loop(b, fn, cols, "store")
    total = b.load(b.gep(accs, [c]))
    b.store(_cast(b, total, acc_dtype, out_dtype), b.gep(out, [c]))
    close()
    b.ret_void()


def define_sums(module, in_dtype, acc_dtype, out_dtype):
    """Add the ``_inner`` and ``_outer`` sums of a dtype triple; return the prefix."""
    name = sum_name(in_dtype, acc_dtype, out_dtype)
    _define_inner(module, name, in_dtype, acc_dtype, out_dtype)
    _define_outer(module, name, in_dtype, acc_dtype, out_dtype)
    return name


def define_map_sum(module, sym, body, in_dtypes, value_dtype, acc_dtype, out_dtype):
    """Add ``<sym>_sum``: the full sum of kernel ``sym``'s output (see above).

    ``body`` is the kernel's element function; every input must be
    C-contiguous with ``n`` elements.
    """
    acc_t = IR_TYPES[acc_dtype]
    fn = ir.Function(
        module,
        ir.FunctionType(ir.VoidType(), [_I64, _I8P.as_pointer(), _I8P]),
        f"{sym}_sum",
    )
    n, args, target = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    bases = [
        b.bitcast(b.load(b.gep(args, [_const(k)])), IR_TYPES[d].as_pointer())
        for k, d in enumerate(in_dtypes)
    ]
    slot = b.alloca(IR_TYPES[value_dtype])
    acc = b.alloca(acc_t)
    b.store(ir.Constant(acc_t, 0.0), acc)
    i, close = _counted_loop(b, fn, n, "i")
    pointers = [b.bitcast(b.gep(base, [i]), _I8P) for base in bases]
    b.call(body, [*pointers, b.bitcast(slot, _I8P)])
    value = _cast(b, b.load(slot), value_dtype, acc_dtype)
    b.store(b.fadd(b.load(acc), value, flags=_REASSOC), acc)
    close()
    out = b.bitcast(target, IR_TYPES[out_dtype].as_pointer())
    b.store(_cast(b, b.load(acc), acc_dtype, out_dtype), out)
    b.ret_void()

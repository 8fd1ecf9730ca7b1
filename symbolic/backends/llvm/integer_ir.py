"""Floor division, modulo and integer powers in LLVM IR, with numpy's rules.

Integer division by 0 gives 0 and ``MIN // -1`` wraps (numpy's results);
the divisor is replaced by 1 before ``sdiv`` so no trapping division runs.
Float floor division and modulo follow numpy's ``divmod``: ``fmod`` first,
then the sign fix-up, with ``a / b`` for a zero divisor.
"""

from llvmlite import ir

from symbolic.backends.kernel_support import SIGNED


def int_divmod(renderer, op, ct, a, b):
    """``a // b`` or ``a % b`` on integers of dtype ``ct``."""
    bld = renderer.b
    ty = a.type
    zero, one = ir.Constant(ty, 0), ir.Constant(ty, 1)
    b_zero = bld.icmp_unsigned("==", b, zero)
    if ct not in SIGNED:
        safe = bld.select(b_zero, one, b)
        result = bld.udiv(a, safe) if op == "floordiv" else bld.urem(a, safe)
        return bld.select(b_zero, zero, result)
    minus_one = ir.Constant(ty, -1 % (1 << ty.width))
    b_minus_one = bld.icmp_unsigned("==", b, minus_one)
    special = bld.or_(b_zero, b_minus_one)
    safe = bld.select(special, one, b)
    quotient = bld.sdiv(a, safe)
    remainder = bld.srem(a, safe)
    signs_differ = bld.xor(
        bld.icmp_signed("<", remainder, zero), bld.icmp_signed("<", b, zero)
    )
    adjust = bld.and_(bld.icmp_unsigned("!=", remainder, zero), signs_differ)
    if op == "floordiv":
        floored = bld.sub(quotient, bld.zext(adjust, ty))
        wrapped = bld.select(b_minus_one, bld.sub(zero, a), floored)
        return bld.select(b_zero, zero, wrapped)
    fixed = bld.select(adjust, bld.add(remainder, b), remainder)
    return bld.select(special, zero, fixed)


def float_divmod(renderer, op, ct, a, b):
    """``a // b`` or ``a % b`` on floats of dtype ``ct`` (numpy's algorithm)."""
    bld = renderer.b
    ty = a.type
    zero = ir.Constant(ty, 0.0)
    mod = bld.frem(a, b)
    b_zero = bld.fcmp_ordered("==", b, zero)
    mod_negative = bld.fcmp_ordered("<", mod, zero)
    signs_differ = bld.xor(bld.fcmp_ordered("<", b, zero), mod_negative)
    adjust = bld.and_(bld.fcmp_unordered("!=", mod, zero), signs_differ)
    if op == "mod":
        fixed = bld.select(adjust, bld.fadd(mod, b), mod)
        signed_zero = renderer.intrinsic("llvm.copysign", ct, zero, b)
        fixed = bld.select(bld.fcmp_ordered("==", mod, zero), signed_zero, fixed)
        return bld.select(b_zero, mod, fixed)
    quotient = bld.fdiv(a, b)
    div = bld.fdiv(bld.fsub(a, mod), b)
    div = bld.select(adjust, bld.fsub(div, ir.Constant(ty, 1.0)), div)
    floor = renderer.intrinsic("llvm.floor", ct, div)
    round_up = bld.fcmp_ordered(">", bld.fsub(div, floor), ir.Constant(ty, 0.5))
    floor = bld.select(round_up, bld.fadd(floor, ir.Constant(ty, 1.0)), floor)
    signed_zero = renderer.intrinsic("llvm.copysign", ct, zero, quotient)
    result = bld.select(bld.fcmp_ordered("==", div, zero), signed_zero, floor)
    return bld.select(b_zero, quotient, result)


def int_pow(renderer, ct, a, b):
    """``a ** b`` on integers by squaring, wrapping; negative exponents give 0."""
    module = renderer.module
    name = f"symbolic_ipow_{ct}"
    fn = module.globals.get(name)
    if fn is None:
        fn = _define_ipow(module, name, a.type, ct in SIGNED)
    return renderer.b.call(fn, [a, b])


def _define_ipow(module, name, ty, signed):
    fn = ir.Function(module, ir.FunctionType(ty, [ty, ty]), name)
    fn.linkage = "internal"
    base, exponent = fn.args
    entry = fn.append_basic_block("entry")
    loop = fn.append_basic_block("loop")
    done = fn.append_basic_block("done")
    bld = ir.IRBuilder(entry)
    zero, one = ir.Constant(ty, 0), ir.Constant(ty, 1)
    negative = (
        bld.icmp_signed("<", exponent, zero)
        if signed
        else ir.Constant(ir.IntType(1), 0)
    )
    start = bld.select(negative, zero, exponent)
    bld.cbranch(bld.icmp_unsigned("==", start, zero), done, loop)
    bld.position_at_end(loop)
    e = bld.phi(ty)
    acc = bld.phi(ty)
    x = bld.phi(ty)
    odd = bld.trunc(e, ir.IntType(1))
    new_acc = bld.select(odd, bld.mul(acc, x), acc)
    new_x = bld.mul(x, x)
    new_e = bld.lshr(e, one)
    e.add_incoming(start, entry)
    acc.add_incoming(one, entry)
    x.add_incoming(base, entry)
    e.add_incoming(new_e, loop)
    acc.add_incoming(new_acc, loop)
    x.add_incoming(new_x, loop)
    bld.cbranch(bld.icmp_unsigned("==", new_e, zero), done, loop)
    bld.position_at_end(done)
    result = bld.phi(ty)
    result.add_incoming(one, entry)
    result.add_incoming(new_acc, loop)
    bld.ret(bld.select(negative, zero, result))
    return fn

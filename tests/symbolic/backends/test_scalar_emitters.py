"""Every scalar primitive has an emitter in every code-generating backend.

The C (``backends/c/scalar_c.py``) and LLVM (``backends/llvm/scalar_ir.py``)
renderers are tables ``{primitive: emitter}``.  A primitive missing from a
table must be declared in that backend's ``UNSUPPORTED`` with its reason, so
adding a primitive to ``ops/scalar/expr.py`` without rendering it fails here.
"""

import ctypes

import numpy
import pytest
from llvmlite import ir

from symbolic.backends.c import scalar_c
from symbolic.backends.llvm import jit, scalar_ir
from symbolic.ops.scalar import expr as E

BACKENDS = {"c": scalar_c, "llvm": scalar_ir}
ARITY = {"select": 3, "cast": 1}
INTEGER_ONLY = ("band", "bor", "bxor", "bnot")
SAMPLES = (0.3, -0.7, 2.5, 0.0, 3.0, -7.0)
SECOND = 5.5


def arity(name):
    if name in ARITY:
        return ARITY[name]
    function = E.PRIMITIVES[name]
    if isinstance(function, numpy.ufunc):
        return function.nin
    try:
        function(numpy.float64(0.5))
    except TypeError:
        return 2
    return 1


def result_dtype(name, dtypes):
    return scalar_c.compute_dtype(name, tuple(dtypes))


def float_expr(name):
    """``name`` on float64 inputs (int64 for bitwise ones), in numpy's dtype."""
    dtype = "int64" if name in INTEGER_ONLY else "float64"
    args = [E.arg(i, dtype) for i in range(arity(name))]
    if name == "select":
        args[0] = E.arg(0, "bool")
    out = "float64" if name == "cast" else result_dtype(name, [a.dtype for a in args])
    return E.call(name, out, *args)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_every_primitive_has_an_emitter_or_a_declared_reason(backend):
    module = BACKENDS[backend]
    names = set(E.primitive_names())
    emitted, unsupported = set(module.EMITTERS), set(module.UNSUPPORTED)
    assert emitted <= names, f"emitters for unknown primitives: {emitted - names}"
    assert not emitted & unsupported, emitted & unsupported
    missing = names - emitted - unsupported
    assert not missing, f"{backend}: no emitter and no declared reason: {missing}"
    for name, reason in module.UNSUPPORTED.items():
        assert isinstance(reason, str) and reason, name


@pytest.mark.parametrize("name", E.primitive_names())
def test_c_renders_every_emitted_primitive_on_float64(name):
    if name not in scalar_c.EMITTERS:
        pytest.skip(f"declared unsupported: {scalar_c.UNSUPPORTED[name]}")
    expr = float_expr(name)
    dtypes = [a.dtype for a in expr.args]
    renderer = scalar_c.CRenderer({i: (f"a{i}", d) for i, d in enumerate(dtypes)})
    result = renderer.render(expr)
    ctype = scalar_c.C_TYPES[expr.dtype]
    assert renderer.lines[-1].startswith(f"const {ctype} {result} =")


def _llvm_function(module, name):
    expr = float_expr(name)
    dtypes = [a.dtype for a in expr.args]
    double = ir.DoubleType()
    fn = ir.Function(module, ir.FunctionType(double, [double, double]), f"f_{name}")
    builder = ir.IRBuilder(fn.append_basic_block())
    renderer = scalar_ir.IRRenderer(builder, {})
    args = {}
    for i, dtype in enumerate(dtypes):
        value = fn.args[min(i, 1)] if i < 2 else fn.args[0]
        args[i] = (renderer.convert(value, "float64", dtype), dtype)
    renderer.args = args
    builder.ret(renderer.convert(renderer.render(expr), expr.dtype, "float64"))
    return expr


def test_llvm_emitters_compute_what_numpy_computes():
    module = ir.Module()
    exprs = {
        name: _llvm_function(module, name)
        for name in E.primitive_names()
        if name in scalar_ir.EMITTERS
    }
    compiled = jit.compile_module(module)
    signature = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double, ctypes.c_double)
    for name, expr in exprs.items():
        function = signature(compiled.address(f"f_{name}"))
        for x in SAMPLES:
            values = [x, SECOND, x][: len(expr.args)]
            values = [
                numpy.asarray(v, dtype=a.dtype) for v, a in zip(values, expr.args)
            ]
            with numpy.errstate(all="ignore"):
                expected = E.evaluate(expr, values)
            got = function(x, SECOND)
            numpy.testing.assert_allclose(
                got, expected, rtol=1e-12, atol=0, equal_nan=True, err_msg=name
            )


@pytest.mark.parametrize("name", sorted(scalar_ir.UNSUPPORTED))
def test_llvm_declines_a_declared_unsupported_primitive(name):
    module = ir.Module()
    with pytest.raises(scalar_c.Unsupported, match=name):
        _llvm_function(module, name)

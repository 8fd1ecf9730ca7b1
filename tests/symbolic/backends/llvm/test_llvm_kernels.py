"""LLVM-compiled elemwise kernels agree with ``expr.evaluate`` on every path."""

import numpy
import pytest

pytest.importorskip("llvmlite", reason="llvmlite is not installed")

import symbolic.tensor as T
from symbolic.backends.c import scalar_c
from symbolic.backends.llvm import elemwise_kernels
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.scalar import expr as E
from symbolic.ops.scalar import math as sm

FLOATS = ["float32", "float64"]
DTYPES = ["bool", "int8", "int32", "int64", "uint16", "uint64", *FLOATS]
FLOAT_POOL = [
    -7.25, -2.5, -1.0, -0.5, -0.0, 0.0, 0.3, 0.5, 1.0, 2.5, 100.3, -100.3,
    1e-30, numpy.inf, -numpy.inf, numpy.nan,
]  # fmt: skip
UNARY = [
    "neg", "abs", "sign", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1",
    "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
    "asinh", "acosh", "atanh", "erf", "erfc", "gamma", "lgamma", "floor", "ceil",
    "trunc", "round_half_even", "round_half_away", "isnan", "isinf", "lnot",
    "bnot", "sigmoid", "softplus",
]  # fmt: skip
BINARY = [
    "add", "sub", "mul", "div", "floordiv", "mod", "pow", "max", "min", "atan2",
    "lt", "le", "gt", "ge", "eq", "ne", "land", "lor", "band", "bor", "bxor",
]  # fmt: skip


def pool(dtype):
    if dtype == "bool":
        return numpy.array([False, True])
    if dtype in FLOATS:
        return numpy.array(FLOAT_POOL, dtype=dtype)
    info = numpy.iinfo(dtype)
    values = [0, 1, 2, 3, 7, 100, info.max]
    if info.min < 0:
        values += [-1, -3, -7, -100, info.min]
    return numpy.array(values, dtype=dtype)


def _out_dtype(op, dtypes):
    try:
        return scalar_c.compute_dtype(op, tuple(dtypes))
    except scalar_c.Unsupported:
        return None


def _cases():
    cases = []
    for dtype in DTYPES:
        for op in UNARY:
            out = _out_dtype(op, [dtype])
            if out is not None:
                values = pool(dtype)
                if op == "gamma" and dtype in FLOATS:
                    values = values[numpy.abs(values) < 170]
                cases.append((E.call(op, out, E.arg(0, dtype)), [values]))
        for op in BINARY:
            out = _out_dtype(op, [dtype, dtype])
            if out is None:
                continue
            if op == "pow" and dtype in scalar_c.SIGNED:
                # A signed exponent input is not rendered (a negative one
                # raises in numpy): a constant exponent is.
                for exponent in (0, 3, 7):
                    power = E.call(op, out, E.arg(0, dtype), E.const(exponent, dtype))
                    cases.append((power, [pool(dtype)]))
                continue
            a, b = (m.ravel() for m in numpy.meshgrid(pool(dtype), pool(dtype)))
            if op == "pow" and dtype not in FLOATS and dtype != "bool":
                keep = (b >= 0) & (b < 9)
                a, b = a[keep], b[keep]
            expr = E.call(op, out, E.arg(0, dtype), E.arg(1, dtype))
            cases.append((expr, [a, b]))
    for src in DTYPES:
        for dst in DTYPES:
            values = pool(src)
            if src in FLOATS and dst not in FLOATS and dst != "bool":
                info = numpy.iinfo(dst)
                values = values[numpy.isfinite(values)]
                values = values[(values >= info.min) & (values <= info.max)]
            cases.append((E.call("cast", dst, E.arg(0, src)), [values]))
    return cases


def _check(got, want, precise):
    assert got.dtype == want.dtype
    if got.dtype.kind == "f":
        rtol = 4e-6 if not precise else 1e-12
        numpy.testing.assert_allclose(got, want, rtol=rtol, atol=1e-37, equal_nan=True)
    else:
        numpy.testing.assert_array_equal(got, want)


@pytest.fixture(scope="module")
def compiled():
    cases = _cases()
    specs = [
        ((expr,), tuple(v.dtype.name for v in values), (expr.dtype,))
        for expr, values in cases
    ]
    return cases, specs, elemwise_kernels.compile_kernels(specs)


def test_every_primitive_matches_evaluate(compiled):
    cases, specs, kernels = compiled
    assert set(kernels) == set(specs)
    for (expr, values), spec in zip(cases, specs):
        want = E.evaluate(expr, values)
        (got,) = kernels[spec](values)
        precise = "float32" not in spec[1] and (
            expr.op == "cast" or _out_dtype(expr.op, spec[1]) != "float32"
        )
        _check(got, want, precise)


def test_strided_broadcast_negative_and_0d_paths(compiled):
    cases, specs, kernels = compiled
    rng = numpy.random.default_rng(0)
    for (expr, _), spec in zip(cases, specs):
        if len(spec[1]) != 2 or spec[1][0] not in FLOATS:
            continue
        dtype = spec[1][0]
        a = (rng.standard_normal((4, 6)) * 3).astype(dtype)
        b = (rng.standard_normal((4, 6)) * 3).astype(dtype)
        layouts = [
            (a.T, b.T),
            (a[::-1, ::2], b[0:1, ::2]),
            (a[:, :1], b),
            (a[1, 2], b[3, 3]),
        ]
        for x, y in layouts:
            shape = numpy.broadcast_shapes(x.shape, y.shape)
            full = [numpy.broadcast_to(v, shape) for v in (x, y)]
            (got,) = kernels[spec]([x, y])
            _check(got, E.evaluate(expr, full), dtype == "float64")


def test_build_kernels_on_nodes_and_unsupported_primitives():
    x = T.fvector("x")
    y = T.fvector("y")
    nodes = [(T.tanh(x * y + 0.5)).owner, (x // y).owner, T.exp(x).owner]
    erfinv = Elemwise(sm.Erfinv())(x).owner
    kernels = elemwise_kernels.build_kernels([*nodes, erfinv])
    assert set(kernels) == set(nodes)
    assert not elemwise_kernels.supports(erfinv)
    assert kernels[nodes[0]].contig_address and kernels[nodes[0]].strided_address
    values = numpy.linspace(-3, 3, 7, dtype="float32")
    for node in nodes:
        inputs = [values, values[::-1] + 0.25][: len(node.inputs)]
        inputs = [numpy.asarray(v) for v in inputs]
        cells = [[None]]
        try:
            node.op.perform(node, inputs, cells)
        except TypeError:
            continue  # an input is an intermediate; covered by the tables above
        _check(kernels[node](inputs)[0], cells[0][0], False)


def _optimized_contig(spec):
    """The optimized IR text of a kernel's ``_contig`` loop, as the JIT builds it."""
    import llvmlite.binding as llvm

    from symbolic.backends.llvm import jit

    module, symbols = elemwise_kernels.render_module([spec])
    module.triple, module.data_layout = jit._host_layout()
    parsed = llvm.parse_assembly(str(module))
    options = llvm.create_pipeline_tuning_options(speed_level=3)
    options.loop_vectorization = True
    options.slp_vectorization = True
    builder = llvm.create_pass_builder(jit.target_machine(), options)
    builder.getModulePassManager().run(parsed, builder)
    return str(parsed.get_function(f"{symbols[spec]}_contig"))


@pytest.mark.parametrize("dtype", FLOATS)
def test_contig_loop_is_vectorized_without_an_alias_check(dtype):
    # An in-place node passes an input's buffer as its output. With only
    # LLVM's runtime alias check, that overlap sent every in-place kernel
    # to the scalar loop (7x slower); the loop's metadata says iterations
    # are independent, so there is one vector loop and no check.
    import symbolic
    from symbolic.backends.c.elemwise_kernels import node_expressions

    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    mode = symbolic.Mode(linker="llvm", optimizer="fast_run")
    f = symbolic.function([x, y], T.sgn(x) * y + y, mode=mode)
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Elemwise)]
    text = _optimized_contig(node_expressions(node))
    assert f" x {'float' if dtype == 'float32' else 'double'}>" in text
    assert "memcheck" not in text

"""Generated elemwise kernels agree with ``expr.evaluate`` on every path."""

import numpy
import pytest
import scipy.special

import symbolic
import symbolic.tensor as T
from symbolic.backends.c import build, elemwise_kernels, scalar_c
from symbolic.config import change_flags
from symbolic.ops.elemwise import Elemwise
from symbolic.ops.scalar import expr as E
from symbolic.ops.scalar import math as sm

pytestmark = pytest.mark.skipif(
    not build.config.cxx, reason="no C compiler configured (config.cxx is empty)"
)

FLOATS = ["float32", "float64"]
INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
ALL = ["bool", *INTS, *FLOATS]

FLOAT_POOL = [
    -7.25, -3.5, -2.5, -1.5, -1.0, -0.75, -0.5, -0.0, 0.0, 0.3, 0.5, 0.75, 1.0,
    1.5, 2.5, 3.5, 100.3, -100.3, 1e-30, 1e30, numpy.inf, -numpy.inf, numpy.nan,
]  # fmt: skip


def pool(dtype):
    """Values of ``dtype`` that reach the corner cases of every primitive."""
    if dtype == "bool":
        return numpy.array([False, True])
    if dtype in FLOATS:
        values = numpy.array(FLOAT_POOL, dtype=dtype)
        rng = numpy.random.default_rng(1)
        return numpy.concatenate([values, (rng.standard_normal(9) * 3).astype(dtype)])
    info = numpy.iinfo(dtype)
    values = [0, 1, 2, 3, 7, 100, info.max, info.max - 1]
    if info.min < 0:
        values += [-1, -2, -3, -7, -100, info.min, info.min + 1]
    return numpy.array(values, dtype=dtype)


def grid(*arrays):
    """Every combination of the given 1-d arrays, as equally long arrays."""
    mesh = numpy.meshgrid(*arrays, indexing="ij")
    return [m.ravel() for m in mesh]


def check_close(got, want, dtype, precision=None):
    """Compare results; ``precision`` is the float dtype they were computed in."""
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if dtype in FLOATS:
        rtol = 4e-6 if "float32" in (dtype, precision) else 1e-12
        tiny = 1e-37 if dtype == "float32" else 1e-300
        numpy.testing.assert_allclose(got, want, rtol=rtol, atol=tiny, equal_nan=True)
    else:
        numpy.testing.assert_array_equal(got, want)


def _precision(expr, in_dtypes):
    if "float32" in in_dtypes:
        return "float32"
    if expr.op in E.PRIMITIVES and expr.op != "cast":
        return _result_dtype(expr.op, [a.dtype for a in expr.args])
    return None


def _signed_integer_power(expr):
    """An integer power whose exponent may be negative: left to Python."""
    if expr.op != "pow" or expr.args[1].op == "const":
        return False
    computed = scalar_c.compute_dtype("pow", tuple(a.dtype for a in expr.args))
    return computed not in FLOATS and expr.args[1].dtype in scalar_c.SIGNED


def run_cases(cases):
    """Compile every ``(expr, in_dtypes, inputs)`` case in one library and check.

    Integer powers with a signed exponent must not render (numpy raises for
    a negative exponent, a kernel cannot): they are checked to be refused.
    """
    specs = {}
    for expr, in_dtypes, inputs in cases:
        if _signed_integer_power(expr):
            with pytest.raises(scalar_c.Unsupported, match="integer power"):
                elemwise_kernels.render_kernel("k", (expr,), in_dtypes, (expr.dtype,))
            continue
        spec = ((expr,), tuple(in_dtypes), (expr.dtype,))
        specs.setdefault(spec, []).append(inputs)
    kernels = elemwise_kernels.compile_kernels(list(specs), "test")
    assert set(kernels) == set(specs), set(specs) - set(kernels)
    for spec, input_sets in specs.items():
        kernel = kernels[spec]
        for inputs in input_sets:
            want = E.evaluate(spec[0][0], inputs)
            (got,) = kernel(inputs)
            check_close(got, want, spec[2][0], _precision(spec[0][0], spec[1]))
    return kernels


UNARY_FLOAT = [
    "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "sin", "cos",
    "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
    "atanh", "erf", "erfc", "erfinv", "erfcinv", "gamma", "lgamma", "digamma",
    "sigmoid", "softplus",
]  # fmt: skip
UNARY_ANY = [
    "neg", "abs", "sign", "floor", "ceil", "trunc", "round_half_even",
    "round_half_away", "isnan", "isinf", "lnot", "bnot",
]  # fmt: skip
BINARY = [
    "add", "sub", "mul", "div", "floordiv", "mod", "pow", "max", "min", "atan2",
    "lt", "le", "gt", "ge", "eq", "ne", "land", "lor", "band", "bor", "bxor",
]  # fmt: skip


def _result_dtype(op, dtypes):
    try:
        dtype = scalar_c.compute_dtype(op, tuple(dtypes))
    except scalar_c.Unsupported:
        return None
    return dtype


@pytest.mark.parametrize("op", UNARY_FLOAT + UNARY_ANY)
def test_unary_primitive(op):
    cases = []
    for dtype in ALL:
        out = _result_dtype(op, [dtype])
        if out is None:
            continue
        if op in UNARY_FLOAT and dtype not in FLOATS:
            continue
        values = pool(dtype)
        if op == "gamma":
            values = values[numpy.abs(values) < 170]
        expr = E.call(op, out, E.arg(0, dtype))
        cases.append((expr, [dtype], [values]))
    assert cases
    run_cases(cases)


def _binary_inputs(op, a_dtype, b_dtype):
    a, b = grid(pool(a_dtype), pool(b_dtype))
    if op == "pow" and b_dtype not in FLOATS:
        keep = (b >= 0) & (b < 9) if b_dtype != "bool" else numpy.ones(len(b), bool)
        a, b = a[keep], b[keep]
    return [a, b]


@pytest.mark.parametrize("op", BINARY)
def test_binary_primitive_same_dtypes(op):
    cases = []
    for dtype in ALL:
        out = _result_dtype(op, [dtype, dtype])
        if out is None:
            continue
        expr = E.call(op, out, E.arg(0, dtype), E.arg(1, dtype))
        cases.append((expr, [dtype, dtype], _binary_inputs(op, dtype, dtype)))
    assert cases
    run_cases(cases)


MIXED = [
    ("int8", "float32"),
    ("int64", "float32"),
    ("uint8", "int8"),
    ("int64", "uint64"),
    ("bool", "int16"),
    ("float32", "float64"),
    ("uint32", "int32"),
]


def test_integer_power_by_a_constant_renders():
    cases = []
    for dtype in INTS:
        for exponent in (0, 1, 3, 7):
            expr = E.call("pow", dtype, E.arg(0, dtype), E.const(exponent, dtype))
            cases.append((expr, [dtype], [pool(dtype)]))
    run_cases(cases)


@pytest.mark.parametrize("a_dtype,b_dtype", MIXED)
def test_binary_primitives_mixed_dtypes(a_dtype, b_dtype):
    """A node whose arguments differ computes in numpy's promoted dtype."""
    cases = []
    for op in BINARY:
        out = _result_dtype(op, [a_dtype, b_dtype])
        if out is None:
            continue
        for node_dtype in dict.fromkeys([out, "float64", "int16"]):
            expr = E.call(op, node_dtype, E.arg(0, a_dtype), E.arg(1, b_dtype))
            inputs = _binary_inputs(op, a_dtype, b_dtype)
            if node_dtype not in FLOATS and out in FLOATS:
                continue  # float -> int of inf/nan is undefined in numpy too
            cases.append((expr, [a_dtype, b_dtype], inputs))
    run_cases(cases)


def test_select_and_constants():
    cases = []
    for dtype in ALL:
        cond = E.call("gt", "bool", E.arg(0, dtype), E.const(1, dtype))
        expr = E.call("select", dtype, cond, E.arg(0, dtype), E.const(0, dtype))
        cases.append((expr, [dtype], [pool(dtype)]))
    for dtype in INTS:
        info = numpy.iinfo(dtype)
        for value in (info.min, info.max):
            expr = E.call("add", dtype, E.arg(0, dtype), E.const(value, dtype))
            cases.append((expr, [dtype], [pool(dtype)]))
    for value in (numpy.inf, -numpy.inf, numpy.nan, -0.0, 1e-300, 0.1):
        expr = E.call("mul", "float64", E.arg(0, "float64"), E.const(value, "float64"))
        cases.append((expr, ["float64"], [pool("float64")]))
    run_cases(cases)


def _in_range(values, dtype):
    if dtype in FLOATS or dtype == "bool":
        return values
    info = numpy.iinfo(dtype)
    finite = values[numpy.isfinite(values)]
    return finite[(finite >= info.min) & (finite <= info.max)]


def test_casts_between_every_dtype_pair():
    cases = []
    for src in ALL:
        for dst in ALL:
            values = pool(src)
            if src in FLOATS:
                values = _in_range(values, dst)
            expr = E.call("cast", dst, E.arg(0, src))
            cases.append((expr, [src], [values]))
    run_cases(cases)


def test_scalar_ops_expressions_match_their_impl():
    """The expressions the scalar ops state render to what their impl computes."""
    x = T.fvector("x")
    y = T.fvector("y")
    i = T.ivector("i")
    outputs = [
        x + y * 2,
        x / y,
        x // y,
        x % y,
        T.switch(T.gt(x, y), x, y),
        T.clip(x, -1, 1),
        T.sqr(x),
        T.cast(x, "int8"),
        i // 3,
        i % -3,
        # A signed exponent input stays in Python (it might be negative).
        i ** T.constant(2, dtype="uint8"),
        T.maximum(x, y),
        T.tanh(x),
        T.nnet.sigmoid(x),
        T.nnet.softplus(y),
        T.round(x),
    ]
    nodes = [o.owner for o in outputs]
    kernels = elemwise_kernels.build_kernels(nodes)
    assert set(kernels) == set(nodes)
    rng = numpy.random.default_rng(2)
    values = {
        x: (rng.standard_normal(50) * 4).astype("float32"),
        y: (rng.standard_normal(50) * 4).astype("float32"),
        i: rng.integers(-100, 100, 50).astype("int32"),
    }
    for node in nodes:
        inputs = [_value(v, values) for v in node.inputs]
        cells = [[None] for _ in node.outputs]
        node.op.perform(node, inputs, cells)
        (got,) = kernels[node](inputs)
        check_close(got, cells[0][0], node.outputs[0].dtype)


def _value(var, values):
    if var in values:
        return values[var]
    if var.owner is not None:  # an intermediate: run its node's perform
        node = var.owner
        cells = [[None] for _ in node.outputs]
        node.op.perform(node, [_value(v, values) for v in node.inputs], cells)
        return cells[node.outputs.index(var)][0]
    return var.data


# -- paths: contiguous, strided, broadcast, negative strides, 0-d -------------


@pytest.fixture(scope="module")
def two_output_kernel():
    a, b = E.arg(0, "float32"), E.arg(1, "float64")
    s = E.call("add", "float64", E.call("cast", "float64", a), b)
    t = E.call("tanh", "float32", E.call("mul", "float32", a, a))
    spec = ((s, t), ("float32", "float64"), ("float64", "float32"))
    return elemwise_kernels.compile_kernels([spec])[spec], spec


def _reference(spec, inputs):
    shape = numpy.broadcast_shapes(*(x.shape for x in inputs))
    full = [numpy.broadcast_to(x, shape) for x in inputs]
    return [E.evaluate(expr, full) for expr in spec[0]]


@pytest.mark.parametrize(
    "make",
    [
        lambda a, b: (a, b),
        lambda a, b: (a.T, b.T),
        lambda a, b: (a[::-1, ::2], b[::-1, ::2]),
        lambda a, b: (a[:, ::-1], b[0:1, :]),
        lambda a, b: (a[:, :1], b),
        lambda a, b: (a[1:2, :1], b[::-2, ::-1]),
        lambda a, b: (a[0], b[1]),
        lambda a, b: (a[2, 3], b[1, 1]),
        lambda a, b: (a[:0], b[:0]),
    ],
    ids=[
        "contig",
        "transposed",
        "negative",
        "row-bcast",
        "col-bcast",
        "both-bcast",
        "1d",
        "0d",
        "empty",
    ],
)
def test_paths_agree_with_evaluate(two_output_kernel, make):
    kernel, spec = two_output_kernel
    rng = numpy.random.default_rng(3)
    a = rng.standard_normal((6, 8)).astype("float32")
    b = rng.standard_normal((6, 8))
    inputs = make(a, b)
    got = kernel(list(inputs))
    for g, w in zip(got, _reference(spec, inputs)):
        assert g.shape == w.shape
        check_close(g, w.astype(g.dtype), g.dtype.name)


def test_strided_outputs_and_in_place(two_output_kernel):
    kernel, spec = two_output_kernel
    rng = numpy.random.default_rng(4)
    a = rng.standard_normal((5, 7)).astype("float32")
    b = rng.standard_normal((5, 7))
    want = _reference(spec, [a, b])
    out0 = numpy.zeros((7, 5)).T  # a transposed output
    out1 = numpy.zeros((5, 14), dtype="float32")[:, ::2]
    kernel([a, b], [out0, out1])
    check_close(out0, want[0], "float64")
    check_close(out1, want[1].astype("float32"), "float32")
    # Output 0 written over input 1 (same buffer, as an in-place Elemwise does).
    b_copy = b.copy()
    kernel([a, b], [b, numpy.empty_like(a)])
    check_close(b, _reference(spec, [a, b_copy])[0], "float64")


def test_large_arrays_split_over_threads_match_small_calls():
    spec = (
        (E.call("tanh", "float32", E.arg(0, "float32")),),
        ("float32",),
        ("float32",),
    )
    kernel = elemwise_kernels.compile_kernels([spec])[spec]
    x = numpy.random.default_rng(5).standard_normal(1_000_003).astype("float32")
    (big,) = kernel([x])
    pieces = [kernel([x[i : i + 1000]])[0] for i in range(0, x.size, 1000)]
    numpy.testing.assert_array_equal(big, numpy.concatenate(pieces))
    # The strided path gives the same bits as the contiguous one.
    (strided,) = kernel([x[::-1]])
    numpy.testing.assert_array_equal(strided, big[::-1])


def test_call_checks_outputs(two_output_kernel):
    kernel, _ = two_output_kernel
    a = numpy.ones(3, "float32")
    b = numpy.ones(3)
    with pytest.raises(TypeError, match="output 1 must be a float32"):
        kernel([a, b], [numpy.empty(3), numpy.empty(3)])
    with pytest.raises(ValueError, match="broadcast to"):
        kernel([a, b], [numpy.empty(4), numpy.empty(4, "float32")])


# -- graph level -------------------------------------------------------------------


def test_one_compiler_call_per_graph_and_shared_kernels(tmp_path):
    x = T.dvector("x")
    y = T.dvector("y")
    outputs = [T.exp(x) + y, T.exp(y) + x, x * y, T.log1p(x)]
    nodes = [n for o in outputs for n in [o.owner, o.owner.inputs[0].owner] if n]
    with change_flags(compiledir=str(tmp_path)):
        calls = build.gcc_calls
        kernels = elemwise_kernels.build_kernels(nodes)
        assert build.gcc_calls == calls + 1
        assert set(kernels) == set(nodes)
        exp_nodes = [n for n in nodes if isinstance(n.op.scalar_op, sm.Exp)]
        assert kernels[exp_nodes[0]] is kernels[exp_nodes[1]]
        elemwise_kernels.build_kernels(nodes)
        assert build.gcc_calls == calls + 1


def test_unrenderable_node_is_left_out():
    x = T.dvector("x")
    trigamma = Elemwise(sm.TriGamma())(x).owner
    plain = T.exp(x).owner
    assert not elemwise_kernels.supports(trigamma)
    assert elemwise_kernels.supports(plain)
    kernels = elemwise_kernels.build_kernels([trigamma, plain])
    assert set(kernels) == {plain}


def test_complex_is_not_rendered():
    z = T.zvector("z")
    node = (z * z).owner
    assert not elemwise_kernels.supports(node)


# -- vectorized math accuracy ---------------------------------------------------------

#: Max error in ulp stated in vecmath.h: float32 against the correctly
#: rounded result, float64 against numpy/scipy's float64 results.
ULP_BOUNDS = {
    "float32": {"exp": 1.5, "log": 1.5, "tanh": 2.5, "sigmoid": 2.5, "softplus": 2},
    "float64": {"exp": 1, "log": 1, "tanh": 3, "sigmoid": 3, "softplus": 3},
}


def _sigmoid64(x):
    with numpy.errstate(over="ignore"):
        e = numpy.exp(x)
    # scipy underflows to 0 below -709; e / (1 + e) keeps the subnormal value.
    return numpy.where(x < -700, e, scipy.special.expit(x))


REFERENCES = {
    "exp": numpy.exp,
    "log": numpy.log,
    "tanh": numpy.tanh,
    "sigmoid": _sigmoid64,
    "softplus": lambda x: numpy.logaddexp(0, x),
}


def _wide_sample(dtype):
    info = numpy.finfo(dtype)
    rng = numpy.random.default_rng(6)
    log_lo = numpy.log(float(info.smallest_subnormal))
    log_hi = numpy.log(float(info.max))
    magnitudes = numpy.exp(rng.uniform(log_lo, log_hi, 100_000))
    values = numpy.concatenate(
        [
            magnitudes,
            -magnitudes,
            rng.uniform(-120, 120, 100_000),
            rng.uniform(-3, 3, 100_000),
            [0.0, -0.0, numpy.inf, -numpy.inf, numpy.nan],
            [info.max, -info.max, info.tiny, info.smallest_subnormal, info.tiny / 3],
        ]
    )
    with numpy.errstate(over="ignore"):
        return values.astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_vectorized_math_accuracy(dtype):
    specs = {
        name: ((E.call(name, dtype, E.arg(0, dtype)),), (dtype,), (dtype,))
        for name in REFERENCES
    }
    kernels = elemwise_kernels.compile_kernels(list(specs.values()))
    x = _wide_sample(dtype)
    for name, spec in specs.items():
        (got,) = kernels[spec]([x])
        with numpy.errstate(all="ignore"):
            exact = REFERENCES[name](x.astype("float64"))
            rounded = exact.astype(dtype)
        numpy.testing.assert_array_equal(numpy.isnan(got), numpy.isnan(rounded))
        special = ~numpy.isfinite(rounded) & ~numpy.isnan(rounded)
        numpy.testing.assert_array_equal(got[special], rounded[special])
        finite = numpy.isfinite(rounded)
        with numpy.errstate(over="ignore"):
            ulp = numpy.spacing(numpy.abs(rounded[finite])).astype("float64")
        error = numpy.abs(got[finite].astype("float64") - exact[finite]) / ulp
        bound = ULP_BOUNDS[dtype][name]
        assert error.max() <= bound, (name, error.max(), x[finite][error.argmax()])


def test_two_outputs_in_place_read_the_inputs_before_overwriting_them():
    """A momentum step with a zero coefficient and weight decay fuses into one
    two-output kernel: the velocity overwrites the weights while the new
    weights still read them. The kernel must not reload an overwritten input
    (its pointers once carried restrict, and gcc rematerialized the load)."""
    rng = numpy.random.default_rng(5)
    w0 = rng.standard_normal((16, 9))
    w = symbolic.shared(w0.copy(), name="w")
    velocity = symbolic.shared(numpy.zeros((16, 9)), name="velocity")
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    cost = (T.dot(x, w) * y).sum() + 1e-4 * (w**2).sum()
    new_velocity = 0.0 * velocity - 0.1 * symbolic.grad(cost, w)
    step = symbolic.function(
        [x, y],
        [],
        updates=[(velocity, new_velocity), (w, w + new_velocity)],
        mode="FAST_RUN",
    )
    fused = [
        node
        for node in step.maker.fgraph.toposort()
        if isinstance(node.op, Elemwise) and len(node.outputs) == 2
    ]
    assert fused and fused[0].op.inplace_pattern
    xv = rng.standard_normal((4, 16))
    yv = rng.standard_normal((4, 9))
    step(xv, yv)
    want_velocity = -0.1 * (xv.T @ yv + 2e-4 * w0)
    numpy.testing.assert_allclose(velocity.get_value(), want_velocity, rtol=1e-12)
    numpy.testing.assert_allclose(w.get_value(), w0 + want_velocity, rtol=1e-12)

"""linker='llvm': the LLVM backend cross-checked against ``perform``."""

import json
import os
import subprocess
import sys

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.llvm.linker import LLVMVM
from symbolic.compile.mode import Mode
from symbolic.ops.sum_of_elemwise import SumOfElemwise

LLVM = Mode(linker="llvm", optimizer="fast_run")
REFERENCE = Mode(linker="py", optimizer="fast_compile")


def both(inputs, outputs, **kwargs):
    """The function on the LLVM backend and its ``perform`` reference."""
    fast = symbolic.function(inputs, outputs, mode=LLVM, **kwargs)
    reference = symbolic.function(inputs, outputs, mode=REFERENCE, **kwargs)
    assert isinstance(fast.vm, LLVMVM)
    return fast, reference


def assert_agree(fast, reference, *values):
    got, want = fast(*values), reference(*values)
    if not isinstance(want, list):
        got, want = [got], [want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = numpy.asarray(g), numpy.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape
        tol = 1e-5 if w.dtype == numpy.float32 else 1e-12
        numpy.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def data(shape, dtype, seed=0):
    return numpy.random.RandomState(seed).uniform(-1, 1, shape).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_elemwise_runs_jit_kernels_and_matches_perform(dtype):
    x = T.matrix("x", dtype=dtype)
    y = T.matrix("y", dtype=dtype)
    r = T.row("r", dtype=dtype)
    outs = [T.tanh(x) * y + T.exp(-(x**2)), x / (1 + abs(y)) + r, T.maximum(x, r)]
    fast, reference = both([x, y, r], outs)
    assert fast.vm.kernels
    a, b, row = data((5, 7), dtype), data((5, 7), dtype, 1), data((1, 7), dtype, 2)
    assert_agree(fast, reference, a, b, row)
    # Strided (non-contiguous) inputs and a transposed one.
    wide, tall = data((5, 14), dtype), data((7, 5), dtype, 3)
    assert_agree(fast, reference, wide[:, ::2], tall.T, row)
    # Empty inputs.
    empty = numpy.zeros((0, 7), dtype)
    assert_agree(fast, reference, empty, empty, row)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_elemwise_broadcasts_rows_columns_and_planes(dtype):
    x = T.tensor3("x", dtype=dtype)
    row = T.TensorType(dtype, (True, True, False))("row")
    column = T.TensorType(dtype, (False, True, True))("column")
    fast, reference = both([x, row, column], [T.exp(x) * row, x - column + row])
    value = data((3, 4, 5), dtype)
    assert_agree(
        fast, reference, value, data((1, 1, 5), dtype, 1), data((3, 1, 1), dtype, 2)
    )


def test_elemwise_shape_mismatch_raises_as_perform():
    x, y = T.fmatrix("x"), T.fmatrix("y")
    fast, reference = both([x, y], T.tanh(x) + y)
    bad = (data((2, 3), "float32"), data((3, 3), "float32"))
    with pytest.raises(ValueError):
        reference(*bad)
    with pytest.raises(ValueError):
        fast(*bad)


def _inplace_add_thunk():
    from symbolic.backends.llvm.linker import graph_kernels
    from symbolic.backends.llvm.thunks import node_thunk
    from symbolic.ops.elemwise import Elemwise

    x, y = T.dmatrix("x"), T.dmatrix("y")
    plain = (x + y).owner.op
    node = Elemwise(plain.scalar_op, {0: 0})(x, y).owner
    storage_map = {var: [None] for var in (*node.inputs, *node.outputs)}
    kernels = graph_kernels([node])
    assert node in kernels.elemwise
    return node_thunk(node, storage_map, kernels), storage_map, node


def test_inplace_elemwise_writes_into_its_input():
    thunk, storage_map, node = _inplace_add_thunk()
    a, b = data((4, 4), "float64"), data((4, 4), "float64", 1)
    want = a + b
    storage_map[node.inputs[0]][0] = a
    storage_map[node.inputs[1]][0] = b
    thunk()
    assert storage_map[node.outputs[0]][0] is a
    numpy.testing.assert_array_equal(a, want)


def test_inplace_elemwise_with_an_overlapping_input_gets_a_new_buffer():
    # a + a.T in place over a would read elements it has already written.
    thunk, storage_map, node = _inplace_add_thunk()
    a = data((4, 4), "float64")
    want = a + a.T
    storage_map[node.inputs[0]][0] = a
    storage_map[node.inputs[1]][0] = a.T
    thunk()
    numpy.testing.assert_array_equal(storage_map[node.outputs[0]][0], want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2)])
def test_reductions_match_perform(dtype, axis):
    x = T.tensor3("x", dtype=dtype)
    outs = [x.sum(axis=axis), x.max(axis=axis), x.min(axis=axis), x.prod(axis=axis)]
    fast, reference = both([x], outs)
    value = data((3, 4, 5), dtype)
    assert_agree(fast, reference, value)
    assert_agree(fast, reference, numpy.swapaxes(value, 0, 2)[::-1].copy().T[:, ::2])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("order", ["C", "F"])
def test_jit_sums_match_perform_on_both_memory_orders(dtype, order):
    x = T.tensor3("x", dtype=dtype)
    m = T.matrix("m", dtype=dtype)
    outs = [x.sum(), x.sum(axis=0), x.sum(axis=(1, 2)), m.sum(axis=0), m.sum(axis=1)]
    fast, reference = both([x, m], outs)
    assert len(fast.vm.graph_kernels.sums) == len(outs)
    tensor = numpy.asarray(data((3, 4, 5), dtype), order=order)
    matrix = numpy.asarray(data((6, 7), dtype, 1), order=order)
    assert_agree(fast, reference, tensor, matrix)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_sum_of_elemwise_matches_perform(dtype):
    x = T.matrix("x", dtype=dtype)
    r = T.row("r", dtype=dtype)
    fast, reference = both([x, r], [(x**2).sum(), T.exp(x * r).sum()])
    # The pairing is the sum_of_elemwise rewrite's, visible in the graph;
    # the linker only compiles the pairs it finds.
    paired = [
        node
        for node in fast.maker.fgraph.toposort()
        if isinstance(node.op, SumOfElemwise)
    ]
    assert paired
    assert set(fast.vm.graph_kernels.map_sums) == set(paired)
    value, row = data((5, 6), dtype), data((1, 6), dtype, 1)
    assert_agree(fast, reference, value, row)
    # Strided inputs (and the broadcast row) run the elemwise node first.
    assert_agree(fast, reference, data((5, 12), dtype)[:, ::2], row)
    assert_agree(fast, reference, numpy.zeros((0, 6), dtype), row)


def test_empty_reductions_agree_with_perform():
    x = T.dmatrix("x")
    fast, reference = both([x], [x.sum(axis=0), x.prod(axis=1)])
    assert_agree(fast, reference, numpy.zeros((0, 3)))
    fmax, rmax = both([x], x.max(axis=0))
    with pytest.raises(ValueError):
        rmax(numpy.zeros((0, 3)))
    with pytest.raises(ValueError):
        fmax(numpy.zeros((0, 3)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dot_and_gemm_match_perform(dtype):
    x = T.matrix("x", dtype=dtype)
    y = T.matrix("y", dtype=dtype)
    z = T.matrix("z", dtype=dtype)
    lr = numpy.asarray(0.5, dtype=dtype)
    outs = [T.dot(x, y), z - lr * T.dot(x.T, T.dot(x, y))]
    fast, reference = both([x, y, z], outs)
    ops = {type(node.op).__name__ for node in fast.vm.nodes}
    assert {"Dot22", "Gemm"} <= ops
    a, b, c = data((6, 4), dtype), data((4, 3), dtype, 1), data((4, 3), dtype, 2)
    assert_agree(fast, reference, a, b, c)
    # Transposed (Fortran-ordered) and strided operands, and empty products.
    assert_agree(
        fast, reference, data((4, 6), dtype).T, data((3, 8), dtype)[:, ::2].T, c
    )
    assert_agree(
        fast,
        reference,
        numpy.zeros((0, 4), dtype),
        b,
        c,
    )


def test_softmax_crossentropy_matches_perform():
    from symbolic.tensor.nnet import categorical_crossentropy, softmax

    x, b, y = T.fmatrix("x"), T.fvector("b"), T.ivector("y")
    probs = softmax(x + b)
    loss = categorical_crossentropy(probs, y).mean()
    fast, reference = both([x, b, y], [probs, loss, T.grad(loss, x)])
    labels = numpy.array([0, 2, 1, 2], "int32")
    assert_agree(fast, reference, data((4, 3), "float32"), data(3, "float32"), labels)


def test_ifelse_runs_only_the_chosen_branch_value():
    from symbolic.ifelse import ifelse

    c = T.iscalar("c")
    x = T.dvector("x")
    out = ifelse(c, T.exp(x).sum(), (x * 3 + 1).max())
    fast, reference = both([c, x], out)
    value = data(5, "float64")
    for flag in (0, 1):
        assert_agree(fast, reference, numpy.int32(flag), value)


def test_scan_matches_perform():
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    steps, _ = symbolic.scan(
        lambda row, h: T.tanh(row + h * 0.5), sequences=x, outputs_info=h0, mode=LLVM
    )
    fast = symbolic.function([x, h0], steps, mode=LLVM)
    assert isinstance(fast.vm, LLVMVM)
    reference_steps, _ = symbolic.scan(
        lambda row, h: T.tanh(row + h * 0.5),
        sequences=x,
        outputs_info=h0,
        mode=REFERENCE,
    )
    reference = symbolic.function([x, h0], reference_steps, mode=REFERENCE)
    assert_agree(fast, reference, data((4, 3), "float64"), data(3, "float64", 1))
    (scan_node,) = [n for n in fast.vm.nodes if type(n.op).__name__ == "Scan"]
    inner_vm = scan_node.op._fn[0]
    assert isinstance(inner_vm, LLVMVM) and inner_vm.kernels


def _mlp_training(mode):
    rng = numpy.random.RandomState(0)
    params = [
        symbolic.shared(rng.randn(8, 6).astype("float32") * 0.3, name="W1"),
        symbolic.shared(numpy.zeros(6, "float32"), name="b1"),
        symbolic.shared(rng.randn(6, 3).astype("float32") * 0.3, name="W2"),
        symbolic.shared(numpy.zeros(3, "float32"), name="b2"),
    ]
    from symbolic.tensor.nnet import categorical_crossentropy, relu, softmax

    w1, b1, w2, b2 = params
    x, y = T.fmatrix("x"), T.ivector("y")
    probs = softmax(T.dot(relu(T.dot(x, w1) + b1), w2) + b2)
    loss = categorical_crossentropy(probs, y).mean() + numpy.float32(1e-3) * (
        (w1**2).sum() + (w2**2).sum()
    )
    grads = T.grad(loss, params)
    updates = [(p, p - numpy.float32(0.1) * g) for p, g in zip(params, grads)]
    train = symbolic.function([x, y], loss, updates=updates, mode=mode)
    inputs = rng.rand(40, 8).astype("float32")
    labels = rng.randint(0, 3, 40).astype("int32")
    losses = [train(inputs[i : i + 10], labels[i : i + 10]) for i in range(0, 40, 10)]
    return train, losses, [p.get_value() for p in params]


def test_mlp_training_gives_the_reference_parameters():
    train, losses, params = _mlp_training(LLVM)
    assert isinstance(train.vm, LLVMVM)
    _, want_losses, want_params = _mlp_training(REFERENCE)
    numpy.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    for got, want in zip(params, want_params):
        numpy.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_unknown_linker_is_an_error():
    with pytest.raises(ValueError, match="unknown linker"):
        Mode(linker="llvmm")


_NO_COMPILER_SCRIPT = """
import json, sys, warnings
from symbolic.backends.c.runtime import runtime
# A machine without the prebuilt runtime extension (and no compiler: cxx=).
runtime.installed_path = lambda directory=None: None
import numpy, symbolic, symbolic.tensor as T
x = T.dmatrix("x")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    f = symbolic.function([x], [T.tanh(x).sum(axis=0), T.dot(x, x.T)])
value = numpy.arange(6.0).reshape(2, 3)
got = f(value)
print(json.dumps({
    "vm": type(f.vm).__name__,
    "kernels": len(getattr(f.vm, "kernels", {})),
    "runtime_loaded": any(name.endswith("._runtime") for name in sys.modules),
    "warnings": [str(w.message) for w in caught],
    "ok": bool(numpy.allclose(got[0], numpy.tanh(value).sum(axis=0))
               and numpy.allclose(got[1], value @ value.T)),
}))
"""


def test_fast_run_without_compiler_or_runtime_uses_the_llvm_backend(tmp_path):
    env = dict(os.environ)
    env["SYMBOLIC_FLAGS"] = f"cxx=,compiledir={tmp_path}"
    env["PATH"] = str(tmp_path)  # no gcc to find either
    out = subprocess.run(
        [sys.executable, "-c", _NO_COMPILER_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["vm"] == "LLVMVM"
    assert report["kernels"] >= 1
    assert not report["runtime_loaded"]
    assert report["ok"]
    assert any("LLVM backend" in message for message in report["warnings"])


def test_reused_buffers_never_overwrite_a_result_the_caller_holds():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = symbolic.function([x, y], [T.tanh(x) * 2, T.dot(x, y)], mode=LLVM)
    a, b = data((3, 3), "float64"), data((3, 3), "float64", 1)
    first = f(a, b)
    kept = [r.copy() for r in first]
    for _ in range(2):
        f(b, a)
    for got, want in zip(first, kept):
        numpy.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_cross_entropy_thunks_match_perform(dtype):
    # The LLVM backend's numpy thunks for the fused cross-entropy and its
    # gradient, on the graph an MLP's cost gives, against perform.
    x = T.matrix("x", dtype=dtype)
    b = T.vector("b", dtype=dtype)
    y = T.ivector("y")
    probs = T.nnet.softmax(x + b)
    cost = T.nnet.categorical_crossentropy(probs, y).mean()
    outs = [cost, T.argmax(probs, axis=1), *symbolic.grad(cost, [x, b])]
    fast, reference = both([x, b, y], outs)
    names = {type(node.op).__name__ for node in fast.vm.nodes}
    assert {
        "CrossentropySoftmaxArgmax1HotWithBias",
        "CrossentropySoftmax1HotWithBiasDx",
    } <= names
    labels = numpy.array([0, 3, 2, 3, 1], dtype="int32")
    assert_agree(fast, reference, data((5, 4), dtype), data((4,), dtype, 1), labels)
    # A class index out of range raises the reference's error.
    with pytest.raises(ValueError, match="out of range"):
        fast(data((5, 4), dtype), data((4,), dtype, 1), labels + 2)

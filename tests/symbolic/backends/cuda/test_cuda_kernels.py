"""Every kernel the CUDA backend renders compiles with nvcc (no GPU needed).

All kernels, from a table of scalar primitives and from representative
graphs moved onto the GPU by the placement rewrite, go into ONE source and
ONE ``nvcc --ptx`` call; a kernel that does not compile fails the test.
"""

import os
import shutil
import subprocess

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.c.elemwise_kernels import render_kernel
from symbolic.backends.c.scalar_c import Unsupported
from symbolic.backends.cuda import nvrtc, placement
from symbolic.backends.cuda.array import GpuArrayType
from symbolic.backends.cuda.build import BASE_FLAGS, NVRTC_OPTIONS, find_nvcc
from symbolic.backends.cuda.kernels import conv, elemwise, mrg, nnet, reduce
from symbolic.backends.cuda.kernels.source import module_source
from symbolic.backends.cuda.linker import graph_kernels
from symbolic.compile.mode import Mode
from symbolic.graph.fgraph import FunctionGraph
from symbolic.ops.scalar import expr as E
from symbolic.rewriting import pipeline
from symbolic.sandbox.rng_mrg import MRG_RandomStreams
from symbolic.tensor.nnet import conv2d
from symbolic.tensor.signal.pool import pool_2d

TERNARY = {"select"}
BINARY = set(
    "add sub mul div floordiv mod pow atan2 max min lt le gt ge eq ne land lor "
    "band bor bxor".split()
)
SCALAR_DTYPES = ("float32", "float64", "int8", "int32", "int64", "uint8", "bool")


def primitive_expressions():
    """``(label, outputs, in_dtypes, out_dtypes)`` for every primitive and dtype."""
    cases = []
    for op in sorted(E.PRIMITIVES):
        if op == "cast":
            continue
        arity = 3 if op in TERNARY else 2 if op in BINARY else 1
        for dtype in SCALAR_DTYPES:
            in_dtypes = (dtype,) * arity
            if op == "select":
                in_dtypes = ("bool", dtype, dtype)
            if op == "pow" and dtype.startswith("int"):
                in_dtypes = (dtype, "uint8")
            args = [E.arg(i, d) for i, d in enumerate(in_dtypes)]
            try:
                with numpy.errstate(all="ignore"):
                    result = E.evaluate(
                        E.call(op, "float64", *args),
                        [numpy.ones(2, d) for d in in_dtypes],
                    )
            except (TypeError, ValueError):
                continue
            out_dtype = str(result.dtype) if op not in BINARY | TERNARY else dtype
            expr = E.call(op, out_dtype, *args)
            cases.append((f"{op}:{dtype}", (expr,), in_dtypes, (out_dtype,)))
    casts = [
        (f"cast:{a}->{b}", (E.call("cast", b, E.arg(0, a)),), (a,), (b,))
        for a in SCALAR_DTYPES
        for b in SCALAR_DTYPES
        if a != b
    ]
    return cases + casts


def _c_renders(outputs, in_dtypes, out_dtypes):
    try:
        return render_kernel("k", outputs, in_dtypes, out_dtypes)
    except Unsupported:
        return None


def primitive_kernels():
    """The CUDA kernel of every case the C backend renders (ndim 2, strided)."""
    kernels = []
    for _label, outputs, in_dtypes, out_dtypes in primitive_expressions():
        if _c_renders(outputs, in_dtypes, out_dtypes) is None:
            continue
        kernels.append(elemwise.render_expressions(outputs, in_dtypes, out_dtypes, 2))
    return kernels


def _placed(inputs, outputs, optimizer="fast_run"):
    fgraph = FunctionGraph(inputs, outputs, clone=True)
    placement.register()
    mode = Mode(linker="py", optimizer=optimizer).including("gpu")
    pipeline.rewriter_for(mode)(fgraph)
    return fgraph


def _gpu(name, dtype, ndim):
    return GpuArrayType(dtype, (False,) * ndim)(name)


def representative_graphs():
    """FunctionGraphs after placement: MLP, LSTM step, LeNet, reductions, MRG."""
    graphs = []
    for dtype in ("float32", "float64"):
        x = T.matrix("x", dtype=dtype)
        y = T.lvector("y")
        w, b = _gpu("w", dtype, 2), _gpu("b", dtype, 1)
        p = T.nnet.softmax(T.dot(x, w) + b)
        cost = T.mean(T.nnet.categorical_crossentropy(p, y))
        gw, gb = symbolic.grad(cost, [w, b])
        graphs.append(_placed([x, y, w, b], [cost, w - gw, b - gb]))
        # An LSTM step: gates from one product, sigmoid and tanh.
        h, c = T.matrix("h", dtype=dtype), T.matrix("c", dtype=dtype)
        u = _gpu("u", dtype, 2)
        pre = T.dot(T.concatenate([x, h], axis=1), u)
        n = h.shape[1]
        i, f, o = (T.nnet.sigmoid(pre[:, k * n : (k + 1) * n]) for k in range(3))
        c_new = f * c + i * T.tanh(pre[:, 3 * n :])
        h_new = o * T.tanh(c_new)
        loss = T.sum(h_new**2)
        graphs.append(_placed([x, h, c, u], [h_new, c_new, symbolic.grad(loss, u)]))
        # LeNet: conv, max pool, average pool, tanh, log-softmax.
        img = T.tensor4("img", dtype=dtype)
        kern = _gpu("kern", dtype, 4)
        feat = T.tanh(conv2d(img, kern))
        pooled = pool_2d(feat, (2, 2), ignore_border=True, mode="max")
        averaged = pool_2d(pooled, (2, 2), ignore_border=False, mode="average_exc_pad")
        flat = averaged.flatten(2)
        lsm = T.nnet.logsoftmax(flat)
        graphs.append(
            _placed([img, kern], [lsm, symbolic.grad(T.sum(pooled) + T.sum(lsm), img)])
        )
        # Reductions over several axes, and an argmax cross-entropy.
        t = T.tensor3("t", dtype=dtype)
        reductions = [
            T.sum(t, axis=1),
            T.prod(t, axis=(0, 2)),
            T.max(t, axis=2),
            T.min(t),
            T.sum(t),
        ]
        graphs.append(_placed([t], reductions, optimizer="fast_compile"))
        yi = T.ivector("yi")
        nll, sm, am = T.nnet.crossentropy_softmax_argmax_1hot_with_bias(
            x, b.dimshuffle(0) * 1, yi
        )
        graphs.append(_placed([x, b, yi], [nll, sm, am]))
    for dtype in ("int32", "int64", "uint8"):
        t = T.tensor3("ti", dtype=dtype)
        graphs.append(_placed([t], [T.sum(t, axis=0), T.max(t, axis=(1, 2)), t // 3]))
    streams = MRG_RandomStreams(seed=3)
    for dtype in ("float32", "float64"):
        sample = streams.uniform((4, 5), dtype=dtype)
        graphs.append(_placed([], [sample], optimizer="fast_compile"))
    return graphs


def graph_kernel_list(graphs):
    kernels = []
    for fgraph in graphs:
        kernels += graph_kernels(fgraph.toposort())[1]
    return kernels


def fixed_kernels():
    kernels = [mrg.render()]
    for dtype in ("float32", "float64"):
        kernels.append(conv.render(dtype))
        for index in nnet.INDEX_DTYPES:
            kernels += nnet.render(dtype, index)
        for op_name in ("add", "mul", "max", "min"):
            scalar_op = _scalar_op(op_name)
            for n_kept, n_reduced in ((0, 1), (1, 1), (2, 1), (1, 2), (0, 3)):
                kernels.append(
                    reduce.render_reduction(
                        scalar_op, dtype, dtype, dtype, n_kept, n_reduced
                    )
                )
    return kernels


def _scalar_op(name):
    from symbolic.ops.scalar import basic as sb

    return {"add": sb.Add(), "mul": sb.Mul(), "max": sb.Maximum(), "min": sb.Minimum()}[
        name
    ]


@pytest.fixture(scope="module")
def all_kernels():
    graphs = representative_graphs()
    kernels = primitive_kernels() + graph_kernel_list(graphs) + fixed_kernels()
    return kernels, graphs, module_source(kernels)


@pytest.fixture(scope="module")
def compiled(all_kernels, tmp_path_factory):
    nvcc = find_nvcc()
    if nvcc is None:
        pytest.skip("nvcc not found: the CUDA kernels cannot be compiled here")
    kernels, graphs, source = all_kernels
    folder = tmp_path_factory.mktemp("cuda")
    cu, ptx = os.path.join(folder, "all.cu"), os.path.join(folder, "all.ptx")
    with open(cu, "w") as handle:
        handle.write(source)
    done = subprocess.run(
        [nvcc, *BASE_FLAGS, "-o", ptx, cu], capture_output=True, text=True
    )
    assert done.returncode == 0, f"nvcc failed on {cu}:\n{done.stderr[-8000:]}"
    with open(ptx) as handle:
        return kernels, graphs, handle.read()


def _entries(ptx):
    return {
        line.split("(")[0].split()[-1] for line in ptx.splitlines() if ".entry" in line
    }


def test_every_kernel_compiles_with_nvrtc_too(all_kernels):
    if nvrtc.library() is None:
        pytest.skip("libnvrtc not found (CUDA toolkit or nvidia-cuda-nvrtc)")
    kernels, _, source = all_kernels
    ptx = nvrtc.compile_to_ptx(source, NVRTC_OPTIONS)
    entries = _entries(ptx)
    missing = [k.name for k in kernels if k.body and k.name not in entries]
    assert not missing, f"missing from NVRTC's PTX: {missing[:5]}"
    assert "xent_softmax_1hot_float64_int32" in entries


def test_every_kernel_compiles_to_ptx(compiled):
    kernels, _, ptx = compiled
    entries = {
        line.split("(")[0].split()[-1] for line in ptx.splitlines() if ".entry" in line
    }
    for kernel in kernels:
        if kernel.body or kernel.name.startswith(("ew_", "red_")):
            assert kernel.name in entries, f"{kernel.name} missing from the PTX"
    assert "mrg31k3p_uniform_float32" in entries
    assert "im2col_float64" in entries and "pool2d_grad_float32" in entries
    assert "xent_softmax_1hot_float32_int64" in entries


def test_the_graphs_run_their_math_on_the_gpu(compiled):
    _, graphs, _ = compiled
    moved = {
        type(node.op.op).__name__
        for fgraph in graphs
        for node in fgraph.toposort()
        if type(node.op).__name__ == "GpuOp"
    }
    wanted = {
        "Elemwise",
        "Dot22",
        "Sum",
        "Prod",
        "Max",
        "AbstractConv2d",
        "AbstractConv2d_gradInputs",
        "Pool",
        "MaxPoolGrad",
        "LogSoftmax",
        "CrossentropySoftmaxArgmax1HotWithBias",
        "CrossentropySoftmax1HotWithBiasDx",
        "mrg_uniform",
    }
    assert wanted <= moved, f"left on the host: {sorted(wanted - moved)}"


def test_every_primitive_the_c_backend_renders_has_a_cuda_kernel():
    rendered = 0
    for label, outputs, in_dtypes, out_dtypes in primitive_expressions():
        c_kernel = _c_renders(outputs, in_dtypes, out_dtypes)
        if c_kernel is None:
            with pytest.raises(Unsupported):
                elemwise.render_expressions(outputs, in_dtypes, out_dtypes, 1)
            continue
        kernel = elemwise.render_expressions(outputs, in_dtypes, out_dtypes, 1)
        rendered += 1
        # The per-element statements are the C backend's, line for line.
        for line in kernel.body:
            assert line in c_kernel.source, f"{label}: {line!r} not in the C kernel"
        assert kernel.helpers == frozenset(c_kernel.helpers), label
    assert rendered > 300


def test_graph_kernel_bodies_are_the_c_backends():
    from symbolic.backends.c.elemwise_kernels import node_expressions

    x, y = T.fmatrix("x"), T.frow("y")
    fgraph = _placed([x, y], [T.tanh(x) * y + T.exp(-x) / 3])
    checked = 0
    for node in fgraph.toposort():
        if type(node.op).__name__ != "GpuOp":
            continue
        host = node.op.host_node(node.inputs)
        if type(host.op).__name__ != "Elemwise":
            continue
        kernel = elemwise.render_node(host)
        c_kernel = render_kernel("k", *node_expressions(host))
        assert kernel.body and all(line in c_kernel.source for line in kernel.body)
        checked += 1
    assert checked == 1


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_cuda_prelude_helpers_are_device_functions():
    kernel = elemwise.render_expressions(
        (E.call("mod", "int64", E.arg(0, "int64"), E.arg(1, "int64")),),
        ("int64", "int64"),
        ("int64",),
        1,
    )
    source = module_source([kernel])
    assert "static __device__ inline int64_t vm_mod_int64" in source
    assert "static inline" not in source

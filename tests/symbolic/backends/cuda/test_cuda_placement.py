"""The GPU types, transfers and placement rewrite, checked on graph structure."""

import pickle

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.cuda import placement
from symbolic.backends.cuda.array import (
    GpuArrayType,
    GpuFromHost,
    HostFromGpu,
    gpu_from_host,
    host_from_gpu,
)
from symbolic.backends.cuda.device import adapt_mode
from symbolic.backends.cuda.gpu_op import GpuOp
from symbolic.compile.mode import Mode
from symbolic.graph.fgraph import FunctionGraph
from symbolic.rewriting import pipeline


def _rewrite(inputs, outputs, optimizer="fast_run"):
    fgraph = FunctionGraph(inputs, outputs, clone=True)
    placement.register()
    pipeline.rewriter_for(Mode(linker="py", optimizer=optimizer).including("gpu"))(
        fgraph
    )
    return fgraph


def _ops(fgraph, cls):
    return [n for n in fgraph.toposort() if isinstance(n.op, cls)]


def test_gpu_variables_enter_tensor_graphs_through_host_from_gpu():
    w = GpuArrayType("float32", (False, False))("w")
    y = w * 2
    assert isinstance(y.owner.inputs[0].owner.op, HostFromGpu)
    assert (w.ndim, w.dtype, w.broadcastable) == (2, "float32", (False, False))


def test_transfer_gradients_cross_back():
    w = GpuArrayType("float32", (False,))("w")
    g = symbolic.grad(T.sum(host_from_gpu(w) ** 2), w)
    assert g.type == w.type
    assert isinstance(g.owner.op, GpuFromHost)
    x = T.fvector("x")
    gx = symbolic.grad(T.sum(host_from_gpu(gpu_from_host(x))), x)
    assert gx.type == x.type


def test_a_host_tensor_converts_to_a_gpu_type_by_transfer():
    gpu_type = GpuArrayType("float32", (False,))
    x = T.fvector("x")
    moved = gpu_type.filter_variable(x)
    assert isinstance(moved.owner.op, GpuFromHost)
    with pytest.raises(TypeError, match="cannot convert"):
        gpu_type.filter_variable(T.dvector("d"))


def test_types_and_ops_compare_hash_and_pickle():
    a, b = (
        GpuArrayType("float32", (True, False)),
        GpuArrayType("float32", (True, False)),
    )
    assert a == b and hash(a) == hash(b) and a != GpuArrayType("float64", (True, False))
    op = GpuOp(T.nnet.softmax(T.fmatrix()).owner.op)
    assert pickle.loads(pickle.dumps(op)) == op
    assert pickle.loads(pickle.dumps(a)) == a


def test_an_mlp_step_runs_on_the_gpu_with_transfers_only_at_the_borders():
    w = GpuArrayType("float32", (False, False))("w")
    b = GpuArrayType("float32", (False,))("b")
    x, y = T.fmatrix("x"), T.lvector("y")
    cost = T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(T.dot(x, w) + b), y))
    gw = symbolic.grad(cost, w)
    update = w.type.filter_variable(w - numpy.float32(0.1) * gw)
    fgraph = _rewrite([x, y, w, b], [cost, update])
    # No round trip survives.
    for node in _ops(fgraph, GpuFromHost):
        source = node.inputs[0].owner
        assert source is None or not isinstance(source.op, HostFromGpu)
    # The update never leaves the device.
    assert isinstance(fgraph.outputs[1].type, GpuArrayType)
    assert isinstance(fgraph.outputs[1].owner.op, GpuOp)
    moved = {type(n.op.op).__name__ for n in _ops(fgraph, GpuOp)}
    assert {"Dot22", "CrossentropySoftmaxArgmax1HotWithBias"} <= moved
    # The host input x is copied to the device exactly once.
    x_in = fgraph.inputs[0]
    copies = [n for n in _ops(fgraph, GpuFromHost) if n.inputs[0] is x_in]
    assert len(copies) == 1


def test_ops_without_a_cuda_lowering_stay_on_the_host():
    x = T.fmatrix("x")
    fgraph = _rewrite([x], [T.sort(x, axis=1) * 2])
    sort_nodes = [n for n in fgraph.toposort() if "Sort" in type(n.op).__name__]
    assert sort_nodes and all(
        isinstance(v.type, T.TensorType) for v in sort_nodes[0].outputs
    )
    assert _ops(fgraph, GpuOp)


def test_complex_values_stay_on_the_host():
    z = T.zvector("z")
    fgraph = _rewrite([z], [z * 2])
    assert not _ops(fgraph, GpuOp)


def test_placement_runs_only_where_the_mode_asks_for_it():
    x = T.fmatrix("x")
    placement.register()
    fgraph = FunctionGraph([x], [T.tanh(x)], clone=True)
    pipeline.rewriter_for(Mode(linker="py", optimizer="fast_run"))(fgraph)
    assert not _ops(fgraph, GpuOp)


def test_the_cuda_device_adapts_plain_modes_only():
    adapted = adapt_mode(Mode(linker="cvm", optimizer="fast_run"))
    assert adapted.linker == "cuda" and "gpu" in adapted.included
    quick = adapt_mode(Mode(linker="py", optimizer="fast_compile"))
    assert quick.linker == "cuda" and quick.optimizer == "fast_compile"
    debug = symbolic.compile.mode.predefined_modes["DebugMode"]()
    assert adapt_mode(debug) is debug

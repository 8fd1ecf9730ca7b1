"""The C linker compiles a scan's inner function while gcc builds the outer kernels."""

import threading

import numpy
import pytest

import symbolic
from symbolic import scan, tensor
from symbolic.backends.c.runtime import runtime
from symbolic.scan.op import Scan

pytestmark = pytest.mark.skipif(
    not runtime.available(), reason="the C runtime cannot be built here"
)

C_MODE = symbolic.Mode(linker="cvm", optimizer="fast_run")


def _scan_graph():
    x = tensor.matrix("x")
    h, _ = scan(
        lambda row, prev: tensor.tanh(row + prev),
        sequences=[x],
        outputs_info=[tensor.zeros_like(x[0])],
    )
    return x, h


def _scan_ops(f):
    return [n.op for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def test_inner_function_is_ready_when_function_returns():
    x, h = _scan_graph()
    f = symbolic.function([x], (h * 2).sum(), mode=C_MODE)
    ops = _scan_ops(f)
    assert ops and all(op._fn is not None for op in ops)
    value = numpy.random.RandomState(0).uniform(-1, 1, (5, 3)).astype(x.dtype)
    expected, state = 0.0, numpy.zeros(3, dtype=x.dtype)
    for row in value:
        state = numpy.tanh(row + state)
        expected += 2 * state.sum()
    numpy.testing.assert_allclose(f(value), expected, rtol=1e-5)


def test_concurrent_inner_compiles_build_one_function():
    _, h = _scan_graph()
    (op,) = [
        node.op
        for node in symbolic.graph.traversal.io_toposort([], [h])
        if isinstance(node.op, Scan)
    ]
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(op.compile_inner()))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and all(r is results[0] for r in results)

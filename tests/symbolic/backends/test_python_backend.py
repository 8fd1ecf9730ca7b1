"""The Python backend's specialized thunks agree with every node's ``perform``."""

import numpy
import pytest

import symbolic
import symbolic.tensor as T
from symbolic.backends.python.thunks import perform_thunk
from symbolic.compile.linker import make_storage_map
from symbolic.compile.mode import Mode
from symbolic.gof import FunctionGraph


def _reference(inputs, outputs, values):
    fgraph = FunctionGraph(inputs, outputs, clone=False)
    env = dict(zip(inputs, values))
    for node in fgraph.toposort():
        args = [env[v] if v in env else v.data for v in node.inputs]
        cells = [[None] for _ in node.outputs]
        node.op.perform(node, args, cells)
        env.update((out, cell[0]) for out, cell in zip(node.outputs, cells))
    return [env[o] for o in outputs]


GRAPHS = [
    ("float arithmetic", lambda x, y: [x + y, x * y - 2, x / (y + 3), T.exp(x) ** 2]),
    ("broadcast", lambda x, y: [x + y.sum(axis=0), T.maximum(x, 0.5)]),
    ("int8 overflow wraps", lambda x, y: [T.cast(x * 100, "int8") + T.cast(y, "int8")]),
    (
        "int division to floatX",
        lambda x, y: [T.cast(x, "int32") / T.cast(y * y + 2, "int32")],
    ),
    ("comparisons", lambda x, y: [T.lt(x, y), T.switch(T.gt(x, y), x, y)]),
    ("0-d", lambda x, y: [x.sum() + y.sum(), T.tanh(x.mean())]),
    ("three inputs", lambda x, y: [T.clip(x, -y.mean(), y.mean())]),
]


@pytest.mark.parametrize("name,build", GRAPHS, ids=[g[0] for g in GRAPHS])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_backend_matches_perform(name, build, dtype):
    rng = numpy.random.RandomState(0)
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    outputs = build(x, y)
    values = [rng.randn(3, 4).astype(dtype), rng.randn(3, 4).astype(dtype)]
    got = symbolic.function([x, y], outputs, mode=Mode(linker="py"))(*values)
    want = _reference([x, y], outputs, values)
    for g, w, out in zip(got, want, outputs):
        assert g.dtype == numpy.dtype(out.dtype) == numpy.asarray(w).dtype
        numpy.testing.assert_array_equal(g, w)


def test_thunk_reports_mismatch_like_perform():
    x, y = T.dvector("x"), T.dvector("y")
    z = x + y
    fgraph = FunctionGraph([x, y], [z], clone=False)
    storage = make_storage_map(fgraph, [[numpy.ones(2)], [numpy.ones(3)]])
    thunk = perform_thunk(z.owner, storage)
    with pytest.raises(ValueError, match="x with shape"):
        thunk()

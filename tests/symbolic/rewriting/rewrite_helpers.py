"""Compile a graph with and without rewrites and compare (shared by rewrite tests)."""

import numpy

import symbolic

RAW = symbolic.Mode(linker="py", optimizer=None)
FAST = symbolic.Mode(linker="py", optimizer="fast_run")
CANON = symbolic.Mode(linker="py", optimizer="fast_run").excluding(
    "fusion", "inplace", "specialize"
)


def op_names(f):
    return [str(node.op) for node in f.maker.fgraph.toposort()]


def scalar_ops(f):
    """Names of the scalar ops of every Elemwise in ``f``'s rewritten graph."""
    names = []
    for node in f.maker.fgraph.toposort():
        scalar = getattr(node.op, "scalar_op", None)
        if scalar is not None and type(node.op).__name__ == "Elemwise":
            names.append(type(scalar).__name__)
        else:
            names.append(type(node.op).__name__)
    return names


def check_same(inputs, outputs, values, mode=CANON, rtol=1e-7, atol=0):
    """Compile ``outputs`` raw and rewritten; assert equal results and types.

    Returns the rewritten function.
    """
    raw = symbolic.function(inputs, outputs, mode=RAW, on_unused_input="ignore")
    f = symbolic.function(inputs, outputs, mode=mode, on_unused_input="ignore")
    expected = raw(*values)
    got = f(*values)
    if not isinstance(expected, list):
        expected, got = [expected], [got]
    for e, g in zip(expected, got):
        assert numpy.asarray(g).dtype == numpy.asarray(e).dtype
        numpy.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
    for a, b in zip(raw.maker.fgraph.outputs, f.maker.fgraph.outputs):
        assert a.type == b.type
    return f

"""The op contract: perform vs an oracle, infer_shape, eq/hash/pickle, gradients."""

import pickle

import numpy

import symbolic
from symbolic.gradient import verify_grad
from symbolic.graph.fgraph import FunctionGraph
from symbolic.types.tensor import TensorType


def symbolic_inputs(values):
    """Return one input variable per value, typed after it (no broadcastable dim)."""
    return [
        TensorType(numpy.asarray(v).dtype, (False,) * numpy.ndim(v))(f"in{i}")
        for i, v in enumerate(values)
    ]


def check_op(
    fn,
    values,
    expected=None,
    grad=True,
    rtol=None,
    atol=None,
    grad_values=None,
    check_infer_shape=True,
    check_pickle=True,
):
    """Check one op application end to end.

    Parameters
    ----------
    fn : callable
        Builds the symbolic output(s) from input variables.
    values : list of ndarray
        Concrete inputs.
    expected : ndarray, list, or callable, optional
        The oracle; a callable is applied to ``values``.
    grad : bool
        Run ``verify_grad`` (float inputs only; ``grad_values`` overrides the point).
    """
    values = [numpy.asarray(v) for v in values]
    inputs = symbolic_inputs(values)
    outputs = fn(*inputs)
    out_list = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    f = symbolic.function(inputs, out_list, on_unused_input="ignore")
    results = f(*values)
    if expected is not None:
        oracle = expected(*values) if callable(expected) else expected
        oracle_list = oracle if isinstance(oracle, (list, tuple)) else [oracle]
        for got, want, var in zip(results, oracle_list, out_list):
            want = numpy.asarray(want)
            assert got.shape == want.shape, f"{var}: shape {got.shape} != {want.shape}"
            assert str(got.dtype) == var.dtype, (
                f"{var}: dtype {got.dtype} != {var.dtype}"
            )
            tol = (
                rtol
                if rtol is not None
                else (1e-5 if got.dtype in (numpy.float32, numpy.float16) else 1e-10)
            )
            numpy.testing.assert_allclose(
                got, want, rtol=tol, atol=atol if atol is not None else tol
            )
    if check_infer_shape:
        check_infer_shape_of(inputs, out_list, values, results)
    if check_pickle:
        for var in out_list:
            if var.owner is not None:
                check_op_identity(var.owner.op)
    if grad:
        point = grad_values if grad_values is not None else values
        if all(numpy.asarray(v).dtype.kind == "f" for v in point):
            verify_grad(
                lambda *xs: fn(*xs), list(point), rng=numpy.random.RandomState(0)
            )
    return results


def check_infer_shape_of(inputs, outputs, values, results):
    """Every node's ``infer_shape`` agrees with the shapes actually computed."""
    fgraph = FunctionGraph(inputs, outputs, clone=False)
    for node in fgraph.toposort():
        infer = getattr(node.op, "infer_shape", None)
        if infer is None:
            continue
        try:
            in_shapes = [
                tuple(symbolic.tensor.shape(v)[i] for i in range(v.ndim))
                if hasattr(v, "ndim")
                else None
                for v in node.inputs
            ]
            shapes = infer(fgraph, node, in_shapes)
        except NotImplementedError:
            continue
        for out, shp in zip(node.outputs, shapes):
            if shp is None or out not in outputs:
                continue
            dims = [symbolic.tensor.as_tensor_variable(s) for s in shp]
            if not dims:
                continue
            f = symbolic.function(inputs, dims, on_unused_input="ignore")
            got = tuple(int(d) for d in f(*values))
            actual = results[outputs.index(out)].shape
            assert got == actual, f"{node.op}: infer_shape {got} != actual {actual}"


def check_op_identity(op):
    """Ops compare and hash by props and survive pickling."""
    clone = pickle.loads(pickle.dumps(op))
    assert clone == op, f"{op} changed through pickling"
    assert hash(clone) == hash(op)

"""verify_grad: check symbolic gradients against finite differences."""

import numpy

from symbolic.gradient.grad import GradientError, grad
from symbolic.graph.basic import compile_function
from symbolic.types.tensor import TensorType

#: Finite-difference step per dtype (central differences).
TYPE_EPS = {"float64": 1e-6, "float32": 1e-3, "float16": 1e-1}
#: Default absolute and relative tolerances per dtype.
TYPE_TOL = {"float64": 1e-4, "float32": 1e-2, "float16": 5e-2}


def verify_grad(
    fun,
    pt,
    n_tests=2,
    rng=None,
    eps=None,
    out_type=None,
    abs_tol=None,
    rel_tol=None,
    mode=None,
    cast_to_output_type=False,
    no_debug_ref=True,
):
    """Check ``grad`` of ``fun`` at ``pt`` against central finite differences.

    The scalar cost is ``sum(fun(*inputs) * R)`` for a random projection R,
    so every output element is checked.

    Parameters
    ----------
    fun : callable
        Takes symbolic variables (one per entry of ``pt``), returns a variable
        or list of variables.
    pt : list of ndarray
        Where to check; float arrays only.
    n_tests : int
        Number of random projections tried.
    rng : numpy.random.RandomState or Generator, optional

    Raises
    ------
    GradientError
        On the first element whose analytic and numeric gradients disagree.
    """
    if not isinstance(pt, (list, tuple)):
        raise TypeError("verify_grad: pt must be a list of ndarrays")
    pt = [numpy.array(p) for p in pt]
    for i, p in enumerate(pt):
        if p.dtype.kind != "f":
            raise TypeError(
                f"verify_grad can only check float inputs; input {i} has dtype "
                f"{p.dtype}"
            )
    if rng is None:
        rng = numpy.random.RandomState(42)
    inputs = [
        TensorType(p.dtype, (False,) * p.ndim)(f"input_{i}") for i, p in enumerate(pt)
    ]
    outputs = fun(*inputs)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    dtype = str(numpy.result_type(*[p.dtype for p in pt]))
    eps = eps if eps is not None else TYPE_EPS.get(dtype, 1e-6)
    abs_tol = abs_tol if abs_tol is not None else TYPE_TOL.get(dtype, 1e-4)
    rel_tol = rel_tol if rel_tol is not None else TYPE_TOL.get(dtype, 1e-4)

    import symbolic.ops as T

    f_out = compile_function(inputs, outputs, mode=mode)
    out_values = f_out(*pt)
    for _ in range(n_tests):
        projections = [
            numpy.asarray(
                _random(rng, numpy.shape(v)) + 0.5,
                dtype=str(numpy.asarray(v).dtype)
                if numpy.asarray(v).dtype.kind == "f"
                else "float64",
            )
            for v in out_values
        ]
        proj_vars = [TensorType(p.dtype, (False,) * p.ndim)() for p in projections]
        cost = None
        for out, proj in zip(outputs, proj_vars):
            term = T.sum(T.cast(out, proj.dtype) * proj)
            cost = term if cost is None else cost + term
        cost_fn = compile_function(inputs + proj_vars, cost, mode=mode)
        grads = grad(cost, inputs, disconnected_inputs="ignore")
        grad_fn = compile_function(inputs + proj_vars, grads, mode=mode)
        analytic = grad_fn(*pt, *projections)
        for i, p in enumerate(pt):
            numeric = numpy.zeros(p.shape, dtype="float64")
            flat = numeric.reshape(-1)
            for j in range(p.size):
                plus = [q.copy() for q in pt]
                minus = [q.copy() for q in pt]
                plus[i].reshape(-1)[j] += eps
                minus[i].reshape(-1)[j] -= eps
                f_plus = float(cost_fn(*plus, *projections))
                f_minus = float(cost_fn(*minus, *projections))
                flat[j] = (f_plus - f_minus) / (2 * eps)
            sym = numpy.asarray(analytic[i], dtype="float64")
            abs_err = numpy.abs(sym - numeric)
            rel_err = abs_err / (numpy.abs(sym) + numpy.abs(numeric) + 1e-8)
            bad = (abs_err > abs_tol) & (rel_err > rel_tol)
            if numpy.any(bad) or not numpy.all(numpy.isfinite(sym)):
                pos = int(numpy.argmax(bad.reshape(-1))) if numpy.any(bad) else 0
                raise GradientError(
                    i,
                    pos,
                    p.shape,
                    sym.reshape(-1)[pos],
                    numeric.reshape(-1)[pos],
                    float(abs_err.reshape(-1)[pos]),
                    float(rel_err.reshape(-1)[pos]),
                    abs_tol,
                    rel_tol,
                )


def _random(rng, shape):
    if hasattr(rng, "rand"):
        return rng.rand(*shape)
    return rng.random(shape)


verify_grad.E_grad = GradientError
